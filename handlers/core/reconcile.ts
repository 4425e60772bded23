// reconciler (scheduled): repairs everything an event or a crash can leave behind.
//  1. RUNNING runs whose final state event never came: GetJobRun, finalize if final.
//  2. QUEUED runs (StartJobRun unconfirmed): adopt the Glue run carrying their --run_id, or,
//     once older than staleStartSeconds (no start can still be in flight), fail them.
//  3. Slots held by a finished run, or by a run that was never recorded (crash after taking the
//     slot), are released.
//  4. Landing sweep (landing-sweep.ts): object versions whose event was lost or dead-lettered
//     get their FILE item (PENDING), so step 5 starts their run.
//  5. Datasets with PENDING files and a free slot get a run (retries failed starts too).
//  6. Models whose deployed plan was never requested get a build request; model slots held by a
//     finished (or never recorded) run are released; due models whose upstream models are settled
//     get a build (model-runs.ts), which retries failed starts too.
// Every step is a conditional write, so overlapping reconciler invocations are safe.
import { RUN_ARGS } from "../../engine/contracts";
import type { RunItem } from "../audit/items";
import { GLUE_ERRORS, HandlerDeps, isTerminalGlueState } from "../ports";
import { ageSeconds, staleSlotReason } from "./staleness";
import { describeError } from "./glue-errors";
import { finalizeAnyRun, releaseRunSlot } from "./job-state";
import { reconcileModelSlot, requestDeployedPlans, startReadyModels } from "./model-runs";
import { sweepLanding } from "./landing-sweep";
import { adoptRun, glueTimings } from "./job-state";
import { startRunIfIdle } from "./run-start";
import { publishFollowUp } from "./run-finalize";

export interface ReconcileReport {
  finalized: string[];
  adopted: string[];
  abandoned: string[];
  slotsReleased: string[];
  started: string[];
  /** Models requested because their deployed plan was new. */
  modelsRequested: string[];
  /** runIds of model builds started. */
  modelsStarted: string[];
  /** fileIds the landing sweep filed (object versions no event had filed). */
  swept: string[];
  errors: string[];
}

export async function reconcile(deps: HandlerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { finalized: [], adopted: [], abandoned: [], slotsReleased: [], started: [], modelsRequested: [], modelsStarted: [], swept: [], errors: [] };
  for (const run of await deps.audit.listActiveRuns()) {
    try {
      await reconcileRun(deps, run, report);
    } catch (err) {
      report.errors.push(`${run.runId}: ${describeError(err)}`);
      deps.log.error("reconcile run failed", { dataset: run.dataset, runId: run.runId, error: describeError(err) });
    }
  }
  const sweep = await sweepLanding(deps);
  report.swept.push(...sweep.filed);
  report.errors.push(...sweep.errors);
  for (const spec of deps.specs) {
    try {
      await reconcileDataset(deps, spec.name, report);
    } catch (err) {
      report.errors.push(`${spec.name}: ${describeError(err)}`);
      deps.log.error("reconcile dataset failed", { dataset: spec.name, error: describeError(err) });
    }
  }
  await reconcileModels(deps, report);
  deps.log.info("reconcile done", { ...counts(report), errors: report.errors });
  // Each error is in its own log line too; the metric is what an alarm can watch.
  if (report.errors.length > 0) deps.metrics.reconcileErrors(report.errors.length, { errors: report.errors.slice(0, 10) });
  return report;
}

async function reconcileRun(deps: HandlerDeps, run: RunItem, report: ReconcileReport): Promise<void> {
  const log = deps.log.child({ dataset: run.dataset, runId: run.runId, jobRunId: run.jobRunId });
  if (run.status === "RUNNING" && run.jobRunId) {
    let glueRun;
    try {
      glueRun = await deps.glue.getJobRun(run.jobName, run.jobRunId);
    } catch (err) {
      if ((err as Error).name !== GLUE_ERRORS.entityNotFound) throw err;
      // Glue keeps run history for 90 days; an unknown id means the run is gone for good.
      await finalizeAnyRun(deps, run, { state: "ERROR", errorMessage: "job run not found in Glue" });
      report.finalized.push(run.runId);
      return;
    }
    if (!isTerminalGlueState(glueRun.JobRunState)) return;
    log.warn("final state event missing; finalizing from GetJobRun", { state: glueRun.JobRunState });
    await finalizeAnyRun(deps, run, { state: glueRun.JobRunState, errorMessage: glueRun.ErrorMessage, ...glueTimings(glueRun) });
    report.finalized.push(run.runId);
    return;
  }
  if (run.status !== "QUEUED") return;
  const started = run.jobName ? (await deps.glue.getJobRuns(run.jobName)).find((r) => r.Arguments?.[RUN_ARGS.runId] === run.runId) : undefined;
  if (started) {
    await adoptRun(deps, run, started.Id, started, "reconciler");
    report.adopted.push(run.runId);
    if (isTerminalGlueState(started.JobRunState)) {
      const adopted = await deps.audit.getRun(run.runId);
      if (adopted) await finalizeAnyRun(deps, adopted, { state: started.JobRunState, errorMessage: started.ErrorMessage, ...glueTimings(started) });
      report.finalized.push(run.runId);
    }
    return;
  }
  if (ageSeconds(deps, run.createdAt) < deps.limits.staleStartSeconds) return;
  const moved = await deps.audit.updateRun(run.runId, ["QUEUED"], {
    status: "FAILED",
    error: "start_not_confirmed: no Glue run carries this --run_id",
    finishedAt: new Date(deps.clock.now()).toISOString(),
  });
  if (moved) deps.metrics.runFailed(run.dataset, "start_not_confirmed", { runId: run.runId });
  await releaseRunSlot(deps, run);
  if (moved) {
    log.warn("unconfirmed start abandoned; its files stay PENDING");
    report.abandoned.push(run.runId);
  }
}

async function reconcileDataset(deps: HandlerDeps, dataset: string, report: ReconcileReport): Promise<void> {
  const slot = await deps.audit.getSlot(dataset);
  let finishing = slot?.finishPublishOf;
  if (slot?.activeRunId) {
    const stale = await staleSlotReason(deps, { activeRunId: slot.activeRunId, takenAt: slot.takenAt });
    // A finished run's release carries what finalize would have recorded: the crash came between
    // its RUN write and its release, and a publish it cut short must still be finished.
    const followUp = stale?.run ? publishFollowUp(stale.run, stale.run.status, stale.run.glueState ?? "") : undefined;
    if (stale && (await deps.audit.releaseSlot(dataset, slot.activeRunId, followUp))) {
      deps.log.warn("run slot released", { dataset, runId: slot.activeRunId, why: stale.why });
      report.slotsReleased.push(dataset);
      if (followUp !== undefined) finishing = followUp ?? undefined;
    }
  }
  // startRunIfIdle reads the slot again before it starts a run without files.
  if ((await deps.audit.listPendingFiles(dataset, 1)).length === 0 && !finishing) return;
  const outcome = await startRunIfIdle(deps, dataset);
  if (outcome.started) report.started.push(outcome.runId);
}

/** Step 6: model slots of finished runs, then the builds that are due. */
async function reconcileModels(deps: HandlerDeps, report: ReconcileReport): Promise<void> {
  try {
    report.modelsRequested.push(...(await requestDeployedPlans(deps)));
  } catch (err) {
    report.errors.push(`models: ${describeError(err)}`);
    deps.log.error("requesting deployed model plans failed", { error: describeError(err) });
  }
  for (const model of Object.keys(deps.modelGraph)) {
    try {
      if (await reconcileModelSlot(deps, model)) report.slotsReleased.push(model);
    } catch (err) {
      report.errors.push(`${model}: ${describeError(err)}`);
      deps.log.error("reconcile model failed", { model, error: describeError(err) });
    }
  }
  try {
    for (const start of await startReadyModels(deps)) if (start.started) report.modelsStarted.push(start.runId);
  } catch (err) {
    report.errors.push(`models: ${describeError(err)}`);
    deps.log.error("starting model builds failed", { error: describeError(err) });
  }
}

function counts(r: ReconcileReport): Record<string, number> {
  return {
    finalized: r.finalized.length,
    adopted: r.adopted.length,
    abandoned: r.abandoned.length,
    slotsReleased: r.slotsReleased.length,
    started: r.started.length,
    modelsRequested: r.modelsRequested.length,
    modelsStarted: r.modelsStarted.length,
    swept: r.swept.length,
  };
}
