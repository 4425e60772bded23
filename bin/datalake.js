#!/usr/bin/env node
// The `datalake` CLI. TypeScript sources run through ts-node's transpile-only mode so a fresh
// clone needs no build step.
require("../scripts/quiet-sdk-notice");
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "tsconfig.json") });
require("../local/cli").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`datalake: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
