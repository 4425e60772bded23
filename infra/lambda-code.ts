// Lambda code, bundled at program time by the handlers' own bundler (scripts/bundle-handlers.js,
// esbuild): `pulumi up` needs no separate build step. The bundle is deterministic (same sources ->
// same bytes), so the archive hash, and thus the function, changes only when handler code (or a
// bundled dependency) changes.
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "fs";
import { join, resolve } from "path";

export const REPO_ROOT = resolve(__dirname, "..");

interface Bundle {
  code: string;
  hash: string;
}

// A plain JS module shared with `npm run build`; typed here at its one import site.
const bundler = require(join(REPO_ROOT, "scripts", "bundle-handlers.js")) as { bundleHandler: (entry: string) => Bundle };

/** Bundles one handler entry (a HANDLER_ENTRIES path relative to the repo root), uncached. */
export function bundleEntry(entry: string): Bundle {
  if (!existsSync(join(REPO_ROOT, entry))) {
    throw new Error(`Lambda entry ${entry} does not exist (see HANDLER_ENTRIES in handlers/env-contract.ts)`);
  }
  return bundler.bundleHandler(entry);
}

const archives = new Map<string, pulumi.asset.AssetArchive>();

/** The function's deployment archive, `index.js` exporting `handler`; bundled once per process. */
export function handlerArchive(entry: string): pulumi.asset.AssetArchive {
  let archive = archives.get(entry);
  if (!archive) {
    archive = new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundleEntry(entry).code) });
    archives.set(entry, archive);
  }
  return archive;
}
