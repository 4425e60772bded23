import { expect } from "chai";
import { DATASETS } from "../../datasets";
import { MODELS } from "../../models";
import { HANDLER_ENV } from "../../handlers/env-contract";
import { LAMBDA_ASYNC_MAX_RETRIES } from "../../infra/defaults";
import { parseConfig } from "../../infra/config";
import { evaluateProgram } from "../mocks";
import { T, devRun, doc, prodRun } from "./program-runs";

const FUNCTIONS = ["file-arrival", "job-state", "reconciler"];

describe("infra: Lambdas", () => {
  it("runs three Node.js 22 functions, each with its own role and the full environment contract", async () => {
    const run = await devRun();
    expect(run.ofType(T.fn).map((f) => f.name).sort()).to.deep.equal(FUNCTIONS);
    const roles = new Set<string>();
    for (const name of FUNCTIONS) {
      const fn = run.named(name, T.fn).inputs;
      expect(fn).to.include({ runtime: "nodejs22.x", handler: "index.handler", name: `datalake-dev-${name}` });
      roles.add(fn.role);
      const env = fn.environment.variables;
      for (const variable of Object.values(HANDLER_ENV)) expect(env, `${name} ${variable}`).to.have.property(variable);
      expect(JSON.parse(env[HANDLER_ENV.glueJobs])).to.deep.equal(Object.fromEntries(DATASETS.map((s) => [s.name, `datalake-dev-${s.name}`])));
      // The model graph (infra/model-graph.ts) names every model's job, in build order.
      const graph = JSON.parse(env[HANDLER_ENV.modelGraph]);
      expect(Object.keys(graph).sort()).to.deep.equal(MODELS.map((m) => m.name).sort());
      expect(graph.fact_orders).to.include({ job: "datalake-dev-fact_orders" });
      expect(graph.fact_orders.after.sort()).to.deep.equal(["dim_customer", "dim_date"]);
      expect(graph.fact_orders.plan).to.match(/^[0-9a-f]{16}$/);
      expect(env[HANDLER_ENV.auditTable]).to.equal("datalake-dev-audit");
      expect(Number(env[HANDLER_ENV.slotLeaseSeconds])).to.be.greaterThan(30 * 60);
      expect(fn.loggingConfig).to.include({ logFormat: "JSON", logGroup: `/aws/lambda/datalake-dev-${name}` });
    }
    expect(roles.size).to.equal(3);
  });

  it("lets job-state and the reconciler start and watch model jobs, and file-arrival only load jobs", async () => {
    const run = await devRun();
    const jobArns = (fn: string) =>
      doc(run.named(`${fn}-policy`, T.rolePolicy))
        .Statement.filter((s: any) => [s.Action].flat().includes("glue:StartJobRun"))
        .flatMap((s: any) => [s.Resource].flat() as string[]);
    const models = (arns: string[]) => arns.filter((a) => MODELS.some((m) => a.endsWith(`:job/datalake-dev-${m.name}`))).length;
    expect(models(jobArns("job-state"))).to.equal(MODELS.length);
    expect(models(jobArns("reconciler"))).to.equal(MODELS.length);
    expect(models(jobArns("file-arrival"))).to.equal(0);
    expect(jobArns("file-arrival")).to.have.length(DATASETS.length);
  });

  it("gives each function a KMS-encrypted log group with the stack's retention", async () => {
    const [dev, prod] = [await devRun(), await prodRun()];
    for (const [run, days] of [[dev, 14], [prod, 90]] as const) {
      const opsKey = run.named("keys-ops", T.key).state.arn;
      for (const name of FUNCTIONS) {
        expect(run.named(`${name}-logs`, T.logGroup).inputs).to.include({ retentionInDays: days, kmsKeyId: opsKey });
      }
    }
  });

  it("declares async retries with a failure destination on every function", async () => {
    const run = await devRun();
    const failures = run.named("dlq-lambda-failures", T.queue).state.arn;
    for (const name of FUNCTIONS) {
      const config = run.named(`${name}-async`, T.invokeConfig).inputs;
      expect(config.functionName).to.equal(`datalake-dev-${name}`);
      expect(config.maximumRetryAttempts).to.equal(LAMBDA_ASYNC_MAX_RETRIES);
      expect(config.destinationConfig).to.deep.equal({ onFailure: { destination: failures } });
    }
  });
});

describe("infra: operations", () => {
  it("alarms on DLQ depth, Lambda errors, unidentified files, reconciler errors, failed runs and stale data, all to the encrypted alert topic", async () => {
    const run = await prodRun();
    const topic = run.named("monitoring-alerts", T.topic);
    expect(topic.inputs.kmsMasterKeyId).to.equal(run.named("keys-ops", T.key).state.arn);
    const alarms = run.ofType(T.alarm);
    // 2 queues, 3 functions, 2 unidentified-file reasons, the reconciler's errors, 2 per dataset, 1 per model.
    expect(alarms).to.have.length(2 + 3 + 2 + 1 + 2 * DATASETS.length + MODELS.length);
    for (const a of alarms) {
      expect(a.inputs.alarmActions, a.name).to.deep.equal([topic.state.arn]);
      expect(a.inputs.name, a.name).to.match(/^datalake-prod-/);
    }
    const stale = run.named("monitoring-orders-stale", T.alarm).inputs;
    expect(stale).to.include({ metricName: "DataAgeHours", namespace: "Datalake/prod", treatMissingData: "breaching", threshold: 26 });
    expect(stale.dimensions).to.deep.equal({ Dataset: "orders" });
    expect(run.named("monitoring-event-dlq-depth", T.alarm).inputs.dimensions).to.deep.equal({
      QueueName: run.named("dlq-events", T.queue).state.name,
    });
    expect(run.ofType(T.subscription).map((s) => s.inputs)).to.deep.equal([
      { topic: topic.state.arn, protocol: "email", endpoint: "data-oncall@example.com" },
    ]);
  });

  it("subscribes no email when the stack sets none, and publishes a dashboard", async () => {
    const run = await devRun();
    expect(run.ofType(T.subscription)).to.be.empty;
    const body = JSON.parse(run.ofType(T.dashboard)[0].inputs.dashboardBody);
    expect(body.widgets.length).to.be.greaterThan(3);
    expect(run.outputs.dashboardUrl).to.include("dashboards:name=datalake-dev");
  });

  it("enforces encrypted Athena results and a bytes-scanned limit", async () => {
    const run = await prodRun();
    const wg = run.ofType(T.workgroup)[0].inputs;
    expect(wg.configuration.enforceWorkgroupConfiguration).to.equal(true);
    expect(wg.configuration.bytesScannedCutoffPerQuery).to.equal(10 * 1024 ** 3);
    expect(wg.configuration.resultConfiguration.encryptionConfiguration).to.deep.equal({
      encryptionOption: "SSE_KMS",
      kmsKeyArn: run.named("keys-athena", T.key).state.arn,
    });
  });

  it("exports the landing bucket, audit table, dashboard, workgroup and Glue databases", async () => {
    const run = await prodRun();
    expect(run.outputs).to.include({
      landingBucket: run.named("storage-landing", T.bucket).state.bucket,
      auditTable: "datalake-prod-audit",
      athenaWorkgroup: "datalake-prod",
    });
    expect(run.outputs.glueDatabases).to.deep.equal({
      bronze: "datalake_prod_bronze",
      silver: "datalake_prod_silver",
      quarantine: "datalake_prod_quarantine",
      semantic: "datalake_prod_semantic",
    });
  });

  it("exports the URLs of the two dead-letter queues `datalake redrive` reads", async () => {
    const run = await prodRun();
    expect(run.outputs).to.include({
      eventDlqUrl: run.named("dlq-events", T.queue).state.url,
      lambdaFailuresQueueUrl: run.named("dlq-lambda-failures", T.queue).state.url,
    });
    expect(run.outputs.eventDlqUrl).to.match(/^https:\/\/sqs\./);
  });
});

describe("infra: Lambda tracing and concurrency", () => {
  it("traces every function with X-Ray by default, with the rights to send traces", async () => {
    const run = await devRun();
    for (const name of FUNCTIONS) {
      expect(run.named(name, T.fn).inputs.tracingConfig, name).to.deep.equal({ mode: "Active" });
      const xray = doc(run.named(`${name}-policy`, T.rolePolicy)).Statement.find((s) => s.Sid === "XRayTraces");
      expect(xray, name).to.deep.include({ Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" });
    }
  });

  it("reserves the configured concurrency per function (prod), none where unset (dev: new accounts have 10)", async () => {
    const [dev, prod] = [await devRun(), await prodRun()];
    for (const name of FUNCTIONS) expect(dev.named(name, T.fn).inputs.reservedConcurrentExecutions, name).to.equal(undefined);
    expect(FUNCTIONS.map((f) => prod.named(f, T.fn).inputs.reservedConcurrentExecutions)).to.deep.equal([20, 5, 1]);
  });

  it("keeps in CloudWatch the lines the handlers log: Lambda's application log level is the stack's logLevel", async () => {
    for (const name of FUNCTIONS) {
      const fn = (await devRun()).named(name, T.fn).inputs;
      expect(fn.environment.variables[HANDLER_ENV.logLevel]).to.equal("INFO");
      expect(fn.loggingConfig.applicationLogLevel).to.equal("INFO");
    }
    // A stack that logs at debug keeps its debug lines: Lambda drops JSON lines below applicationLogLevel.
    const run = await evaluateProgram({ stack: "dev", overrides: { "datalake:logLevel": "debug" } });
    for (const name of FUNCTIONS) {
      const fn = run.named(name, T.fn).inputs;
      expect(fn.environment.variables[HANDLER_ENV.logLevel]).to.equal("DEBUG");
      expect(fn.loggingConfig.applicationLogLevel, name).to.equal("DEBUG");
    }
  });

  it("turns tracing off when the stack says so", async () => {
    const run = await evaluateProgram({ stack: "dev", overrides: { "datalake:lambda": { tracing: false } } });
    expect(run.named("file-arrival", T.fn).inputs.tracingConfig).to.deep.equal({ mode: "PassThrough" });
    expect(doc(run.named("file-arrival-policy", T.rolePolicy)).Statement.find((s) => s.Sid === "XRayTraces")).to.equal(undefined);
  });

  it("refuses a reserved concurrency for an unknown function or below 1", () => {
    const admins = { lakeFormationAdmins: ["arn:aws:iam::123456789012:role/Admin"] };
    expect(() => parseConfig({ ...admins, lambda: { reservedConcurrency: { fileArival: 2 } } }, "dev")).to.throw(/lambda\.reservedConcurrency.*fileArival/);
    expect(() => parseConfig({ ...admins, lambda: { reservedConcurrency: { reconciler: 0 } } }, "dev")).to.throw(/lambda\.reservedConcurrency\.reconciler.*>= 1/);
  });
});
