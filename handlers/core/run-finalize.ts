// Finalizing a run from Glue's final state and the run summary: FILE items first (each a
// conditional, forward-only write claimed by this run), then the RUN, then the slot. A crash in
// between is repaired by re-running this (duplicate event or reconciler): finished items are no-ops.
// The outcome is what the runner published, not how the Glue run ended: a run that published and
// then timed out, or failed to write its summary, is SUCCEEDED (from its publish record).
import { FileResult, Manifest, RunSummary, manifestKey, publishRecordKey, summaryKey } from "../../engine/contracts";
import type { FileFinal, RunItem } from "../audit/items";
import type { GlueJobRunState, HandlerDeps, RunFailureReason } from "../ports";
import { WRITE_PARALLELISM, mapLimit } from "./concurrency";
import { requestModels } from "./model-runs";
import { boundedAudits, boundedExtraColumns, boundedWarnings, clipText } from "./run-fields";

export interface GlueFinal {
  /** Glue JobRunState: SUCCEEDED, FAILED, TIMEOUT, STOPPED, ERROR, EXPIRED. */
  state: string;
  errorMessage?: string;
  executionSeconds?: number;
  dpuSeconds?: number;
  completedOn?: string;
}

export interface FinalizeOutcome {
  /** False when the RUN was already terminal (duplicate or late event). */
  finalized: boolean;
  status: RunItem["status"];
  files: number;
}

export async function finalizeRun(deps: HandlerDeps, run: RunItem, glue: GlueFinal): Promise<FinalizeOutcome> {
  const log = deps.log.child({ dataset: run.dataset, runId: run.runId, jobRunId: run.jobRunId });
  if (run.status === "SUCCEEDED" || run.status === "FAILED") {
    // Duplicate or late event: nothing to change, but make sure a crash after the RUN write did
    // not leave the slot held (nor lose the request to finish its publish).
    await deps.audit.releaseSlot(run.dataset, run.runId, publishFollowUp(run, run.status, run.glueState ?? glue.state));
    log.info("run already final; event ignored", { status: run.status, glueState: glue.state });
    return { finalized: false, status: run.status, files: 0 };
  }
  const manifest = await deps.objects.getJson<Manifest>(deps.opsBucket, manifestKey(run.dataset, run.runId));
  const { summary, status, failure, note } = await runVerdict(deps, run, glue);
  const error = failure?.error;
  const results = new Map((summary?.files ?? []).map((f) => [f.fileId, f]));
  const files = manifest?.files ?? [];
  if (!manifest) log.error("manifest missing; RUN finalized without files", { manifestUri: run.manifestUri });

  const finals = new Map(files.map((f) => [f.fileId, fileFinal(status, results.get(f.fileId), error)]));
  await mapLimit(files, WRITE_PARALLELISM, async (f) => {
    const final = finals.get(f.fileId)!;
    const moved = await deps.audit.finalizeFile(f.fileId, final, run.runId);
    log.child({ key: f.key, versionId: f.versionId, fileId: f.fileId }).info(moved ? "file finalized" : "file already final", {
      status: final.status,
      reason: final.reason,
    });
  });
  await recordLoadedContent(deps, files.filter((f) => finals.get(f.fileId)!.status === "SUCCEEDED"));
  // The models reading this dataset are due, before the RUN write so a crash cannot lose the
  // request (finalizing again requests once more: at worst one extra, coalesced build).
  if (status === "SUCCEEDED") await requestModels(deps, run.dataset, run.runId);
  const finishedAt = glue.completedOn ?? new Date(deps.clock.now()).toISOString();
  const moved = await deps.audit.updateRun(run.runId, ["QUEUED", "RUNNING"], {
    status,
    finishedAt,
    glueState: glue.state,
    error: clipText(error),
    note: clipText(note),
    executionSeconds: glue.executionSeconds,
    dpuSeconds: glue.dpuSeconds,
    counts: summary?.counts,
    audits: boundedAudits(summary?.audits),
    ...boundedWarnings(summary?.driftWarnings),
  });
  if (moved && failure) deps.metrics.runFailed(run.dataset, failure.reason, { runId: run.runId, jobRunId: run.jobRunId });
  // A published run that did not account for a file (missing from its summary, an outcome this
  // handler does not know) fails that file: someone must look, so it alarms as a failed run does.
  const unaccounted = status === "SUCCEEDED" ? files.filter((f) => finals.get(f.fileId)!.status === "FAILED") : [];
  if (moved && unaccounted.length > 0) {
    deps.metrics.runFailed(run.dataset, "files_unaccounted", { runId: run.runId, jobRunId: run.jobRunId, files: unaccounted.length });
    log.error("the run published without accounting for some files: they are FAILED", { files: unaccounted.map((f) => f.key) });
  }
  const followUp = publishFollowUp(run, status, glue.state);
  await deps.audit.releaseSlot(run.dataset, run.runId, followUp);
  if (followUp) log.warn("the run committed its publish but did not end cleanly; a run finishes the publish next, with or without files", { glueState: glue.state });
  log[status === "SUCCEEDED" ? "info" : "error"]("run finalized", { status, glueState: glue.state, error, note, files: files.length });
  return { finalized: moved, status, files: files.length };
}

/**
 * What the dataset's slot records about finishing publishes once this run is final (releaseSlot):
 * - a run without files (one that was to finish a publish) clears it, however it ended: no run
 *   without files follows another, so they cannot loop (one that failed alarms; a publish it
 *   cut short in turn is finished by the next file's run). One that never reached Glue (no job
 *   run id: start_failed, start_not_attempted) keeps it, as its own release does;
 * - SUCCEEDED but Glue did not end SUCCEEDED: it committed, then a fast-forward failed or it was
 *   killed (or it timed out after publishing, when the next run finds nothing left to do): finish it;
 * - SUCCEEDED cleanly: every run finishes an earlier interrupted publish before it reads, so done;
 * - FAILED with files: unchanged.
 */
export function publishFollowUp(run: Pick<RunItem, "runId" | "fileCount" | "jobRunId">, status: RunItem["status"], glueState: string): string | null | undefined {
  if (run.fileCount === 0) return run.jobRunId === undefined ? undefined : null;
  if (status === "SUCCEEDED") return glueState === "SUCCEEDED" ? null : run.runId;
  return undefined;
}

/**
 * Each successfully loaded version becomes its key's latest loaded content (file-arrival then
 * skips a later version with the same bytes). Before the RUN write, so a crash here is repaired
 * by finalizing again; the checksums come from the FILE items file-arrival recorded.
 */
export async function recordLoadedContent(deps: Pick<HandlerDeps, "audit" | "clock">, succeeded: Manifest["files"]): Promise<void> {
  if (succeeded.length === 0) return;
  const items = new Map((await deps.audit.getFilesConsistent(succeeded.map((f) => f.fileId))).map((i) => [i.fileId, i]));
  const loadedAt = new Date(deps.clock.now()).toISOString();
  await mapLimit(succeeded, WRITE_PARALLELISM, async (f) => {
    const item = items.get(f.fileId);
    await deps.audit.putLoadedContent({
      kind: "LOADED",
      bucket: f.bucket,
      key: f.key,
      fileId: f.fileId,
      versionId: f.versionId,
      etag: item?.etag ?? f.etag,
      ...(item?.checksums ? { checksums: item.checksums } : {}),
      sequencer: f.sequencer,
      loadedAt,
    });
  });
}

interface Verdict {
  /** The summary the RUN and FILE items are finalized from (the publish record when it was lost). */
  summary?: RunSummary;
  status: RunItem["status"];
  failure?: { error: string; reason: RunFailureReason };
  note?: string;
}

/**
 * The runner's own record decides: a SUCCEEDED summary is written only after the publish, and the
 * publish record before the first fast-forward (the commit point: once it exists the publish is
 * finished, by this run or the next). Glue's state only explains a run with neither.
 */
async function runVerdict(deps: HandlerDeps, run: RunItem, glue: GlueFinal): Promise<Verdict> {
  const ended = `glue_${glue.state.toLowerCase()}${glue.errorMessage ? ` (${glue.errorMessage})` : ""}`;
  const { record: summary, unreadable } = await readRunRecord(deps, summaryKey(run.dataset, run.runId));
  if (summary?.status === "SUCCEEDED") {
    return { summary, status: "SUCCEEDED", note: glue.state === "SUCCEEDED" ? undefined : `${ended} after the summary was written` };
  }
  if (summary) return { summary, status: "FAILED", failure: runFailure(glue, summary) };
  const { record } = await readRunRecord(deps, publishRecordKey(run.dataset, run.runId));
  const lost = unreadable ? `summary_unreadable (${unreadable})` : "summary_missing";
  if (record?.status === "SUCCEEDED") {
    const then = glue.state === "SUCCEEDED" ? (unreadable ? "wrote a summary that cannot be read" : "wrote no summary") : `ended ${ended}`;
    return { summary: record, status: "SUCCEEDED", note: `${lost}: counts from the publish record (the run published, then ${then})` };
  }
  const failure = runFailure(glue, undefined);
  return { status: "FAILED", failure: unreadable && glue.state === "SUCCEEDED" ? { ...failure, error: `${lost}: the job succeeded but its run summary cannot be read` } : failure };
}

/**
 * A run summary or publish record, or nothing: one that is not JSON, or not shaped as a summary,
 * counts as missing (`unreadable` says why), so the publish record or Glue's state decides.
 * Thrown, it failed the finalize on every retry: the RUN, its files and the dataset's slot stayed
 * RUNNING until the lease ran out, and the reconciler hit the same error on every pass.
 */
async function readRunRecord(deps: HandlerDeps, key: string): Promise<{ record?: RunSummary; unreadable?: string }> {
  let value: unknown;
  try {
    value = await deps.objects.getJson<unknown>(deps.opsBucket, key);
  } catch (err) {
    if (err instanceof SyntaxError) return { unreadable: `not JSON: ${err.message}` };
    throw err; // S3 itself failed: the event is retried
  }
  if (value === undefined) return {};
  const r = value as Partial<RunSummary> | null;
  const shaped = typeof r === "object" && r !== null && (r.status === "SUCCEEDED" || r.status === "FAILED") && Array.isArray(r.files) && typeof r.counts === "object" && r.counts !== null;
  return shaped ? { record: value as RunSummary } : { unreadable: "not a run summary (status, files, counts)" };
}

/** The RUN's error and the RunFailed reason: the runner's verdict first, then Glue's. */
function runFailure(glue: GlueFinal, summary: RunSummary | undefined): { error: string; reason: RunFailureReason } {
  if (summary?.status === "FAILED") return { error: summary.error ?? "run summary reports FAILED", reason: "load_failed" };
  if (glue.state !== "SUCCEEDED") {
    const state = glue.state.toLowerCase() as Lowercase<GlueJobRunState>;
    return { error: `glue_${state}${glue.errorMessage ? `: ${glue.errorMessage}` : ""}`, reason: `glue_${state}` };
  }
  return { error: "summary_missing: the job succeeded but wrote no run summary", reason: "summary_missing" };
}

/** LOADED -> SUCCEEDED, QUARANTINED -> QUARANTINED, ALREADY_LOADED -> SKIPPED; a failed run fails its files. */
export function fileFinal(runStatus: RunItem["status"], result: FileResult | undefined, runError?: string): FileFinal {
  const counts = result && {
    rowsRead: result.rowsRead,
    rowsLoaded: result.rowsLoaded,
    rowsQuarantined: result.rowsQuarantined,
    rowsRejected: result.rowsRejected,
    ...boundedExtraColumns(result.extraColumns),
  };
  if (runStatus !== "SUCCEEDED") return { status: "FAILED", reason: `run_failed: ${runError ?? "unknown"}`, counts };
  if (!result) return { status: "FAILED", reason: "missing_from_summary" };
  switch (result.outcome) {
    case "LOADED":
      return { status: "SUCCEEDED", counts };
    case "QUARANTINED":
      return { status: "QUARANTINED", reason: result.reason ?? "quarantined", counts };
    case "ALREADY_LOADED":
      return { status: "SKIPPED", reason: "already_loaded", note: "this object version was loaded by an earlier run", counts };
    default:
      return { status: "FAILED", reason: `unknown_outcome:${String((result as FileResult).outcome)}`, counts };
  }
}
