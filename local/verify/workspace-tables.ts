// What a DuckDB workspace's tables hold, for the tables half of `audit --verify`
// (handlers/audit/verify-tables.ts): rows per run of bronze and rejects, the files ledger, and the
// current versions' counts. Read-only and without the workspace lock, like the rest of the proof:
// a `datalake local` may be running (its runs in flight are left out by the checks).
import { existsSync } from "fs";
import { join } from "path";
import { DATASETS } from "../../datasets";
import { fileList, openSession, type Session } from "../../engine/duckdb/session";
import { unfinishedPublishes } from "../../engine/duckdb/publish-journal";
import { openLoadRuns } from "../cli-open-loads";
import { currentSegments, segmentsScan } from "../../engine/duckdb/segments";
import { committedBronzeFiles } from "../../engine/duckdb/tables";
import { rollbackRecords } from "../../engine/duckdb/undone-versions";
import { bronzeFilesDir, parquetFiles, readPointer, zoneDir } from "../../engine/duckdb/workspace";
import type { DatasetTables } from "../../handlers/audit/verify-tables";
import { workspaceEngine } from "../workspace-engine";

/**
 * The tables of `datasets`, or undefined when the workspace holds no DuckDB tables to compare:
 * an `--engine spark` workspace (Iceberg tables, not read here), or one no load has written
 * (a trail without tables, e.g. imported or made by hand).
 */
export async function workspaceTables(workspace: string, datasets: string[]): Promise<DatasetTables[] | undefined> {
  if (workspaceEngine(workspace) === "spark") return undefined;
  const loaded = ["engine.json", "bronze", "state", "silver"].some((name) => existsSync(join(workspace, name)));
  if (!loaded) return undefined;
  const session = await openSession({ threads: 1 });
  try {
    const out: DatasetTables[] = [];
    for (const dataset of datasets) out.push(await datasetTables(session, workspace, dataset));
    return out;
  } finally {
    session.close();
  }
}

async function datasetTables(session: Session, ws: string, dataset: string): Promise<DatasetTables> {
  const scan = (files: string[]) => `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)`;
  const perRun = async (files: string[]) =>
    files.length === 0
      ? new Map<string, number>()
      : new Map((await session.rows(`SELECT _run_id, COUNT(*) AS n FROM ${scan(files)} GROUP BY _run_id`)).map((r) => [String(r._run_id), Number(r.n)]));
  const ledgerFiles = parquetFiles(bronzeFilesDir(ws, dataset));
  const ledger =
    ledgerFiles.length === 0
      ? []
      : (await session.rows(`SELECT _file_id, _run_id, _rows_read FROM ${scan(ledgerFiles)} ORDER BY _file_id, _run_id`)).map((r) => ({
          fileId: String(r._file_id),
          runId: String(r._run_id),
          rowsRead: Number(r._rows_read),
        }));
  return {
    dataset,
    bronzeRows: await perRun(committedBronzeFiles(ws, dataset)),
    rejectsRows: await perRun(parquetFiles(zoneDir(ws, "rejects", dataset))),
    ledger,
    current: await currentCounts(session, ws, dataset),
    undone: new Set(rollbackRecords(ws, dataset).flatMap((r) => (r.record.runs ?? []).map((u) => u.runId))),
    unfinished: new Set(unfinishedPublishes(ws, dataset)),
    unrecorded: new Set(openLoadRuns(ws, dataset)),
  };
}

/**
 * The current versions' counts, when state, silver and quarantine stand at one version. Apart, a
 * rollback is under way (state moves first); the next load finishes it, or rebuilds the three.
 */
async function currentCounts(session: Session, ws: string, dataset: string): Promise<DatasetTables["current"]> {
  const spec = DATASETS.find((d) => d.name === dataset);
  if (!spec) return undefined;
  const dirs = { state: zoneDir(ws, "state", dataset), silver: zoneDir(ws, "silver", spec.target.table), quarantine: zoneDir(ws, "quarantine", dataset) };
  const versions = new Set(Object.values(dirs).map((dir) => readPointer(dir)?.version));
  const [version] = versions;
  if (versions.size !== 1 || version === undefined) return undefined;
  const count = async (dir: string, where = "") => {
    const seg = currentSegments(dir);
    const from = seg && segmentsScan(seg, (data) => join(dir, data));
    return from ? Number((await session.rows(`SELECT COUNT(*) AS n FROM ${from} t ${where}`))[0].n) : 0;
  };
  // Deleted keys stay in state as tombstones (engine/audits.ts compileTotals counts them alike).
  return { version, stateCurrent: await count(dirs.state, "WHERE _op <> 'D'"), silver: await count(dirs.silver), quarantine: await count(dirs.quarantine) };
}
