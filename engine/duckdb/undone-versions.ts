// Versions a rollback undid. A rollback from F to T undoes every version in (T, F]; the next load
// publishes a higher number on top of T, so the undone versions stay in the version list, older
// than the current one, while their runs' bronze and ledger rows are set aside. Restoring one
// (`rollback` after a later load, whose default is "the version before the current") would bring
// back silver rows whose bronze is gone and whose files load again: rows twice, lineage lost.
// Iceberg refuses it the same way (rollback_to_snapshot takes only an ancestor of the current).
import * as fs from "node:fs";
import * as path from "node:path";
import { writeJsonAtomic } from "./workspace";

const RECORD = "rollback.json";

export interface RollbackRecord {
  from: string;
  to: string;
  /** The versions it undid, (to, from]. */
  undone: string[];
}

/** Written into the rollback's set-aside folder once its pointers moved. */
export function writeRollbackRecord(aside: string, record: RollbackRecord): void {
  writeJsonAtomic(path.join(aside, RECORD), record);
}

/** Every version of `dataset` some rollback undid, with the rollback folder that did. */
export function undoneVersions(workspace: string, dataset: string): Map<string, string> {
  const root = path.join(workspace, "_rolled_back", dataset);
  const undone = new Map<string, string>();
  if (!fs.existsSync(root)) return undone;
  for (const id of fs.readdirSync(root).sort()) {
    const file = path.join(root, id, RECORD);
    if (!fs.existsSync(file)) continue;
    const record = JSON.parse(fs.readFileSync(file, "utf8")) as RollbackRecord;
    for (const version of record.undone) undone.set(version, id);
  }
  return undone;
}
