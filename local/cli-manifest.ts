// A manifest for files named on the command line (`datalake load`): no events, no audit store,
// so identities come from the bytes. The same file loaded twice has the same key and versionId
// and the engine reports it ALREADY_LOADED; an edited file is a new version of the same key.
import { createHash } from "crypto";
import { createReadStream, statSync } from "fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "path";
import { DATASETS, routeObjectKey, type DatasetSpec } from "../datasets";
import { CONTRACT_VERSION, Manifest, ManifestFile } from "../engine/contracts";
import { CliError } from "./cli-verb";

/** Bucket name recorded for files loaded from the local disk. */
export const LOCAL_BUCKET = "local";

export interface ManifestOptions {
  workspace: string;
  fullRefresh?: boolean;
  /** Run id; @default derived from the time and the files' content hashes. */
  runId?: string;
  now?: Date;
  /** The registry a file under landing is routed by. @default DATASETS */
  datasets?: readonly DatasetSpec[];
}

export async function manifestForFiles(spec: DatasetSpec, files: string[], options: ManifestOptions): Promise<Manifest> {
  const now = options.now ?? new Date();
  const entries: ManifestFile[] = [];
  for (const file of files) {
    const path = resolve(file);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new CliError(`file not found: ${file}`);
    }
    if (!stat.isFile()) throw new CliError(`not a file: ${file}`);
    // Stat first, hash second: a write during the hash moves the mtime past what is recorded.
    const contentHash = await sha256File(path);
    const key = objectKeyFor(spec, path, options.workspace);
    // A file in another dataset's landing folder is that dataset's (`local` would route it
    // there): loaded as this one it is quarantined whole, and its version is then taken.
    const owner = underLanding(path, options.workspace) ? routeObjectKey(options.datasets ?? DATASETS, key) : undefined;
    if (owner && owner.name !== spec.name) {
      throw new CliError(`${file} is in dataset ${owner.name}'s landing folder (${owner.prefix}): load it with --dataset ${owner.name}`, 2);
    }
    const fileId = `${LOCAL_BUCKET}/${key}#${contentHash.slice(0, 16)}`;
    // A file named twice (overlapping globs, a path and its symlink) is one file version: listed
    // once, else its second listing (ALREADY_LOADED) would stand for it in the audit trail.
    if (entries.some((e) => e.fileId === fileId)) continue;
    entries.push({
      fileId,
      bucket: LOCAL_BUCKET,
      key,
      versionId: contentHash.slice(0, 32),
      etag: contentHash.slice(0, 32),
      sequencer: mtimeSequencer(stat.mtimeMs),
      size: stat.size,
      receivedAt: stat.mtime.toISOString(),
      localPath: path,
    });
  }
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const digest = createHash("sha256").update(entries.map((e) => e.fileId).join("\n")).digest("hex").slice(0, 8);
  return {
    version: CONTRACT_VERSION,
    dataset: spec.name,
    runId: options.runId ?? `cli-${stamp}-${digest}`,
    createdAt: now.toISOString(),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    files: entries,
  };
}

/**
 * The first file of a `datalake load` manifest whose size or modification time is no longer what
 * it was when its bytes were hashed into its version id (`sequencer` holds that mtime), as
 * "<path> (<what changed>)"; undefined when none changed.
 */
export function changedSinceHashed(manifest: Manifest): string | undefined {
  for (const f of manifest.files) {
    if (!f.localPath) continue;
    let stat;
    try {
      stat = statSync(f.localPath);
    } catch {
      return `${f.localPath} (gone)`;
    }
    if (stat.size !== f.size) return `${f.localPath} (size ${f.size} -> ${stat.size} bytes)`;
    if (mtimeSequencer(stat.mtimeMs) !== f.sequencer) return `${f.localPath} (modified at ${stat.mtime.toISOString()})`;
  }
  return undefined;
}

/** A file's mtime as a `datalake load` sequencer: milliseconds, zero-padded, so text order is time order. */
function mtimeSequencer(mtimeMs: number): string {
  return mtimeMs.toFixed(0).padStart(16, "0");
}

/**
 * The object key a file stands for: its path under <workspace>/landing when it lives there (as
 * `datalake local` sees it), else the dataset prefix + file name (a DMS export copied anywhere).
 * The key breaks cdc_ts ties, so it must not depend on where the command runs from.
 */
export function objectKeyFor(spec: DatasetSpec, absolutePath: string, workspace: string): string {
  const rel = underLanding(absolutePath, workspace);
  return rel ?? `${spec.prefix}${basename(absolutePath)}`;
}

/** A file's key under <workspace>/landing, or undefined when it lives elsewhere. */
function underLanding(absolutePath: string, workspace: string): string | undefined {
  const rel = relative(join(resolve(workspace), "landing"), absolutePath);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : undefined;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", (err) => reject(new CliError(`cannot read ${path}: ${err.message}`)))
      .on("end", () => resolvePromise(hash.digest("hex")));
  });
}
