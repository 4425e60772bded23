#!/usr/bin/env node
// The `datalake` CLI. TypeScript sources run through ts-node's transpile-only mode so a fresh
// clone needs no build step.

// The AWS SDK warns on every start that releases after January 2027 need Node 22; a local user can
// do nothing about it mid-demo, so that one warning is dropped (the Lambdas run Node.js 22).
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const text = typeof warning === "string" ? warning : String(warning && warning.message);
  if (text.startsWith("NodeVersionSupportWarning")) return;
  emitWarning(warning, ...rest);
};

require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "tsconfig.json") });
require("../local/cli").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`datalake: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
