// The project's root folder (where package.json, glue-scripts/, .venv and .jars live), found by
// walking up from this file. A fixed `resolve(__dirname, "..")` would be wrong from the CLI's
// bundle (dist/cli/), whose __dirname is not this file's folder.
import { existsSync, readFileSync } from "fs";
import { dirname, join } from "path";

const PACKAGE_NAME = "datalake-ingest";

export function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} project folder above ${from}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
