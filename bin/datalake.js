#!/usr/bin/env node
// The `datalake` CLI, run from the bundle scripts/build-cli.js makes (rebuilt first when a source
// changed), so a command starts without compiling TypeScript.
require("../scripts/quiet-sdk-notice");

// A reader that goes away (`datalake query ... | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => process.exit(err && err.code === "EPIPE" ? 0 : 1));
}

let cli;
try {
  cli = require("../scripts/build-cli").loadCli();
} catch (err) {
  // Loading the CLI evaluates every dataset and model spec: a wrong one is the user's to fix, so it
  // is one line naming the file and field (exit 2, a usage mistake), whatever verb was asked for.
  const spec = err && (["DatasetSpecError", "ModelSpecError"].includes(err.name) || (err.name === "CliBuildError" && /^(datasets|models)\//.test(err.file || "")));
  const message = String(err && err.message ? err.message : err).split("\n")[0];
  process.stderr.write(`datalake: ${spec ? "" : "cannot start: "}${message.replace(`${process.cwd()}/`, "")}\n`);
  if (process.env.DATALAKE_DEBUG && err && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(spec ? 2 : 1);
}

cli.main(process.argv.slice(2)).then(exitAfterFlush, (err) => {
  process.stderr.write(`datalake: ${err && err.message ? err.message : err}\n`);
  exitAfterFlush(1);
});

// Writes to a pipe are asynchronous: exiting at once would cut the output at the pipe's buffer
// (64 KiB) with exit code 0. An empty write's callback runs once everything before it is out.
function exitAfterFlush(code) {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}
