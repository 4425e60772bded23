// Versions a rollback undid. A rollback from F to T undoes every version in (T, F]; the next load
// publishes a higher number on top of T, so the undone versions stay in the version list, older
// than the current one, while their runs' bronze and ledger rows are set aside. Restoring one
// (`rollback` after a later load, whose default is "the version before the current") would bring
// back silver rows whose bronze is gone and whose files load again: rows twice, lineage lost.
// Iceberg refuses it the same way (rollback_to_snapshot takes only an ancestor of the current).
//
// The record is written before the rollback moves anything (status "started"), naming every file
// it sets aside and every pointer it moves, so a rollback killed at any step is finished from it
// (rollback.ts finishRollbacks) and its versions count as undone from its first step on. Records
// without a status (written before it existed, or once the rollback is recorded) are finished.
import * as fs from "node:fs";
import * as path from "node:path";
import { writeJsonAtomic } from "./workspace";

const RECORD = "rollback.json";

export interface RollbackRecord {
  from: string;
  to: string;
  /** The versions it undid, (to, from]. */
  undone: string[];
  /**
   * "started": written before the first file is set aside; files or pointers may not have moved.
   * "applied": every file set aside and every pointer moved; its audit RUN item not yet written.
   * Absent: done (and every record written before this field existed).
   */
  status?: "started" | "applied";
  /** The silver table rolled back (records from before the status field lack it, and the rest). */
  table?: string;
  /** The runs undone, oldest first. */
  runs?: { version: string; runId: string }[];
  /** Object versions those runs had loaded (RollbackResult.files). */
  files?: { fileId: string; key: string; version: string }[];
  /** Files set aside, relative to the workspace (the same path below the set-aside folder). */
  setAside?: string[];
  /** The publishedAt of the moved pointers. */
  publishedAt?: string;
  /**
   * The command that finished and recorded this rollback after a stop, when it was not the same
   * `datalake rollback` run again (the next load, or a rollback of another table): the rollback
   * is still owed to that rerun, which reports it instead of going back one more version and
   * clears this (claimRollback in stopped-rollbacks.ts).
   */
  finishedBy?: string;
}

/** A record with where it lies: <ws>/_rolled_back/<dataset>/<id>/rollback.json. */
export interface StoredRollback {
  dataset: string;
  id: string;
  aside: string;
  record: RollbackRecord;
}

export function writeRollbackRecord(aside: string, record: RollbackRecord): void {
  writeJsonAtomic(path.join(aside, RECORD), record);
}

/** Every rollback record of `dataset` (of every dataset when omitted), oldest id first per dataset. */
export function rollbackRecords(workspace: string, dataset?: string): StoredRollback[] {
  const root = path.join(workspace, "_rolled_back");
  if (!fs.existsSync(root)) return [];
  const datasets = dataset === undefined ? fs.readdirSync(root).sort() : [dataset];
  return datasets.flatMap((ds) => {
    const dir = path.join(root, ds);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).sort().flatMap((id) => {
      const file = path.join(dir, id, RECORD);
      if (!fs.existsSync(file)) return [];
      return [{ dataset: ds, id, aside: path.join(dir, id), record: JSON.parse(fs.readFileSync(file, "utf8")) as RollbackRecord }];
    });
  });
}

/**
 * Every version of `dataset` some rollback undid, with the rollback folder that did. A started
 * one counts: its first step may have set bronze aside already, and it is finished before the
 * dataset's next load or rollback (rollback.ts finishRollbacks).
 */
export function undoneVersions(workspace: string, dataset: string): Map<string, string> {
  const undone = new Map<string, string>();
  for (const { id, record } of rollbackRecords(workspace, dataset)) {
    for (const version of record.undone) undone.set(version, id);
  }
  return undone;
}
