// Published versions of silver tables (rollback: engine/duckdb/rollback.ts). Only audited versions
// exist as version directories: a run that fails its audits never moves its staging directory
// into place.
import * as fs from "node:fs";
import * as path from "node:path";
import { listVersionDirs, readPointer, readVersionMeta, zoneDir } from "./workspace";

export interface VersionInfo {
  version: string;
  runId: string;
  createdAt: string;
  rows: number;
  current: boolean;
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

export function silverDir(workspace: string, table: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${JSON.stringify(table)}`);
  const dir = zoneDir(workspace, "silver", table);
  if (!fs.existsSync(dir)) throw new Error(`no published table ${table} (published: ${listSilverTables(workspace).join(", ") || "none"})`);
  return dir;
}
