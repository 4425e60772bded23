// Published versions of silver tables: list them and roll back (re-point to an earlier audited
// version). Only audited versions exist as version directories: a run that fails its audits
// never moves its staging directory into place. A rollback moves silver and the dataset's
// quarantine together; state is not rolled back, so the next load publishes from the latest
// state again (rollback is "republish an earlier version", not "forget loaded data").
import * as fs from "node:fs";
import * as path from "node:path";
import {
  listVersionDirs,
  readPointer,
  readVersionMeta,
  writePointer,
  zoneDir,
  type Pointer,
} from "./workspace";

export interface VersionInfo {
  version: string;
  runId: string;
  createdAt: string;
  rows: number;
  current: boolean;
}

export interface RollbackResult {
  table: string;
  dataset: string;
  from: string;
  to: string;
}

/** Silver tables published in a workspace (directories holding a pointer). */
export function listSilverTables(workspace: string): string[] {
  const dir = path.join(workspace, "silver");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((t) => readPointer(path.join(dir, t)) !== null).sort();
}

export function listVersions(workspace: string, table: string): VersionInfo[] {
  const dir = silverDir(workspace, table);
  const current = readPointer(dir)?.version;
  return listVersionDirs(dir).map((version) => {
    const meta = readVersionMeta(dir, version);
    return {
      version,
      runId: meta?.runId ?? "",
      createdAt: meta?.createdAt ?? "",
      rows: meta?.rows ?? 0,
      current: version === current,
    };
  });
}

/**
 * Point `table` (a silver table name) at `toVersion`, default: the newest version older than the
 * current one. Throws with a one-line message when the table or version does not exist.
 */
export function rollbackTable(workspace: string, table: string, toVersion?: string): RollbackResult {
  const dir = silverDir(workspace, table);
  const pointer = readPointer(dir);
  if (!pointer) throw new Error(`table ${table} has no published version in ${workspace}`);
  const versions = listVersionDirs(dir);
  const to = toVersion ?? [...versions].reverse().find((v) => v < pointer.version);
  if (!to) throw new Error(`table ${table} has no version older than ${pointer.version} (kept: ${versions.join(", ")})`);
  if (!versions.includes(to)) throw new Error(`table ${table} has no version ${to} (kept: ${versions.join(", ")})`);
  const meta = readVersionMeta(dir, to);
  const dataset = meta?.dataset ?? "";
  const moved: Pointer = { version: to, runId: meta?.runId ?? "", publishedAt: new Date().toISOString(), rolledBackFrom: pointer.version };
  const quarantine = zoneDir(workspace, "quarantine", dataset);
  if (dataset && listVersionDirs(quarantine).includes(to)) writePointer(quarantine, moved);
  writePointer(dir, moved);
  return { table, dataset, from: pointer.version, to };
}

function silverDir(workspace: string, table: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${JSON.stringify(table)}`);
  const dir = zoneDir(workspace, "silver", table);
  if (!fs.existsSync(dir)) throw new Error(`unknown table ${table} (published: ${listSilverTables(workspace).join(", ") || "none"})`);
  return dir;
}
