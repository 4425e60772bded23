// The model job's plan artifact (glue-scripts/datalake_glue/model_plan.py): a model's ModelPlan
// compiled for Spark, plus the Iceberg table and columns of every bronze / files / silver input.
// A dataset's silver table is named by its spec (target.table), not after the dataset, and the
// runner has no dataset specs: the artifact carries the names. Both the local build
// (build-model.ts) and the Pulumi program upload exactly this JSON for `--plan_uri`.
import { tableDefs } from "../compile";
import type { DatasetSpec } from "../../datasets/define";
import type { ModelSpec } from "../../models/define";
import { compileModel } from "../models";
import { modelPlanFingerprint } from "../models/fingerprint";
import type { ModelPlan } from "../models/plan";
import type { PlanColumn } from "../plan";

export interface ModelArtifactTable {
  name: string;
  columns: PlanColumn[];
}

export interface SparkModelArtifact extends ModelPlan {
  /** relation -> table, for every input of zone bronze, files or silver. */
  tables: Record<string, ModelArtifactTable>;
  /**
   * dataset -> its files-ledger table, for every dataset those inputs read: a load marks it while
   * it publishes, and the job reads no dataset mid-publish (glue-scripts/datalake_glue/model_pin.py).
   */
  ledgers: Record<string, string>;
  /** modelPlanFingerprint of the plan: the job keeps it with each published snapshot's state. */
  fingerprint: string;
}

/** The artifact of an already compiled spark plan. */
export function modelArtifact(plan: ModelPlan, datasets: readonly DatasetSpec[]): SparkModelArtifact {
  if (plan.dialect !== "spark") throw new Error(`model ${plan.model}: the Glue job runs spark plans, got a ${plan.dialect} plan`);
  const tables: Record<string, ModelArtifactTable> = {};
  const ledgers: Record<string, string> = {};
  for (const input of plan.inputs) {
    if (input.zone !== "bronze" && input.zone !== "files" && input.zone !== "silver") continue;
    const spec = datasets.find((d) => d.name === input.dataset);
    if (!spec) throw new Error(`model ${plan.model}: input ${input.relation} reads unknown dataset ${input.dataset}`);
    const table = tableDefs(spec)[input.zone];
    tables[input.relation] = { name: table.name, columns: table.columns.map((c) => ({ name: c.name, type: c.type })) };
    ledgers[input.dataset] = tableDefs(spec).files.name;
  }
  return { ...plan, tables, ledgers, fingerprint: modelPlanFingerprint(plan) };
}

/** Compiles `spec` for Spark and wraps it as the job's artifact. */
export function sparkModelArtifact(spec: ModelSpec, datasets: readonly DatasetSpec[], models: readonly ModelSpec[]): SparkModelArtifact {
  return modelArtifact(compileModel(spec, { dialect: "spark", datasets, models }), datasets);
}
