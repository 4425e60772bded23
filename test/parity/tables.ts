// Reads every table of a dataset as each engine published it, in one canonical rendering: the
// DuckDB executor's Parquet versions and the Spark runner's Iceberg tables (through DuckDB's
// iceberg_scan, which reads the published `main` snapshot), each value rendered as text by one
// rule per plan type, so the two engines' tables compare row for row.
import * as path from "node:path";
import type { RunSummary } from "../../engine/contracts";
import type { LoadPlan, PlanColumn, TableRole } from "../../engine/plan";
import { ident, fileList, type Session } from "../../engine/duckdb/session";
import { committedBronzeFiles } from "../../engine/duckdb/tables";
import { currentSegments, segmentsScan } from "../../engine/duckdb/segments";
import { bronzeFilesDir, parquetFiles, zoneDir } from "../../engine/duckdb/workspace";
import { icebergScan, icebergTables } from "../../engine/spark/iceberg-duckdb";
import type { SparkDatabases } from "../../engine/spark/run-load";

export const ROLES: TableRole[] = ["bronze", "files", "state", "silver", "quarantine", "rejects"];

export type Tables = Record<TableRole, string[]>;

/** One canonical text per value: timestamps in UTC with microseconds, everything else VARCHAR. */
function render(column: PlanColumn): string {
  const c = ident(column.name);
  if (column.type === "timestamp") return `strftime(CAST(${c} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')`;
  return `CAST(${c} AS VARCHAR)`;
}

async function readRows(session: Session, from: string | null, columns: readonly PlanColumn[]): Promise<string[]> {
  if (from === null) return [];
  const rows = await session.rows(`SELECT ${columns.map((c) => `${render(c)} AS ${ident(c.name)}`).join(", ")} FROM ${from}`);
  return rows.map((r) => JSON.stringify(columns.map((c) => r[c.name] ?? null))).sort();
}

/** FROM clauses of the DuckDB executor's published tables in workspace `ws`. */
export function duckdbSources(ws: string, plan: LoadPlan): Record<TableRole, string | null> {
  const parquet = (files: string[]) => (files.length > 0 ? `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)` : null);
  const current = (dir: string) => {
    const seg = currentSegments(dir);
    return seg && segmentsScan(seg, (data) => path.join(dir, data));
  };
  return {
    bronze: parquet(committedBronzeFiles(ws, plan.dataset)),
    files: parquet(parquetFiles(bronzeFilesDir(ws, plan.dataset))),
    state: current(zoneDir(ws, "state", plan.dataset)),
    silver: current(zoneDir(ws, "silver", plan.tables.silver.name)),
    quarantine: current(zoneDir(ws, "quarantine", plan.dataset)),
    rejects: parquet(parquetFiles(zoneDir(ws, "rejects", plan.dataset))),
  };
}

/** FROM clauses of the Spark runner's Iceberg tables (null: the table has no snapshot yet). */
export function sparkSources(warehouse: string, databases: SparkDatabases, plan: LoadPlan): Record<TableRole, string | null> {
  const database = (role: TableRole) =>
    role === "silver" ? databases.silver : role === "quarantine" || role === "rejects" ? databases.quarantine : databases.bronze;
  const sources = {} as Record<TableRole, string | null>;
  for (const role of ROLES) {
    const dir = icebergTables(warehouse, database(role)).get(plan.tables[role].name);
    sources[role] = dir ? icebergScan(dir) : null;
  }
  return sources;
}

export async function readTables(session: Session, plan: LoadPlan, sources: Record<TableRole, string | null>): Promise<Tables> {
  const tables = {} as Tables;
  for (const role of ROLES) tables[role] = await readRows(session, sources[role], plan.tables[role].columns);
  return tables;
}

/** Rows only one side has, per table (empty when the engines agree), at most `limit` each. */
export function tableDifferences(duckdb: Tables, spark: Tables, limit = 5): string[] {
  const out: string[] = [];
  for (const role of ROLES) {
    const a = new Map<string, number>();
    for (const row of duckdb[role]) a.set(row, (a.get(row) ?? 0) + 1);
    const onlySpark: string[] = [];
    for (const row of spark[role]) {
      const n = a.get(row) ?? 0;
      if (n > 0) a.set(row, n - 1);
      else onlySpark.push(row);
    }
    const onlyDuck = [...a.entries()].flatMap(([row, n]) => Array<string>(n).fill(row));
    if (onlyDuck.length + onlySpark.length === 0) continue;
    out.push(`${role}: ${duckdb[role].length} rows on DuckDB, ${spark[role].length} on Spark`);
    out.push(...onlyDuck.slice(0, limit).map((r) => `  only DuckDB: ${r}`));
    out.push(...onlySpark.slice(0, limit).map((r) => `  only Spark:  ${r}`));
  }
  return out;
}

/** What of a run summary both engines must agree on (times and published version ids differ). */
export function summaryView(s: RunSummary): unknown {
  return {
    status: s.status,
    error: s.error ?? null,
    counts: s.counts,
    files: s.files.map((f) => ({ ...f })),
    audits: s.audits.map((a) => ({ name: a.name, passed: a.passed, violations: a.violations })),
    driftWarnings: s.driftWarnings,
    latestSequence: s.freshness.latestSequence,
  };
}
