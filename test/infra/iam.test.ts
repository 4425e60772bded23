import { expect } from "chai";
import { DATASETS, prefixSpellings } from "../../datasets";
import { MODELS } from "../../models";
import { RESOURCE_STAR_ACTIONS } from "../../infra/policies/document";
import { KEY_USE_ACTIONS } from "../../infra/policies/kms-key-policy";
import { MOCK_ACCOUNT, MOCK_DEPLOYER_ROLE } from "../mocks";
import { T, asList, devRun, doc, prodRun, targetedRuleArns } from "./program-runs";

const isWildcardAction = (a: string) => a === "*" || a.endsWith(":*") || a.includes("*");

describe("infra: IAM", () => {
  it("no Allow statement in any role policy uses a wildcard action, and '*' resources only for actions without resource types", async () => {
    const run = await prodRun();
    const policies = run.ofType(T.rolePolicy);
    expect(policies).to.have.length(DATASETS.length + MODELS.length + 3 + 1); // load and model jobs + handlers + LF registration role
    for (const p of policies) {
      for (const s of doc(p).Statement) {
        expect(s.Effect, p.name).to.equal("Allow");
        for (const action of asList<string>(s.Action)) expect(isWildcardAction(action), `${p.name} ${s.Sid} ${action}`).to.equal(false);
        for (const resource of asList<string>(s.Resource)) {
          if (resource === "*") {
            for (const action of asList<string>(s.Action)) {
              expect(RESOURCE_STAR_ACTIONS as readonly string[], `${p.name} ${s.Sid}`).to.include(action);
            }
          } else {
            expect(resource, `${p.name} ${s.Sid}`).to.match(/^arn:aws:/);
          }
        }
      }
    }
  });

  it("scopes each Glue job role to its own landing prefix and dataset prefixes", async () => {
    const run = await devRun();
    const landingArn = run.named("storage-landing", T.bucket).state.arn;
    const zoneArns = ["bronze", "silver", "quarantine"].map((z) => run.named(`storage-${z}`, T.bucket).state.arn).sort();
    for (const spec of DATASETS) {
      const statements = doc(run.named(`${spec.name}-job-policy`, T.rolePolicy)).Statement;
      const sid = (id: string) => statements.find((s) => s.Sid === id);
      // Any case routes to the dataset; ARNs are case-sensitive: each spelling (datasets/routing.ts).
      expect(prefixSpellings(spec)).to.have.length(2);
      expect(sid("ReadLandingFiles").Resource).to.deep.equal(prefixSpellings(spec).map((p) => `${landingArn}/${p}*`).sort());
      expect(sid("ListLandingPrefix")).to.deep.include({ Action: ["s3:ListBucket"], Resource: landingArn });
      expect(sid("ListLandingPrefix").Condition).to.deep.equal({ StringLike: { "s3:prefix": prefixSpellings(spec).map((p) => `${p}*`).sort() } });
      expect(sid("ReadWriteDatasetTables").Resource).to.deep.equal(zoneArns.map((z) => `${z}/${spec.name}/*`));
      expect(sid("ListDatasetPrefixes").Condition).to.deep.equal({ StringLike: { "s3:prefix": [`${spec.name}/`, `${spec.name}/*`] } });
      // The runner tells a missing publish record (404) from a denied read (403) only with this.
      expect(sid("ListOwnSummaries")).to.deep.include({ Action: ["s3:ListBucket"], Resource: run.named("storage-ops", T.bucket).state.arn });
      expect(sid("ListOwnSummaries").Condition).to.deep.equal({ StringLike: { "s3:prefix": [`summaries/${spec.name}/*`] } });
      const tables = sid("DatasetCatalogTables").Resource as string[];
      expect(tables.filter((r) => r.includes(":table/"))).to.have.length(6);
      expect(tables.filter((r) => r.includes(":table/")).every((r) => r.includes(`_${spec.name}`) || r.endsWith(`/${spec.target.table}`))).to.equal(true);
      expect(sid("PublishMetrics").Condition).to.deep.equal({ StringEquals: { "cloudwatch:namespace": ["Glue", "Datalake/dev"] } });
    }
  });

  it("lets each Glue job role write only its own log groups and use keys only through S3 / CloudWatch Logs", async () => {
    const run = await prodRun();
    const groupArn = (name: string) => `arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:${name}`;
    for (const spec of DATASETS) {
      const roleName = run.named(`${spec.name}-job-role`, T.role).state.name;
      const statements = doc(run.named(`${spec.name}-job-policy`, T.rolePolicy)).Statement;
      expect(statements.find((s) => s.Sid === "ContinuousLogs").Resource, spec.name).to.deep.equal([
        groupArn(`/aws-glue/jobs/datalake-prod-glue-role/${roleName}/output`),
        groupArn(`/aws-glue/jobs/datalake-prod-glue-role/${roleName}/output:*`),
        groupArn(`/aws-glue/jobs/datalake-prod-glue-role/${roleName}/error`),
        groupArn(`/aws-glue/jobs/datalake-prod-glue-role/${roleName}/error:*`),
        groupArn("/aws-glue/jobs/logs-v2-datalake-prod-glue"),
        groupArn("/aws-glue/jobs/logs-v2-datalake-prod-glue:*"),
      ]);
      const kms = statements.filter((s) => asList<string>(s.Action).some((a) => a.startsWith("kms:")));
      expect(kms.map((s) => [s.Resource, s.Condition.StringEquals["kms:ViaService"]])).to.deep.equal([
        [run.named("keys-data", T.key).state.arn, "s3.eu-west-1.amazonaws.com"],
        [run.named("keys-ops", T.key).state.arn, "logs.eu-west-1.amazonaws.com"],
      ]);
    }
  });

  it("lets the handlers use the keys only through S3, DynamoDB and SQS", async () => {
    const run = await devRun();
    for (const fn of ["file-arrival", "job-state", "reconciler"]) {
      const keys = doc(run.named(`${fn}-policy`, T.rolePolicy)).Statement.find((s) => s.Sid === "UseKeys");
      expect(keys.Condition, fn).to.deep.equal({
        StringEquals: { "kms:ViaService": ["dynamodb", "s3", "sqs"].map((s) => `${s}.eu-west-1.amazonaws.com`) },
      });
    }
  });

  it("lets file-arrival head objects only under dataset prefixes and start only this stack's jobs", async () => {
    const run = await devRun();
    const landingArn = run.named("storage-landing", T.bucket).state.arn;
    const statements = doc(run.named("file-arrival-policy", T.rolePolicy)).Statement;
    const sid = (id: string) => statements.find((s) => s.Sid === id);
    expect(sid("HeadLandingObjects").Resource).to.deep.equal(DATASETS.flatMap(prefixSpellings).map((p) => `${landingArn}/${p}*`).sort());
    expect(sid("StartJobRuns").Resource).to.deep.equal(
      DATASETS.map((s) => `arn:aws:glue:eu-west-1:${MOCK_ACCOUNT}:job/datalake-dev-${s.name}`).sort(),
    );
    const tableArn = run.named("audit", T.table).state.arn;
    expect(sid("AuditTable").Resource).to.deep.equal([
      tableArn,
      `${tableArn}/index/byDataset`,
      `${tableArn}/index/byJobRun`,
      `${tableArn}/index/outstanding`,
    ]);
    expect(sid("WriteOwnLogs").Resource).to.equal(`arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:/aws/lambda/datalake-dev-file-arrival:*`);
  });

  it("lets file-arrival list only the dataset prefixes of landing, so a missing object is a 404 (SOURCE_MISSING)", async () => {
    const run = await devRun();
    const landingArn = run.named("storage-landing", T.bucket).state.arn;
    const statements = doc(run.named("file-arrival-policy", T.rolePolicy)).Statement;
    const lists = statements.filter((s) => asList<string>(s.Action).includes("s3:ListBucket"));
    expect(lists).to.deep.equal([
      {
        Sid: "LandingMissingIs404",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: landingArn,
        Condition: { StringLike: { "s3:prefix": DATASETS.flatMap(prefixSpellings).map((p) => `${p}*`).sort() } },
      },
    ]);
  });

  it("lets job-state and the reconciler list only manifests/ and summaries/ of ops (missing summary is a 404)", async () => {
    const run = await devRun();
    const opsArn = run.named("storage-ops", T.bucket).state.arn;
    for (const fn of ["job-state", "reconciler"]) {
      const statements = doc(run.named(`${fn}-policy`, T.rolePolicy)).Statement;
      const lists = statements.filter((s) => asList<string>(s.Action).includes("s3:ListBucket") && s.Resource === opsArn);
      expect(lists, fn).to.deep.equal([
        {
          Sid: "RunFilesMissingIs404",
          Effect: "Allow",
          Action: ["s3:ListBucket"],
          Resource: opsArn,
          Condition: { StringLike: { "s3:prefix": ["manifests/*", "summaries/*"] } },
        },
      ]);
      // The list right covers exactly the keys the handler reads.
      expect(statements.find((s) => s.Sid === "ReadRunFiles").Resource, fn).to.deep.equal([`${opsArn}/manifests/*`, `${opsArn}/summaries/*`]);
    }
  });

  it("gives job-state no access to landing objects", async () => {
    const run = await devRun();
    const landingArn = run.named("storage-landing", T.bucket).state.arn;
    const resources = doc(run.named("job-state-policy", T.rolePolicy)).Statement.flatMap((s) => asList<string>(s.Resource));
    expect(resources.some((r) => r.startsWith(landingArn))).to.equal(false);
  });

  it("lets the reconciler's landing sweep list versions and head objects only under dataset prefixes", async () => {
    const run = await devRun();
    const landingArn = run.named("storage-landing", T.bucket).state.arn;
    const statements = doc(run.named("reconciler-policy", T.rolePolicy)).Statement;
    const landing = statements.filter((s) => asList<string>(s.Resource).some((r) => r.startsWith(landingArn)));
    const prefixes = { StringLike: { "s3:prefix": DATASETS.flatMap(prefixSpellings).map((p) => `${p}*`).sort() } };
    expect(landing).to.deep.equal([
      { Sid: "HeadLandingObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: DATASETS.flatMap(prefixSpellings).map((p) => `${landingArn}/${p}*`).sort() },
      { Sid: "LandingMissingIs404", Effect: "Allow", Action: ["s3:ListBucket"], Resource: landingArn, Condition: prefixes },
      { Sid: "SweepLandingVersions", Effect: "Allow", Action: ["s3:ListBucketVersions"], Resource: landingArn, Condition: prefixes },
    ]);
  });

  it("lets file-arrival list a key's versions only under dataset prefixes (a re-copy told from content put in between)", async () => {
    const run = await devRun();
    const landingArn = run.named("storage-landing", T.bucket).state.arn;
    const statements = doc(run.named("file-arrival-policy", T.rolePolicy)).Statement;
    expect(statements.filter((s) => asList<string>(s.Action).includes("s3:ListBucketVersions"))).to.deep.equal([
      {
        Sid: "CompareKeyVersions",
        Effect: "Allow",
        Action: ["s3:ListBucketVersions"],
        Resource: landingArn,
        Condition: { StringLike: { "s3:prefix": DATASETS.flatMap(prefixSpellings).map((p) => `${p}*`).sort() } },
      },
    ]);
  });

  it("lets services assume roles only for this account", async () => {
    const run = await devRun();
    for (const role of run.ofType(T.role)) {
      const [statement] = doc(role, "assumeRolePolicy").Statement;
      expect(statement.Action, role.name).to.equal("sts:AssumeRole");
      expect(statement.Condition, role.name).to.deep.equal({ StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT } });
    }
  });

  it("registers Lake Formation locations with a role limited to the zone buckets and the data key", async () => {
    const run = await devRun();
    const statements = doc(run.named("lakeformation-registration-policy", T.rolePolicy)).Statement;
    const zones = ["bronze", "quarantine", "semantic", "silver"].map((z) => run.named(`storage-${z}`, T.bucket).state.arn).sort();
    expect(statements.find((s) => s.Sid === "ListRegisteredBuckets").Resource).to.deep.equal(zones);
    expect(statements.find((s) => s.Sid === "UseDataKey").Resource).to.equal(run.named("keys-data", T.key).state.arn);
    expect(statements.find((s) => s.Sid === "UseDataKey").Condition).to.deep.equal({ StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
  });
});

describe("infra: KMS", () => {
  it("rotates every key and names exactly the platform roles as key users, each only through its service", async () => {
    const run = await prodRun();
    for (const key of run.ofType(T.key)) expect(key.inputs.enableKeyRotation, key.name).to.equal(true);
    const roleArns = (names: string[]) => names.map((n) => run.named(n, T.role).state.arn);
    const jobRoles = roleArns([...DATASETS, ...MODELS].map((s) => `${s.name}-job-role`));
    const handlerRoles = roleArns(["file-arrival-role", "job-state-role", "reconciler-role"]);
    const via = (...services: string[]) => ({ StringEquals: { "kms:ViaService": services.map((s) => `${s}.eu-west-1.amazonaws.com`).sort() } });

    const data = doc(run.named("key-policies-data", T.keyPolicy)).Statement;
    const sid = (statements: any[], id: string) => statements.find((s) => s.Sid === id);
    expect(sid(data, "ServiceRolesUseKey").Principal.AWS).to.deep.equal(
      [...jobRoles, ...handlerRoles, run.named("lakeformation-registration-role", T.role).state.arn].sort(),
    );
    expect(sid(data, "ServiceRolesUseKey").Action).to.deep.equal(KEY_USE_ACTIONS);
    expect(sid(data, "ServiceRolesUseKey").Condition).to.deep.equal(via("s3"));
    // The deployer: only objects of the ops and zone buckets (artifacts, Iceberg metadata), never landing.
    const deployerBuckets = ["bronze", "ops", "quarantine", "semantic", "silver"].map((b) => run.named(`storage-${b}`, T.bucket).state.arn);
    expect(sid(data, "DeployerUseKey")).to.deep.include({
      Principal: { AWS: [MOCK_DEPLOYER_ROLE] },
      Condition: { ...via("s3"), ArnLike: { "kms:EncryptionContext:aws:s3:arn": deployerBuckets.flatMap((b) => [b, `${b}/*`]).sort() } },
    });

    const ops = doc(run.named("key-policies-ops", T.keyPolicy)).Statement;
    expect(sid(ops, "HandlersUseKey")).to.deep.include({ Principal: { AWS: [...handlerRoles].sort() }, Condition: via("dynamodb", "sqs") });
    expect(sid(ops, "GlueJobsUseKey")).to.deep.include({ Principal: { AWS: [...jobRoles].sort() }, Condition: via("logs") });
    // Every statement granting use to a named principal carries kms:ViaService.
    for (const p of run.ofType(T.keyPolicy)) {
      for (const s of doc(p).Statement.filter((st) => st.Principal?.AWS && asList<string>(st.Action).some((a) => ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"].includes(a)))) {
        expect(s.Condition?.StringEquals?.["kms:ViaService"], `${p.name} ${s.Sid}`).to.be.an("array").that.is.not.empty;
      }
    }
  });

  it("keeps readers off the data key: they use only the Athena results key, through Athena and S3", async () => {
    const run = await prodRun();
    const readers = ["arn:aws:iam::123456789012:role/BiService", "arn:aws:iam::123456789012:role/DataAnalyst"];
    const principals = (name: string) => doc(run.named(name, T.keyPolicy)).Statement.flatMap((s) => asList<string>(s.Principal?.AWS));
    for (const reader of readers) {
      expect(principals("key-policies-data"), reader).to.not.include(reader);
      expect(principals("key-policies-ops"), reader).to.not.include(reader);
    }
    const athena = doc(run.named("key-policies-athena", T.keyPolicy)).Statement.find((s) => s.Sid === "ReadersAndOperatorsUseKey");
    expect(athena.Principal.AWS).to.include.members(readers);
    expect(athena.Condition.StringEquals["kms:ViaService"]).to.deep.equal(["athena.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com"]);
    const resultsKey = run.named("keys-athena", T.key).state.arn;
    expect(run.ofType(T.workgroup)[0].inputs.configuration.resultConfiguration.encryptionConfiguration.kmsKeyArn).to.equal(resultsKey);
  });

  it("lets CloudWatch Logs, EventBridge and CloudWatch alarms use the ops key only for this stack's log groups, rules and alarms", async () => {
    const run = await prodRun();
    const ops = doc(run.named("key-policies-ops", T.keyPolicy)).Statement;
    const logs = ops.find((s) => s.Sid === "CloudWatchLogsEncryptsLogGroups");
    expect(logs.Principal).to.deep.equal({ Service: "logs.eu-west-1.amazonaws.com" });
    const groups = logs.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] as string[];
    for (const group of run.ofType(T.logGroup)) expect(groups).to.include(`arn:aws:logs:eu-west-1:${MOCK_ACCOUNT}:log-group:${group.inputs.name}`);
    expect(groups.filter((g) => g.includes("/aws/lambda/"))).to.have.length(3);
    expect(groups.every((g) => g.includes("/aws/lambda/datalake-prod-") || g.includes("datalake-prod-glue"))).to.equal(true);
    const events = ops.find((s) => s.Sid === "EventsPublishesToEncryptedQueuesAndTopics");
    expect(events.Condition.ArnLike["aws:SourceArn"]).to.deep.equal(targetedRuleArns(run));
    const alarms = ops.find((s) => s.Sid === "CloudwatchPublishesToEncryptedQueuesAndTopics");
    expect(alarms.Condition.ArnLike["aws:SourceArn"]).to.deep.equal([`arn:aws:cloudwatch:eu-west-1:${MOCK_ACCOUNT}:alarm:datalake-prod-*`]);
  });

  it("lets the named operators decrypt DLQ messages through SQS (datalake redrive), and nothing else", async () => {
    const run = await prodRun();
    const operators = doc(run.named("key-policies-ops", T.keyPolicy)).Statement.find((s) => s.Sid === "OperatorsReadQueuesUseKey");
    expect(operators).to.deep.include({
      Principal: { AWS: ["arn:aws:iam::123456789012:role/DataPlatformAdmin"] },
      Action: ["kms:Decrypt", "kms:DescribeKey"],
      Condition: { StringEquals: { "kms:ViaService": ["sqs.eu-west-1.amazonaws.com"] } },
    });
  });

  it("gives the account root key administration but not decryption", async () => {
    const run = await devRun();
    for (const p of run.ofType(T.keyPolicy)) {
      const admin = doc(p).Statement.find((s) => s.Sid === "AccountAdministersKey");
      expect(admin.Principal).to.deep.equal({ AWS: `arn:aws:iam::${MOCK_ACCOUNT}:root` });
      expect(admin.Action).to.not.include("kms:Decrypt");
      expect((admin.Action as string[]).some(isWildcardAction)).to.equal(false);
      const grants = doc(p).Statement.find((s) => s.Sid === "AccountGrantsToAwsServices");
      expect(grants.Condition).to.deep.equal({ Bool: { "kms:GrantIsForAWSResource": true } });
      const rootStatements = doc(p).Statement.filter((s) => s.Principal?.AWS === `arn:aws:iam::${MOCK_ACCOUNT}:root`);
      const rootActions = rootStatements.flatMap((s) => s.Action as string[]);
      for (const use of ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom"]) expect(rootActions).to.not.include(use);
    }
  });

});
