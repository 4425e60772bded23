// buildModels: a build of semantic models in a local workspace, in dependency order (engine/models/
// order.ts), each model write-audit-published on its own (build-model.ts). A model that fails
// does not stop the build: the models reading it build against its last published version (a
// fact is skipped only when a model it reads has never published). Call holding the workspace
// lock, like a load (local/cli-workspace-audit.ts lockWorkspace).
import * as fs from "node:fs";
import * as path from "node:path";
import { DATASETS } from "../../datasets";
import type { DatasetSpec } from "../../datasets/define";
import type { ModelSpec } from "../../models/define";
import type { AuditResult } from "../contracts";
import type { Dialect } from "../plan";
import { compileModel, type ModelCompileContext } from "../models";
import { buildOrder, modelDependencies, modelsAffectedBy } from "../models/order";
import type { ModelPlan } from "../models/plan";
import { buildModel, newBuildRunId, publishedModelVersion, type ModelBuildResult } from "./build-model";
import { owedModels, settleModels } from "./models-owed";
import { openSessionPool, type SessionPool } from "./session";
import { duckdbTempDir } from "./workspace";

/**
 * What runs one model's plan: DuckDB in-process (the default), or the Glue model job on local
 * Spark (engine/spark/build-models.ts). Either publishes per table and reports a ModelBuildResult.
 */
export interface ModelExecutor {
  dialect: Dialect;
  /** The model's published version, or null when it never published. */
  published(model: string): Promise<string | null>;
  build(plan: ModelPlan, options: { datasets: readonly DatasetSpec[]; fullRefresh: boolean; runId: string }): Promise<ModelBuildResult>;
  /** Runs `work`, a build of several models, with what their builds share (absent: nothing). */
  buildTogether?<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * The builds of one buildModels call share a DuckDB instance, each on its own connection. A
 * failed build gets the next one a fresh instance: a fatal DuckDB error (out of memory inside an
 * operator, an internal error) leaves the instance unusable, and one model's failure must not
 * fail the models after it.
 */
export function duckdbModelExecutor(workspace: string): ModelExecutor {
  let shared: { sessions: SessionPool; spill: string } | undefined;
  return {
    dialect: "duckdb",
    published: async (model) => publishedModelVersion(workspace, model),
    async build(plan, options) {
      const result = await buildModel(workspace, plan, { ...options, sessions: shared?.sessions });
      if (shared && result.status !== "SUCCEEDED") {
        shared.sessions.close();
        shared.sessions = await openSessionPool({ tempDirectory: shared.spill });
      }
      return result;
    },
    async buildTogether(work) {
      if (shared) return work();
      const spill = path.join(duckdbTempDir(workspace), newBuildRunId());
      shared = { sessions: await openSessionPool({ tempDirectory: spill }), spill };
      try {
        return await work();
      } finally {
        shared.sessions.close();
        shared = undefined;
        fs.rmSync(spill, { recursive: true, force: true });
      }
    },
  };
}

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
  /** Incremental models (docs/models.md "Incremental builds"): on the previous version, or whole, and why. */
  mode?: "incremental" | "full";
  modeReason?: string;
  /** Rows the build recomputed (an incremental build: the touched keys' rows; whole: every row). */
  recomputed?: number | null;
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
  /** Aborted (Ctrl-C): no model starts after it; the one building finishes (write-audit-publish). */
  stop?: AbortSignal;
  /** @default duckdbModelExecutor(workspace) */
  executor?: ModelExecutor;
}

/** `models`: the registry (MODELS); `options` choose which of them run. */
export async function buildModels(workspace: string, models: readonly ModelSpec[], options: BuildModelsOptions = {}): Promise<ModelSummary[]> {
  const datasets = options.datasets ?? DATASETS;
  const compile = options.compile ?? compileModel;
  const executor = options.executor ?? duckdbModelExecutor(workspace);
  const order = options.changed ? await withUnpublishedInputs(executor, modelsAffectedBy(options.changed, models), models) : buildOrder(models, options.select);
  // The debts this build covers (models-owed.ts): the changed datasets', or every one when it
  // builds every model. Read now: a load publishing while it runs owes another build.
  const owed = [...owedModels(workspace)].filter(([dataset]) => (options.changed ? options.changed.includes(dataset) : options.select === undefined));
  const summaries: ModelSummary[] = [];
  const together = executor.buildTogether?.bind(executor) ?? (<T>(work: () => Promise<T>) => work());
  await together(async () => {
    for (const spec of order) {
      if (options.stop?.aborted) break;
      options.onStart?.(spec);
      const summary = await buildOne(executor, spec, { dialect: executor.dialect, datasets, models }, compile, options.fullRefresh === true);
      summaries.push(summary);
      options.onModel?.(summary);
    }
  });
  // A failed build leaves the debt: the next load builds those models again even when it
  // publishes nothing (a model never built is no better than one never requested).
  // A stopped build leaves it too: the models after the stop were not built.
  if (!options.stop?.aborted && summaries.every((s) => s.status !== "failed")) settleModels(workspace, new Map(owed));
  return summaries;
}

/**
 * A load's models plus the models they read that have never published and read no dataset (the
 * date dimension): no load ever "changes" dim_date, so without this its facts would wait forever.
 */
async function withUnpublishedInputs(executor: ModelExecutor, affected: ModelSpec[], models: readonly ModelSpec[]): Promise<ModelSpec[]> {
  const names = new Set(affected.map((m) => m.name));
  const missing: ModelSpec[] = [];
  for (const m of models) {
    if (m.kind !== "date" || names.has(m.name) || !affected.some((a) => modelDependencies(a, models).includes(m.name))) continue;
    if ((await executor.published(m.name)) === null) missing.push(m);
  }
  return missing.length === 0 ? affected : buildOrder([...missing, ...affected]);
}

async function buildOne(
  executor: ModelExecutor,
  spec: ModelSpec,
  ctx: ModelCompileContext,
  compile: NonNullable<BuildModelsOptions["compile"]>,
  fullRefresh: boolean,
): Promise<ModelSummary> {
  const runId = newBuildRunId();
  const startedAt = new Date().toISOString();
  const base = { model: spec.name, kind: spec.kind, runId, startedAt, finishedAt: startedAt, rows: null, audits: [], durationMs: 0, version: await executor.published(spec.name) };
  const t0 = Date.now();
  const ended = () => ({ durationMs: Date.now() - t0, finishedAt: new Date().toISOString() });
  let plan: ModelPlan;
  try {
    plan = compile(spec, ctx);
  } catch (e) {
    return { ...base, status: "failed", error: (e as Error).message.split("\n")[0], ...ended() };
  }
  const unpublished: ModelPlan["inputs"] = [];
  for (const i of plan.inputs) if (i.zone === "semantic" && i.model !== spec.name && (await executor.published(i.model)) === null) unpublished.push(i);
  if (unpublished.length > 0) {
    const names = unpublished.map((i) => (i.zone === "semantic" ? i.model : "")).join(", ");
    return { ...base, status: "skipped", error: `${names} never published`, ...ended() };
  }
  const r = await executor.build(plan, { datasets: ctx.datasets, fullRefresh, runId });
  return {
    ...base,
    status: r.status === "SUCCEEDED" ? "built" : "failed",
    rows: r.rows,
    audits: r.audits,
    ...ended(),
    version: r.currentVersion,
    ...(r.error ? { error: r.error } : {}),
    ...(r.mode ? { mode: r.mode, ...(r.modeReason ? { modeReason: r.modeReason } : {}), recomputed: r.recomputedRows ?? null } : {}),
  };
}
