// The whole platform from the dataset specs and the stack config. infra/index.ts calls it with the
// real sources; tests and the bench call it under mocks with other specs or sources.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DatasetSpec } from "../datasets/define";
import { eventPatternFor } from "../datasets/routing";
import { compilePlan } from "../engine/compile";
import type { LoadPlan, TableRole } from "../engine/plan";
import { HANDLER_ENTRIES, HANDLER_ENV } from "../handlers/env-contract";
import { TABLE_ZONE, ZONES, Zone } from "./catalog-layout";
import { Athena } from "./components/athena";
import { AuditTable } from "./components/audit-table";
import { Catalog } from "./components/catalog";
import { DatasetGrants } from "./components/dataset-grants";
import { DatasetJob } from "./components/dataset-job";
import { DatasetTables } from "./components/dataset-tables";
import { DeadLetterQueues } from "./components/dead-letter-queue";
import { EventTrigger } from "./components/event-trigger";
import { GlueArtifacts } from "./components/glue-artifacts";
import { HandlerFunction, logGroupArn } from "./components/handler-function";
import { KeyPolicies } from "./components/key-policies";
import { PlatformKeys } from "./components/keys";
import { LakeFormation } from "./components/lake-formation";
import { Monitoring } from "./components/monitoring";
import { Storage } from "./components/storage";
import { PlatformConfig } from "./config";
import { EVENT_PATTERN_MAX_CHARS, KMS_DELETION_WINDOW_DAYS_DEV, KMS_DELETION_WINDOW_DAYS_PROD, METRICS_NAMESPACE_PREFIX } from "./defaults";
import { handlerArchive, REPO_ROOT } from "./lambda-code";
import { AccountContext } from "./policies/document";
import {
  COMPACT_LIST_THRESHOLD,
  HandlerPolicyInput,
  fileArrivalPolicyDocument,
  jobStatePolicyDocument,
  reconcilerPolicyDocument,
} from "./policies/handler-policies";
import { readerColumns } from "./reader-columns";
import { glueConfArgument } from "./spark-conf";
import { join } from "path";

/** Where the program's code artifacts come from (tests swap them for temp files). */
export interface ProgramSources {
  /** The dataset's load plan for Glue. @default compilePlan(spec, { dialect: "spark" }) */
  plan(spec: DatasetSpec): LoadPlan;
  /** Deployment archive of a handler entry. @default handlerArchive (scripts/bundle-handlers.js) */
  handlerCode(entry: string): pulumi.Input<pulumi.asset.Archive>;
  glueEntryScript: string;
  gluePackageDir: string;
}

export const DEFAULT_SOURCES: ProgramSources = {
  plan: (spec) => compilePlan(spec, { dialect: "spark" }),
  handlerCode: handlerArchive,
  glueEntryScript: join(REPO_ROOT, "glue-scripts", "load_dataset.py"),
  gluePackageDir: join(REPO_ROOT, "glue-scripts", "datalake_glue"),
};

export interface PlatformOutputs {
  landingBucket: pulumi.Output<string>;
  opsBucket: pulumi.Output<string>;
  auditTable: pulumi.Output<string>;
  dashboardUrl: pulumi.Output<string>;
  athenaWorkgroup: pulumi.Output<string>;
  glueDatabases: Record<Zone, string>;
  glueJobs: Record<string, string>;
  alertTopicArn: pulumi.Output<string>;
}

type HandlerName = keyof typeof HANDLER_ENTRIES;

export function createPlatform(
  cfg: PlatformConfig,
  datasets: readonly DatasetSpec[],
  sources: ProgramSources = DEFAULT_SOURCES,
): PlatformOutputs {
  const prefix = `${cfg.project}-${cfg.stack}`;
  const retainData = !cfg.allowDataDestroy;
  const metricsNamespace = `${METRICS_NAMESPACE_PREFIX}/${cfg.stack}`;
  const identity = aws.getCallerIdentityOutput();
  const ctx: pulumi.Output<AccountContext> = pulumi
    .all([identity.accountId, aws.getRegionOutput().region, aws.getPartitionOutput().partition])
    .apply(([accountId, region, partition]) => ({ accountId, region, partition }));
  // The principal running `pulumi up` administers Lake Formation too (settings replace the list).
  const deployer = aws.iam.getSessionContextOutput({ arn: identity.arn }).issuerArn;

  const keys = new PlatformKeys("keys", {
    aliasPrefix: prefix,
    deletionWindowInDays: retainData ? KMS_DELETION_WINDOW_DAYS_PROD : KMS_DELETION_WINDOW_DAYS_DEV,
    retainData,
  });
  const storage = new Storage("storage", {
    ctx,
    dataKeyArn: keys.data.arn,
    landingRetentionDays: cfg.landingRetentionDays,
    noncurrentVersionDays: cfg.noncurrentVersionDays,
    retainData,
  });
  const b = storage.buckets;
  const zoneBuckets = { bronze: b.bronze, silver: b.silver, quarantine: b.quarantine };
  const catalog = new Catalog("catalog", { namePrefix: prefix, dataKeyArn: keys.data.arn, opsKeyArn: keys.ops.arn, retainData });
  const lakeFormation = new LakeFormation("lakeformation", {
    ctx,
    admins: pulumi.all([deployer, cfg.lakeFormationAdmins]).apply(([d, admins]) => [...admins, d]),
    locations: { bronze: b.bronze.arn, silver: b.silver.arn, quarantine: b.quarantine.arn },
    dataKeyArn: keys.data.arn,
    readerDatabase: catalog.databases.silver.name,
    readerPrincipals: cfg.readerPrincipals,
  });
  const audit = new AuditTable("audit", { tableName: `${prefix}-audit`, kmsKeyArn: keys.ops.arn, retainData });
  const artifacts = new GlueArtifacts("glue-artifacts", {
    opsBucket: b.ops.name,
    entryScriptPath: sources.glueEntryScript,
    packageDir: sources.gluePackageDir,
  });

  // Physical names are fixed strings so every policy can name exact ARNs before resources exist.
  const jobNames = Object.fromEntries(datasets.map((s) => [s.name, `${prefix}-${s.name}`]));
  const functionNames: Record<HandlerName, string> = {
    fileArrival: `${prefix}-file-arrival`,
    jobState: `${prefix}-job-state`,
    reconciler: `${prefix}-reconciler`,
  };
  const ruleNames = {
    arrival: (dataset: string) => `${prefix}-arrival-${dataset}`,
    jobState: `${prefix}-glue-job-state`,
    reconcile: `${prefix}-reconcile`,
  };
  const allRuleNames = [...datasets.map((s) => ruleNames.arrival(s.name)), ruleNames.jobState, ruleNames.reconcile];
  const queues = new DeadLetterQueues("dlq", {
    kmsKeyArn: keys.ops.arn,
    ruleArns: ctx.apply((c) =>
      (allRuleNames.length > COMPACT_LIST_THRESHOLD ? [`${prefix}-*`] : allRuleNames).map(
        (r) => `arn:${c.partition}:events:${c.region}:${c.accountId}:rule/${r}`,
      ),
    ),
  });

  const maxTimeoutMinutes = Math.max(cfg.glue.timeoutMinutes, ...datasets.map((s) => s.target.glue.timeoutMinutes ?? 0));
  const environment: Record<string, pulumi.Input<string>> = {
    [HANDLER_ENV.auditTable]: audit.table.name,
    [HANDLER_ENV.opsBucket]: b.ops.name,
    [HANDLER_ENV.landingBucket]: b.landing.name,
    [HANDLER_ENV.glueJobs]: JSON.stringify(jobNames),
    [HANDLER_ENV.maxFilesPerRun]: String(cfg.maxFilesPerRun),
    // The slot lease outlives the longest job run, so a slot is never released under a live run.
    [HANDLER_ENV.slotLeaseSeconds]: String(maxTimeoutMinutes * 60 + 15 * 60),
    [HANDLER_ENV.logLevel]: cfg.logLevel,
  };
  const policyInput = (fn: HandlerName) =>
    pulumi
      .all([ctx, audit.table.arn, b.ops.arn, b.landing.arn, keys.data.arn, keys.ops.arn, queues.lambdaFailures.arn])
      .apply(([c, tableArn, opsArn, landingArn, dataKey, opsKey, failureArn]): HandlerPolicyInput => ({
        ctx: c,
        auditTableArn: tableArn,
        auditIndexNames: audit.indexNames,
        opsBucketArn: opsArn,
        landingBucketArn: landingArn,
        landingPrefixes: datasets.map((s) => s.prefix),
        glueJobNames: Object.values(jobNames),
        glueJobNamePrefix: `${prefix}-`,
        keyArns: [dataKey, opsKey],
        logGroupArn: logGroupArn(c, functionNames[fn]),
        failureQueueArn: failureArn,
      }));
  const policyBuilders = { fileArrival: fileArrivalPolicyDocument, jobState: jobStatePolicyDocument, reconciler: reconcilerPolicyDocument };
  const descriptions = {
    fileArrival: "Records each landed file (FILE item) and starts its dataset's load run",
    jobState: "Finalizes runs from Glue job state changes and starts the next run",
    reconciler: "Repairs lost events: stale runs, released slots, pending files without a run",
  };
  const handlers = Object.fromEntries(
    (Object.keys(HANDLER_ENTRIES) as HandlerName[]).map((fn) => [
      fn,
      new HandlerFunction(kebab(fn), {
        ctx,
        functionName: functionNames[fn],
        description: descriptions[fn],
        code: sources.handlerCode(HANDLER_ENTRIES[fn]),
        environment,
        policyDocument: policyInput(fn).apply((input) => JSON.stringify(policyBuilders[fn](input))),
        logRetentionDays: cfg.logRetentionDays,
        logKeyArn: keys.ops.arn,
        failureQueueArn: queues.lambdaFailures.arn,
        timeoutSeconds: fn === "reconciler" ? 300 : undefined,
      }),
    ]),
  ) as Record<HandlerName, HandlerFunction>;

  const warehousePath = pulumi.interpolate`s3://${b.silver.name}/`;
  const sparkConf = warehousePath.apply(glueConfArgument);
  const jobRoles: pulumi.Output<string>[] = [];
  for (const spec of datasets) {
    const plan = sources.plan(spec);
    const tableRefs = Object.fromEntries(
      (Object.keys(plan.tables) as TableRole[]).map((role) => [
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
    const glue = { ...cfg.glue, ...definedOnly(spec.target.glue) };
    const job = new DatasetJob(`${spec.name}-job`, {
      ctx,
      dataset: spec.name,
      landingPrefix: spec.prefix,
      jobName: jobNames[spec.name],
      planJson: JSON.stringify(plan),
      landing: { name: b.landing.name, arn: b.landing.arn },
      ops: { name: b.ops.name, arn: b.ops.arn },
      zones: Object.fromEntries(ZONES.map((z) => [z, { name: zoneBuckets[z].name, arn: zoneBuckets[z].arn }])) as Record<Zone, { name: pulumi.Output<string>; arn: pulumi.Output<string> }>,
      scriptKey: artifacts.scriptKey,
      libraryKey: artifacts.libraryKey,
      keyArns: [keys.data.arn, keys.ops.arn],
      databaseNames: catalog.databaseNames,
      tables: Object.values(tableRefs).map((t) => `${t.database}/${t.name}`),
      securityConfiguration: catalog.securityConfiguration.name,
      glueVersion: glue.version,
      workerType: glue.workerType,
      workers: glue.workers,
      timeoutMinutes: glue.timeoutMinutes,
      flex: glue.flex,
      metricsNamespace,
      sparkConf,
      warehousePath,
    }, { dependsOn: [artifacts] });
    jobRoles.push(job.role.arn);
    new DatasetGrants(`${spec.name}-grants`, {
      dataset: spec.name,
      jobRoleArn: job.role.arn,
      tables: Object.fromEntries(
        (Object.keys(plan.tables) as TableRole[]).map((role) => [role, { database: tables.tables[role].databaseName, name: tables.tables[role].name }]),
      ) as Record<TableRole, { database: pulumi.Output<string>; name: pulumi.Output<string> }>,
      databases: Object.fromEntries(ZONES.map((z) => [z, catalog.databases[z].name])),
      // Sub-paths of the registered locations: the grant waits for the registration.
      dataLocationArns: Object.fromEntries(ZONES.map((z) => [z, pulumi.interpolate`${lakeFormation.locations[z].arn}/${spec.name}`])),
      readerPrincipals: cfg.readerPrincipals,
      readerColumns: readerColumns(spec, plan.tables.silver),
    }, { dependsOn: [lakeFormation.settings] });
    new EventTrigger(`${spec.name}-arrival`, {
      ruleName: ruleNames.arrival(spec.name),
      description: `Objects created under s3://<landing>/${spec.prefix} -> file-arrival (${spec.name})`,
      eventPattern: b.landing.name.apply((bucket) => JSON.stringify(eventPatternFor(spec, bucket))),
      functionArn: handlers.fileArrival.arn,
      functionName: handlers.fileArrival.functionName,
      deadLetterQueueArn: queues.eventDlq.arn,
    });
  }
  new EventTrigger("glue-job-state", {
    ruleName: ruleNames.jobState,
    description: "State changes of this stack's Glue jobs -> job-state (best effort: see reconciler)",
    eventPattern: JSON.stringify(glueJobStatePattern(Object.values(jobNames), `${prefix}-`)),
    functionArn: handlers.jobState.arn,
    functionName: handlers.jobState.functionName,
    deadLetterQueueArn: queues.eventDlq.arn,
  });
  new EventTrigger("reconcile", {
    ruleName: ruleNames.reconcile,
    description: "Periodic reconciliation of runs and pending files",
    scheduleExpression: cfg.reconcileSchedule,
    functionArn: handlers.reconciler.arn,
    functionName: handlers.reconciler.functionName,
    deadLetterQueueArn: queues.eventDlq.arn,
    // A missed tick is replaced by the next one: no point retrying old ticks for a day.
    maximumRetryAttempts: 2,
    maximumEventAgeInSeconds: 300,
  });

  const handlerRoles = Object.values(handlers).map((h) => h.role.arn);
  new KeyPolicies("key-policies", {
    ctx,
    keys: {
      data: {
        keyId: keys.data.keyId,
        userArns: pulumi.all([...jobRoles, ...handlerRoles, lakeFormation.registrationRole.arn]).apply((roles) => [...roles, ...cfg.readerPrincipals]),
      },
      ops: {
        keyId: keys.ops.keyId,
        userArns: pulumi.all([...jobRoles, ...handlerRoles]),
        cloudWatchLogs: true,
        publishingServices: ["cloudwatch.amazonaws.com", "events.amazonaws.com"],
      },
    },
  });
  const athena = new Athena("athena", {
    workgroupName: prefix,
    resultsBucket: b.athena.name,
    kmsKeyArn: keys.data.arn,
    bytesScannedCutoffPerQuery: cfg.athenaBytesScannedLimit,
    forceDestroy: !retainData,
  });
  const monitoring = new Monitoring("monitoring", {
    ctx,
    namePrefix: prefix,
    kmsKeyArn: keys.ops.arn,
    alertEmail: cfg.alertEmail,
    datasets: datasets.map((s) => s.name),
    metricsNamespace,
    staleAfterHours: cfg.staleAfterHours,
    queueNames: { "event-dlq": queues.eventDlq.name, "lambda-failures": queues.lambdaFailures.name },
    functionNames: Object.fromEntries(Object.entries(handlers).map(([fn, h]) => [kebab(fn), h.functionName])),
    glueJobNames: jobNames,
  });

  return {
    landingBucket: b.landing.name,
    opsBucket: b.ops.name,
    auditTable: audit.table.name,
    dashboardUrl: monitoring.dashboardUrl,
    athenaWorkgroup: athena.workgroup.name,
    glueDatabases: catalog.databaseNames,
    glueJobs: jobNames,
    alertTopicArn: monitoring.topic.arn,
  };
}

/**
 * "Glue Job State Change" events of exactly these jobs; past EventBridge's default pattern size
 * (many datasets), of every job named with this stack's prefix (job-state ignores jobs it does not
 * know from GLUE_JOBS).
 */
export function glueJobStatePattern(jobNames: string[], jobNamePrefix: string): Record<string, unknown> {
  const exact = { source: ["aws.glue"], "detail-type": ["Glue Job State Change"], detail: { jobName: [...jobNames].sort() } };
  if (JSON.stringify(exact).length <= EVENT_PATTERN_MAX_CHARS) return exact;
  return { ...exact, detail: { jobName: [{ prefix: jobNamePrefix }] } };
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
