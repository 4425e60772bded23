// Model compilers: a model spec (models/define.ts) -> a ModelPlan (plan.ts) per dialect. One
// switch on the model's kind; executors (engine/duckdb/build-models.ts, the Glue runner) call
// compileModel and never a kind's compiler directly.
import type { DatasetSpec } from "../../datasets/define";
import type { ModelSpec } from "../../models/define";
import type { Dialect } from "../plan";
import { compileDateDimension } from "./date-dimension";
import { compileDimension } from "./dimension";
import { compileFact } from "./fact";
import type { ModelPlan } from "./plan";
import { withSources } from "./source-specs";

export interface ModelCompileContext {
  dialect: Dialect;
  /** The dataset registry the model's sources and lookups name. */
  datasets: readonly DatasetSpec[];
  /** The model registry (a fact reads its dimensions' and the date dimension's specs). */
  models: readonly ModelSpec[];
}

export function compileModel(spec: ModelSpec, ctx: ModelCompileContext): ModelPlan {
  return withSources(compileKind(spec, ctx), ctx.datasets);
}

function compileKind(spec: ModelSpec, ctx: ModelCompileContext): ModelPlan {
  switch (spec.kind) {
    case "date":
      return compileDateDimension(spec, { dialect: ctx.dialect });
    case "dimension": {
      const dataset = ctx.datasets.find((d) => d.name === spec.source);
      if (!dataset) throw new Error(`model ${spec.name}: source dataset ${spec.source} is not declared`);
      return compileDimension(spec, dataset, { dialect: ctx.dialect, datasets: ctx.datasets, models: ctx.models });
    }
    case "fact":
      return compileFact(spec, ctx);
  }
}

export * from "./plan";
export { buildOrder, modelDependencies, modelsAffectedBy } from "./order";
