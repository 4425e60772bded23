// `datalake load` records its run (FILE and RUN items) after the engine published it. A load
// killed in between (kill -9, the OOM killer) left its rows published with nothing in the audit
// trail, and the same files loaded again were in the engine's ledger: recorded SKIPPED
// already_loaded with 0 rows, so the audit never counted the rows the killed run loaded. Each
// load therefore leaves a marker until it is recorded; the next load records a marked run from
// the summary its engine wrote (only once it published or failed its audits), or, killed between
// its publish and that summary, from its publish record, as job-state records an event-path run
// (a publish it cut short is finished first, when the next load takes the workspace lock); and it
// removes what the killed run left in staging.
import { existsSync, readdirSync, readFileSync, rmSync } from "fs";
import { join } from "path";
import { manifestKey, publishRecordKey, summaryKey, type Manifest, type RunSummary } from "../engine/contracts";
import { bronzeFilesDir, loadSpillDir, removeEmptyParents, safeName, stagingDir, writeJsonAtomic } from "../engine/duckdb/workspace";
import { workspaceEngine } from "./workspace-engine";

export interface OpenLoad {
  manifest: Manifest;
  manifestPath: string;
  startedAt: Date;
  /** What its engine reported; undefined when it was stopped before its publish committed (nothing to record). */
  report?: EngineReport;
}

/** A run's summary, or its publish record when it was killed between its publish and its summary. */
export interface EngineReport {
  summary: RunSummary;
  source: "summary" | "publish record";
}

const openDir = (workspace: string): string => join(workspace, "ops", "loads-open");

/** Marks a load unrecorded; the returned function removes the mark once it is recorded (or published nothing). */
export function markOpenLoad(workspace: string, manifest: Manifest, startedAt: Date): () => void {
  const file = join(openDir(workspace), `${safeName(manifest.runId)}.json`);
  // Names, not paths: a workspace moved to another folder still finds its files.
  writeJsonAtomic(file, { dataset: manifest.dataset, runId: manifest.runId, startedAt: startedAt.toISOString() });
  return () => rmSync(file, { force: true });
}

/** A mark as markOpenLoad writes it. */
function readMark(file: string): { dataset: string; runId: string; startedAt: string } {
  return JSON.parse(readFileSync(file, "utf8")) as { dataset: string; runId: string; startedAt: string };
}

/** Run ids of `dataset` marked unrecorded (marks that cannot be read left out): `audit --verify` names them. */
export function openLoadRuns(workspace: string, dataset: string): string[] {
  const dir = openDir(workspace);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    try {
      const mark = readMark(join(dir, name));
      return mark.dataset === dataset ? [mark.runId] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Loads marked unrecorded by processes that did not finish them (call holding the workspace
 * lock). A mark that cannot be read (its manifest gone, a file cut short) is reported through
 * `warn` and left for a person to look at: it must not stop this load's own record.
 */
export function openLoads(workspace: string, exceptRunId: string, warn: (message: string) => void): (OpenLoad & { close: () => void })[] {
  const dir = openDir(workspace);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json") && name !== `${safeName(exceptRunId)}.json`)
    .sort()
    .flatMap((name) => {
      const file = join(dir, name);
      try {
        return [openLoad(workspace, file)];
      } catch (e) {
        warn(`cannot read the unrecorded load ${file} (${(e as Error).message.split("\n")[0]}): left as it is`);
        return [];
      }
    });
}

function openLoad(workspace: string, file: string): OpenLoad & { close: () => void } {
  const mark = readMark(file);
  const manifestPath = join(workspace, "ops", manifestKey(mark.dataset, mark.runId));
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
  // Its unpublished writes go too: the next load of its files runs under another run id, so
  // nothing else would ever remove them.
  const close = () => {
    const staging = stagingDir(workspace, manifest.dataset, manifest.runId);
    for (const left of [staging, loadSpillDir(workspace, manifest.dataset, manifest.runId)]) rmSync(left, { recursive: true, force: true });
    removeEmptyParents(staging, join(workspace, "_staging"));
    rmSync(file, { force: true });
  };
  return { manifest, manifestPath, startedAt: new Date(mark.startedAt), report: engineReport(workspace, manifest), close };
}

function engineReport(workspace: string, manifest: Manifest): EngineReport | undefined {
  const summary = readSummary(join(workspace, "ops", summaryKey(manifest.dataset, manifest.runId)));
  if (summary) return { summary, source: "summary" };
  if (!publishCommitted(workspace, manifest)) return undefined;
  const record = readSummary(join(workspace, "ops", publishRecordKey(manifest.dataset, manifest.runId)));
  return record && { summary: record, source: "publish record" };
}

const readSummary = (file: string): RunSummary | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as RunSummary) : undefined);

/**
 * Whether the publish of a run killed before its summary committed, so that the next load finds
 * its files loaded (ALREADY_LOADED, 0 rows) and their rows are the killed run's to record. The
 * publish record is the commit point on both engines, and the next run finishes a publish cut
 * short before it reads anything (DuckDB: lockWorkspace, engine/duckdb/publish-journal.ts), so
 * a committed DuckDB run has its files ledger in place by now. The ledger still decides: a record
 * an older version wrote before a publish it never finished stands beside files that loaded
 * again, whose rows are the next run's (recording the record too would count them twice).
 */
function publishCommitted(workspace: string, manifest: Manifest): boolean {
  if (workspaceEngine(workspace) === "spark") return true;
  return existsSync(join(bronzeFilesDir(workspace, manifest.dataset), `${safeName(manifest.runId)}.parquet`));
}
