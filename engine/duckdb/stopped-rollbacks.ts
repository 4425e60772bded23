// Rollbacks a stopped process left part way (rollback.ts): finished from their records
// (undone-versions.ts) by the next load of the dataset or the next rollback. File moves and
// pointer writes only, no DuckDB: `datalake load` calls it whatever its engine.
import * as fs from "node:fs";
import * as path from "node:path";
import type { RollbackResult } from "./rollback";
import { rollbackRecords, writeRollbackRecord, type StoredRollback } from "./undone-versions";
import { silverDir } from "./versions";
import { readPointer, readVersionMeta, writePointer, zoneDir, type Pointer } from "./workspace";

/** A rollback that is done in the tables and missing from the audit trail (finishRollbacks). */
export interface UnrecordedRollback {
  rollbackId: string;
  startedAt: Date;
  result: RollbackResult;
}

/**
 * Finishes the rollbacks of `dataset` (of every dataset when omitted) that a stopped process left
 * started, from their records, and returns those not yet recorded (closeRollback each once it is).
 * Call holding the workspace lock, before reading or moving the dataset's tables.
 */
export function finishRollbacks(workspace: string, dataset?: string): UnrecordedRollback[] {
  return rollbackRecords(workspace, dataset)
    .filter((stored) => stored.record.status !== undefined)
    .map((stored) => ({ rollbackId: stored.id, startedAt: new Date(stored.record.publishedAt ?? 0), result: finishRollback(workspace, stored) }));
}

/**
 * Marks a rollback done once its audit RUN item is written (or when nothing records it);
 * `finishedBy` names the command that did when it was not the rollback's own rerun (RollbackRecord).
 */
export function closeRollback(workspace: string, result: RollbackResult, finishedBy?: string): void {
  const stored = storedRollback(workspace, result);
  if (!stored?.record.status) return;
  const { status: _done, ...record } = stored.record;
  writeRollbackRecord(stored.aside, finishedBy ? { ...record, finishedBy } : record);
}

/**
 * The stopped rollbacks of `table` another command finished and recorded, newest first, each
 * with that command: still owed to the `datalake rollback` that was stopped (RollbackRecord).
 */
export function owedRollbacks(workspace: string, table: string): Array<UnrecordedRollback & { finishedBy: string }> {
  return rollbackRecords(workspace)
    .filter((stored) => stored.record.table === table && stored.record.status === undefined && stored.record.finishedBy)
    .map((stored) => ({ rollbackId: stored.id, startedAt: new Date(stored.record.publishedAt ?? 0), result: rollbackResult(stored), finishedBy: stored.record.finishedBy! }))
    .reverse();
}

/** The rerun of a stopped rollback took its result: the rollback is owed to no one any more. */
export function claimRollback(workspace: string, result: RollbackResult): void {
  const stored = storedRollback(workspace, result);
  if (!stored?.record.finishedBy) return;
  const { finishedBy: _claimed, ...record } = stored.record;
  writeRollbackRecord(stored.aside, record);
}

/** The record of the rollback that gave `result` (its set-aside folder names it). */
function storedRollback(workspace: string, result: RollbackResult): StoredRollback | undefined {
  return rollbackRecords(workspace, result.dataset).find((r) => r.aside === result.setAside);
}

/** What a rollback did, from its record (one written since records name their table). */
function rollbackResult({ dataset, id, aside, record }: StoredRollback): RollbackResult {
  const { table, runs, files, setAside, publishedAt } = record;
  if (!table || !runs || !files || !setAside || !publishedAt) throw new Error(`rollback ${id} of ${dataset} is ${record.status ?? "done"} and its record (${path.join(aside, "rollback.json")}) does not say how to finish it`);
  return { table, dataset, from: record.from, to: record.to, runs: runs.map((r) => r.runId), files, setAside: aside };
}

/** Sets aside what is not yet, moves the pointers still to move: each step is safe to repeat. */
export function finishRollback(workspace: string, stored: StoredRollback): RollbackResult {
  const result = rollbackResult(stored);
  const { dataset, id, aside, record } = stored;
  if (record.status !== "started") return result;
  const { table } = result;
  const [setAside, publishedAt] = [record.setAside!, record.publishedAt!]; // rollbackResult checked them
  // State first, silver last: a reader of silver never sees it ahead of the state it came from.
  const dirs = [zoneDir(workspace, "state", dataset), zoneDir(workspace, "quarantine", dataset), silverDir(workspace, table)];
  for (const dir of dirs) {
    const at = readPointer(dir)?.version;
    // Only this rollback moves these pointers while it is started (loads finish it first).
    if (at !== record.from && at !== record.to) {
      throw new Error(`rollback ${id} of ${dataset} (${record.from} -> ${record.to}) was stopped, and ${dir} is now at ${at ?? "no version"}: finish it by hand (${path.join(aside, "rollback.json")})`);
    }
  }
  for (const file of setAside) {
    const source = path.join(workspace, file);
    if (!fs.existsSync(source)) continue; // set aside before the stop
    const target = path.join(aside, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(source, target);
  }
  for (const dir of dirs) {
    const meta = readVersionMeta(dir, record.to);
    const moved: Pointer = { version: record.to, runId: meta?.runId ?? "", publishedAt, rolledBackFrom: record.from };
    writePointer(dir, moved);
  }
  writeRollbackRecord(aside, { ...record, status: "applied" });
  return result;
}
