// job-state: "Glue Job State Change" -> finalize the RUN and its files -> release the slot ->
// start the next run if files are pending -> start the model builds that became due or ready
// (model-runs.ts; a model job's event finalizes its build the same way). Glue sends these events
// best effort, so everything here is also done by the reconciler; a duplicate or late event is a no-op.
// https://docs.aws.amazon.com/glue/latest/dg/automating-awsglue-with-cloudwatch-events.html
import { RUN_ARGS } from "../../engine/contracts";
import type { RunItem } from "../audit/items";
import { GlueJobRun, HandlerDeps, isTerminalGlueState } from "../ports";
import { describeError } from "./glue-errors";
import { ModelStart, finalizeModelRun, startReadyModels } from "./model-runs";
import { FinalizeOutcome, GlueFinal, finalizeRun } from "./run-finalize";
import { StartOutcome, recordStarted, startRunIfIdle } from "./run-start";
import type { Manifest } from "../../engine/contracts";
import { manifestKey } from "../../engine/contracts";

export interface JobStateChange {
  jobName: string;
  jobRunId: string;
  state: string;
  message?: string;
}

export type JobStateResult =
  | { outcome: "REJECTED" | "IGNORED"; reason: string }
  | { outcome: "UNKNOWN_RUN"; jobRunId: string }
  | { outcome: "FINALIZED"; runId: string; finalize: Pick<FinalizeOutcome, "finalized" | "status">; next?: StartOutcome; models: ModelStart[] };

export function parseJobStateChange(event: unknown): { ok: true; value: JobStateChange } | { ok: false; reason: string } {
  const e = event as Record<string, any> | null;
  if (typeof e !== "object" || e === null) return { ok: false, reason: "event is not an object" };
  if (e.source !== "aws.glue" || e["detail-type"] !== "Glue Job State Change") {
    return { ok: false, reason: `not a Glue Job State Change (source ${e.source}, detail-type ${e["detail-type"]})` };
  }
  const d = e.detail ?? {};
  for (const field of ["jobName", "jobRunId", "state"]) {
    if (typeof d[field] !== "string" || d[field] === "") return { ok: false, reason: `detail.${field} is missing` };
  }
  return { ok: true, value: { jobName: d.jobName, jobRunId: d.jobRunId, state: d.state, message: d.message } };
}

export async function handleJobStateChange(deps: HandlerDeps, event: unknown): Promise<JobStateResult> {
  const parsed = parseJobStateChange(event);
  if (!parsed.ok) {
    deps.log.error("malformed job state event; dropped", { reason: parsed.reason });
    return { outcome: "REJECTED", reason: parsed.reason };
  }
  const ev = parsed.value;
  const dataset = Object.keys(deps.jobNames).find((d) => deps.jobNames[d] === ev.jobName);
  const model = Object.keys(deps.modelGraph).find((m) => deps.modelGraph[m].job === ev.jobName);
  if (!dataset && !model) return { outcome: "IGNORED", reason: `job ${ev.jobName} is neither a dataset's nor a model's job` };
  const log = deps.log.child({ ...(dataset ? { dataset } : { model }), jobRunId: ev.jobRunId });
  if (!isTerminalGlueState(ev.state)) {
    log.debug("non-final state ignored", { state: ev.state });
    return { outcome: "IGNORED", reason: `state ${ev.state} is not final` };
  }
  // Timings and --run_id come from Glue's record of the run (best effort: the event is enough).
  const glueRun = await deps.glue.getJobRun(ev.jobName, ev.jobRunId).catch((err) => {
    log.warn("GetJobRun failed; finalizing from the event alone", { error: describeError(err) });
    return undefined;
  });
  const run = await findRun(deps, ev.jobRunId, glueRun);
  if (!run) {
    log.warn("state change for a run with no RUN item; left to the reconciler", { state: ev.state });
    return { outcome: "UNKNOWN_RUN", jobRunId: ev.jobRunId };
  }
  const finalize = await finalizeAnyRun(deps, run, {
    state: ev.state,
    errorMessage: ev.message && ev.state !== "SUCCEEDED" ? ev.message : glueRun?.ErrorMessage,
    ...glueTimings(glueRun),
  });
  const next = dataset ? await startRunIfIdle(deps, dataset) : undefined;
  const models = await startReadyModels(deps);
  return { outcome: "FINALIZED", runId: run.runId, finalize, next, models };
}

/** Finalizes a load run (run-finalize.ts) or a model build (model-runs.ts). */
export async function finalizeAnyRun(deps: HandlerDeps, run: RunItem, glue: GlueFinal): Promise<Pick<FinalizeOutcome, "finalized" | "status">> {
  return run.model ? finalizeModelRun(deps, run, glue) : finalizeRun(deps, run, glue);
}

/** Frees the slot a run holds: its dataset's, or its model's. */
export async function releaseRunSlot(deps: HandlerDeps, run: RunItem): Promise<boolean> {
  return run.model ? deps.audit.models.releaseSlot(run.dataset, run.runId) : deps.audit.releaseSlot(run.dataset, run.runId);
}

/**
 * The RUN of a job run: by jobRunId, else by the run's --run_id argument (StartJobRun succeeded
 * but the RUN update never happened: adopt it here), unless the RUN records another job run.
 */
export async function findRun(deps: HandlerDeps, jobRunId: string, glueRun: GlueJobRun | undefined): Promise<RunItem | undefined> {
  const byJobRun = await deps.audit.getRunByJobRunId(jobRunId);
  if (byJobRun) return byJobRun;
  const runId = glueRun?.Arguments?.[RUN_ARGS.runId];
  if (!runId) return undefined;
  const run = await deps.audit.getRun(runId);
  // Another Glue run of the same run id (StartJobRun sent twice, the first answer lost) is not
  // this RUN's: its FAILED event would have failed the RUN and its files while the recorded job
  // run went on to publish (a run that published is never FAILED).
  if (run?.jobRunId !== undefined && run.jobRunId !== jobRunId) {
    deps.log.warn("state change of another job run of this run id; the recorded job run decides", { runId, recorded: run.jobRunId });
    return undefined;
  }
  if (!run || run.status !== "QUEUED") return run;
  await adoptRun(deps, run, jobRunId, glueRun, "job-state");
  return deps.audit.getRun(runId);
}

/** Records a started run that the starter never recorded (crash or throttle after StartJobRun). */
export async function adoptRun(deps: HandlerDeps, run: RunItem, jobRunId: string, glueRun: GlueJobRun | undefined, by: string): Promise<void> {
  // A model build has no manifest (it reads published tables, not files).
  const manifest = run.model ? undefined : await deps.objects.getJson<Manifest>(deps.opsBucket, manifestKey(run.dataset, run.runId));
  await recordStarted(deps, run.runId, jobRunId, manifest?.files ?? [], {
    adoptedBy: by,
    startedAt: glueRun?.StartedOn ? new Date(glueRun.StartedOn).toISOString() : undefined,
  });
  deps.log.info("run adopted by --run_id", { dataset: run.dataset, runId: run.runId, jobRunId, by });
}

export function glueTimings(glueRun: GlueJobRun | undefined): { executionSeconds?: number; dpuSeconds?: number; completedOn?: string } {
  if (!glueRun) return {};
  const dpuSeconds = glueRun.DPUSeconds ?? (glueRun.ExecutionTime !== undefined && glueRun.MaxCapacity !== undefined ? glueRun.ExecutionTime * glueRun.MaxCapacity : undefined);
  return {
    executionSeconds: glueRun.ExecutionTime,
    dpuSeconds,
    completedOn: glueRun.CompletedOn ? new Date(glueRun.CompletedOn).toISOString() : undefined,
  };
}
