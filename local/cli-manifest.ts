// A manifest for files named on the command line (`datalake load`). A file elsewhere has no
// events and no version store, so its identity comes from its bytes: loaded twice, it has the
// same key and versionId and the engine reports it ALREADY_LOADED; an edited file is a new
// version of the same key, and so are bytes loaded before once other bytes of the key were
// loaded after them (redropped: an undo is a new object version on S3 too). A file under
// <workspace>/landing is an object version of the local landing bucket, named as `datalake
// local` names it (the version store), so whichever command sees it first loads it and the other
// finds it loaded. (Named by its bytes, such a file was
// loaded a second time by `local`, under the version id `local` gave it.)
import { createHash } from "crypto";
import { createReadStream, readdirSync, statSync, type Stats } from "fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "path";
import { DATASETS, routeObjectKey, type DatasetSpec } from "../datasets";
import { CONTRACT_VERSION, Manifest, ManifestFile } from "../engine/contracts";
import { fileIdOf } from "../handlers/core/file-id";
import type { LoadedVersion } from "./cli-loaded-versions";
import { CliError } from "./cli-verb";
import { signatureOf, VersionStore } from "./runtime/version-store";
import { LOCAL_NAMES, workspacePaths } from "./runtime/workspace";

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

/**
 * Call holding the workspace lock when a file may be under <workspace>/landing: such a file
 * becomes (or is found as) a version in the workspace's version store, which `datalake local`
 * owns while it runs.
 */
export async function manifestForFiles(spec: DatasetSpec, files: string[], options: ManifestOptions): Promise<Manifest> {
  const now = options.now ?? new Date();
  const entries: ManifestFile[] = [];
  let versions: VersionStore | undefined;
  const datasets = options.datasets ?? DATASETS;
  for (const { file, inFolder } of files.flatMap(filesNamed)) {
    const path = resolve(file);
    const stat = statSync(path);
    const landingKey = underLanding(path, options.workspace);
    // A file in another dataset's landing folder is that dataset's (`local` would route it
    // there): loaded as this one it is quarantined whole, and its version is then taken.
    const owner = landingKey !== undefined ? routeObjectKey(datasets, landingKey) : undefined;
    if (owner && owner.name !== spec.name) {
      throw new CliError(`${file} is in dataset ${owner.name}'s landing folder (${owner.prefix}): load it with --dataset ${owner.name}`, 2);
    }
    const folderOwner = landingKey === undefined && inFolder !== undefined ? otherDatasetsFolder(datasets, spec, inFolder) : undefined;
    if (folderOwner) {
      throw new CliError(`${file} is under ${folderOwner.prefix} (dataset ${folderOwner.name}) in the folder named: load it with --dataset ${folderOwner.name}, or name only ${spec.prefix} folders`, 2);
    }
    let entry: ManifestFile;
    if (landingKey !== undefined) {
      versions ??= openVersionStore(options.workspace);
      entry = landingVersion(versions, landingKey, file, path, stat, now);
    } else {
      entry = await bytesVersion(objectKeyFor(spec, path, options.workspace), path, stat);
    }
    // A file named twice (overlapping globs, a path and its symlink) is one file version: listed
    // once, else its second listing (ALREADY_LOADED) would stand for it in the audit trail.
    if (entries.some((e) => e.fileId === entry.fileId)) continue;
    entries.push(entry);
  }
  const listed = await withRedrops(spec, entries, options.workspace);
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const digest = createHash("sha256").update(listed.map((e) => e.fileId).join("\n")).digest("hex").slice(0, 8);
  return {
    version: CONTRACT_VERSION,
    dataset: spec.name,
    runId: options.runId ?? `cli-${stamp}-${digest}`,
    createdAt: now.toISOString(),
    ...(options.fullRefresh ? { fullRefresh: true } : {}),
    files: listed,
  };
}

/** A file outside landing, named by its bytes' hash and dated by its mtime. */
async function bytesVersion(key: string, path: string, stat: Stats): Promise<ManifestFile> {
  // Stat first, hash second: a write during the hash moves the mtime past what is recorded.
  const contentHash = await sha256File(path);
  return {
    fileId: bytesFileId(key, contentHash.slice(0, 32), 1),
    bucket: LOCAL_BUCKET,
    key,
    versionId: contentHash.slice(0, 32),
    etag: contentHash.slice(0, 32),
    sequencer: mtimeSequencer(stat.mtimeMs),
    size: stat.size,
    receivedAt: stat.mtime.toISOString(),
    localPath: path,
  };
}

/**
 * The files from outside landing as the versions they are given the key's loaded versions
 * (cli-loaded-versions.ts): redropped. The ledger is read only when there are such files.
 */
async function withRedrops(spec: DatasetSpec, entries: ManifestFile[], workspace: string): Promise<ManifestFile[]> {
  const keys = entries.filter((e) => e.bucket === LOCAL_BUCKET).map((e) => e.key);
  if (keys.length === 0) return entries;
  const { loadedVersions } = await import("./cli-loaded-versions");
  const loaded = await loadedVersions(workspace, spec, keys);
  return entries.map((e) => (e.bucket === LOCAL_BUCKET ? redropped(e, loaded.get(e.key)) : e));
}

/**
 * A file's bytes, loaded before under its key, dropped again after other bytes of the key were
 * loaded (an undo: `git checkout`, an old copy put back). On S3 that PUT is a new object version,
 * loaded and ordered after the version it replaces. Named by its hash alone it would be the old
 * version (ALREADY_LOADED), and even read again it would order at that version's first arrival,
 * so the bytes in between would stay current. So it is a new version: the hash and the drop
 * number of those bytes under the key (`<hash>-2`, `-3`...). Numbered, not named by the mtime or
 * the time of the load: a touched file, or a load run again after a crash, would then be a version
 * it is not, and its rows would be read twice. The number comes from the files ledger, which only
 * the publish of a load changes: a load killed before its publish leaves the next one the same
 * name, and one killed after it (lockWorkspace finishes its publish) leaves the drop the key's
 * latest version. Bytes that are the key's latest version are that version (loaded twice in a
 * row: ALREADY_LOADED). Exported for tests.
 */
export function redropped(file: ManifestFile, versions: ReadonlyMap<string, LoadedVersion> | undefined): ManifestFile {
  const latest = versions && latestVersion(versions);
  if (!versions || !latest) return file;
  const latestDrop = bytesDrop(latest.versionId);
  if (latestDrop?.hash === file.etag) return asDrop(file, latestDrop.n);
  const drops = [...versions.keys()].map(bytesDrop).filter((d) => d?.hash === file.etag).map((d) => d!.n);
  if (drops.length === 0) return file;
  // After the latest version even when the copy kept the old mtime (cp -p, mv of a backup).
  const arrived = latest.receivedAt === "" || file.receivedAt > latest.receivedAt;
  const receivedAt = arrived ? file.receivedAt : new Date(Date.parse(latest.receivedAt) + 1).toISOString();
  return { ...asDrop(file, Math.max(...drops) + 1), receivedAt };
}

/** The key's latest version as the engines order them (`_version_at`, then the highest version id). */
function latestVersion(versions: ReadonlyMap<string, LoadedVersion>): (LoadedVersion & { versionId: string }) | undefined {
  let latest: (LoadedVersion & { versionId: string }) | undefined;
  for (const [versionId, v] of versions) {
    if (!latest || v.order > latest.order || (v.order === latest.order && versionId > latest.versionId)) latest = { versionId, ...v };
  }
  return latest;
}

/** The n-th drop of a file's bytes under its key (bytesVersion names the first). */
function asDrop(file: ManifestFile, n: number): ManifestFile {
  return n === 1 ? file : { ...file, fileId: bytesFileId(file.key, file.etag, n), versionId: `${file.etag}-${n}` };
}

/** The hash and drop number of a version id bytesVersion or redropped gave, else undefined. */
function bytesDrop(versionId: string): { hash: string; n: number } | undefined {
  const m = /^([0-9a-f]{32})(?:-([1-9][0-9]*))?$/.exec(versionId);
  return m ? { hash: m[1], n: m[2] === undefined ? 1 : Number(m[2]) } : undefined;
}

/** The fileId of the n-th drop of bytes (hash: 32 hex digits) under a key; the first is unnumbered. */
function bytesFileId(key: string, hash: string, n: number): string {
  return `${LOCAL_BUCKET}/${key}#${hash.slice(0, 16)}${n > 1 ? `-${n}` : ""}`;
}

function openVersionStore(workspace: string): VersionStore {
  const paths = workspacePaths(workspace);
  return new VersionStore(paths.versionLog, paths.versions);
}

/**
 * A file under landing as the landing bucket's object version: the latest version of its key
 * when the file is still the one that version was copied from, else a new version, exactly as
 * `datalake local`'s watcher records it (fileId, event time). The engine reads the version's kept
 * copy, so the file may change once this returns.
 */
function landingVersion(versions: VersionStore, key: string, file: string, path: string, stat: Stats, now: Date): ManifestFile {
  const v = versions.ingest(key, path, signatureOf(stat), now);
  if (!v) throw new CliError(`${file} changed while it was read: load it again once it is complete`);
  return {
    fileId: fileIdOf(LOCAL_NAMES.landingBucket, v.key, v.versionId, v.etag, v.sequencer),
    bucket: LOCAL_NAMES.landingBucket,
    key: v.key,
    versionId: v.versionId,
    etag: v.etag,
    sequencer: v.sequencer,
    size: v.size,
    receivedAt: v.createdAt,
    localPath: versions.bytesPath(v.versionId),
  };
}

/**
 * The first file of a `datalake load` manifest whose size or modification time is no longer what
 * it was when its bytes were hashed into its version id (`sequencer` holds that mtime), as
 * "<path> (<what changed>)"; undefined when none changed.
 */
export function changedSinceHashed(manifest: Manifest): string | undefined {
  for (const f of manifest.files) {
    // A landing version is read from its kept copy, which never changes.
    if (!f.localPath || f.bucket !== LOCAL_BUCKET) continue;
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
 * The dataset other than `spec` whose prefix a file's path inside a named folder holds (any tail
 * of it: `export/dbo/customers/LOAD1.csv` is under `dbo/customers/`), unless a tail is under
 * `spec`'s own. A folder of several datasets (`generate --all` writes one) loaded as one dataset
 * put every file into it, SUCCEEDED, under keys that lost their folders.
 */
function otherDatasetsFolder(datasets: readonly DatasetSpec[], spec: DatasetSpec, inFolder: string): DatasetSpec | undefined {
  const parts = inFolder.split("/");
  const tails = parts.slice(0, -1).map((_, i) => parts.slice(i).join("/"));
  if (tails.some((t) => routeObjectKey([spec], t))) return undefined;
  for (const tail of tails) {
    const owner = routeObjectKey(datasets, tail);
    if (owner && owner.name !== spec.name) return owner;
  }
  return undefined;
}

/**
 * The files a FILE argument names: itself, or a folder's files, recursively, in path order (a
 * producer's output folder: DMS writes date folders). In a folder, names starting with "." or
 * "_" are skipped as Spark and Hive skip them (`.DS_Store`, `_SUCCESS` markers); named one by
 * one, such a file loads like any other. A folder's files come with their path inside it.
 */
function filesNamed(arg: string): { file: string; inFolder?: string }[] {
  let stat: Stats;
  try {
    stat = statSync(resolve(arg));
  } catch {
    throw new CliError(`file not found: ${arg}`);
  }
  if (stat.isFile()) return [{ file: arg }];
  if (!stat.isDirectory()) throw new CliError(`not a file: ${arg}`);
  const found: string[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
      const path = join(dir, entry.name);
      // Folders are walked, not followed through links: a link back up would loop.
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile())) found.push(path);
    }
  };
  walk(arg);
  if (found.length === 0) throw new CliError(`no files in ${arg}`);
  return found.map((file) => ({ file, inFolder: relative(arg, file).split(sep).join("/") }));
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
