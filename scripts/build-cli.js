#!/usr/bin/env node
// The CLI runs from one esbuild bundle of its TypeScript (dist/cli/datalake.js) so a command
// starts in about a tenth of a second: no TypeScript compiler at run time. `npm ci` builds it
// (the `prepare` script); bin/datalake.js rebuilds it first whenever a source it was built from
// changed since, so edits to a dataset spec or the code take effect on the next command.
//
//   node scripts/build-cli.js      -> builds dist/cli/datalake.js (+ .map, inputs.json)
//
// npm packages stay outside the bundle (`packages: "external"`), loaded from node_modules as
// before; what the bundle inlines is only this project's code, and modules a verb imports lazily
// (DuckDB, the AWS SDK) are still loaded only when that verb runs.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT_DIR = path.join(ROOT, "dist", "cli");
const BUNDLE = path.join(OUT_DIR, "datalake.js");
const INPUTS = path.join(OUT_DIR, "inputs.json");
const ENTRY = "local/cli.ts";

/** True when the bundle exists and none of the files it was built from changed (or vanished). */
function isFresh() {
  let record;
  try {
    record = JSON.parse(fs.readFileSync(INPUTS, "utf8"));
    fs.statSync(BUNDLE);
  } catch {
    return false;
  }
  for (const file of [...record.inputs, "scripts/build-cli.js"]) {
    let stat;
    try {
      stat = fs.statSync(path.join(ROOT, file));
    } catch {
      return false;
    }
    if (stat.mtimeMs > record.builtAt) return false;
  }
  return true;
}

/** A source that does not compile: its first error with file, line and column. */
class CliBuildError extends Error {
  constructor(error) {
    const loc = error.location;
    super(loc ? `${loc.file}:${loc.line}:${loc.column}: ${error.text}` : error.text);
    this.name = "CliBuildError";
    this.file = loc ? loc.file : undefined;
  }
}

function build() {
  const esbuild = require("esbuild");
  // Sources edited from now on are newer than this, even while the build runs.
  const builtAt = Date.now() - 1;
  let result;
  try {
    result = esbuild.buildSync({
      entryPoints: [ENTRY],
      absWorkingDir: ROOT,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      packages: "external",
      sourcemap: "linked",
      metafile: true,
      write: false,
      outfile: BUNDLE,
      logLevel: "silent",
    });
  } catch (err) {
    throw err && err.errors && err.errors.length > 0 ? new CliBuildError(err.errors[0]) : err;
  }
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // Written aside then renamed: two commands rebuilding at once never load a half-written file.
  for (const file of result.outputFiles) writeAtomic(file.path, file.contents);
  writeAtomic(INPUTS, JSON.stringify({ builtAt, inputs: Object.keys(result.metafile.inputs).sort() }, null, 1));
}

function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

/** The CLI module (local/cli.ts), from a bundle that is rebuilt first if stale. */
function loadCli() {
  if (!isFresh()) build();
  // Stack frames name the TypeScript files: a dataset spec finds its own file name from them.
  process.setSourceMapsEnabled(true);
  return require(BUNDLE);
}

module.exports = { BUNDLE, build, isFresh, loadCli, CliBuildError };

if (require.main === module) {
  const started = Date.now();
  try {
    build();
  } catch (err) {
    console.error(`build-cli: ${err.message}`);
    process.exit(1);
  }
  console.log(`build-cli: ${path.relative(ROOT, BUNDLE)} (${fs.statSync(BUNDLE).size} bytes, ${Date.now() - started} ms)`);
}
