// Whole-program check: the Pulumi program evaluated under the shared mocks for the dev and the prod
// stack, with every policy of the pack run over the recorded resources. Zero mandatory violations
// besides KNOWN_INFRA_FINDINGS (test/policy/known-findings.ts).
import { expect } from "chai";
import { evaluateRules, formatFindings } from "../../policy/evaluate";
import { RULES } from "../../policy/rules";
import { get } from "../../policy/lib/model";
import { GLUE_JOB, GLUE_SECURITY_CONFIGURATION } from "../../policy/rules/glue";
import { CATALOG_DATABASE, LF_PERMISSIONS } from "../../policy/rules/lakeformation";
import { INVOKE_CONFIG, LAMBDA_FUNCTION, LOG_GROUP } from "../../policy/rules/lambda";
import { T, logTargets } from "../../policy/rules/s3";
import { ProgramRun } from "../mocks";
import { devRun, prodRun } from "../infra/program-runs";
import { KNOWN_INFRA_FINDINGS, isKnownInfraFinding } from "./known-findings";
import { fromRecorded } from "./recorded";

const STACKS: { stack: "dev" | "prod"; run: () => Promise<ProgramRun> }[] = [
  { stack: "dev", run: devRun },
  { stack: "prod", run: prodRun },
];

describe("policy pack over the whole program (mocks)", function () {
  this.timeout(120_000);

  for (const { stack, run } of STACKS) {
    describe(`${stack} stack`, () => {
      it("has zero mandatory violations besides KNOWN_INFRA_FINDINGS", async () => {
        const resources = (await run()).resources.map(fromRecorded);

        const findings = evaluateRules(resources, { environment: stack });

        const unexpected = findings.filter((f) => !isKnownInfraFinding(f));
        expect(unexpected, `\n${formatFindings(unexpected)}\n`).to.deep.equal([]);
      });

      it("still has every KNOWN_INFRA_FINDINGS entry (remove an entry once the program is fixed)", async () => {
        const resources = (await run()).resources.map(fromRecorded);

        const findings = evaluateRules(resources, { environment: stack });

        for (const known of KNOWN_INFRA_FINDINGS) {
          const hits = findings.filter(
            (f) => isKnownInfraFinding(f) && f.rule === known.rule && known.message.test(f.message),
          );
          expect(hits.length, `fixed, remove from KNOWN_INFRA_FINDINGS: ${known.issueItem}`).to.be.greaterThan(0);
        }
      });

      it("exercises the rules on real resources (buckets, keys, functions, jobs, targets, tables)", async () => {
        const types = new Set((await run()).resources.map((r) => r.type));

        for (const type of [
          "aws:s3/bucket:Bucket",
          "aws:kms/key:Key",
          "aws:lambda/function:Function",
          "aws:glue/job:Job",
          "aws:cloudwatch/eventTarget:EventTarget",
          "aws:dynamodb/table:Table",
          "aws:lakeformation/dataLakeSettings:DataLakeSettings",
        ]) {
          expect(types.has(type), type).to.equal(true);
        }
      });
    });
  }

  // Removing one kind of configuration resource from the real program must flag every resource it
  // protects: proves the joins match the program's resources (the zero-violation result is not vacuous).
  const REMOVALS: { type: string; rule: string; owner: string }[] = [
    { type: T.publicAccessBlock, rule: "s3-public-access-block", owner: T.bucket },
    { type: T.sse, rule: "s3-sse-kms-bucket-key", owner: T.bucket },
    { type: T.policy, rule: "s3-tls-only", owner: T.bucket },
    { type: T.versioning, rule: "s3-versioning", owner: T.bucket },
    { type: T.lifecycle, rule: "s3-lifecycle", owner: T.bucket },
    { type: T.ownership, rule: "s3-ownership-enforced", owner: T.bucket },
    { type: LOG_GROUP, rule: "lambda-log-group", owner: LAMBDA_FUNCTION },
    { type: INVOKE_CONFIG, rule: "lambda-async-failure-destination", owner: LAMBDA_FUNCTION },
    { type: GLUE_SECURITY_CONFIGURATION, rule: "glue-job-security-configuration", owner: GLUE_JOB },
  ];

  for (const { type, rule, owner } of REMOVALS) {
    it(`flags every ${owner.split(":").pop()} when the program loses its ${type.split(":").pop()}`, async () => {
      const resources = (await devRun()).resources.map(fromRecorded);
      const owners = resources.filter((r) => r.type === owner).map((r) => r.urn);

      const findings = evaluateRules(
        resources.filter((r) => r.type !== type),
        { environment: "dev" },
        RULES.filter((r) => r.name === rule),
      );

      expect(owners.length).to.be.greaterThan(0);
      expect(findings.map((f) => f.urn).sort()).to.deep.equal([...owners].sort());
    });
  }

  it("flags every reader grant of a PII table when the program loses the PII exclusions", async () => {
    const resources = (await devRun()).resources.map(fromRecorded);
    const readerGrants = resources.filter(
      (r) => r.type === LF_PERMISSIONS && Array.isArray(get(r.props, "tableWithColumns", "excludedColumnNames")),
    );
    const withoutExclusions = resources.map((r) =>
      readerGrants.includes(r)
        ? {
            ...r,
            props: {
              ...r.props,
              tableWithColumns: {
                ...(r.props.tableWithColumns as object),
                excludedColumnNames: undefined,
              },
            },
          }
        : r,
    );

    const findings = evaluateRules(
      withoutExclusions,
      { environment: "dev" },
      RULES.filter((r) => r.name === "lakeformation-reader-grants"),
    );

    expect(readerGrants.length).to.be.greaterThan(0);
    expect(findings.map((f) => f.urn).sort()).to.deep.equal(readerGrants.map((r) => r.urn).sort());
  });

  it("flags a reader grant on the semantic dim_customer table that shows email (PII derived from customers' spec)", async () => {
    const resources = (await devRun()).resources.map(fromRecorded);
    const rule = RULES.filter((r) => r.name === "lakeformation-reader-grants");
    const onDimCustomer = resources.filter(
      (r) => r.type === LF_PERMISSIONS && get(r.props, "tableWithColumns", "name") === "dim_customer" && get(r.props, "tableWithColumns", "databaseName") === "datalake_dev_semantic",
    );
    const withEmail = resources.map((r) =>
      onDimCustomer.includes(r) ? { ...r, props: { ...r.props, tableWithColumns: { ...(r.props.tableWithColumns as object), excludedColumnNames: ["country"] } } } : r,
    );
    // The same grant naming columns: email listed is a violation, the others are not.
    const named = (columns: string[]) =>
      resources.map((r) =>
        onDimCustomer.includes(r)
          ? { ...r, props: { ...r.props, tableWithColumns: { databaseName: "datalake_dev_semantic", name: "dim_customer", columnNames: columns } } }
          : r,
      );

    expect(onDimCustomer).to.have.length(1);
    expect(evaluateRules(resources, { environment: "dev" }, rule)).to.deep.equal([]);
    const findings = evaluateRules(withEmail, { environment: "dev" }, rule);
    expect(findings.map((f) => f.urn)).to.deep.equal([onDimCustomer[0].urn]);
    expect(findings[0].message).to.include("shows PII column(s) email");
    expect(evaluateRules(named(["customer_key", "email"]), { environment: "dev" }, rule).map((f) => f.urn)).to.deep.equal([onDimCustomer[0].urn]);
    expect(evaluateRules(named(["customer_key", "country"]), { environment: "dev" }, rule)).to.deep.equal([]);
  });

  it("flags a model job granted a write on a table it only reads (fact_orders inserting into silver orders)", async () => {
    const resources = (await devRun()).resources.map(fromRecorded);
    const rule = RULES.filter((r) => r.name === "lakeformation-model-job-writes");
    const read = resources.find((r) => r.type === LF_PERMISSIONS && r.name === "fact_orders-grants-job-read-silver-orders")!;
    const widened = resources.map((r) => (r === read ? { ...r, props: { ...r.props, permissions: ["DESCRIBE", "INSERT", "SELECT"] } } : r));

    expect(read, "fact_orders' read grant on silver orders").to.exist;
    expect(evaluateRules(resources, { environment: "dev" }, rule)).to.deep.equal([]);
    const findings = evaluateRules(widened, { environment: "dev" }, rule);
    expect(findings.map((f) => f.urn)).to.deep.equal([read.urn]);
    expect(findings[0].message).to.include("model job fact_orders gets INSERT on datalake_dev_silver.orders");
  });

  it("flags every Glue database, the semantic one included, whose table defaults go to IAM_ALLOWED_PRINCIPALS", async () => {
    const resources = (await devRun()).resources.map(fromRecorded);
    const databases = resources.filter((r) => r.type === CATALOG_DATABASE);
    const iamDefaults = { principal: { dataLakePrincipalIdentifier: "IAM_ALLOWED_PRINCIPALS" }, permissions: ["ALL"] };
    const opened = resources.map((r) =>
      databases.includes(r) ? { ...r, props: { ...r.props, createTableDefaultPermissions: [iamDefaults] } } : r,
    );

    const before = evaluateRules(resources, { environment: "dev" }, RULES.filter((r) => r.name === "lakeformation-database-defaults"));
    const findings = evaluateRules(opened, { environment: "dev" }, RULES.filter((r) => r.name === "lakeformation-database-defaults"));

    expect(databases.map((d) => d.props.name).sort()).to.deep.equal(["datalake_dev_bronze", "datalake_dev_quarantine", "datalake_dev_semantic", "datalake_dev_silver"]);
    expect(before).to.deep.equal([]);
    expect(findings.map((f) => f.urn).sort()).to.deep.equal(databases.map((d) => d.urn).sort());
  });

  it("checks the semantic bucket like silver: without its encryption it alone is flagged", async () => {
    const resources = (await devRun()).resources.map(fromRecorded);
    const semantic = resources.find((r) => r.type === T.bucket && r.urn.endsWith("::storage-semantic"));
    const withoutSse = resources.filter((r) => !(r.type === T.sse && r.urn.endsWith("::storage-semantic-sse")));

    const findings = evaluateRules(withoutSse, { environment: "dev" }, RULES.filter((r) => r.name === "s3-sse-kms-bucket-key"));

    expect(semantic, "storage-semantic bucket").to.exist;
    expect(withoutSse).to.have.length(resources.length - 1);
    expect(findings.map((f) => f.urn)).to.deep.equal([semantic!.urn]);
  });

  it("flags every bucket but the access-log bucket when server access logging is removed", async () => {
    const resources = (await devRun()).resources.map(fromRecorded);
    const logTarget = logTargets(resources);
    const expected = resources
      .filter((r) => r.type === T.bucket && !logTarget.has(r.urn))
      .map((r) => r.urn);

    const findings = evaluateRules(
      resources.filter((r) => r.type !== T.logging),
      { environment: "dev" },
      RULES.filter((r) => r.name === "s3-access-logging"),
    );

    expect(logTarget.size).to.equal(1);
    expect(expected.length).to.be.greaterThan(1);
    // Without BucketLogging nothing is a log target any more, so the log bucket is flagged too.
    expect(findings.length).to.equal(expected.length + 1);
  });
});
