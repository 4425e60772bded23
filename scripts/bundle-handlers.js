#!/usr/bin/env node
// Bundles each Lambda handler into one minified CommonJS file with esbuild.
//
//   node scripts/bundle-handlers.js [outDir]      -> <outDir>/<name>/index.js (default dist/handlers)
//   require("./scripts/bundle-handlers").bundleHandler("handlers/file-arrival.ts")
//     -> { name, code, hash, bytes }              (the Pulumi program bundles at program time)
//
// Choices:
// - @aws-sdk/* is bundled, not left to the Node.js 22 runtime's copy: the deployed code then
//   runs the exact SDK versions the tests ran (the runtime's SDK moves under us), tree-shaking
//   drops unused commands, and one file loads faster at cold start than resolving hundreds of
//   node_modules files (bench/handlers.bench.ts measures both).
// - No source maps: stack traces name the minified file, but the JSON logs carry dataset, key,
//   version and run id, and the bundle stays byte-identical for identical sources.
// - Deterministic: fixed absWorkingDir, no banner/timestamps, legal comments dropped, so the
//   same sources give the same bytes and the same hash (no spurious Lambda updates in previews).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const Module = require("module");
const esbuild = require("esbuild");

const ROOT = path.resolve(__dirname, "..");

/** esbuild options shared by every handler; exported for tests and the benchmark. */
const BUILD_OPTIONS = Object.freeze({
  bundle: true,
  platform: "node",
  target: "node22",
  format: "cjs",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  charset: "utf8",
  // Prefer the SDK's ES module builds: they tree-shake.
  mainFields: ["module", "main"],
  logLevel: "warning",
  absWorkingDir: ROOT,
  write: false,
});

/** The entry list lives in handlers/env-contract.ts (one list shared with infra): load it. */
function handlerEntries() {
  const file = path.join(ROOT, "handlers", "env-contract.ts");
  const { code } = esbuild.transformSync(fs.readFileSync(file, "utf8"), { loader: "ts", format: "cjs" });
  const mod = new Module(file);
  mod._compile(code, file);
  return mod.exports.HANDLER_ENTRIES;
}

/** "handlers/file-arrival.ts" -> "file-arrival". */
function handlerName(entry) {
  return path.basename(entry).replace(/\.ts$/, "");
}

/**
 * Bundles one entry (path relative to the repo root, e.g. "handlers/job-state.ts").
 * @returns {{ name: string, code: string, hash: string, bytes: number }}
 */
function bundleHandler(entry, overrides = {}) {
  const result = esbuild.buildSync({ ...BUILD_OPTIONS, ...overrides, entryPoints: [entry], outfile: "index.js" });
  const out = result.outputFiles.find((f) => f.path.endsWith("index.js"));
  const code = out.text;
  return {
    name: handlerName(entry),
    code,
    hash: crypto.createHash("sha256").update(code).digest("hex"),
    bytes: Buffer.byteLength(code, "utf8"),
  };
}

/** Bundles every handler into `<outDir>/<name>/index.js`. */
function bundleAll(outDir = path.join(ROOT, "dist", "handlers"), overrides = {}) {
  return Object.values(handlerEntries()).map((entry) => {
    const bundle = bundleHandler(entry, overrides);
    const dir = path.join(outDir, bundle.name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "index.js"), bundle.code);
    return { ...bundle, file: path.join(dir, "index.js") };
  });
}

module.exports = { bundleHandler, bundleAll, handlerEntries, handlerName, BUILD_OPTIONS };

if (require.main === module) {
  const outDir = path.resolve(process.argv[2] || path.join(ROOT, "dist", "handlers"));
  for (const b of bundleAll(outDir)) {
    console.log(`${b.name.padEnd(14)} ${(b.bytes / 1024).toFixed(1).padStart(7)} KiB  sha256:${b.hash.slice(0, 16)}  ${path.relative(process.cwd(), b.file)}`);
  }
}
