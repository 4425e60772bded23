// Everything the semantic models add, from models/ and their compiled spark plans: per model an
// Iceberg table in the semantic database, readers' SELECT on it without its PII columns, and a
// Glue job (role, plan artifact, Lake Formation grants) that builds it. Adding a model file adds
// exactly these; the failed-run alarms are in components/monitoring.ts.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { isAbsolute, join } from "path";
import type { DatasetSpec } from "../datasets/define";
import type { ModelSpec } from "../models/define";
import { Catalog } from "./components/catalog";
import { ReaderGrants } from "./components/dataset-grants";
import { DatasetTables } from "./components/dataset-tables";
import { GlueArtifacts } from "./components/glue-artifacts";
import { PlatformKeys } from "./components/keys";
import { LakeFormation } from "./components/lake-formation";
import { ModelGrants } from "./components/model-grants";
import { ModelJob } from "./components/model-job";
import { ModelTable } from "./components/model-table";
import { SecureBucket } from "./components/secure-bucket";
import { DataBucket } from "./components/storage";
import { PlatformConfig } from "./config";
import { REPO_ROOT } from "./lambda-code";
import type { SparkModelArtifact } from "../engine/spark/model-artifact";
import { modelReads } from "./model-layout";
import { AccountContext } from "./policies/document";
import { modelReaderColumnGrant } from "./reader-columns";
import { glueConfArgument } from "./spark-conf";

export interface ModelWiring {
  cfg: PlatformConfig;
  ctx: pulumi.Output<AccountContext>;
  retainData: boolean;
  keys: PlatformKeys;
  buckets: Record<DataBucket, SecureBucket>;
  catalog: Catalog;
  lakeFormation: LakeFormation;
  artifacts: GlueArtifacts;
  /** Physical job name per model. */
  jobNames: Record<string, string>;
  metricsNamespace: string;
  /** The dataset tables the models read (their grants wait for them). */
  datasetTables: Record<string, DatasetTables>;
  piiKeySecretArn?: pulumi.Output<string>;
}

export function createModelResources(
  models: readonly ModelSpec[],
  datasets: readonly DatasetSpec[],
  /** Each model's plan artifact (ProgramSources.modelPlan), compiled once by the caller. */
  artifacts: Record<string, SparkModelArtifact>,
  w: ModelWiring,
): { jobRoleArns: pulumi.Output<string>[] } {
  if (models.length === 0) return { jobRoleArns: [] };
  const { cfg, catalog, buckets: b } = w;
  const scriptKey = w.artifacts.modelScriptKey;
  if (scriptKey === undefined) throw new Error("the stack has models but GlueArtifacts got no model entry script");
  const semanticDb = catalog.databases.semantic.name;
  // The model jobs' Iceberg warehouse: the semantic bucket (Pulumi creates each table at <model>/<model> in it).
  const warehousePath = pulumi.interpolate`s3://${b.semantic.name}/`;
  const sparkConf = warehousePath.apply(glueConfArgument);
  const plans = models.map((spec) => ({ spec, artifact: artifacts[spec.name] }));
  // Every table first: a fact's grants on the dimensions it reads wait for their tables.
  const tables = Object.fromEntries(
    plans.map(({ spec, artifact }) => [
      spec.name,
      new ModelTable(`${spec.name}-table`, {
        plan: artifact,
        description: spec.description,
        databaseName: semanticDb,
        semanticBucketName: b.semantic.name,
        retainData: w.retainData,
      }),
    ]),
  ) as Record<string, ModelTable>;
  const zoneBucket = { bronze: b.bronze, silver: b.silver, semantic: b.semantic };
  const zoneDatabase = { bronze: catalog.databases.bronze.name, silver: catalog.databases.silver.name, semantic: semanticDb };
  const jobRoleArns = plans.map(({ spec, artifact }) => {
    const reads = modelReads(artifact, datasets);
    const own = tables[spec.name].table;
    const readers = new ReaderGrants(
      `${spec.name}-grants-reader`,
      { table: { database: own.databaseName, name: own.name }, readerPrincipals: cfg.readerPrincipals, readerColumns: modelReaderColumnGrant(spec, datasets) },
      { dependsOn: w.lakeFormation.ready },
    );
    const job = new ModelJob(
      `${spec.name}-job`,
      {
        ctx: w.ctx,
        model: spec.name,
        kind: spec.kind,
        jobName: w.jobNames[spec.name],
        planJson: JSON.stringify(artifact),
        ops: { name: b.ops.name, arn: b.ops.arn },
        semantic: { name: b.semantic.name, arn: b.semantic.arn },
        reads: reads.tables.map((t) => ({ bucketArn: zoneBucket[t.zone].arn, owner: t.owner })),
        scriptKey,
        libraryKey: w.artifacts.libraryKey,
        files: reads.files.map((path) => ({ path, content: readModelFile(spec.name, path) })),
        dataKeyArn: w.keys.data.arn,
        logKeyArn: w.keys.ops.arn,
        securityConfiguration: catalog.securityConfiguration.name,
        securityConfigurationName: catalog.securityConfigurationName,
        databaseNames: { bronze: catalog.databaseNames.bronze, silver: catalog.databaseNames.silver, semantic: catalog.databaseNames.semantic },
        readTables: reads.tables.map((t) => `${catalog.databaseNames[t.zone]}/${t.table}`),
        glueVersion: cfg.glue.version,
        workerType: cfg.glue.workerType,
        workers: cfg.glue.workers,
        timeoutMinutes: cfg.glue.timeoutMinutes,
        flex: cfg.glue.flex,
        metricsNamespace: w.metricsNamespace,
        sparkConf,
        warehousePath,
        piiKeySecretArn: reads.piiKey ? w.piiKeySecretArn : undefined,
        after: [readers],
      },
      { dependsOn: [w.artifacts, tables[spec.name]] },
    );
    const readTable = (t: (typeof reads.tables)[number]) => {
      const table = t.role === "model" ? tables[t.owner].table : w.datasetTables[t.owner].tables[t.role];
      return { database: table.databaseName, name: table.name };
    };
    new ModelGrants(
      `${spec.name}-grants`,
      {
        jobRoleArn: job.role.arn,
        table: { database: own.databaseName, name: own.name },
        reads: Object.fromEntries(reads.tables.map((t) => [`${t.zone}-${t.table}`, readTable(t)])),
        databases: Object.fromEntries([...new Set(["semantic" as const, ...reads.tables.map((t) => t.zone)])].map((z) => [z, zoneDatabase[z]])),
        dataLocationArn: pulumi.interpolate`${w.lakeFormation.locations.semantic.arn}/${spec.name}`,
      },
      { dependsOn: w.lakeFormation.ready },
    );
    return job.role.arn;
  });
  return { jobRoleArns };
}

/**
 * What a deploy gives a model's job that decides its rows: its plan artifact and the content of
 * the files shipped next to it (dim_date's holidays). The handlers' plan hash (infra/model-graph.ts)
 * covers both, so a holidays edit rebuilds dim_date like a range edit does. Not the artifact's
 * `sources` (the load plans the build checks first, engine/models/source-specs.ts): any edit of a
 * dataset changes them, and a build before the dataset's next load would only be refused (that
 * load requests the build); an edit that changes the model's SQL still changes the hash.
 */
export function deployedModel(spec: ModelSpec, artifact: SparkModelArtifact, datasets: readonly DatasetSpec[]): unknown {
  const files = modelReads(artifact, datasets).files.map((path) => ({ path, content: readModelFile(spec.name, path).toString("base64") }));
  const { sources: _checked, ...computed } = artifact;
  return { artifact: computed, files };
}

/**
 * A file a model's plan reads (dim_date's holidays), shipped next to the plan: the Glue job finds
 * it under its --files_path by the path the plan names, which must be relative to the repository.
 */
export function readModelFile(model: string, path: string): Buffer {
  if (isAbsolute(path)) throw new Error(`model ${model}: file ${path} is absolute; a deployed model job reads files by their path relative to the repository root`);
  return readFileSync(join(REPO_ROOT, path));
}
