// buildModelSpark: one build of one semantic model through the Glue model job (glue-scripts/
// build_model.py, datalake_glue/model_runner.py) on local Spark + Iceberg, as a Glue job run: the
// plan artifact (model-artifact.ts) goes to the workspace's ops folder (the ops bucket's local
// twin), the job arguments are the deployed job's, and the runner writes the build summary where
// the DuckDB build writes its own (<ws>/ops/summaries/semantic/<model>/<runId>.json). The table
// is the Iceberg table <ws>/iceberg/semantic/<model>, write-audit-published on a branch.
import { MODEL_JOB_ARGS } from "../contracts";
import { createHash } from "crypto";
import { join, resolve } from "path";
import type { DatasetSpec } from "../../datasets/define";
import type { ModelBuildResult } from "../duckdb/build-model";
import { writeJsonAtomic } from "../duckdb/workspace";
import type { ModelPlan } from "../models/plan";
import { workspacePiiKeyFile } from "../pii-key";
import { REPO_ROOT } from "../repo-root";
import { modelArtifact } from "./model-artifact";
import { LOCAL_SPARK } from "./run-load";
import type { SparkServer } from "./server";

/** The model job's arguments, one list for every caller (engine/contracts.ts). */
export { MODEL_JOB_ARGS } from "../contracts";

/** The local catalog's database of semantic tables. */
export const LOCAL_SEMANTIC_DATABASE = "semantic";

export interface SparkModelBuildOptions {
  workspace: string;
  server: SparkServer;
  datasets: readonly DatasetSpec[];
  runId: string;
  fullRefresh?: boolean;
}

export async function buildModelSpark(plan: ModelPlan, opts: SparkModelBuildOptions): Promise<ModelBuildResult> {
  const artifact = JSON.stringify(modelArtifact(plan, opts.datasets));
  const ops = join(resolve(opts.workspace), "ops");
  // Content-hashed like the deployed artifact: a spec edit is a new object.
  const planKey = `plans/models/${plan.model}/${createHash("sha256").update(artifact).digest("hex").slice(0, 16)}.json`;
  writeJsonAtomic(join(ops, planKey), JSON.parse(artifact));
  const storage = (path: string) => `file:${path}`; // Hadoop's form (see iceberg_conf.py)
  const a = MODEL_JOB_ARGS;
  const args = [
    a.model, plan.model,
    a.runId, opts.runId,
    a.fullRefresh, String(opts.fullRefresh === true),
    a.planUri, `s3://${LOCAL_SPARK.opsBucket}/${planKey}`,
    a.opsBucket, LOCAL_SPARK.opsBucket,
    a.warehousePath, storage(opts.server.warehouse),
    a.semanticDatabase, LOCAL_SEMANTIC_DATABASE,
    a.silverDatabase, LOCAL_SPARK.databases.silver,
    a.bronzeDatabase, LOCAL_SPARK.databases.bronze,
    // `file` inputs (the holidays CSV) are repository paths; on AWS, the prefix they are uploaded to.
    a.filesPath, storage(REPO_ROOT),
    // The workspace's key file stands in for the deployed job's secret (local_env.LocalSecrets).
    a.piiKeySecret, workspacePiiKeyFile(opts.workspace),
  ];
  return opts.server.runModel({ args, buckets: { [LOCAL_SPARK.opsBucket]: ops } });
}

/** The snapshot id of a model's published table (main), or null when it never published. */
export async function publishedSparkModelVersion(server: SparkServer, model: string): Promise<string | null> {
  try {
    const rows = await server.sql(`SELECT snapshot_id FROM glue_catalog.${LOCAL_SEMANTIC_DATABASE}.${model}.refs WHERE name = 'main'`);
    return rows.length > 0 && rows[0].snapshot_id !== null ? String(rows[0].snapshot_id) : null;
  } catch {
    return null; // no such table (or namespace) yet
  }
}
