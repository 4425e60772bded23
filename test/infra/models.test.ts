// The semantic models in the Pulumi program: per model an Iceberg table in the semantic database,
// readers' grants without PII columns, a Glue job (plan artifact, least-privilege role, Lake
// Formation grants) and a failed-run alarm on the alert topic.
import { expect } from "chai";
import { join } from "path";
import { DATASETS } from "../../datasets";
import type { DatasetSpec } from "../../datasets/define";
import { MODEL_JOB_ARGS } from "../../infra/components/model-job";
import { REPO_ROOT } from "../../infra/lambda-code";
import { modelIcebergSchema, modelPiiColumns } from "../../infra/model-layout";
import { sparkModelArtifact } from "../../engine/spark/model-artifact";
import { modelGraph } from "../../infra/model-graph";
import { deployedModel } from "../../infra/model-wiring";
import { MODELS } from "../../models";
import type { DateDimensionSpec, DimensionSpec, FactSpec } from "../../models/define";
import { ProgramRun, evaluateProgram } from "../mocks";
import { T, devRun, doc, prodRun } from "./program-runs";

const READERS = ["arn:aws:iam::123456789012:role/BiService", "arn:aws:iam::123456789012:role/DataAnalyst"];
const modelTables = (run: ProgramRun) => run.ofType(T.glueTable).filter((t) => t.inputs.databaseName.endsWith("_semantic"));
const statement = (run: ProgramRun, model: string, sid: string) => doc(run.named(`${model}-job-policy`, T.rolePolicy)).Statement.find((s) => s.Sid === sid);
const jobGrants = (run: ProgramRun, model: string) => {
  const role = run.named(`${model}-job-role`, T.role).state.arn;
  return run.ofType(T.lfPermissions).filter((p) => p.inputs.principal === role);
};

describe("infra: semantic models", () => {
  it("declares one Iceberg table per model in the semantic database, under <model>/ of the semantic bucket, protected in prod", async () => {
    const [dev, prod] = [await devRun(), await prodRun()];
    const semantic = dev.named("storage-semantic", T.bucket).state.bucket;
    const tables = modelTables(dev);
    expect(tables.map((t) => t.inputs.name).sort()).to.deep.equal(MODELS.map((m) => m.name).sort());
    for (const t of tables) {
      expect(t.inputs.databaseName).to.equal("datalake_dev_semantic");
      const iceberg = t.inputs.openTableFormatInput.icebergInput;
      expect(iceberg.metadataOperation).to.equal("CREATE");
      expect(iceberg.icebergTableInput.location).to.equal(`s3://${semantic}/${t.inputs.name}/${t.inputs.name}`);
      expect(iceberg.icebergTableInput.properties).to.include({ "write.wap.enabled": "true" });
    }
    for (const t of modelTables(prod)) expect([t.protect, t.retainOnDelete], t.name).to.deep.equal([true, true]);
  });

  it("gives dim_customer the SCD2 columns as Iceberg types and fact_orders a hidden month partition of its order date", async () => {
    const run = await devRun();
    const table = (name: string) => modelTables(run).find((t) => t.inputs.name === name)!.inputs.openTableFormatInput.icebergInput.icebergTableInput;
    const customer = table("dim_customer");
    expect(customer.schema.fields.map((f: any) => `${f.name}:${f.type}`)).to.deep.equal([
      "customer_key:long",
      "customer_id:long",
      "email:string",
      "country:string",
      "signup_date:date",
      "valid_from:timestamptz",
      "valid_to:timestamptz",
      "is_current:boolean",
    ]);
    expect(customer.partitionSpec).to.equal(undefined);
    const orders = table("fact_orders");
    const orderDate = orders.schema.fields.find((f: any) => f.name === "order_date");
    expect(orderDate.type).to.equal("date");
    expect(orders.partitionSpec.fields).to.deep.equal([{ name: "order_date_month", sourceId: orderDate.id, transform: "month", fieldId: 1000 }]);
  });

  it("refuses a partition column the plan does not have, in one line", () => {
    expect(() => modelIcebergSchema({ model: "fact_x", columns: [{ name: "a", type: "int" }], partitionBy: { column: "b" } })).to.throw(
      "model fact_x: partition column b is not a column of its plan",
    );
  });

  it("grants each reader SELECT on every model table, dim_customer without email, and DESCRIBE on the semantic database", async () => {
    const run = await prodRun();
    const grants = run.ofType(T.lfPermissions).filter((p) => READERS.includes(p.inputs.principal) && p.inputs.tableWithColumns?.databaseName === "datalake_prod_semantic");
    expect(grants).to.have.length(READERS.length * MODELS.length);
    for (const g of grants) {
      expect(g.inputs.permissions).to.deep.equal(["SELECT"]);
      expect(g.inputs.tableWithColumns.wildcard).to.equal(true);
      if (g.inputs.tableWithColumns.name === "dim_customer") expect(g.inputs.tableWithColumns.excludedColumnNames).to.deep.equal(["email"]);
      else expect(g.inputs.tableWithColumns, g.name).to.not.have.property("excludedColumnNames");
    }
    const semanticDescribe = run.ofType(T.lfPermissions).filter((p) => READERS.includes(p.inputs.principal) && p.inputs.database?.name === "datalake_prod_semantic");
    expect(semanticDescribe.map((p) => p.inputs.principal).sort()).to.deep.equal(READERS);
  });

  it("derives PII columns from the datasets' exclude marks: dimension attributes, fact columns through lookups, never hash columns", () => {
    const people: DatasetSpec = {
      ...DATASETS.find((d) => d.name === "customers")!,
      name: "people",
      pii: [
        { column: "email", mode: "exclude" },
        { column: "country", mode: "hash" },
      ],
    };
    const dim: DimensionSpec = {
      kind: "dimension",
      name: "dim_person",
      source: "people",
      naturalKey: "customer_id",
      surrogateKey: "person_key",
      attributes: [
        { name: "email", scd: 2 },
        { name: "country", scd: 1 },
      ],
      deletes: "close",
      inferredMembers: false,
      sourceFile: "t",
    };
    expect(modelPiiColumns(dim, [people])).to.deep.equal(["email"]);
    const fact: FactSpec = {
      kind: "fact",
      name: "fact_x",
      source: "orders",
      grain: ["order_id"],
      lookups: [{ name: "who", dataset: "people", on: { lookup: null, column: "customer_id" } }],
      dimensions: [],
      dates: [],
      measures: [{ name: "total_amount", column: { lookup: null, column: "total_amount" } }],
      degenerate: [
        { name: "contact", column: { lookup: "who", column: "email" } },
        { name: "where", column: { lookup: "who", column: "country" } },
        { name: "status", column: { lookup: null, column: "status" } },
      ],
      partitionBy: null,
      sourceFile: "t",
    };
    const orders = DATASETS.find((d) => d.name === "orders")!;
    expect(modelPiiColumns(fact, [orders, people])).to.deep.equal(["contact"]);
    // The same column read from the fact's own source, which marks nothing: not PII.
    expect(modelPiiColumns({ ...fact, degenerate: [{ name: "status", column: { lookup: null, column: "status" } }] }, [orders, people])).to.deep.equal([]);
  });

  it("runs one Glue job per model: the model entry script, its plan artifact, the semantic warehouse and databases", async () => {
    const run = await devRun();
    const ops = run.named("storage-ops", T.bucket).state.bucket;
    const semantic = run.named("storage-semantic", T.bucket).state.bucket;
    expect(run.outputs.modelJobs).to.deep.equal(Object.fromEntries(MODELS.map((m) => [m.name, `datalake-dev-${m.name}`])));
    const objects = run.ofType(T.object);
    for (const model of MODELS) {
      const job = run.named(`${model.name}-job`, T.glueJob).inputs;
      expect(job).to.include({ name: `datalake-dev-${model.name}`, glueVersion: "5.1", securityConfiguration: "datalake-dev-glue", maxRetries: 0 });
      expect(job.executionProperty).to.deep.equal({ maxConcurrentRuns: 1 });
      expect(job.command.scriptLocation).to.match(new RegExp(`^s3://${ops}/scripts/build_model-[0-9a-f]{16}\\.py$`));
      const args = job.defaultArguments;
      expect(args).to.include({
        [MODEL_JOB_ARGS.model]: model.name,
        [MODEL_JOB_ARGS.opsBucket]: ops,
        [MODEL_JOB_ARGS.warehousePath]: `s3://${semantic}/`,
        [MODEL_JOB_ARGS.semanticDatabase]: "datalake_dev_semantic",
        [MODEL_JOB_ARGS.silverDatabase]: "datalake_dev_silver",
        [MODEL_JOB_ARGS.bronzeDatabase]: "datalake_dev_bronze",
        "--datalake-formats": "iceberg",
      });
      expect(args["--conf"]).to.include(`spark.sql.catalog.glue_catalog.warehouse=s3://${semantic}/`);
      expect(args).to.not.have.property(MODEL_JOB_ARGS.filesPath);
      const keys = objects.map((o) => `s3://${ops}/${o.inputs.key}`);
      for (const uri of [job.command.scriptLocation, args["--extra-py-files"], args[MODEL_JOB_ARGS.planUri]]) expect(keys).to.include(uri);
      const plan = JSON.parse(objects.find((o) => args[MODEL_JOB_ARGS.planUri] === `s3://${ops}/${o.inputs.key}`)!.inputs.content);
      expect(plan).to.include({ model: model.name, kind: model.kind, dialect: "spark" });
      expect(args[MODEL_JOB_ARGS.planUri]).to.match(new RegExp(`^s3://${ops}/plans/models/${model.name}/[0-9a-f]{16}\\.json$`));
    }
    // One library object for load and model jobs.
    expect(objects.filter((o) => o.inputs.key.startsWith("libs/"))).to.have.length(1);
  });

  it("names in each plan artifact the table and columns of every dataset input (bronze, files ledger, silver)", async () => {
    const run = await devRun();
    const planOf = (model: string) => {
      const uri = run.named(`${model}-job`, T.glueJob).inputs.defaultArguments[MODEL_JOB_ARGS.planUri] as string;
      return JSON.parse(run.ofType(T.object).find((o) => uri.endsWith(`/${o.inputs.key}`))!.inputs.content);
    };
    const customer = planOf("dim_customer");
    expect(Object.keys(customer.tables).sort()).to.deep.equal(["bronze_log", "files_ledger"]);
    expect(customer.tables.bronze_log.name).to.equal("bronze_customers");
    expect(customer.tables.bronze_log.columns.map((c: any) => c.name)).to.include.members(["customer_id", "email", "_op", "_run_id"]);
    expect(customer.tables.files_ledger.name).to.equal("files_customers");
    const items = planOf("fact_order_items");
    expect(Object.fromEntries(Object.entries(items.tables).map(([k, v]: [string, any]) => [k, v.name]))).to.deep.equal({
      bronze_order_items: "bronze_order_items",
      bronze_orders: "bronze_orders",
      silver_order_items: "order_items",
      silver_orders: "orders",
    });
  });

  it("scopes each model job's role to the prefixes and tables its plan reads and its own table; nothing of landing or quarantine", async () => {
    const run = await devRun();
    const arn = (bucket: string) => run.named(`storage-${bucket}`, T.bucket).state.arn;
    const facts = statement(run, "fact_orders", "ReadInputTables");
    // Incremental: a fact also reads its datasets' bronze (the load runs it has not built from yet).
    expect(facts.Resource).to.deep.equal([`${arn("bronze")}/orders/*`, `${arn("semantic")}/dim_customer/*`, `${arn("semantic")}/dim_date/*`, `${arn("silver")}/orders/*`].sort());
    expect(statement(run, "fact_orders", "ReadWriteModelTable").Resource).to.equal(`${arn("semantic")}/fact_orders/*`);
    // A dimension reads its source's bronze, and its silver's snapshot log for the load plan that
    // built it (engine/models/source-specs.ts).
    expect(statement(run, "dim_customer", "ReadInputTables").Resource).to.deep.equal([`${arn("bronze")}/customers/*`, `${arn("silver")}/customers/*`]);
    expect(statement(run, "dim_date", "ReadInputTables")).to.equal(undefined);
    const glue = "arn:aws:glue:eu-west-1:123456789012";
    // Glue authorizes UpdateTable on the table and its ancestors: the catalog and its database.
    expect(statement(run, "fact_orders", "CommitModelTable").Resource).to.deep.equal(
      [`${glue}:catalog`, `${glue}:database/datalake_dev_semantic`, `${glue}:table/datalake_dev_semantic/fact_orders`].sort(),
    );
    expect(statement(run, "fact_orders", "ReadInputCatalog").Resource).to.include.members([
      `${glue}:table/datalake_dev_semantic/dim_customer`,
      `${glue}:table/datalake_dev_silver/orders`,
    ]);
    for (const model of MODELS) {
      // Every catalog action on a table is allowed on the catalog and the table's database too.
      for (const s of doc(run.named(`${model.name}-job-policy`, T.rolePolicy)).Statement.filter((s) => [s.Action].flat().includes("glue:UpdateTable"))) {
        const resources = [s.Resource].flat() as string[];
        for (const table of resources.filter((r) => r.includes(":table/"))) {
          const database = table.split(":table/")[1].split("/")[0];
          expect(resources, `${model.name} ${s.Sid}`).to.include.members([`${glue}:catalog`, `${glue}:database/${database}`]);
        }
      }
      const text = run.named(`${model.name}-job-policy`, T.rolePolicy).inputs.policy as string;
      for (const bucket of ["landing", "quarantine"]) expect(text, `${model.name} ${bucket}`).to.not.include(arn(bucket));
      const writes = doc(run.named(`${model.name}-job-policy`, T.rolePolicy)).Statement.filter((s) => [s.Action].flat().includes("s3:PutObject"));
      const ops = arn("ops");
      expect(writes.flatMap((s) => [s.Resource].flat()).sort()).to.deep.equal(
        [`${arn("semantic")}/${model.name}/*`, `${ops}/summaries/semantic/${model.name}/*`, `${ops}/state/semantic/${model.name}/*`, `${ops}/tmp/${model.name}/*`].sort(),
      );
    }
  });

  it("grants each model job SELECT on exactly the tables it reads and the job permissions on its own table", async () => {
    const run = await devRun();
    const semanticArn = run.named("storage-semantic", T.bucket).state.arn;
    const orders = jobGrants(run, "fact_orders");
    const reads = orders.filter((g) => g.inputs.table && g.inputs.table.name !== "fact_orders");
    // files_orders: the job reads the ledger's publishing marker, never a dataset mid-publish.
    expect(reads.map((g) => `${g.inputs.table.databaseName}/${g.inputs.table.name}`).sort()).to.deep.equal([
      "datalake_dev_bronze/bronze_orders",
      "datalake_dev_bronze/files_orders",
      "datalake_dev_semantic/dim_customer",
      "datalake_dev_semantic/dim_date",
      "datalake_dev_silver/orders",
    ]);
    for (const g of reads) expect(g.inputs.permissions).to.deep.equal(["DESCRIBE", "SELECT"]);
    const own = orders.find((g) => g.inputs.table?.name === "fact_orders")!;
    expect(own.inputs.permissions).to.deep.equal(["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"]);
    expect(orders.filter((g) => g.inputs.dataLocation).map((g) => g.inputs.dataLocation.arn)).to.deep.equal([`${semanticArn}/fact_orders`]);
    expect(orders.filter((g) => g.inputs.database).map((g) => g.inputs.database.name).sort()).to.deep.equal(["datalake_dev_bronze", "datalake_dev_semantic", "datalake_dev_silver"]);
    const customer = jobGrants(run, "dim_customer").filter((g) => g.inputs.table && g.inputs.table.name !== "dim_customer");
    expect(customer.map((g) => g.inputs.table.name).sort()).to.deep.equal(["bronze_customers", "customers", "files_customers"]);
  });

  it("alarms on the alert topic per model on any failed build the handlers record (RunFailed, Dataset = the model)", async () => {
    const run = await devRun();
    const topic = run.named("monitoring-alerts", T.topic).state.arn;
    const topicPolicy = run.named("monitoring-alerts-policy", T.topicPolicy).inputs.policy as string;
    for (const model of MODELS) {
      // The handlers record every model build and emit RunFailed with Dataset = the model
      // (handlers/core/model-runs.ts): a refused audit alarms even when the Glue run SUCCEEDED.
      const alarm = run.named(`monitoring-${model.name}-failed-runs`, T.alarm).inputs;
      expect(alarm).to.include({ metricName: "RunFailed", statistic: "Sum", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
      expect(alarm.namespace).to.equal(run.named("monitoring-orders-failed-runs", T.alarm).inputs.namespace);
      expect(alarm.dimensions).to.deep.equal({ Dataset: model.name });
      expect(alarm.alarmActions).to.deep.equal([topic]);
      expect(topicPolicy).to.include(`alarm:${alarm.name}`);
    }
    expect(run.ofType(T.rule).filter((r) => r.name.endsWith("-failed")), "no Glue-event rules: the handlers see every build").to.deep.equal([]);
  });

  it("charts each model's failed builds on the dashboard, from the handlers' RunFailed", async () => {
    const run = await devRun();
    const body = JSON.parse(run.ofType(T.dashboard)[0].inputs.dashboardBody);
    const widget = body.widgets.find((w: any) => w.properties.title === "Failed model builds");
    const namespace = run.named("monitoring-orders-failed-runs", T.alarm).inputs.namespace;
    expect(widget.properties.metrics).to.deep.equal([...MODELS].map((m) => m.name).sort().map((m) => [namespace, "RunFailed", "Dataset", m]));
  });

  it("lets the model job roles use the data key through S3 (the key policy's service roles)", async () => {
    const run = await devRun();
    const data = doc(run.named("key-policies-data", T.keyPolicy)).Statement;
    const roles = [data.find((s) => s.Sid === "ServiceRolesUseKey").Principal.AWS].flat();
    for (const model of MODELS) expect(roles, model.name).to.include(run.named(`${model.name}-job-role`, T.role).state.arn);
  });

  it("adding a model adds only its own table, reader grants, job, grants and failed-build alarm", async () => {
    const all = await devRun();
    const without = await evaluateProgram({ stack: "dev", datasets: DATASETS, models: MODELS.filter((m) => m.name !== "fact_shipments") });
    const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
    const before = new Set(without.resources.map(key));
    const added = all.resources.filter((r) => !before.has(key(r)));
    expect(without.resources.every((r) => all.resources.some((a) => key(a) === key(r)))).to.equal(true);
    for (const r of added) expect(r.name, r.type).to.match(/^(fact_shipments-|monitoring-fact_shipments-)/);
    expect(added.map((r) => r.name)).to.include.members([
      "fact_shipments-table",
      "fact_shipments-job",
      "fact_shipments-grants-job-table",
      "fact_shipments-grants-reader-DataAnalyst",
      "monitoring-fact_shipments-failed-runs",
    ]);
  });

  it("gives the handlers a plan hash that changes with the holidays file shipped next to dim_date's plan", () => {
    const path = "test/fixtures/glue/holidays.csv";
    const dimDate: DateDimensionSpec = { kind: "date", name: "dim_date", range: { from: "2024-01-01", to: "2024-12-31" }, fiscalYearStartMonth: 1, holidaysFile: path, sourceFile: "t" };
    const artifact = sparkModelArtifact(dimDate, DATASETS, [dimDate]);
    const deployed = deployedModel(dimDate, artifact, DATASETS) as { files: { path: string; content: string }[] };
    expect(deployed.files.map((f) => [f.path, Buffer.from(f.content, "base64").toString("utf8")])).to.deep.equal([[path, "date,name\n2024-12-25,Christmas Day\n"]]);
    const hash = (planOf: () => unknown) => modelGraph([dimDate], DATASETS, { dim_date: "job" }, planOf).dim_date.plan;
    const edited = { ...deployed, files: [{ path, content: Buffer.from("date,name\n2024-12-26,Boxing Day\n").toString("base64") }] };
    expect(hash(() => deployed), "same deploy, same hash").to.equal(hash(() => deployedModel(dimDate, artifact, DATASETS)));
    expect(hash(() => edited), "a holidays edit is a new plan").to.not.equal(hash(() => deployed));
  });

  it("gives the handlers a plan hash that a dataset edit leaving the model's SQL alone does not change", () => {
    const orders = DATASETS.find((d) => d.name === "orders")!;
    const accepting = { ...orders, rules: orders.rules.map((r) => (r.kind === "accepted_values" ? { ...r, values: [...r.values, "on_hold"] } : r)) };
    const edited = DATASETS.map((d) => (d.name === "orders" ? accepting : d));
    const fact = MODELS.find((m) => m.name === "fact_orders")!;
    const before = sparkModelArtifact(fact, DATASETS, MODELS);
    const after = sparkModelArtifact(fact, edited, MODELS);
    // The edit changes the load plan the build checks, not the fact's SQL: a build before the
    // next load of orders would only be refused (engine/models/source-specs.ts).
    expect(after.sources).to.not.deep.equal(before.sources);
    const hash = (datasets: typeof DATASETS, artifact: typeof before) => modelGraph([fact], datasets, { fact_orders: "job" }, () => deployedModel(fact, artifact, datasets)).fact_orders.plan;
    expect(hash(edited, after)).to.equal(hash(DATASETS, before));
    // A customers rule edit changes dim_customer's SQL (its history labels rows by the rules): a new plan.
    const customers = DATASETS.find((d) => d.name === "customers")!;
    const widened = DATASETS.map((d) => (d.name === "customers" ? { ...customers, rules: customers.rules.map((r) => (r.kind === "regex" ? { ...r, pattern: "^[A-Za-z]{2}$" } : r)) } : d));
    const dim = MODELS.find((m) => m.name === "dim_customer")!;
    const dimHash = (datasets: typeof DATASETS) => modelGraph([dim], datasets, { dim_customer: "job" }, () => deployedModel(dim, sparkModelArtifact(dim, datasets, MODELS), datasets)).dim_customer.plan;
    expect(dimHash(widened)).to.not.equal(dimHash(DATASETS));
  });

  it("ships a date dimension's holidays file next to its plan and points the job at it", async () => {
    const path = "test/fixtures/glue/holidays.csv";
    const dimDate: DateDimensionSpec = { kind: "date", name: "dim_date", range: { from: "2024-01-01", to: "2024-12-31" }, fiscalYearStartMonth: 1, holidaysFile: path, sourceFile: "t" };
    const run = await evaluateProgram({ stack: "dev", datasets: DATASETS, models: [dimDate] });
    const ops = run.named("storage-ops", T.bucket).state.bucket;
    const filesPath = run.named("dim_date-job", T.glueJob).inputs.defaultArguments[MODEL_JOB_ARGS.filesPath] as string;
    expect(filesPath).to.match(new RegExp(`^s3://${ops}/files/dim_date/[0-9a-f]{16}/$`));
    const file = run.ofType(T.object).find((o) => `s3://${ops}/${o.inputs.key}` === `${filesPath}${path}`);
    expect(file?.inputs.content).to.equal("date,name\n2024-12-25,Christmas Day\n");
    expect(statement(run, "dim_date", "ReadArtifacts").Resource).to.include(`arn:aws:s3:::${ops}/${file!.inputs.key}`);
    await expectRejected(
      evaluateProgram({ stack: "dev", datasets: DATASETS, models: [{ ...dimDate, holidaysFile: join(REPO_ROOT, path) }] }),
      /^model dim_date: file \/.*holidays\.csv is absolute/,
    );
  });
});

async function expectRejected(p: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await p;
  } catch (error) {
    expect(String((error as Error).message)).to.match(message);
    return;
  }
  expect.fail("expected the program to fail");
}
