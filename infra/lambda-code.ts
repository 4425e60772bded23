// Lambda code, bundled at program time: `pulumi up` needs no separate build step. The bundle is
// deterministic (same sources -> same bytes), so the archive hash, and thus the function, changes
// only when handler code (or a dependency) changes.
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";
import { existsSync } from "fs";
import { join, resolve } from "path";

export const REPO_ROOT = resolve(__dirname, "..");

/** The module scripts/bundle-handlers.js exports (handlers issue); used when present. */
type BundleHandler = (entry: string) => string | { code: string } | Promise<string | { code: string }>;

const cache = new Map<string, Promise<string>>();

/** JavaScript of one bundled handler entry (a HANDLER_ENTRIES path relative to the repo root). */
export function bundledHandler(entry: string): Promise<string> {
  let code = cache.get(entry);
  if (!code) {
    code = bundle(entry);
    cache.set(entry, code);
  }
  return code;
}

async function bundle(entry: string): Promise<string> {
  const abs = join(REPO_ROOT, entry);
  if (!existsSync(abs)) throw new Error(`Lambda entry ${entry} does not exist (see HANDLER_ENTRIES in handlers/env-contract.ts)`);
  const script = join(REPO_ROOT, "scripts", "bundle-handlers.js");
  if (existsSync(script)) {
    const mod = require(script) as { bundleHandler?: BundleHandler };
    if (typeof mod.bundleHandler === "function") {
      const out = await mod.bundleHandler(entry);
      return typeof out === "string" ? out : out.code;
    }
  }
  return esbuildBundle(entry);
}

/** Fallback bundler: one CommonJS file for Node.js 22, paths relative to the repo (deterministic). */
export function esbuildBundle(entry: string): string {
  const result = buildSync({
    entryPoints: [join(REPO_ROOT, entry)],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    write: false,
    minify: true,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** The function's deployment archive: index.js with `exports.handler`. */
export function handlerArchive(entry: string): pulumi.Output<pulumi.asset.Archive> {
  return pulumi
    .output(bundledHandler(entry))
    .apply((code) => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(code) }));
}
