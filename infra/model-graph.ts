// The handlers' view of the semantic models (handlers/ports.ts ModelGraph): per model its Glue
// job, the datasets whose published loads make it due, and the models it reads. Computed here
// from the specs with the same functions local mode uses (engine/models/order.ts), so both
// orchestrations rebuild the same models after a load, and passed to the Lambdas as MODEL_GRAPH.
import { createHash } from "crypto";
import type { DatasetSpec } from "../datasets/define";
import { buildOrder, modelDependencies, modelsAffectedBy } from "../engine/models/order";
import type { ModelGraph } from "../handlers/ports";
import type { ModelSpec } from "../models/define";

/** Lambda environment variables share 4 KB; the graph must leave room for the others. */
export const MODEL_GRAPH_MAX_BYTES = 3072;

/**
 * `planOf` gives each model's deployed plan artifact (the JSON its Glue job reads): its hash makes
 * the reconciler build a model once after a deploy that changed it.
 */
export function modelGraph(
  models: readonly ModelSpec[],
  datasets: readonly DatasetSpec[],
  jobNames: Record<string, string>,
  planOf: (spec: ModelSpec) => unknown,
): ModelGraph {
  const graph: ModelGraph = {};
  // buildOrder refuses a cycle with one clear line, before any Lambda could meet it.
  for (const spec of buildOrder(models)) {
    const job = jobNames[spec.name];
    if (!job) throw new Error(`model ${spec.name} has no Glue job name`);
    const on = datasets.filter((d) => modelsAffectedBy([d.name], models).some((m) => m.name === spec.name)).map((d) => d.name);
    const plan = createHash("sha256").update(JSON.stringify(planOf(spec))).digest("hex").slice(0, 16);
    graph[spec.name] = { job, on, after: modelDependencies(spec, models), plan };
  }
  const bytes = Buffer.byteLength(JSON.stringify(graph));
  if (bytes > MODEL_GRAPH_MAX_BYTES) {
    throw new Error(`the model graph for the handlers is ${bytes} bytes, over the ${MODEL_GRAPH_MAX_BYTES} that fit in the Lambda environment (4 KB in all): shorten the stack prefix or the model names`);
  }
  return graph;
}
