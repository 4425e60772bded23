import { expect } from "chai";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DATASETS, defineDataset, getDataset } from "../../datasets";
import { MODELS } from "../../models";
import { JOB_ARGS, OPTIONAL_JOB_ARGS } from "../../engine/contracts";
import { DEFAULT_SOURCES } from "../../infra/platform";
import { ProgramRun, TEST_SOURCES, evaluateProgram } from "../mocks";
import { T, devRun, doc, prodRun } from "./program-runs";

const jobArgs = (run: ProgramRun, dataset: string) => run.named(`${dataset}-job`, T.glueJob).inputs;

describe("infra: Glue", () => {
  it("runs one job per dataset with the configured sizing, Glue version and one concurrent run", async () => {
    const [dev, prod] = [await devRun(), await prodRun()];
    // And one per model (models.test.ts).
    expect(dev.ofType(T.glueJob)).to.have.length(DATASETS.length + MODELS.length);
    const d = jobArgs(dev, "orders");
    expect(d).to.include({ name: "datalake-dev-orders", glueVersion: "5.1", workerType: "G.1X", numberOfWorkers: 2, timeout: 30, executionClass: "FLEX" });
    const p = jobArgs(prod, "orders");
    expect(p).to.include({ workerType: "G.2X", numberOfWorkers: 4, timeout: 120, executionClass: "STANDARD" });
    expect(p.executionProperty).to.deep.equal({ maxConcurrentRuns: 1 });
    expect(p.securityConfiguration).to.equal("datalake-prod-glue");
    expect(p.roleArn).to.equal(prod.named("orders-job-role", T.role).state.arn);
  });

  it("sets every JOB_ARGS default argument, the bronze database, Iceberg, metrics and continuous logs", async () => {
    const run = await devRun();
    const ops = run.named("storage-ops", T.bucket).state.bucket;
    const silver = run.named("storage-silver", T.bucket).state.bucket;
    const args = jobArgs(run, "customers").defaultArguments;
    for (const flag of Object.values(JOB_ARGS)) expect(args, flag).to.have.property(flag);
    expect(args[JOB_ARGS.opsBucket]).to.equal(ops);
    expect(args[JOB_ARGS.catalogDatabase]).to.equal("datalake_dev_silver");
    expect(args[JOB_ARGS.quarantineDatabase]).to.equal("datalake_dev_quarantine");
    expect(args[JOB_ARGS.warehousePath]).to.equal(`s3://${silver}/`);
    expect(args[JOB_ARGS.metricsNamespace]).to.equal("Datalake/dev");
    expect(args[OPTIONAL_JOB_ARGS.bronzeDatabase]).to.equal("datalake_dev_bronze");
    expect(args[JOB_ARGS.planUri]).to.match(new RegExp(`^s3://${ops}/plans/customers/[0-9a-f]{16}\\.json$`));
    expect(args["--extra-py-files"]).to.match(new RegExp(`^s3://${ops}/libs/datalake_glue-[0-9a-f]{16}\\.zip$`));
    expect(args).to.include({
      "--datalake-formats": "iceberg",
      "--enable-metrics": "true",
      "--enable-continuous-cloudwatch-log": "true",
      "--enable-glue-datacatalog": "true",
    });
    expect(args["--conf"]).to.include(`spark.sql.catalog.glue_catalog.warehouse=s3://${silver}/`);
  });

  it("uploads the plan, script and library under the keys the job references", async () => {
    const run = await devRun();
    const ops = run.named("storage-ops", T.bucket).state.bucket;
    const keys = run.ofType(T.object).map((o) => `s3://${ops}/${o.inputs.key}`);
    const job = jobArgs(run, "orders");
    expect(keys).to.include(job.command.scriptLocation);
    expect(keys).to.include(job.defaultArguments["--extra-py-files"]);
    expect(keys).to.include(job.defaultArguments[JOB_ARGS.planUri]);
    const plan = run.ofType(T.object).find((o) => job.defaultArguments[JOB_ARGS.planUri].endsWith(o.inputs.key));
    expect(JSON.parse(plan!.inputs.content)).to.include({ dataset: "orders", dialect: "spark" });
    const library = run.ofType(T.object).find((o) => o.inputs.key.startsWith("libs/"));
    expect(Object.keys(await library!.inputs.source.assets)).to.include.members(["datalake_glue/__init__.py", "datalake_glue/args.py"]);
  });

  it("changes the script key when the script is edited, and the library key when the package is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "glue-scripts-"));
    try {
      const script = join(dir, "load_dataset.py");
      const pkg = join(dir, "datalake_glue");
      cpSync(DEFAULT_SOURCES.glueEntryScript, script);
      cpSync(DEFAULT_SOURCES.gluePackageDir, pkg, { recursive: true });
      const sources = { ...TEST_SOURCES, glueEntryScript: script, gluePackageDir: pkg };
      const datasets = [getDataset("orders")];
      const keysOf = async () => {
        const run = await evaluateProgram({ stack: "dev", datasets, sources });
        const a = run.named("orders-job", T.glueJob).inputs;
        return { script: a.command.scriptLocation as string, lib: a.defaultArguments["--extra-py-files"] as string };
      };
      const before = await keysOf();
      const again = await keysOf();
      writeFileSync(script, "\n# edited\n", { flag: "a" });
      const scriptEdited = await keysOf();
      writeFileSync(join(pkg, "__init__.py"), "\n# edited\n", { flag: "a" });
      const libEdited = await keysOf();

      expect(again).to.deep.equal(before);
      expect(scriptEdited.script).to.not.equal(before.script);
      expect(scriptEdited.lib).to.equal(before.lib);
      expect(libEdited.lib).to.not.equal(before.lib);
      expect(libEdited.script).to.equal(scriptEdited.script);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keys pii: hash with one per-stack secret, named (never valued) in the hashing jobs' arguments", async () => {
    const members = defineDataset({
      name: "members",
      prefix: "members/",
      format: "csv",
      columns: { member_id: "bigint", email: "string" },
      primaryKey: ["member_id"],
      pii: [{ column: "email", mode: "hash" }],
    });
    const run = await evaluateProgram({ stack: "prod", datasets: [members, getDataset("orders")] });

    const [secret] = run.ofType(T.secret);
    expect(run.ofType(T.secret)).to.have.length(1);
    expect(secret.inputs).to.include({ name: "datalake-prod-pii-hash-key", kmsKeyId: run.named("keys-data", T.key).state.arn });
    expect(secret).to.include({ protect: true, retainOnDelete: true });
    const [version] = run.ofType(T.secretVersion);
    expect(version.ignoreChanges, "created once: a new value would rehash every table").to.include("secretString");
    // A Pulumi secret (encrypted in the state): the mocks see its wrapper.
    const raw = version.inputs.secretString;
    const key = (typeof raw === "string" ? raw : raw.value) as string;
    expect(key).to.match(/^[0-9a-f]{64}$/);

    const args = jobArgs(run, "members").defaultArguments;
    expect(args[OPTIONAL_JOB_ARGS.piiKeySecret]).to.equal(secret.state.arn);
    expect(jobArgs(run, "orders").defaultArguments, "orders hashes nothing").not.to.have.property(OPTIONAL_JOB_ARGS.piiKeySecret);
    const everything = JSON.stringify([run.ofType(T.glueJob).map((j) => j.inputs), run.ofType(T.object).map((o) => o.inputs.content ?? "")]);
    expect(everything).not.to.include(key);
    const grant = doc(run.named("members-job-pii-key", T.rolePolicy)).Statement;
    const dataKey = run.named("keys-data", T.key).state.arn;
    const viaSecretsManager = { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } };
    expect(grant).to.deep.equal([
      { Sid: "ReadPiiHashKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secret.state.arn },
      // The secret is encrypted with the data key, which the job otherwise uses only through S3.
      { Sid: "DecryptPiiHashKey", Effect: "Allow", Action: "kms:Decrypt", Resource: dataKey, Condition: viaSecretsManager },
    ]);
    // The key policy lets the deployer (writes the value) and the job roles (read it) use the data
    // key through Secrets Manager only; the secret and its value wait for that policy (first deploy).
    const dataPolicy = run.named("key-policies-data", T.keyPolicy);
    const secrets = doc(dataPolicy).Statement.find((st: any) => st.Sid === "PiiHashKeySecretUseKey");
    expect(secrets.Principal.AWS).to.include(run.named("members-job-role", T.role).state.arn);
    expect(secrets.Condition.StringEquals["kms:ViaService"]).to.deep.equal(["secretsmanager.eu-west-1.amazonaws.com"]);
    expect(secret.dependencies).to.include(dataPolicy.urn);
    expect(version.dependencies).to.include(dataPolicy.urn);
  });

  it("gives no key use through Secrets Manager when no dataset hashes PII", async () => {
    const run = await prodRun();
    expect(run.ofType(T.secret)).to.have.length(0);
    expect(doc(run.named("key-policies-data", T.keyPolicy)).Statement.map((st: any) => st.Sid)).to.not.include("PiiHashKeySecretUseKey");
  });

  it("encrypts S3 output, logs and bookmarks with KMS in the security configuration", async () => {
    const run = await devRun();
    const [sec] = run.ofType(T.glueSecurity);
    const data = run.named("keys-data", T.key).state.arn;
    const ops = run.named("keys-ops", T.key).state.arn;
    expect(sec.inputs.encryptionConfiguration).to.deep.equal({
      s3Encryption: { s3EncryptionMode: "SSE-KMS", kmsKeyArn: data },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: ops },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: data },
    });
  });

  it("declares the plan's six Iceberg tables per dataset, silver partitioned like the spec", async () => {
    const run = await devRun();
    expect(run.ofType(T.glueTable).filter((t) => !t.inputs.databaseName.endsWith("_semantic"))).to.have.length(DATASETS.length * 6);
    const orders = run.named("orders-tables-silver", T.glueTable).inputs;
    expect(orders).to.include({ name: "orders", databaseName: "datalake_dev_silver" });
    const iceberg = orders.openTableFormatInput.icebergInput;
    expect(iceberg.metadataOperation).to.equal("CREATE");
    const fields = iceberg.icebergTableInput.schema.fields as { id: number; name: string; type: string }[];
    expect(fields.find((f) => f.name === "order_id")!.type).to.equal("long");
    expect(fields.find((f) => f.name === "total_amount")!.type).to.equal("decimal(12,2)");
    const partitionNames = iceberg.icebergTableInput.partitionSpec.fields.map((f: any) => f.name);
    expect(partitionNames).to.deep.equal(["order_year", "order_month"]);
    const silver = run.named("storage-silver", T.bucket).state.bucket;
    expect(iceberg.icebergTableInput.location).to.equal(`s3://${silver}/orders/orders`);
    expect(run.named("orders-tables-quarantine", T.glueTable).inputs.databaseName).to.equal("datalake_dev_quarantine");
    expect(run.named("orders-tables-bronze", T.glueTable).inputs.databaseName).to.equal("datalake_dev_bronze");
  });

  it("never updates an Iceberg table in place (UpdateTable would drop metadata_location)", async () => {
    const run = await prodRun();
    for (const table of run.ofType(T.glueTable)) {
      expect(table.ignoreChanges, table.name).to.include.members(["openTableFormatInput", "parameters", "storageDescriptor"]);
    }
  });
});
