// What the in-process Glue runs for one job run: the local equivalent of the Glue entry script.
// Reads the manifest from the ops folder, points each file at its version's kept bytes, runs the
// engine, writes the run summary where job-state reads it, and reports the run as it goes.
import { readFileSync } from "fs";
import type { DatasetSpec } from "../../datasets/define";
import { Manifest, RUN_ARGS, RunSummary, publishRecordKey, summaryKey } from "../../engine/contracts";
import type { RunOutcome, RunRequest } from "./glue-launcher";
import type { LocalObjectStore } from "./object-store";
import type { ProgressEvent } from "./progress";
import type { LoadExecutor } from "./runtime";
import type { VersionStore } from "./version-store";
import { LOCAL_NAMES } from "./workspace";

export interface RunContext {
  workspace: string;
  specs: readonly DatasetSpec[];
  versions: VersionStore;
  objects: LocalObjectStore;
  executor: LoadExecutor;
  /** Stop a run still loading after this long (Glue's job timeout). */
  jobTimeoutMs: number;
  emit(e: ProgressEvent): void;
  /** Called once per run end (also when the engine threw). */
  onRunEnd(runId: string, failed: boolean): void;
  /** Called when a run published its dataset's tables (models reading them rebuild). */
  onPublished?(dataset: string): void;
}

export async function executeLocalRun(ctx: RunContext, run: RunRequest): Promise<RunOutcome> {
  const { dataset, jobRunId, args, attempt } = run;
  const started = Date.now();
  const runId = args[RUN_ARGS.runId];
  const manifest = JSON.parse(readFileSync(ctx.objects.pathOfUri(args[RUN_ARGS.manifestUri]), "utf8")) as Manifest;
  // The manifest names versions; the engine reads the kept copy of each version's bytes.
  for (const f of manifest.files) {
    const version = f.versionId ? ctx.versions.get(f.versionId) : undefined;
    if (version) f.localPath = ctx.versions.bytesPath(version.versionId);
  }
  const files = manifest.files.length;
  ctx.emit({ type: "run-started", dataset, runId, jobRunId, files, attempt });
  const spec = ctx.specs.find((s) => s.name === dataset);
  if (!spec) throw new Error(`no dataset spec named ${dataset}`);
  // A resumed run whose summary exists got as far as publishing before the stop: running it
  // again would find its files in the engine's ledger and count them as already loaded.
  const finished = attempt > 1 ? await ctx.objects.getJson<RunSummary>(LOCAL_NAMES.opsBucket, summaryKey(dataset, runId)) : undefined;
  let summary: RunSummary;
  const timeout = new AbortController();
  const minutes = Math.round((ctx.jobTimeoutMs / 60_000) * 100) / 100;
  const timer = setTimeout(() => timeout.abort(new JobTimeout(`job run exceeded the job timeout of ${minutes} min and was stopped`)), ctx.jobTimeoutMs);
  try {
    summary =
      finished ??
      (await ctx.executor({
        workspace: ctx.workspace,
        spec,
        manifest,
        fullRefresh: args[RUN_ARGS.fullRefresh] === "true" || manifest.fullRefresh === true,
        signal: timeout.signal,
      }));
    if (attempt > 1 && !finished) summary = (await publishedBeforeTheStop(ctx, dataset, runId, summary)) ?? summary;
  } catch (err) {
    ctx.onRunEnd(runId, true);
    const error = err instanceof Error ? err.message : String(err);
    const state = err instanceof JobTimeout ? "TIMEOUT" : "FAILED";
    ctx.emit({ type: "run-finished", dataset, runId, jobRunId, state, files, ms: Date.now() - started, error });
    // Glue ends a run that hit its timeout as TIMEOUT, with the message; other errors crash it.
    if (state === "TIMEOUT") return { state, errorMessage: error };
    throw err;
  } finally {
    clearTimeout(timer);
  }
  await ctx.objects.putJson(LOCAL_NAMES.opsBucket, summaryKey(dataset, runId), summary);
  ctx.onRunEnd(runId, summary.status !== "SUCCEEDED");
  if (summary.published) ctx.onPublished?.(dataset);
  ctx.emit({
    type: "run-finished",
    dataset,
    runId,
    jobRunId,
    state: summary.status,
    files,
    ms: Date.now() - started,
    rowsRead: summary.counts.rowsRead,
    silverRows: summary.counts.silverRows,
    quarantineRows: summary.counts.quarantineRows,
    rejectedRows: summary.counts.rejectedRows,
    error: summary.error,
  });
  return { state: summary.status, errorMessage: summary.error };
}

/**
 * A resumed run killed after its publish but before its summary: run again, it found every file
 * in the engine's ledger (ALREADY_LOADED, 0 rows), and its FILE items would have said so, while
 * its first attempt loaded their rows. Its publish record (written before the publish, and only
 * kept once it was committed) holds what that attempt loaded, as job-state reads it on AWS.
 */
async function publishedBeforeTheStop(ctx: RunContext, dataset: string, runId: string, again: RunSummary): Promise<RunSummary | undefined> {
  if (!again.files.some((f) => f.outcome === "ALREADY_LOADED")) return undefined;
  const record = await ctx.objects.getJson<RunSummary>(LOCAL_NAMES.opsBucket, publishRecordKey(dataset, runId));
  if (record?.status !== "SUCCEEDED") return undefined;
  // Read again, each file is in the ledger, or quarantined whole as the record says (such a
  // file never enters the ledger): anything else means the first publish did not happen.
  const recorded = new Map(record.files.map((f) => [f.fileId, f]));
  const same = again.files.every((f) => f.outcome === "ALREADY_LOADED" || (f.outcome === "QUARANTINED" && recorded.get(f.fileId)?.outcome === "QUARANTINED"));
  return same ? record : undefined;
}

/** The reason a run is stopped at the job timeout (told apart from engine errors). */
class JobTimeout extends Error {}
