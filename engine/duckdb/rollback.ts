// Rollback of a dataset in a workspace: silver, quarantine and state move back to an earlier
// audited version together, and what the later runs appended (bronze rows, files-ledger rows,
// rejects) is set aside under <ws>/_rolled_back/<dataset>/<rollbackId>/ (kept, never deleted).
// The workspace is then as if those runs never happened: the next load merges onto the restored
// state, a full refresh cannot bring the rolled-back rows back, and their files load again when
// dropped again. Rolling forward again is not offered: load the files again instead.
//
// Crash safety: the rollback first writes its record (undone-versions.ts) naming the versions it
// undoes, the files it sets aside and the pointers it moves, then moves them, then marks the record
// applied; the CLI marks it done once its audit RUN item is written. Killed at any step (some
// files set aside, some pointers moved), it is finished from the record by the next load of the
// dataset or the next rollback (finishRollbacks), and its versions count as undone from the record
// on. Before, a rollback killed after its pointers moved and before its record left the undone
// versions unrecorded: a load, then a rollback, restored one whose bronze was set aside.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileList, openSession, type Session } from "./session";
import { committedBronzeFiles } from "./tables";
import { closeRollback, finishRollback, finishRollbacks } from "./stopped-rollbacks";
import { rollbackRecords, undoneVersions, writeRollbackRecord, type RollbackRecord } from "./undone-versions";
import { silverDir } from "./versions";
import {
  bronzeFilesDir,
  listVersionDirs,
  parquetFiles,
  readPointer,
  readVersionMeta,
  safeName,
  summaryPath,
  zoneDir,
} from "./workspace";
import type { RunSummary } from "../contracts";

export interface RollbackPlan {
  table: string;
  dataset: string;
  from: string;
  to: string;
  /** Runs whose versions lie after `to` (up to the current one), oldest first. */
  runs: { version: string; runId: string }[];
}

export interface RollbackResult {
  table: string;
  dataset: string;
  from: string;
  to: string;
  /** Run ids undone. */
  runs: string[];
  /** Object versions those runs had loaded: dropped again, they load again. */
  files: { fileId: string; key: string; version: string }[];
  /** Where the set-aside bronze, ledger and rejects files are. */
  setAside: string;
}

/**
 * Checks a rollback of `table` to `toVersion` (default: the version before the current one) and
 * lists the runs it undoes. Throws one line when it cannot be done.
 */
export function planRollback(workspace: string, table: string, toVersion?: string): RollbackPlan {
  const dir = silverDir(workspace, table);
  const pointer = readPointer(dir);
  if (!pointer) throw new Error(`table ${table} has no published version in ${workspace}`);
  const versions = listVersionDirs(dir);
  const dataset = readVersionMeta(dir, pointer.version)?.dataset ?? (toVersion && readVersionMeta(dir, toVersion)?.dataset);
  // A version an earlier rollback undid is not behind the current one: it is a branch cut off.
  const undone = dataset ? undoneVersions(workspace, dataset) : new Map<string, string>();
  const stopped = dataset ? rollbackRecords(workspace, dataset).find((r) => r.record.status === "started") : undefined;
  if (stopped) throw new Error(`rollback ${stopped.id} of ${dataset} was stopped before it finished: finish it first (finishRollbacks)`);
  // Back from the version whose rows the current one holds: a relabelling run's version holds
  // its predecessor's rows, so going back to that one undid nothing but the labels, which the
  // rollback's own relabel then put back (and `rollback` again returned to it, each time).
  const standing = [...versions].reverse().filter((v) => v <= pointer.version && !undone.has(v));
  let base = 0;
  while (dataset && base + 1 < standing.length && addedNoRows(workspace, dataset, standing[base])) base++;
  const to = toVersion ?? standing[base + 1];
  if (!to && base > 0) throw new Error(`table ${table} has no version older than ${standing[base]}, whose rows ${pointer.version} holds relabelled (kept: ${versions.join(", ")})`);
  if (!to) throw new Error(`table ${table} has no version older than ${pointer.version} (kept: ${versions.join(", ")})`);
  if (!versions.includes(to)) throw new Error(`table ${table} has no version ${to} (kept: ${versions.join(", ")})`);
  if (to >= pointer.version) throw new Error(`${to} is not older than the current version ${pointer.version}: rollback only goes back (load the files again to go forward)`);
  if (undone.has(to)) throw new Error(`${to} was undone by ${undone.get(to)}: rollback only goes back (load the files again to go forward)`);
  if (!dataset) throw new Error(`version ${to} of ${table} has no metadata`);
  // The three tables move together, so each must stand at silver's version and still hold the
  // target version. Loads move them to one version: a silver behind the other two is a table its
  // dataset no longer loads into (renamed by a spec edit), and rolling it back would move state
  // and quarantine from a version it never had, which stopped half way and blocked every later
  // command of the workspace.
  for (const zone of ["state", "quarantine"] as const) {
    const at = readPointer(zoneDir(workspace, zone, dataset))?.version;
    if (at !== pointer.version) {
      throw new Error(
        `silver ${table} is at ${pointer.version} but ${zone} of ${dataset} is at ${at ?? "no version"}: ${dataset} no longer loads into ${table} (its target table was renamed?); roll back the table it loads into now`,
      );
    }
    if (!listVersionDirs(zoneDir(workspace, zone, dataset)).includes(to)) {
      throw new Error(`${zone} of ${dataset} no longer keeps ${to} (pruned): cannot roll back silver, quarantine and state together`);
    }
  }
  const stateDir = zoneDir(workspace, "state", dataset);
  const runs = listVersionDirs(stateDir)
    .filter((v) => v > to && v <= pointer.version && !undone.has(v))
    .map((version) => ({ version, runId: readVersionMeta(stateDir, version)?.runId ?? "" }));
  const unknown = runs.find((r) => r.runId === "");
  if (unknown) throw new Error(`state version ${unknown.version} of ${dataset} names no run: cannot tell what to undo`);
  return { table, dataset, from: pointer.version, to, runs };
}

/**
 * Whether `version` of the dataset was published by a run that added no row to bronze: a full
 * refresh of no new file (`load --full-refresh`, the relabel after a rollback across a spec edit),
 * which holds the rows of the version before it labelled anew. A run without its summary (killed
 * after its publish): no, so the rollback goes no further back than it used to.
 */
function addedNoRows(workspace: string, dataset: string, version: string): boolean {
  const runId = readVersionMeta(zoneDir(workspace, "state", dataset), version)?.runId;
  const file = runId ? summaryPath(workspace, dataset, runId) : "";
  if (!file || !fs.existsSync(file)) return false;
  const summary = JSON.parse(fs.readFileSync(file, "utf8")) as RunSummary;
  return summary.status === "SUCCEEDED" && summary.counts.bronzeRows === 0;
}

/**
 * A rollback id no earlier rollback of the dataset used: `rollback-<UTC time to the ms>-<dataset>`,
 * `-2`, `-3`... after it when taken, so ids sort in the order the rollbacks ran (their records are
 * read in that order). Stamped to the second, a rollback run within the second of a killed one
 * (finished by the load between them) shared its set-aside folder: its record replaced the
 * other's, whose undone versions were then forgotten, and its RUN item too.
 */
export function newRollbackId(workspace: string, dataset: string, at: Date): string {
  const base = `rollback-${at.toISOString().replace(/[-:]/g, "")}-${dataset}`;
  let id = base;
  for (let n = 2; fs.existsSync(setAsideDir(workspace, dataset, id)); n++) id = `${base}-${n}`;
  return id;
}

const setAsideDir = (workspace: string, dataset: string, rollbackId: string): string => path.join(workspace, "_rolled_back", dataset, safeName(rollbackId));

/**
 * Applies a planned rollback. `rollbackId` names the set-aside folder (and the audit RUN): one no
 * earlier rollback used (newRollbackId). Its record is left "applied": give the result to
 * closeRollback once the rollback is recorded.
 */
export async function applyRollback(workspace: string, plan: RollbackPlan, rollbackId: string, publishedAt = new Date().toISOString()): Promise<RollbackResult> {
  const aside = setAsideDir(workspace, plan.dataset, rollbackId);
  if (fs.existsSync(aside)) throw new Error(`rollback id ${rollbackId} is taken (${aside} exists): each rollback needs its own`);
  const session = await openSession({ threads: 1 });
  let files: RollbackResult["files"] = [];
  let appended: string[];
  try {
    const runIds = new Set(plan.runs.map((r) => r.runId));
    const ledger = await filesOfRuns(session, parquetFiles(bronzeFilesDir(workspace, plan.dataset)), runIds);
    files = ledger.length === 0 ? [] : await loadedFiles(session, ledger);
    appended = [
      ...ledger,
      ...(await filesOfRuns(session, committedBronzeFiles(workspace, plan.dataset), runIds)),
      ...(await filesOfRuns(session, parquetFiles(zoneDir(workspace, "rejects", plan.dataset)), runIds)),
    ];
  } finally {
    session.close();
  }
  // Everything it will do, written (atomically) before it does any of it.
  const record: RollbackRecord = {
    from: plan.from,
    to: plan.to,
    undone: plan.runs.map((r) => r.version),
    status: "started",
    table: plan.table,
    runs: plan.runs,
    files,
    setAside: appended.map((file) => path.relative(workspace, file)),
    publishedAt,
  };
  writeRollbackRecord(aside, record);
  return finishRollback(workspace, { dataset: plan.dataset, id: safeName(rollbackId), aside, record });
}

/**
 * Files among `candidates` written by one of `runIds`. File names start with the run id's safe
 * name, which two run ids may share ("b1" and "b1-1"), so the `_run_id` inside decides.
 */
async function filesOfRuns(session: Session, candidates: string[], runIds: Set<string>): Promise<string[]> {
  const stems = [...runIds].map(safeName);
  const named = candidates.filter((f) => stems.some((s) => path.basename(f) === `${s}.parquet` || new RegExp(`^${escape(s)}-\\d+\\.parquet$`).test(path.basename(f))));
  if (named.length === 0) return [];
  const rows = await session.rows(`SELECT DISTINCT filename, _run_id FROM read_parquet(${fileList(named)}, filename = true, union_by_name = true)`);
  const ofRuns = new Set(rows.filter((r) => runIds.has(String(r._run_id))).map((r) => String(r.filename)));
  return named.filter((f) => ofRuns.has(f));
}

async function loadedFiles(session: Session, ledger: string[]): Promise<RollbackResult["files"]> {
  const rows = await session.rows(`SELECT DISTINCT _file_id, _source_key, _source_version FROM read_parquet(${fileList(ledger)}) ORDER BY 1`);
  return rows.map((r) => ({ fileId: String(r._file_id), key: String(r._source_key), version: String(r._source_version) }));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * planRollback + applyRollback in one call, without an audit trail: stopped rollbacks are finished
 * first, and this one is closed at once.
 */
export async function rollbackTable(workspace: string, table: string, toVersion?: string, rollbackId = `rollback-${Date.now()}`): Promise<RollbackResult> {
  for (const stopped of finishRollbacks(workspace)) closeRollback(workspace, stopped.result);
  const result = await applyRollback(workspace, planRollback(workspace, table, toVersion), rollbackId);
  closeRollback(workspace, result);
  return result;
}
