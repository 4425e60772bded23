// Content-addressed ops-bucket keys: the key of an artifact changes exactly when its bytes do, so
// an edited Glue script, library or plan shows as a job-argument diff in `pulumi preview`.
import { createHash } from "crypto";
import { readFileSync, readdirSync, statSync } from "fs";
import { join, relative, sep } from "path";

export const HASH_LENGTH = 16;

export function sha256(content: string | Buffer): string {
  return createHash("sha256").update(content).digest("hex");
}

export interface SourceFile {
  /** Path inside the archive, with forward slashes. */
  archivePath: string;
  content: Buffer;
}

/** One hash over paths and bytes, independent of directory listing order. */
export function hashFiles(files: readonly SourceFile[]): string {
  const h = createHash("sha256");
  for (const f of [...files].sort((a, b) => (a.archivePath < b.archivePath ? -1 : 1))) {
    h.update(f.archivePath).update("\0").update(f.content).update("\0");
  }
  return h.digest("hex");
}

/** Python sources of a package, as they go into the --extra-py-files zip (caches and tests left out). */
export function pythonPackageFiles(packageDir: string, packageName: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const abs = join(dir, entry);
      if (entry === "__pycache__" || entry === "tests" || entry.startsWith(".")) continue;
      if (statSync(abs).isDirectory()) walk(abs);
      else if (entry.endsWith(".py")) {
        out.push({ archivePath: `${packageName}/${relative(packageDir, abs).split(sep).join("/")}`, content: readFileSync(abs) });
      }
    }
  };
  walk(packageDir);
  if (out.length === 0) throw new Error(`no Python files in ${packageDir}`);
  return out;
}

export const scriptKey = (scriptName: string, content: string | Buffer): string =>
  `scripts/${scriptName.replace(/\.py$/, "")}-${sha256(content).slice(0, HASH_LENGTH)}.py`;

export const libraryKey = (packageName: string, files: readonly SourceFile[]): string =>
  `libs/${packageName}-${hashFiles(files).slice(0, HASH_LENGTH)}.zip`;

export const planKey = (dataset: string, planJson: string): string =>
  `plans/${dataset}/${sha256(planJson).slice(0, HASH_LENGTH)}.json`;
