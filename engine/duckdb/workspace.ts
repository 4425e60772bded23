// Where the DuckDB executor keeps a dataset's tables inside a workspace directory.
//
//   <ws>/bronze/<dataset>/_data_date=YYYY-MM-DD/<runId>.parquet   bronze (append-only; the
//                                                                  _data_date column is also
//                                                                  inside each file)
//   <ws>/bronze/<dataset>/_files/<runId>.parquet                   files ledger (idempotency)
//   <ws>/state/<dataset>/<version>/data.parquet                    state versions
//   <ws>/silver/<table>/<version>/[<y>=..../<m>=..../]data_0.parquet   silver versions (partition
//                                                                  columns also inside the files;
//                                                                  NULL -> __HIVE_DEFAULT_PARTITION__)
//   <ws>/quarantine/<dataset>/<version>/data.parquet               quarantine versions
//   <ws>/rejects/<dataset>/<runId>.parquet                         rejects (append-only)
//   <ws>/<zone>/<name>/_current.json                               pointer: the published version
//   <ws>/<zone>/<name>/<version>/_version.json                     version metadata
//   <ws>/_staging/<dataset>/<runId>/...                            a run's unpublished writes
//   <ws>/_staging/<dataset>/<runId>/_publish.json                  its publish under way (publish-journal.ts)
//   <ws>/_tmp/duckdb/<dataset>-<runId>                             DuckDB spill directory of a run
//   <ws>/ops/summaries/<dataset>/<runId>.json                      run summaries
//   <ws>/semantic/<model>/...                                      semantic tables (build-model.ts)
//
// Versions are "v000001", "v000002"... shared by silver, quarantine and state of one dataset
// (one run publishes one version of each). A pointer is replaced by writing a temp file and
// renaming it over _current.json (atomic on POSIX), so readers see the old or the new version,
// never a mix. The newest keepVersions() versions besides the current one are kept for rollback
// (DATALAKE_KEEP_VERSIONS, default KEEP_VERSIONS).
import * as fs from "node:fs";
import * as path from "node:path";
import { fsyncDir, fsyncFile } from "./durable";

export const KEEP_VERSIONS = 10;

/** Versions kept besides the current one: DATALAKE_KEEP_VERSIONS, else KEEP_VERSIONS. */
export function keepVersions(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DATALAKE_KEEP_VERSIONS;
  if (raw === undefined || raw === "") return KEEP_VERSIONS;
  if (!/^\d+$/.test(raw.trim())) throw new Error(`DATALAKE_KEEP_VERSIONS must be a whole number of versions, got ${JSON.stringify(raw)}`);
  return Number(raw.trim());
}
const VERSION_DIR = /^v\d{6}$/;

export type Zone = "bronze" | "state" | "silver" | "quarantine" | "rejects" | "semantic";

export interface Pointer {
  version: string;
  runId: string;
  publishedAt: string;
  /** Set when the pointer was moved by rollbackTable. */
  rolledBackFrom?: string;
}

export interface VersionMeta {
  version: string;
  dataset: string;
  table: string;
  runId: string;
  rows: number;
  createdAt: string;
  /** LoadPlan.fingerprint of the plan that built it (state: decides whether a load is incremental). */
  fingerprint?: string;
  /** Merged tables: the data folders the version reads, oldest first (engine/duckdb/segments.ts). */
  segments?: { data: string; rows: number; keys: boolean }[];
  /** How a segment's `_keys.parquet` matches rows (DuckDB SQL over the row aliased `t`). */
  keyMatch?: { target: string; source: string }[];
}

export const zoneDir = (ws: string, zone: Zone, name: string): string => path.join(ws, zone, name);
export const bronzeFilesDir = (ws: string, dataset: string): string => path.join(ws, "bronze", dataset, "_files");
export const stagingDir = (ws: string, dataset: string, runId: string): string =>
  path.join(ws, "_staging", dataset, safeName(runId));
export const duckdbTempDir = (ws: string): string => path.join(ws, "_tmp", "duckdb");
export const summaryPath = (ws: string, dataset: string, runId: string): string =>
  path.join(ws, "ops", "summaries", dataset, `${safeName(runId)}.json`);
/** engine/contracts.ts publishRecordKey under the workspace's ops folder. */
export const publishRecordPath = (ws: string, dataset: string, runId: string): string =>
  path.join(ws, "ops", "summaries", dataset, `${safeName(runId)}.publish.json`);

/** Run ids become file names: keep them to a safe alphabet. */
export function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}

export const formatVersion = (n: number): string => `v${String(n).padStart(6, "0")}`;

export function readPointer(dir: string): Pointer | null {
  const file = path.join(dir, "_current.json");
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, "utf8")) as Pointer;
}

/** Atomically replace <dir>/_current.json. */
export function writePointer(dir: string, pointer: Pointer): void {
  writeJsonAtomic(path.join(dir, "_current.json"), pointer);
}

/**
 * Replaces `file` with `value` as JSON: readers see the old or the new file, never a part, and
 * once this returns the new one is on disk (durable.ts): its bytes are flushed before the rename,
 * the rename after it.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
  fsyncFile(tmp);
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** Version directories of a table, oldest first. */
export function listVersionDirs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => VERSION_DIR.test(n) && fs.statSync(path.join(dir, n)).isDirectory())
    .sort();
}

export function readVersionMeta(dir: string, version: string): VersionMeta | null {
  const file = path.join(dir, version, "_version.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as VersionMeta) : null;
}

/** The next version id for a dataset: one past every version any of its tables holds. */
export function nextVersion(dirs: string[]): string {
  let max = 0;
  for (const dir of dirs) {
    for (const v of listVersionDirs(dir)) max = Math.max(max, Number(v.slice(1)));
  }
  return formatVersion(max + 1);
}

/**
 * Delete versions beyond the newest `keep` + 1, never the current one, nor a folder a kept
 * version still reads (a merged version reads the segments of older ones).
 */
export function pruneVersions(dir: string, keep = keepVersions()): string[] {
  const current = readPointer(dir)?.version;
  const versions = listVersionDirs(dir);
  const kept = versions.slice(Math.max(0, versions.length - (keep + 1)));
  if (current && !kept.includes(current)) kept.push(current);
  const used = new Set(kept.flatMap((v) => (readVersionMeta(dir, v)?.segments ?? [{ data: v }]).map((s) => s.data)));
  const doomed = versions.filter((v) => !kept.includes(v) && !used.has(v));
  for (const v of doomed) fs.rmSync(path.join(dir, v), { recursive: true, force: true });
  return doomed;
}

/** Parquet files below `dir` (recursive), sorted, for read_parquet([...]). Names starting with
 * `_` are metadata, not rows (a merged version's `_keys.parquet`). */
export function parquetFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith("_")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...parquetFiles(full));
    else if (entry.name.endsWith(".parquet")) out.push(full);
  }
  return out.sort();
}

/** DuckDB's spill folder of one load run (run-load.ts; removed after the run, or by the next load after a kill). */
export function loadSpillDir(ws: string, dataset: string, runId: string): string {
  return path.join(duckdbTempDir(ws), `${dataset}-${safeName(runId)}`);
}

/** Removes the parents of `dir` while they are empty, up to and including `stop`. */
export function removeEmptyParents(dir: string, stop: string): void {
  for (let d = path.dirname(dir); d.startsWith(stop) && d.length >= stop.length; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return; // not empty, or gone
    }
  }
}
