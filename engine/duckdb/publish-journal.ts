// How a DuckDB load's publish survives a crash. A publish moves up to six staged tables into place
// one by one (engine/compile.ts PUBLISH_ORDER), each its own rename and pointer; there is no
// transaction across them. A process killed between two moves left some tables moved and others
// not, and the next load removed the rest with the killed run's staging: its files were not in the
// ledger (moved last), so they loaded again, into bronze a second time and onto a state that might
// already hold their changes.
//
// So a publish is a redo log, with the publish record as its commit point, as on Spark
// (glue-scripts/datalake_glue/publish_record.py):
//   1. the journal, every move the publish makes, is written into the run's staging folder;
//   2. the publish record (<ws>/ops/summaries/<dataset>/<runId>.publish.json) is written: from
//      then on the run is published, whatever happens to the process;
//   3. the moves, each one idempotent (a move whose source is gone was made before).
// Whoever next takes the workspace (a load, build, rollback or `local`, holding its lock; a load
// of the dataset in any case) finishes a journal whose record exists before it reads or cleans
// anything, and removes a staging folder without one: that run never committed, and moved nothing.
// Each write is a rename, so a kill during that recovery leaves a state the next one finishes.
//
//   <ws>/_staging/<dataset>/<runId>/_publish.json     the journal of a publish under way
import * as fs from "node:fs";
import * as path from "node:path";
import type { TableRole } from "../plan";
import { fsyncDir } from "./durable";
import { publishRecordPath, pruneVersions, removeEmptyParents, writeJsonAtomic, writePointer, type VersionMeta } from "./workspace";

/** One table's part of a publish; paths relative to the workspace (a moved workspace still finishes it). */
export interface TableMove {
  role: TableRole;
  /** A replace table: its staged version folder moves to `<dir>/<meta.version>`, then the pointer. */
  version?: { from: string; dir: string; meta: VersionMeta };
  /** An append table: each staged file moves to its place. */
  files?: { from: string; to: string }[];
}

export interface PublishJournal {
  dataset: string;
  runId: string;
  publishedAt: string;
  moves: TableMove[];
}

const JOURNAL = "_publish.json";

/** Step 1: the journal, in the run's staging folder (removed with it if the run never commits). */
export function writeJournal(staging: string, journal: PublishJournal): void {
  writeJsonAtomic(path.join(staging, JOURNAL), journal);
}

/** Step 3: makes the journal's moves in order, skipping those already made; `onMoved` after each table. */
export function applyJournal(ws: string, journal: PublishJournal, onMoved: (role: TableRole) => void = () => undefined): void {
  // Folders files were moved into: flushed before the caller removes the staging they came from,
  // so a power loss cannot keep the removal and lose the move (durable.ts). A version's folder
  // and its table's are flushed by the meta and pointer writes.
  const movedInto = new Set<string>();
  for (const move of journal.moves) {
    if (move.version) {
      const { from, dir, meta } = move.version;
      const target = path.join(ws, dir, meta.version);
      if (fs.existsSync(path.join(ws, from))) {
        fs.mkdirSync(path.join(ws, dir), { recursive: true });
        fs.renameSync(path.join(ws, from), target);
      } else if (!fs.existsSync(target)) {
        // Never point a table at a version that is not there: a person has to look.
        throw new Error(`publish of run ${journal.runId}: ${from} is neither staged nor at ${path.join(dir, meta.version)}`);
      }
      writeJsonAtomic(path.join(target, "_version.json"), meta);
      writePointer(path.join(ws, dir), { version: meta.version, runId: journal.runId, publishedAt: journal.publishedAt });
      pruneVersions(path.join(ws, dir));
    }
    for (const file of move.files ?? []) {
      // A file moved before a kill may still be in the page cache only: its folder is flushed too.
      movedInto.add(path.dirname(path.join(ws, file.to)));
      if (!fs.existsSync(path.join(ws, file.from))) continue; // moved before the kill
      fs.mkdirSync(path.dirname(path.join(ws, file.to)), { recursive: true });
      fs.renameSync(path.join(ws, file.from), path.join(ws, file.to));
    }
    onMoved(move.role);
  }
  for (const dir of movedInto) if (fs.existsSync(dir)) fsyncDir(dir);
}

/**
 * A publish cut short after its commit point (a move failed: a full disk, a permission): the run
 * is published, its staging and journal are left for the next load of the dataset to finish.
 */
export class PublishCutShort extends Error {
  constructor(runId: string, cause: Error) {
    super(`publish of run ${runId} cut short after its publish record (${cause.message.split("\n")[0]}): the next load of the dataset finishes it`);
    this.name = "PublishCutShort";
  }
}

export interface StagingSettled {
  dataset: string;
  runId: string;
  /** finished: its journal's moves were made (it had committed); removed: it never committed. */
  outcome: "finished" | "removed";
}

/**
 * Settles every staging folder of `datasets` that no running load owns: call holding the
 * workspace lock (or, in a load, for its own dataset: loads of one dataset run one at a time).
 * `onMoved` hears each table a finished publish moves (progress, and the kill tests' seam).
 */
export function finishPublishes(ws: string, datasets: string[], onMoved?: (runId: string, role: TableRole) => void): StagingSettled[] {
  const settled: StagingSettled[] = [];
  for (const dataset of datasets) {
    const dir = path.join(ws, "_staging", dataset);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const staging = path.join(dir, name);
      const journal = readJournal(staging);
      if (journal && fs.existsSync(publishRecordPath(ws, dataset, journal.runId))) {
        applyJournal(ws, journal, (role) => onMoved?.(journal.runId, role));
        settled.push({ dataset, runId: journal.runId, outcome: "finished" });
      } else {
        settled.push({ dataset, runId: journal?.runId ?? name, outcome: "removed" });
      }
      // Only once every move is made: what is left are leftovers (an empty append is not moved).
      fs.rmSync(staging, { recursive: true, force: true });
    }
    removeEmptyParents(path.join(dir, "_"), path.join(ws, "_staging"));
  }
  return settled;
}

/** Runs of `dataset` that committed a publish whose moves are not all made yet (finishPublishes finishes them). */
export function unfinishedPublishes(ws: string, dataset: string): string[] {
  const dir = path.join(ws, "_staging", dataset);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => readJournal(path.join(dir, name)))
    .filter((j): j is PublishJournal => j !== null && fs.existsSync(publishRecordPath(ws, dataset, j.runId)))
    .map((j) => j.runId);
}

function readJournal(staging: string): PublishJournal | null {
  const file = path.join(staging, JOURNAL);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as PublishJournal) : null;
}
