// runLoadSpark: one load of one dataset through the Glue runner on local Spark + Iceberg, as a
// Glue job run: the spark plan and the manifest are written to the workspace's ops folder (the
// ops bucket's local twin), the job arguments are the ones the deployed job gets, and the runner
// writes the run summary where the DuckDB executor writes it. Tables live in an Iceberg
// warehouse inside the workspace (Hadoop catalog: <ws>/iceberg/<database>/<table>).
import { createHash } from "crypto";
import { join, resolve } from "path";
import type { DatasetSpec } from "../../datasets/define";
import { compilePlan } from "../compile";
import { JOB_ARGS, manifestKey, OPTIONAL_JOB_ARGS, RUN_ARGS, type Manifest, type RunSummary } from "../contracts";
import { writeJsonAtomic } from "../duckdb/workspace";
import { workspacePiiKeyFile } from "../pii-key";
import type { SparkServer } from "./server";

/** Names a local Spark run uses where a deployed job has its stack's resource names. */
export const LOCAL_SPARK = {
  opsBucket: "local-ops",
  databases: { silver: "silver", quarantine: "quarantine", bronze: "bronze" },
  metricsNamespace: "datalake-local",
} as const;

export interface SparkDatabases {
  silver: string;
  quarantine: string;
  bronze: string;
}

export const icebergWarehouse = (workspace: string): string => join(resolve(workspace), "iceberg");

export interface SparkLoadOptions {
  workspace: string;
  spec: DatasetSpec;
  manifest: Manifest;
  /** @default manifest.fullRefresh ?? false */
  fullRefresh?: boolean;
  /** The local Glue; its warehouse holds the tables (usually icebergWarehouse(workspace)). */
  server: SparkServer;
  /** Catalog databases of the dataset's tables. @default LOCAL_SPARK.databases */
  databases?: SparkDatabases;
  /** Stops the run before it publishes (a job timeout); the load rejects with the reason. */
  signal?: AbortSignal;
}

export async function runLoadSpark(opts: SparkLoadOptions): Promise<RunSummary> {
  const { spec, manifest, server } = opts;
  if (manifest.dataset !== spec.name) throw new Error(`manifest is for dataset ${manifest.dataset}, spec is ${spec.name}`);
  const warehouse = server.warehouse;
  const databases = opts.databases ?? LOCAL_SPARK.databases;
  const ops = join(resolve(opts.workspace), "ops");
  const plan = compilePlan(spec, { dialect: "spark" });
  const planJson = JSON.stringify(plan);
  // Content-hashed like the deployed plan (infra/content-hash.ts): a spec edit is a new object.
  const planKey = `plans/${spec.name}/${createHash("sha256").update(planJson).digest("hex").slice(0, 16)}.json`;
  writeJsonAtomic(join(ops, planKey), JSON.parse(planJson));
  const key = manifestKey(spec.name, manifest.runId);
  writeJsonAtomic(join(ops, key), manifest);
  const uri = (k: string) => `s3://${LOCAL_SPARK.opsBucket}/${k}`;
  const storage = (path: string) => `file:${path}`; // Hadoop's form (see iceberg_conf.py)
  const fullRefresh = opts.fullRefresh ?? manifest.fullRefresh ?? false;
  const args = [
    RUN_ARGS.dataset, spec.name,
    RUN_ARGS.runId, manifest.runId,
    RUN_ARGS.manifestUri, uri(key),
    RUN_ARGS.fullRefresh, String(fullRefresh),
    JOB_ARGS.planUri, uri(planKey),
    JOB_ARGS.opsBucket, LOCAL_SPARK.opsBucket,
    JOB_ARGS.bronzePath, storage(join(warehouse, databases.bronze)),
    JOB_ARGS.warehousePath, storage(warehouse),
    JOB_ARGS.catalogDatabase, databases.silver,
    JOB_ARGS.quarantineDatabase, databases.quarantine,
    OPTIONAL_JOB_ARGS.bronzeDatabase, databases.bronze,
    JOB_ARGS.metricsNamespace, LOCAL_SPARK.metricsNamespace,
    // Where the deployed job names its Secrets Manager secret, a local run names the
    // workspace's key file (glue-scripts local_env.LocalSecrets reads it): the path, not the key.
    ...(plan.steps.some((s) => s.kind === "pii_key") ? [OPTIONAL_JOB_ARGS.piiKeySecret, workspacePiiKeyFile(opts.workspace)] : []),
  ];
  return server.run({ args, buckets: { [LOCAL_SPARK.opsBucket]: ops }, metrics: join(ops, "metrics.jsonl") }, opts.signal);
}
