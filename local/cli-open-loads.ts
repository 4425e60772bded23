// `datalake load` records its run (FILE and RUN items) after the engine published it. A load
// killed in between (kill -9, the OOM killer) left its rows published with nothing in the audit
// trail, and the same files loaded again were in the engine's ledger: recorded SKIPPED
// already_loaded with 0 rows, so the audit never counted the rows the killed run loaded. Each
// load therefore leaves a marker until it is recorded; the next load records a marked run from
// the summary its engine wrote (only once it published or failed its audits), as job-state
// records an event-path run from its summary, and removes what the killed run left in staging.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { summaryKey, type Manifest, type RunSummary } from "../engine/contracts";
import { duckdbTempDir, safeName, stagingDir } from "../engine/duckdb/workspace";

export interface OpenLoad {
  manifest: Manifest;
  manifestPath: string;
  startedAt: Date;
  /** What its engine reported; undefined when it was stopped before its publish (nothing to record). */
  summary?: RunSummary;
}

const openDir = (workspace: string): string => join(workspace, "ops", "loads-open");

/** Marks a load unrecorded; the returned function removes the mark once it is recorded (or published nothing). */
export function markOpenLoad(workspace: string, manifest: Manifest, manifestPath: string, startedAt: Date): () => void {
  mkdirSync(openDir(workspace), { recursive: true });
  const file = join(openDir(workspace), `${manifest.runId}.json`);
  writeFileSync(file, `${JSON.stringify({ manifestPath, startedAt: startedAt.toISOString() })}\n`);
  return () => rmSync(file, { force: true });
}

/** Loads marked unrecorded by processes that did not finish them (call holding the workspace lock). */
export function openLoads(workspace: string, exceptRunId: string): (OpenLoad & { close: () => void })[] {
  const dir = openDir(workspace);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json") && name !== `${exceptRunId}.json`)
    .sort()
    .map((name) => {
      const file = join(dir, name);
      const mark = JSON.parse(readFileSync(file, "utf8")) as { manifestPath: string; startedAt: string };
      const manifest = JSON.parse(readFileSync(mark.manifestPath, "utf8")) as Manifest;
      const summaryFile = join(workspace, "ops", summaryKey(manifest.dataset, manifest.runId));
      const summary = existsSync(summaryFile) ? (JSON.parse(readFileSync(summaryFile, "utf8")) as RunSummary) : undefined;
      // Its unpublished writes go too: the next load of its files runs under another run id, so
      // nothing else would ever remove them.
      const close = () => {
        const staging = stagingDir(workspace, manifest.dataset, manifest.runId);
        for (const left of [staging, join(duckdbTempDir(workspace), `${manifest.dataset}-${safeName(manifest.runId)}`)]) {
          rmSync(left, { recursive: true, force: true });
        }
        removeEmptyDirs([dirname(staging), dirname(dirname(staging))]);
        rmSync(file, { force: true });
      };
      return { manifest, manifestPath: mark.manifestPath, startedAt: new Date(mark.startedAt), summary, close };
    });
}

/** Removes each directory in turn while it is empty (as TableStore.discard leaves a settled workspace). */
function removeEmptyDirs(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (another dataset's run) or already gone
    }
  }
}
