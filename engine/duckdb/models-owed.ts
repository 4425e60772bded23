// A load that publishes owes the semantic models reading its dataset a build. `datalake load`
// and local mode's model builder kept that debt in memory only: a process killed between the
// publish and the end of the build (kill -9, a second Ctrl-C) left the models behind the silver
// they are built from, and nothing built them again (the same load run again found its files
// loaded and published nothing; a restarted `local` had no run to finish). So a load writes the
// debt down before it publishes, and a build that covers the dataset's models settles it.
//
//   <ws>/ops/models-owed/<dataset>     the run id of the last publish that owes a build
import * as fs from "node:fs";
import * as path from "node:path";
import { fsyncDir, fsyncFile } from "./durable";

const owedDir = (ws: string): string => path.join(ws, "ops", "models-owed");

/** Called before a run publishes `dataset`; on disk before the publish record (durable.ts). */
export function oweModels(ws: string, dataset: string, runId: string): void {
  fs.mkdirSync(owedDir(ws), { recursive: true });
  fs.writeFileSync(path.join(owedDir(ws), dataset), runId);
  fsyncFile(path.join(owedDir(ws), dataset));
  fsyncDir(owedDir(ws));
}

/** Datasets whose models a build owes (dataset -> run id), read before that build starts. */
export function owedModels(ws: string): Map<string, string> {
  const dir = owedDir(ws);
  if (!fs.existsSync(dir)) return new Map();
  return new Map(fs.readdirSync(dir).map((dataset) => [dataset, fs.readFileSync(path.join(dir, dataset), "utf8")]));
}

/**
 * After a build covered these debts (as owedModels read them before it): each is settled unless
 * a later publish owes another build meanwhile (local mode builds while loads publish).
 */
export function settleModels(ws: string, owed: ReadonlyMap<string, string>): void {
  for (const [dataset, runId] of owed) {
    const file = path.join(owedDir(ws), dataset);
    try {
      if (fs.readFileSync(file, "utf8") === runId) fs.rmSync(file);
    } catch {
      // settled by someone else already
    }
  }
}
