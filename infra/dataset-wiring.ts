// Everything one dataset adds: its Iceberg tables, Glue job (role, plan), Lake Formation grants
// and file-arrival rule. Adding a dataset file adds exactly these.
import * as pulumi from "@pulumi/pulumi";
import type { DatasetSpec } from "../datasets/define";
import { eventPatternFor } from "../datasets/routing";
import type { TableRole } from "../engine/plan";
import { TABLE_ZONE, ZONES, Zone } from "./catalog-layout";
import { Catalog } from "./components/catalog";
import { DatasetGrants, ReaderGrants } from "./components/dataset-grants";
import { DatasetJob } from "./components/dataset-job";
import { DatasetTables } from "./components/dataset-tables";
import { EventTrigger } from "./components/event-trigger";
import { GlueArtifacts } from "./components/glue-artifacts";
import { HandlerFunction } from "./components/handler-function";
import { PlatformKeys } from "./components/keys";
import { LakeFormation } from "./components/lake-formation";
import { DataBucket } from "./components/storage";
import { SecureBucket } from "./components/secure-bucket";
import { PlatformConfig, datasetGlue } from "./config";
import { AccountContext } from "./policies/document";
import type { ProgramSources } from "./platform";
import { readerColumnGrant } from "./reader-columns";

export interface DatasetWiring {
  cfg: PlatformConfig;
  ctx: pulumi.Output<AccountContext>;
  sources: ProgramSources;
  retainData: boolean;
  keys: PlatformKeys;
  buckets: Record<DataBucket, SecureBucket>;
  catalog: Catalog;
  lakeFormation: LakeFormation;
  artifacts: GlueArtifacts;
  jobName: string;
  ruleName: string;
  metricsNamespace: string;
  warehousePath: pulumi.Output<string>;
  sparkConf: pulumi.Output<string>;
  fileArrival: HandlerFunction;
  deadLetterQueueArn: pulumi.Output<string>;
  /** The stack's PII hash key secret (present when a dataset hashes PII columns). */
  piiKeySecretArn?: pulumi.Output<string>;
}

export interface DatasetResources {
  jobRoleArn: pulumi.Output<string>;
  /** The dataset's catalog tables (model jobs' grants on them wait for them). */
  tables: DatasetTables;
}

export function createDatasetResources(spec: DatasetSpec, w: DatasetWiring): DatasetResources {
  const { cfg, ctx, catalog, lakeFormation, artifacts, keys, retainData } = w;
  const b = w.buckets;
  const zoneBuckets: Record<Zone, SecureBucket> = { bronze: b.bronze, silver: b.silver, quarantine: b.quarantine };
  const plan = w.sources.plan(spec);
  const roles = Object.keys(plan.tables) as TableRole[];
  const tableRefs = Object.fromEntries(
    roles.map((role) => [
      role,
      { database: catalog.databaseNames[TABLE_ZONE[role]], name: plan.tables[role].name },
    ]),
  ) as Record<TableRole, { database: string; name: string }>;
  const tables = new DatasetTables(`${spec.name}-tables`, {
    dataset: spec.name,
    tables: plan.tables,
    databaseNames: { bronze: catalog.databases.bronze.name, silver: catalog.databases.silver.name, quarantine: catalog.databases.quarantine.name },
    zoneBucketNames: { bronze: b.bronze.name, silver: b.silver.name, quarantine: b.quarantine.name },
    retainData,
  });
  const glue = datasetGlue(cfg.glue, spec, cfg.project);
  const readers = new ReaderGrants(
    `${spec.name}-grants-reader`,
    {
      table: { database: tables.tables.silver.databaseName, name: tables.tables.silver.name },
      readerPrincipals: cfg.readerPrincipals,
      readerColumns: readerColumnGrant(spec),
    },
    { dependsOn: lakeFormation.ready },
  );
  const job = new DatasetJob(`${spec.name}-job`, {
    ctx,
    dataset: spec.name,
    landingPrefix: spec.prefix,
    jobName: w.jobName,
    planJson: JSON.stringify(plan),
    landing: { name: b.landing.name, arn: b.landing.arn },
    ops: { name: b.ops.name, arn: b.ops.arn },
    zones: Object.fromEntries(ZONES.map((z) => [z, { name: zoneBuckets[z].name, arn: zoneBuckets[z].arn }])) as Record<Zone, { name: pulumi.Output<string>; arn: pulumi.Output<string> }>,
    scriptKey: artifacts.scriptKey,
    libraryKey: artifacts.libraryKey,
    dataKeyArn: keys.data.arn,
    logKeyArn: keys.ops.arn,
    securityConfiguration: catalog.securityConfiguration.name,
    securityConfigurationName: catalog.securityConfigurationName,
    // The load zones only: the semantic database is the model jobs' (catalog-layout.ts).
    databaseNames: Object.fromEntries(ZONES.map((z) => [z, catalog.databaseNames[z]])) as Record<Zone, string>,
    tables: Object.values(tableRefs).map((t) => `${t.database}/${t.name}`),
    glueVersion: glue.version,
    workerType: glue.workerType,
    workers: glue.workers,
    timeoutMinutes: glue.timeoutMinutes,
    flex: glue.flex,
    metricsNamespace: w.metricsNamespace,
    sparkConf: w.sparkConf,
    warehousePath: w.warehousePath,
    piiKeySecretArn: plan.steps.some((s) => s.kind === "pii_key") ? w.piiKeySecretArn : undefined,
    after: [readers],
  }, { dependsOn: [artifacts] });
  new DatasetGrants(`${spec.name}-grants`, {
    dataset: spec.name,
    jobRoleArn: job.role.arn,
    tables: Object.fromEntries(
      roles.map((role) => [role, { database: tables.tables[role].databaseName, name: tables.tables[role].name }]),
    ) as Record<TableRole, { database: pulumi.Output<string>; name: pulumi.Output<string> }>,
    databases: Object.fromEntries(ZONES.map((z) => [z, catalog.databases[z].name])),
    // Sub-paths of the registered locations: the grant waits for the registration.
    dataLocationArns: Object.fromEntries(ZONES.map((z) => [z, pulumi.interpolate`${lakeFormation.locations[z].arn}/${spec.name}`])),
  }, { dependsOn: lakeFormation.ready });
  new EventTrigger(`${spec.name}-arrival`, {
    ruleName: w.ruleName,
    description: `Objects created under s3://<landing>/${spec.prefix} -> file-arrival (${spec.name})`,
    eventPattern: b.landing.name.apply((bucket) => JSON.stringify(eventPatternFor(spec, bucket))),
    functionArn: w.fileArrival.arn,
    functionName: w.fileArrival.functionName,
    deadLetterQueueArn: w.deadLetterQueueArn,
  });
  return { jobRoleArn: job.role.arn, tables };
}
