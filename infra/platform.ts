// The whole platform from the dataset specs and the stack config. infra/index.ts calls it with the
// real sources; tests and the bench call it under mocks with other specs or sources.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { join } from "path";
import type { DatasetSpec } from "../datasets/define";
import { glueJobStatePattern } from "../datasets/routing";
import { compilePlan } from "../engine/compile";
import type { ModelCompileContext } from "../engine/models";
import { SparkModelArtifact, sparkModelArtifact } from "../engine/spark/model-artifact";
import type { LoadPlan } from "../engine/plan";
import { MODELS } from "../models";
import type { ModelSpec } from "../models/define";
import { CatalogZone } from "./catalog-layout";
import { Athena } from "./components/athena";
import { AuditTable } from "./components/audit-table";
import { Catalog } from "./components/catalog";
import { DeadLetterQueues } from "./components/dead-letter-queue";
import { EventTrigger } from "./components/event-trigger";
import { GlueArtifacts } from "./components/glue-artifacts";
import { KeyPolicyGate } from "./key-policy-gate";
import { createKeyPolicies } from "./key-wiring";
import { PlatformKeys } from "./components/keys";
import { LakeFormation } from "./components/lake-formation";
import { Monitoring } from "./components/monitoring";
import { Storage } from "./components/storage";
import { PlatformConfig, datasetGlue } from "./config";
import { DatasetResources, createDatasetResources } from "./dataset-wiring";
import { modelGraph } from "./model-graph";
import { createModelResources, deployedModel } from "./model-wiring";
import { PiiHashKey } from "./components/pii-hash-key";
import { KMS_DELETION_WINDOW_DAYS_DEV, KMS_DELETION_WINDOW_DAYS_PROD, METRICS_NAMESPACE_PREFIX } from "./defaults";
import { HandlerName, createHandlers, kebab } from "./handler-wiring";
import { NAME_LIMITS, fitName } from "./names";
import { REPO_ROOT, handlerArchive } from "./lambda-code";
import { AccountContext } from "./policies/document";
import { COMPACT_LIST_THRESHOLD } from "./policies/handler-policies";
import { glueConfArgument } from "./spark-conf";

/** Where the program's code artifacts come from (tests swap them for temp files). */
export interface ProgramSources {
  /** The dataset's load plan for Glue. @default compilePlan(spec, { dialect: "spark" }) */
  plan(spec: DatasetSpec): LoadPlan;
  /** Deployment archive of a handler entry. @default handlerArchive (scripts/bundle-handlers.js) */
  handlerCode(entry: string): pulumi.Input<pulumi.asset.Archive>;
  glueEntryScript: string;
  gluePackageDir: string;
  /** A model's plan artifact for its Glue job. @default sparkModelArtifact (engine/spark/model-artifact.ts), what the local spark build runs */
  modelPlan(spec: ModelSpec, ctx: Omit<ModelCompileContext, "dialect">): SparkModelArtifact;
  /** The model jobs' entry script (glue-scripts/build_model.py). */
  modelEntryScript: string;
}

export const DEFAULT_SOURCES: ProgramSources = {
  plan: (spec) => compilePlan(spec, { dialect: "spark" }),
  handlerCode: handlerArchive,
  glueEntryScript: join(REPO_ROOT, "glue-scripts", "load_dataset.py"),
  gluePackageDir: join(REPO_ROOT, "glue-scripts", "datalake_glue"),
  modelPlan: (spec, ctx) => sparkModelArtifact(spec, ctx.datasets, ctx.models),
  modelEntryScript: join(REPO_ROOT, "glue-scripts", "build_model.py"),
};

export interface PlatformOutputs {
  landingBucket: pulumi.Output<string>;
  opsBucket: pulumi.Output<string>;
  auditTable: pulumi.Output<string>;
  dashboardUrl: pulumi.Output<string>;
  athenaWorkgroup: pulumi.Output<string>;
  /** `semantic`: the models' (star schema's) database. */
  glueDatabases: Record<CatalogZone, string>;
  glueJobs: Record<string, string>;
  /** Model -> its Glue job (glue-scripts/build_model.py). */
  modelJobs: Record<string, string>;
  alertTopicArn: pulumi.Output<string>;
  /** The DLQs `datalake redrive` reads (EventBridge targets; Lambda async failures). */
  eventDlqUrl: pulumi.Output<string>;
  lambdaFailuresQueueUrl: pulumi.Output<string>;
}

export function createPlatform(
  cfg: PlatformConfig,
  datasets: readonly DatasetSpec[],
  sources: ProgramSources = DEFAULT_SOURCES,
  models: readonly ModelSpec[] = MODELS,
): PlatformOutputs {
  const gate = new KeyPolicyGate();
  try {
    return declarePlatform(cfg, datasets, models, sources, gate);
  } catch (error) {
    // Resources already declared wait on the gate: settle it so the failed program can exit.
    gate.open([]);
    throw error;
  }
}

function declarePlatform(
  cfg: PlatformConfig,
  datasets: readonly DatasetSpec[],
  models: readonly ModelSpec[],
  sources: ProgramSources,
  gate: KeyPolicyGate,
): PlatformOutputs {
  // Every dataset's Glue override is checked before anything is declared.
  for (const spec of datasets) datasetGlue(cfg.glue, spec, cfg.project);
  const prefix = cfg.namePrefix;
  const retainData = !cfg.allowDataDestroy;
  const metricsNamespace = `${METRICS_NAMESPACE_PREFIX}/${cfg.stack}`;
  const identity = aws.getCallerIdentityOutput();
  const ctx: pulumi.Output<AccountContext> = pulumi
    .all([identity.accountId, aws.getRegionOutput().region, aws.getPartitionOutput().partition])
    .apply(([accountId, region, partition]) => ({ accountId, region, partition }));
  // The principal running `pulumi up` administers Lake Formation too (settings replace the list).
  // Named in the config when a preview runs as another role (the PR workflow's read-only one),
  // which would otherwise show the admin list and the data key policy changing on every preview.
  const deployer = cfg.deployerArn !== undefined ? pulumi.output(cfg.deployerArn) : aws.iam.getSessionContextOutput({ arn: identity.arn }).issuerArn;

  const keys = new PlatformKeys("keys", {
    aliasPrefix: prefix,
    deletionWindowInDays: retainData ? KMS_DELETION_WINDOW_DAYS_PROD : KMS_DELETION_WINDOW_DAYS_DEV,
    retainData,
  });
  const storage = new Storage("storage", {
    ctx,
    dataKeyArn: keys.data.arn,
    athenaKeyArn: keys.athena.arn,
    landingRetentionDays: cfg.landingRetentionDays,
    noncurrentVersionDays: cfg.noncurrentVersionDays,
    retainData,
  });
  const b = storage.buckets;
  // The databases wait for the Lake Formation settings (they copy the account's default
  // permissions when created), and the settings component names the databases: a promise of the
  // settings, settled once they are declared (as gate.ready is for the key policies).
  let settingsDeclared: (settings: pulumi.Resource[]) => void = () => undefined;
  const lakeFormationSettings = new Promise<pulumi.Resource[]>((resolve) => (settingsDeclared = resolve));
  const catalog = new Catalog("catalog", { namePrefix: prefix, dataKeyArn: keys.data.arn, opsKeyArn: keys.ops.arn, retainData, lakeFormationSettings });
  let lakeFormation: LakeFormation | undefined;
  try {
    lakeFormation = new LakeFormation("lakeformation", {
      ctx,
      admins: pulumi.all([deployer, cfg.lakeFormationAdmins]).apply(([d, admins]) => [...admins, d]),
      locations: { bronze: b.bronze.arn, silver: b.silver.arn, quarantine: b.quarantine.arn, semantic: b.semantic.arn },
      dataKeyArn: keys.data.arn,
      readerDatabase: catalog.databases.silver.name,
      semanticDatabase: catalog.databases.semantic.name,
      readerPrincipals: cfg.readerPrincipals,
      manageSettings: cfg.manageLakeFormationSettings,
    });
  } finally {
    // Settled on failure too, so the databases do not keep a failed program from exiting.
    settingsDeclared(lakeFormation?.ready ?? []);
  }
  const audit = new AuditTable("audit", { tableName: fitName(`${prefix}-audit`, NAME_LIMITS.dynamoTable), kmsKeyArn: keys.ops.arn, keyPolicy: gate.ready, retainData });
  const artifacts = new GlueArtifacts("glue-artifacts", {
    opsBucket: b.ops.name,
    entryScriptPath: sources.glueEntryScript,
    packageDir: sources.gluePackageDir,
    modelEntryScriptPath: models.length > 0 ? sources.modelEntryScript : undefined,
  });

  // Physical names are fixed strings so every policy can name exact ARNs before resources exist.
  // Each fitted to its AWS limit (infra/names.ts): unchanged when it fits.
  const jobNames = Object.fromEntries(datasets.map((s) => [s.name, fitName(`${prefix}-${s.name}`, NAME_LIMITS.glueJob)]));
  // Model names never equal dataset names (models/registry.ts): one name space of jobs.
  const modelJobNames = Object.fromEntries(models.map((m) => [m.name, fitName(`${prefix}-${m.name}`, NAME_LIMITS.glueJob)]));
  const fn = (suffix: string) => fitName(`${prefix}-${suffix}`, NAME_LIMITS.lambdaFunction);
  const functionNames: Record<HandlerName, string> = { fileArrival: fn("file-arrival"), jobState: fn("job-state"), reconciler: fn("reconciler") };
  const rule = (suffix: string) => fitName(`${prefix}-${suffix}`, NAME_LIMITS.eventRule);
  const ruleNames = {
    arrival: (dataset: string) => rule(`arrival-${dataset}`),
    jobState: rule("glue-job-state"),
    reconcile: rule("reconcile"),
  };
  const allRuleNames = [...datasets.map((s) => ruleNames.arrival(s.name)), ruleNames.jobState, ruleNames.reconcile];
  const queues = new DeadLetterQueues("dlq", {
    kmsKeyArn: keys.ops.arn,
    keyPolicy: gate.ready,
    ruleArns: ctx.apply((c) =>
      (allRuleNames.length > COMPACT_LIST_THRESHOLD ? [`${prefix}-*`] : allRuleNames).map(
        (r) => `arn:${c.partition}:events:${c.region}:${c.accountId}:rule/${r}`,
      ),
    ),
  });

  // Each model's plan artifact, compiled once: its job uploads it, the handlers' graph hashes it.
  const modelPlans = Object.fromEntries(models.map((spec) => [spec.name, sources.modelPlan(spec, { datasets, models })]));
  const handlers = createHandlers({
    cfg,
    ctx,
    datasets,
    sources,
    functionNames,
    jobNames,
    modelGraph: modelGraph(models, datasets, modelJobNames, (spec) => deployedModel(spec, modelPlans[spec.name], datasets)),
    jobNamePrefix: `${prefix}-`,
    auditTable: audit,
    ops: b.ops,
    landing: b.landing,
    keyArns: [keys.data.arn, keys.ops.arn],
    opsKeyArn: keys.ops.arn,
    opsKeyPolicy: gate.ready,
    failureQueueArn: queues.lambdaFailures.arn,
    metricsNamespace,
  });

  // One key per stack for every `pii: hash` column, created only when a dataset hashes.
  const piiKey = datasets.some((d) => d.pii.some((p) => p.mode === "hash"))
    ? new PiiHashKey("pii-hash-key", { secretName: `${prefix}-pii-hash-key`, kmsKeyArn: keys.data.arn, keyPolicy: gate.ready, retainData })
    : undefined;
  const warehousePath = pulumi.interpolate`s3://${b.silver.name}/`;
  const sparkConf = warehousePath.apply(glueConfArgument);
  const datasetResources: Record<string, DatasetResources> = {};
  const jobRoles = datasets.map(
    (spec) =>
      (datasetResources[spec.name] = createDatasetResources(spec, {
        cfg,
        ctx,
        sources,
        retainData,
        keys,
        buckets: b,
        catalog,
        lakeFormation,
        artifacts,
        jobName: jobNames[spec.name],
        ruleName: ruleNames.arrival(spec.name),
        metricsNamespace,
        warehousePath,
        sparkConf,
        fileArrival: handlers.fileArrival,
        deadLetterQueueArn: queues.eventDlq.arn,
        piiKeySecretArn: piiKey?.secret.arn,
      })).jobRoleArn,
  );
  const modelResources = createModelResources(models, datasets, modelPlans, {
    cfg,
    ctx,
    retainData,
    keys,
    buckets: b,
    catalog,
    lakeFormation,
    artifacts,
    jobNames: modelJobNames,
    metricsNamespace,
    datasetTables: Object.fromEntries(Object.entries(datasetResources).map(([name, r]) => [name, r.tables])),
    piiKeySecretArn: piiKey?.secret.arn,
  });
  new EventTrigger("glue-job-state", {
    ruleName: ruleNames.jobState,
    description: "State changes of this stack's Glue jobs -> job-state (best effort: see reconciler)",
    // Load jobs and model jobs: job-state finalizes both, and starts the builds a load made due.
    eventPattern: JSON.stringify(glueJobStatePattern([...Object.values(jobNames), ...Object.values(modelJobNames)], `${prefix}-`)),
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

  const keyPolicies = createKeyPolicies({
    cfg,
    ctx,
    keys,
    buckets: b,
    deployer,
    jobRoles: [...jobRoles, ...modelResources.jobRoleArns],
    handlerRoles: Object.values(handlers).map((h) => h.role.arn),
    registrationRole: lakeFormation.registrationRole.arn,
    functionNames: Object.values(functionNames),
    securityConfigurationName: catalog.securityConfigurationName,
    ruleArns: queues.ruleArns,
    piiKeySecret: piiKey !== undefined,
  });
  gate.open(keyPolicies.policies);
  const athena = new Athena("athena", {
    workgroupName: prefix,
    resultsBucket: b.athena.name,
    kmsKeyArn: keys.athena.arn,
    bytesScannedCutoffPerQuery: cfg.athenaBytesScannedLimit,
    forceDestroy: !retainData,
  });
  const monitoring = new Monitoring("monitoring", {
    ctx,
    namePrefix: prefix,
    kmsKeyArn: keys.ops.arn,
    keyPolicy: gate.ready,
    alertEmail: cfg.alertEmail,
    datasets: datasets.map((s) => s.name),
    metricsNamespace,
    staleAfterHours: cfg.staleAfterHours,
    queueNames: { "event-dlq": queues.eventDlq.name, "lambda-failures": queues.lambdaFailures.name },
    functionNames: Object.fromEntries(Object.entries(handlers).map(([fn, h]) => [kebab(fn), h.functionName])),
    glueJobNames: jobNames,
    modelJobNames,
  });

  return {
    landingBucket: b.landing.name,
    opsBucket: b.ops.name,
    auditTable: audit.table.name,
    dashboardUrl: monitoring.dashboardUrl,
    athenaWorkgroup: athena.workgroup.name,
    glueDatabases: catalog.databaseNames,
    glueJobs: jobNames,
    modelJobs: modelJobNames,
    alertTopicArn: monitoring.topic.arn,
    eventDlqUrl: queues.eventDlq.url,
    lambdaFailuresQueueUrl: queues.lambdaFailures.url,
  };
}

/**
 * "Glue Job State Change" events of exactly these jobs; past EventBridge's default pattern size
 * (many datasets), of every job named with this stack's prefix (job-state ignores jobs it does not
 * know from GLUE_JOBS).
 */

