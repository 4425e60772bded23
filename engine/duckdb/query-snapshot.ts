// Which versions a query session reads: the tables as they were at one moment when no publish was
// half done. A load publishes its tables one by one (publish-journal.ts: silver, quarantine,
// state, rejects, bronze, then the files ledger), so a session that took each table's pointer as
// it came could read silver of a run beside state of the run before: a key in silver and in
// quarantine at once, or in neither.
//
// How: wait while a run of any dataset has a committed publish whose moves are not all made (a
// live load makes them in milliseconds); then collect the views and read every pointer again.
// Unchanged, no publish moved anything in between; changed, start again. A publish left
// unfinished by a killed load stays so until the next load: past the wait, the session opens
// anyway and names it (its tables may mix versions until then).
import * as fs from "node:fs";
import * as path from "node:path";
import { unfinishedPublishes } from "./publish-journal";
import { readPointer } from "./workspace";

/** How long a query waits for a publish under way. @default QUERY_PUBLISH_WAIT_MS */
export const QUERY_PUBLISH_WAIT_MS = 5_000;
const POLL_MS = 20;

/** Zones whose tables have pointers (workspace.ts `_current.json`). */
const POINTED_ZONES = ["silver", "quarantine", "state", "semantic"];

export interface Snapshot<T> {
  views: T;
  /** `<dataset> run <runId>` of each publish still unfinished when the session opened. */
  unfinished: string[];
}

/** `collect()`'s views, taken while no publish is half done (see the header). */
export async function consistentViews<T>(ws: string, collect: () => T, waitMs = QUERY_PUBLISH_WAIT_MS): Promise<Snapshot<T>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const waiting = Date.now() < deadline;
    const unfinished = unfinishedRuns(ws);
    if (unfinished.length > 0 && waiting) {
      await sleep(POLL_MS);
      continue;
    }
    const before = pointers(ws);
    const views = collect();
    // A publish that committed meanwhile and moved its pointed tables already may still be
    // appending bronze: it is unfinished now, so the views wait for it too.
    const settled = pointers(ws) === before && unfinishedRuns(ws).join("\n") === unfinished.join("\n");
    if (settled || !waiting) return { views, unfinished };
  }
}

/** Every table pointer of the workspace, as one string (equal strings: no pointer moved). */
function pointers(ws: string): string {
  const out: string[] = [];
  for (const zone of POINTED_ZONES) {
    const dir = path.join(ws, zone);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const pointer = readPointer(path.join(dir, name));
      if (pointer) out.push(`${zone}/${name} ${JSON.stringify(pointer)}`);
    }
  }
  return out.join("\n");
}

function unfinishedRuns(ws: string): string[] {
  const staging = path.join(ws, "_staging");
  if (!fs.existsSync(staging)) return [];
  return fs
    .readdirSync(staging)
    .sort()
    .flatMap((dataset) => unfinishedPublishes(ws, dataset).map((runId) => `${dataset} run ${runId}`));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
