// Semantic model builds on AWS (ARCHITECTURE "Semantic layer", Orchestration), driven by the same
// handlers as loads instead of a Step Functions workflow: a load's finalization is where we learn
// that its dataset published, and the RUN items, slots, conditional writes and reconciler that
// make loads exactly-once already exist here. A workflow would add a second state store to keep
// in step with the audit table, and could not coalesce builds across loads of several datasets.
//
//  request   a load run finalized SUCCEEDED -> every model whose inputs it changed gets one more
//            build request (ModelState.requested, an atomic counter: never lost, even while a
//            build of that model runs). The reconciler also requests each model whose deployed
//            plan (ModelNode.plan) it has not requested yet: the first deploy builds the star, and
//            an edited model (dim_date reads no dataset) is rebuilt after `pulumi up`.
//  start     a model with requested > handled, a free slot, and no model it reads (ModelNode.after)
//            due or building: take its slot, record the RUN (QUEUED, model: true, covers = the
//            request count its upstream models were checked against), StartJobRun(--run_id),
//            RUN -> RUNNING. Dimensions thus build before the facts that read them, and a fact
//            reads only published dimensions.
//  finalize  the job's summary (summaries/semantic/<model>/<runId>.json) decides SUCCEEDED or FAILED;
//            handled := covers (a failed build is not retried in a loop: it alarms through
//            RunFailed, and the next load of its inputs requests it again); slot released; then
//            whatever became ready starts. Requests that came in while it ran start one more build.
// A build that could not start (throttled, unconfirmed) leaves its requests due: the reconciler
// starts it again. Every step is a conditional write, so duplicate events and overlapping
// reconciler runs are no-ops.
import { ModelRunSummary, RUN_ARGS, modelSummaryKey } from "../../engine/contracts";
import type { ModelState, RunItem } from "../audit/items";
import { GlueJobRunState, HandlerDeps, RunFailureReason } from "../ports";
import { staleSlotReason } from "./staleness";
import { describeError } from "./glue-errors";
import type { GlueFinal } from "./run-finalize";
import { boundedAudits, clipText } from "./run-fields";
import { StartOutcome, launch } from "./run-start";

/** The models a published load of `dataset` makes due. */
export function modelsOn(deps: HandlerDeps, dataset: string): string[] {
  // In build order: a dimension's request is written before its facts' (startReadyModels relies on it).
  return buildOrder(deps).filter((m) => deps.modelGraph[m].on.includes(dataset));
}

/** One more build of every model a published load of `dataset` affects. Returns their names. */
export async function requestModels(deps: HandlerDeps, dataset: string, byRunId: string): Promise<string[]> {
  const models = modelsOn(deps, dataset);
  const at = new Date(deps.clock.now()).toISOString();
  for (const model of models) await deps.audit.models.request(model, byRunId, at);
  if (models.length > 0) deps.log.info("model builds requested", { dataset, runId: byRunId, models });
  return models;
}

/**
 * One build of every model whose deployed plan has not been built yet (first deploy, or an edit:
 * dim_date reads no dataset, so nothing else would ever build it). Returns their names.
 */
export async function requestDeployedPlans(deps: HandlerDeps): Promise<string[]> {
  const at = new Date(deps.clock.now()).toISOString();
  const requested: string[] = [];
  // In build order, as modelsOn: dimensions are requested before their facts.
  for (const model of buildOrder(deps)) {
    if (await deps.audit.models.requestForPlan(model, deps.modelGraph[model].plan, at)) requested.push(model);
  }
  if (requested.length > 0) deps.log.info("model builds requested for deployed plans", { models: requested });
  return requested;
}

export type ModelStart = { model: string } & StartOutcome;

/** Starts every due model whose slot is free and whose upstream models are settled. */
export async function startReadyModels(deps: HandlerDeps): Promise<ModelStart[]> {
  const names = buildOrder(deps);
  if (names.length === 0) return [];
  const states = new Map<string, ModelState | undefined>();
  // Facts before the dimensions they read: requests are written dimensions first (modelsOn), so a
  // request a fact is seen with is seen on its dimensions too, and the fact waits for them. Read
  // the other way, a load finalized between the two reads made the fact due while its dimension
  // looked settled: the fact built on the old dimension, and its requests were answered.
  for (const name of [...names].reverse()) states.set(name, await deps.audit.models.get(name));
  const due = (s: ModelState | undefined) => s !== undefined && s.requested > (s.handled ?? 0);
  const busy = (name: string) => due(states.get(name)) || states.get(name)?.activeRunId !== undefined;
  const out: ModelStart[] = [];
  for (const name of names) {
    const state = states.get(name);
    if (!due(state) || state!.activeRunId !== undefined) continue;
    const waitingFor = deps.modelGraph[name].after.filter((upstream) => deps.modelGraph[upstream] && busy(upstream));
    if (waitingFor.length > 0) {
      deps.log.debug("model waits for the models it reads", { model: name, waitingFor });
      continue;
    }
    const outcome = await startModelRun(deps, name, state!.requested);
    out.push({ model: name, ...outcome });
  }
  return out;
}

/**
 * Takes the model's slot (only if a build is due) and starts its job. `seen` is the request count
 * its upstream models were checked against: the run answers no later request (one made after the
 * check may come with a dimension build this run does not wait for), so those build again.
 */
export async function startModelRun(deps: HandlerDeps, model: string, seen?: number): Promise<StartOutcome> {
  const node = deps.modelGraph[model];
  const runId = deps.newRunId();
  const log = deps.log.child({ model, runId });
  const taken = await deps.audit.models.takeSlot(model, runId, deps.clock.now(), deps.limits.slotLeaseSeconds * 1000);
  if (taken === undefined) return { started: false, reason: "slot_held" };
  const covers = seen === undefined ? taken : Math.min(taken, seen);
  const release = () => deps.audit.models.releaseSlot(model, runId);
  try {
    const createdAt = new Date(deps.clock.now()).toISOString();
    await deps.audit.putRun({ kind: "RUN", runId, dataset: model, jobName: node.job, model: true, covers, status: "QUEUED", createdAt });
  } catch (err) {
    // No RUN, no job run: give the slot back now; the requests stay due.
    await release().catch(() => undefined);
    log.error("model run not recorded; slot released", { error: describeError(err) });
    throw err;
  }
  return launch(deps, log, {
    dataset: model,
    runId,
    jobName: node.job,
    args: { [RUN_ARGS.runId]: runId },
    files: [],
    release,
    beforeReject: () => deps.audit.models.markHandled(model, covers),
  });
}

/**
 * Finalizes a model run from its summary and Glue's final state, marks its requests answered, and
 * frees its slot. Re-running it (duplicate event, reconciler) is a no-op.
 */
export async function finalizeModelRun(deps: HandlerDeps, run: RunItem, glue: GlueFinal): Promise<{ finalized: boolean; status: RunItem["status"] }> {
  const model = run.dataset;
  const log = deps.log.child({ model, runId: run.runId, jobRunId: run.jobRunId });
  if (run.status === "SUCCEEDED" || run.status === "FAILED") {
    await deps.audit.models.releaseSlot(model, run.runId);
    return { finalized: false, status: run.status };
  }
  const summary = await deps.objects.getJson<ModelRunSummary>(deps.opsBucket, modelSummaryKey(model, run.runId));
  const verdict = modelVerdict(summary, glue);
  // Before the RUN write: a crash in between is repaired by finalizing again (markHandled only moves forward).
  if (run.covers !== undefined) await deps.audit.models.markHandled(model, run.covers);
  const moved = await deps.audit.updateRun(run.runId, ["QUEUED", "RUNNING"], {
    status: verdict.status,
    finishedAt: glue.completedOn ?? new Date(deps.clock.now()).toISOString(),
    glueState: glue.state,
    error: clipText(verdict.failure?.error),
    note: clipText(verdict.note),
    executionSeconds: glue.executionSeconds,
    dpuSeconds: glue.dpuSeconds,
    audits: boundedAudits(summary?.audits),
    rows: summary?.rows,
    version: summary?.version,
  });
  if (moved && verdict.failure) deps.metrics.runFailed(model, verdict.failure.reason, { runId: run.runId, jobRunId: run.jobRunId });
  await deps.audit.models.releaseSlot(model, run.runId);
  log[verdict.status === "SUCCEEDED" ? "info" : "error"]("model run finalized", { status: verdict.status, glueState: glue.state, error: verdict.failure?.error, version: summary?.version });
  return { finalized: moved, status: verdict.status };
}

interface ModelVerdict {
  status: RunItem["status"];
  failure?: { error: string; reason: RunFailureReason };
  note?: string;
}

/** The model job's own summary decides (it is written after the publish); Glue's state explains a run without one. */
export function modelVerdict(summary: ModelRunSummary | undefined, glue: GlueFinal): ModelVerdict {
  const state = glue.state.toLowerCase() as Lowercase<GlueJobRunState>;
  if (summary?.status === "SUCCEEDED") {
    return { status: "SUCCEEDED", note: glue.state === "SUCCEEDED" ? undefined : `glue_${state} after the summary was written` };
  }
  if (summary) return { status: "FAILED", failure: { error: summary.error ?? "the model build published nothing", reason: "build_failed" } };
  if (glue.state !== "SUCCEEDED") {
    return { status: "FAILED", failure: { error: `glue_${state}${glue.errorMessage ? `: ${glue.errorMessage}` : ""}`, reason: `glue_${state}` } };
  }
  return { status: "FAILED", failure: { error: "summary_missing: the model job succeeded but wrote no summary", reason: "summary_missing" } };
}

/** Frees a model's slot held by a finished run, or by a run never recorded (crash after the take). */
export async function reconcileModelSlot(deps: HandlerDeps, model: string): Promise<boolean> {
  const state = await deps.audit.models.get(model);
  if (!state?.activeRunId) return false;
  const stale = await staleSlotReason(deps, { activeRunId: state.activeRunId, takenAt: state.takenAt });
  if (!stale) return false;
  const released = await deps.audit.models.releaseSlot(model, state.activeRunId);
  if (released) deps.log.warn("model slot released", { model, runId: state.activeRunId, why: stale.why });
  return released;
}

/** The graph's models, every model after the models it reads (the Pulumi program refused cycles). */
function buildOrder(deps: HandlerDeps): string[] {
  const graph = deps.modelGraph;
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name) || !graph[name]) return;
    if (path.includes(name)) throw new Error(`models read each other in a cycle: ${[...path, name].join(" -> ")}`);
    for (const upstream of graph[name].after) visit(upstream, [...path, name]);
    order.push(name);
  };
  for (const name of Object.keys(graph).sort()) visit(name, []);
  return order;
}
