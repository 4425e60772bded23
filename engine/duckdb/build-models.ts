// buildModels: a build of semantic models in a local workspace, in dependency order (engine/models/
// order.ts), each model write-audit-published on its own (build-model.ts). A model that fails
// does not stop the build: the models reading it build against its last published version (a
// fact is skipped only when a model it reads has never published). Call holding the workspace
// lock, like a load (local/cli-workspace-audit.ts lockWorkspace).
import { DATASETS } from "../../datasets";
import type { DatasetSpec } from "../../datasets/define";
import type { ModelSpec } from "../../models/define";
import type { AuditResult } from "../contracts";
import { compileModel, type ModelCompileContext } from "../models";
import { buildOrder, modelDependencies, modelsAffectedBy } from "../models/order";
import type { ModelPlan } from "../models/plan";
import { buildModel, newBuildRunId, publishedModelVersion } from "./build-model";

export interface ModelSummary {
  model: string;
  kind: ModelSpec["kind"];
  status: "built" | "failed" | "skipped";
  runId: string;
  startedAt: string;
  finishedAt: string;
  rows: number | null;
  audits: AuditResult[];
  durationMs: number;
  /** The model's current version after the build (the last published one when this build failed). */
  version: string | null;
  /** Why it failed or was skipped (one line). */
  error?: string;
}

export interface BuildModelsOptions {
  /** Build this model only. */
  select?: string;
  /** Build only the models a load of these datasets changed the inputs of. */
  changed?: readonly string[];
  fullRefresh?: boolean;
  /** @default DATASETS */
  datasets?: readonly DatasetSpec[];
  /** @default compileModel (tests pass hand-written plans) */
  compile?: (spec: ModelSpec, ctx: ModelCompileContext) => ModelPlan;
  /** Called as each model starts and ends (progress lines). */
  onStart?: (spec: ModelSpec) => void;
  onModel?: (summary: ModelSummary) => void;
}

/** `models`: the registry (MODELS); `options` choose which of them run. */
export async function buildModels(workspace: string, models: readonly ModelSpec[], options: BuildModelsOptions = {}): Promise<ModelSummary[]> {
  const datasets = options.datasets ?? DATASETS;
  const compile = options.compile ?? compileModel;
  const order = options.changed ? withUnpublishedInputs(workspace, modelsAffectedBy(options.changed, models), models) : buildOrder(models, options.select);
  const summaries: ModelSummary[] = [];
  for (const spec of order) {
    options.onStart?.(spec);
    const summary = await buildOne(workspace, spec, { dialect: "duckdb", datasets, models }, compile, options.fullRefresh === true);
    summaries.push(summary);
    options.onModel?.(summary);
  }
  return summaries;
}

/**
 * A load's models plus the models they read that have never published and read no dataset (the
 * date dimension): no load ever "changes" dim_date, so without this its facts would wait forever.
 */
function withUnpublishedInputs(workspace: string, affected: ModelSpec[], models: readonly ModelSpec[]): ModelSpec[] {
  const names = new Set(affected.map((m) => m.name));
  const missing = models.filter(
    (m) => m.kind === "date" && !names.has(m.name) && publishedModelVersion(workspace, m.name) === null && affected.some((a) => modelDependencies(a, models).includes(m.name)),
  );
  return missing.length === 0 ? affected : buildOrder([...missing, ...affected]);
}

async function buildOne(
  workspace: string,
  spec: ModelSpec,
  ctx: ModelCompileContext,
  compile: NonNullable<BuildModelsOptions["compile"]>,
  fullRefresh: boolean,
): Promise<ModelSummary> {
  const runId = newBuildRunId();
  const startedAt = new Date().toISOString();
  const base = { model: spec.name, kind: spec.kind, runId, startedAt, finishedAt: startedAt, rows: null, audits: [], durationMs: 0, version: publishedModelVersion(workspace, spec.name) };
  const t0 = Date.now();
  const ended = () => ({ durationMs: Date.now() - t0, finishedAt: new Date().toISOString() });
  let plan: ModelPlan;
  try {
    plan = compile(spec, ctx);
  } catch (e) {
    return { ...base, status: "failed", error: (e as Error).message.split("\n")[0], ...ended() };
  }
  const unpublished = plan.inputs.filter((i) => i.zone === "semantic" && i.model !== spec.name && publishedModelVersion(workspace, i.model) === null);
  if (unpublished.length > 0) {
    const names = unpublished.map((i) => (i.zone === "semantic" ? i.model : "")).join(", ");
    return { ...base, status: "skipped", error: `${names} never published`, ...ended() };
  }
  const r = await buildModel(workspace, plan, { datasets: ctx.datasets, fullRefresh, runId });
  return {
    ...base,
    status: r.status === "SUCCEEDED" ? "built" : "failed",
    rows: r.rows,
    audits: r.audits,
    ...ended(),
    version: r.currentVersion,
    ...(r.error ? { error: r.error } : {}),
  };
}
