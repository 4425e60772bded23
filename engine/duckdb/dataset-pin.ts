// What a model build reads of one dataset: its silver version and the bronze and files-ledger
// files AS OF that version, taken together so they agree (docs/models.md "Incremental builds",
// "One point per dataset").
//
// Why: a load publishes in the plan's order (engine/compile.ts PUBLISH_ORDER): silver first, then
// bronze and the files ledger, then it drops its staging folder. A build reading silver and bronze
// one after the other can straddle that: silver without run R but bronze with it records R as
// consumed, and no later incremental build ever recomputes what R changed (the gap stays); silver
// with R but bronze without it reads rows whose changes it cannot see.
//
// How: loads of one dataset run one at a time, so at most one run publishes at a time. Read the
// silver pointer; if its run still has its staging folder, that run is between its silver pointer
// and its last append: wait for it. Then list bronze and the ledger, and read the pointer again:
// unchanged, no run published in between, so the lists hold exactly the runs up to that version.
// Changed (a run published meanwhile, or a rollback moved it), start again.
import * as fs from "node:fs";
import { committedBronzeFiles } from "./tables";
import { bronzeFilesDir, parquetFiles, readPointer, stagingDir, zoneDir, type Pointer } from "./workspace";

/** How long a build waits for a load to finish publishing. @default PUBLISH_WAIT_MS */
export const PUBLISH_WAIT_MS = 30_000;
const POLL_MS = 20;

export interface DatasetPin {
  dataset: string;
  /** The silver pointer read (null: the dataset never published). */
  silver: Pointer | null;
  /** Committed bronze files of the runs up to `silver`'s. */
  bronzeFiles: string[];
  /** Files-ledger files of the same runs. */
  ledgerFiles: string[];
}

/**
 * Pins one dataset for a build. Throws one line when a load stays mid-publish longer than
 * `waitMs` (a load killed between its silver pointer and its bronze append).
 */
export async function pinDataset(ws: string, dataset: string, silverTable: string, waitMs = PUBLISH_WAIT_MS): Promise<DatasetPin> {
  const silverDir = zoneDir(ws, "silver", silverTable);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const before = readPointer(silverDir);
    const publishing = before !== null && fs.existsSync(stagingDir(ws, dataset, before.runId));
    if (!publishing) {
      const pin = { dataset, silver: before, bronzeFiles: committedBronzeFiles(ws, dataset), ledgerFiles: parquetFiles(bronzeFilesDir(ws, dataset)) };
      if (samePointer(before, readPointer(silverDir))) return pin;
    } else if (Date.now() > deadline) {
      throw new Error(
        `dataset ${dataset}: load run ${before.runId} published silver ${before.version} but has not finished publishing bronze after ${Math.round(waitMs / 1000)} s ` +
          `(its staging folder ${stagingDir(ws, dataset, before.runId)} is still there: a load stopped mid-publish? load ${dataset} again)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const samePointer = (a: Pointer | null, b: Pointer | null): boolean =>
  a === null || b === null ? a === b : a.version === b.version && a.runId === b.runId && a.publishedAt === b.publishedAt;
