// Holes of issue #13 item 5 ("Policy pack holes"): each case here passed the pack before the fix.
import { expect } from "chai";
import { evaluateRules } from "../../policy/evaluate";
import { PolicyRes, Rule, RuleConfig, UNKNOWN } from "../../policy/lib/model";
import { RULES } from "../../policy/rules";
import { GLUE_JOB } from "../../policy/rules/glue";
import { IAM } from "../../policy/rules/iam";
import { KMS_KEY } from "../../policy/rules/kms";
import {
  LF_OPT_IN,
  LF_PERMISSIONS,
  LF_RESOURCE,
  piiColumnsByTable,
} from "../../policy/rules/lakeformation";
import { getDataset } from "../../datasets";
import { LAMBDA_PERMISSION } from "../../policy/rules/lambda";
import {
  SNS_TOPIC,
  SNS_TOPIC_POLICY,
  SQS_QUEUE,
  SQS_QUEUE_POLICY,
} from "../../policy/rules/messaging";
import { T } from "../../policy/rules/s3";
import { ACCOUNT, compliantBucket, replaceProps, res } from "./builders";
import { denyInsecure } from "./fixtures";

const rule = (name: string): Rule[] => RULES.filter((r) => r.name === name);
const messages = (name: string, resources: PolicyRes[], config: RuleConfig = {}) =>
  evaluateRules(resources, config, rule(name)).map((f) => f.message);
const UNKNOWN_VALUE = UNKNOWN as unknown as string;
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });

describe("policy pack holes (issue #13 item 5)", () => {
  describe("a wildcard principal needs a condition that pins the caller, not just a condition key", () => {
    const key = (Condition: unknown) =>
      res(KMS_KEY, "k", {
        enableKeyRotation: true,
        policy: doc({
          Sid: "Svc",
          Effect: "Allow",
          Principal: "*",
          Action: "kms:Decrypt",
          Resource: "*",
          Condition,
        }),
      });
    const topic = (Condition: unknown) =>
      res(SNS_TOPIC_POLICY, "t", {
        arn: "arn:alerts",
        policy: doc({
          Sid: "Pub",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "sns:Publish",
          Resource: "arn:alerts",
          Condition,
        }),
      });

    it("rejects kms:ViaService alone (any caller of that service in any account)", () => {
      const found = messages("kms-no-wildcard-principal", [
        key({ StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } }),
      ]);

      expect(found).to.have.length(1);
      expect(found[0]).to.contain('statement "Svc" allows Principal "*"');
    });

    it("rejects wildcard, malformed or negated account values", () => {
      const wildcardAccount = topic({ StringEquals: { "aws:PrincipalAccount": "*" } });
      const likeAnyAccount = topic({ StringLike: { "aws:SourceAccount": "12345678901?" } });
      const notAnAccount = topic({ StringEquals: { "aws:SourceAccount": "my-account" } });
      const negated = topic({ StringNotEquals: { "aws:PrincipalAccount": ACCOUNT } });
      const ifExists = topic({ StringEqualsIfExists: { "aws:PrincipalAccount": ACCOUNT } });
      const anyOrg = topic({ StringLike: { "aws:PrincipalOrgID": "o-*" } });

      for (const r of [wildcardAccount, likeAnyAccount, notAnAccount, negated, ifExists, anyOrg]) {
        expect(messages("sqs-sns-no-public-policy", [r]), JSON.stringify(r.props)).to.have.length(1);
      }
    });

    it("accepts concrete account, organization, source ARN and VPC endpoint conditions", () => {
      const ok = [
        topic({ StringEquals: { "aws:PrincipalAccount": ACCOUNT } }),
        topic({ StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } }),
        topic({ ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:dl-*` } }),
        topic({ StringEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } }),
        key({
          StringEquals: {
            "kms:CallerAccount": ACCOUNT,
            "kms:ViaService": "s3.eu-west-1.amazonaws.com",
          },
        }),
      ];

      for (const r of ok) {
        const name = r.type === KMS_KEY ? "kms-no-wildcard-principal" : "sqs-sns-no-public-policy";
        expect(messages(name, [r]), JSON.stringify(r.props)).to.deep.equal([]);
      }
    });

    it("rejects a source ARN whose account field is a wildcard", () => {
      const anyAccount = topic({
        ArnLike: { "aws:SourceArn": "arn:aws:cloudwatch:eu-west-1:*:alarm:*" },
      });

      expect(messages("sqs-sns-no-public-policy", [anyAccount])).to.have.length(1);
    });
  });

  describe("trust policies", () => {
    const role = (statement: Record<string, unknown>) =>
      res(IAM.role, "r", { assumeRolePolicy: doc({ Effect: "Allow", ...statement }) });
    const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

    it('rejects Principal {AWS:"*"} with a condition that does not pin the caller', () => {
      const found = messages(
        "iam-trust-policy-scoped",
        [
          role({
            Principal: { AWS: "*" },
            Action: "sts:AssumeRole",
            Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
          }),
        ],
      );

      expect(found).to.have.length(1);
      expect(found[0]).to.contain('Principal "*"');
    });

    it("rejects an OIDC trust without a concrete sub condition", () => {
      const audOnly = role({
        Principal: { Federated: OIDC },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" } },
      });
      const anySub = role({
        Principal: { Federated: OIDC },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
          StringLike: { "token.actions.githubusercontent.com:sub": "*" },
        },
      });

      const anyRepo = role({
        Principal: { Federated: OIDC },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringLike: { "token.actions.githubusercontent.com:sub": "repo:*:*" } },
      });

      expect(messages("iam-trust-policy-scoped", [audOnly])[0]).to.contain("sub");
      expect(messages("iam-trust-policy-scoped", [anySub])[0]).to.contain("sub");
      expect(messages("iam-trust-policy-scoped", [anyRepo])[0]).to.contain("sub");
    });

    it("accepts an OIDC trust pinned to one repository and environment", () => {
      const pinned = role({
        Principal: { Federated: OIDC },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": "repo:acme/datalake:environment:prod",
          },
        },
      });

      expect(messages("iam-trust-policy-scoped", [pinned])).to.deep.equal([]);
    });
  });

  describe("Lambda permissions for S3", () => {
    const permission = (props: Record<string, unknown>) =>
      res(LAMBDA_PERMISSION, "allow-s3", {
        action: "lambda:InvokeFunction",
        function: "fa",
        principal: "s3.amazonaws.com",
        sourceArn: "arn:aws:s3:::landing",
        ...props,
      });

    it("requires sourceAccount: a bucket ARN names no account, and bucket names can be re-registered", () => {
      expect(messages("lambda-permission-source-arn", [permission({})])[0]).to.contain(
        "sourceAccount",
      );
      expect(
        messages("lambda-permission-source-arn", [permission({ sourceAccount: ACCOUNT })]),
      ).to.deep.equal([]);
    });
  });

  describe("the SSE-S3 exemption of the access-log bucket", () => {
    const aes256 = { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] };

    it("does not exempt a data bucket that also receives another bucket's logs", () => {
      // landing logs to access-logs, and access-logs logs into landing: both "receive logs".
      const list = replaceProps(
        [
          ...compliantBucket("landing", { logBucket: "access-logs" }),
          ...compliantBucket("access-logs", { logBucket: "landing" }),
        ],
        "landing-sse",
        aes256,
      );

      expect(messages("s3-sse-kms-bucket-key", list)).to.deep.equal([
        'Bucket "landing": sseAlgorithm is AES256, expected aws:kms',
      ]);
    });

    it("does not exempt a log target that other principals may use", () => {
      const list = [
        ...compliantBucket("landing", { logBucket: "access-logs" }),
        ...compliantBucket("access-logs", { omit: ["policy"] }),
        res(T.policy, "access-logs-policy", {
          bucket: "access-logs-id",
          policy: doc(
            {
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: ["arn:aws:s3:::access-logs-physical", "arn:aws:s3:::access-logs-physical/*"],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/loader` },
              Action: "s3:PutObject",
              Resource: "arn:aws:s3:::access-logs-physical/*",
            },
          ),
        }),
      ];
      const aes = replaceProps(list, "access-logs-sse", aes256);

      expect(messages("s3-sse-kms-bucket-key", aes)[0]).to.contain('Bucket "access-logs"');
      expect(messages("s3-access-logging", aes)[0]).to.contain('Bucket "access-logs"');
    });
  });

  describe("Glue worker types and execution classes", () => {
    const job = (props: Record<string, unknown>) =>
      res(GLUE_JOB, "j", {
        name: "j",
        glueVersion: "5.0",
        securityConfiguration: "sc",
        command: { name: "glueetl", scriptLocation: "s3://ops/main.py" },
        workerType: "G.1X",
        numberOfWorkers: 2,
        ...props,
      });

    it("accepts Flex on G.1X/G.2X glueetl jobs and G.025X on streaming jobs", () => {
      for (const props of [
        { executionClass: "FLEX", workerType: "G.1X" },
        { executionClass: "FLEX", workerType: "G.2X" },
        { executionClass: "STANDARD", workerType: "G.8X" },
        { command: { name: "gluestreaming", scriptLocation: "s3://ops/s.py" }, workerType: "G.025X" },
      ]) {
        expect(messages("glue-job-worker-type", [job(props)]), JSON.stringify(props)).to.deep.equal(
          [],
        );
      }
    });

    it("rejects Flex on other worker types or job kinds, and G.025X outside streaming", () => {
      const flexG4 = messages("glue-job-worker-type", [job({ executionClass: "FLEX", workerType: "G.4X" })]);
      const flexStreaming = messages("glue-job-worker-type", [
        job({
          executionClass: "FLEX",
          command: { name: "gluestreaming", scriptLocation: "s3://ops/s.py" },
          workerType: "G.1X",
        }),
      ]);
      const tinyEtl = messages("glue-job-worker-type", [job({ workerType: "G.025X" })]);
      const unknown = messages("glue-job-worker-type", [job({ workerType: "G.3X" })]);

      expect(flexG4[0]).to.contain("FLEX");
      expect(flexStreaming[0]).to.contain("FLEX");
      expect(tinyEtl[0]).to.contain("G.025X");
      expect(unknown[0]).to.contain("G.3X");
    });
  });

  describe("partial wildcards", () => {
    const rolePolicy = (...statements: unknown[]) => [
      res(IAM.rolePolicy, "p", { role: "r", policy: doc(...statements) }),
    ];

    it("rejects action prefixes like s3:Get* and iam:Pass*", () => {
      const found = messages(
        "iam-no-wildcards",
        rolePolicy({
          Sid: "Prefixes",
          Effect: "Allow",
          Action: ["s3:Get*", "iam:Pass*", "kms:Re?ncrypt*"],
          Resource: "arn:aws:s3:::landing/orders/*",
        }),
      );

      expect(found).to.have.length(1);
      expect(found[0]).to.contain("s3:get*, iam:pass*, kms:re?ncrypt*");
    });

    it("rejects prefix wildcards where a full name is expected", () => {
      const found = messages(
        "iam-no-wildcards",
        rolePolicy(
          { Sid: "Buckets", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::datalake-*/*" },
          {
            Sid: "Tables",
            Effect: "Allow",
            Action: "dynamodb:GetItem",
            Resource: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/datalake-*`,
          },
          { Sid: "Keys", Effect: "Allow", Action: "kms:Encrypt", Resource: "arn:aws:kms:*:*:key/abc" },
          {
            Sid: "Groups",
            Effect: "Allow",
            Action: "logs:PutLogEvents",
            Resource: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws-glue/*`,
          },
        ),
      );

      for (const sid of ["Buckets", "Tables", "Keys", "Groups"]) {
        expect(found.some((m) => m.includes(`"${sid}"`) && m.includes("wildcard")), sid).to.equal(
          true,
        );
      }
    });

    it("accepts object-key prefixes, the streams of one log group, the indexes of one table and the stack's job-name prefix", () => {
      const found = messages(
        "iam-no-wildcards",
        rolePolicy(
          { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::landing/orders/*" },
          {
            Effect: "Allow",
            Action: "logs:PutLogEvents",
            Resource: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/datalake-dev-fa:*`,
          },
          {
            Effect: "Allow",
            Action: "dynamodb:Query",
            Resource: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/audit/index/*`,
          },
          {
            Effect: "Allow",
            Action: "glue:StartJobRun",
            Resource: `arn:aws:glue:eu-west-1:${ACCOUNT}:job/datalake-dev-*`,
          },
        ),
      );

      expect(found).to.deep.equal([]);
    });
  });

  describe("Lake Formation grants", () => {
    const JOB_ROLE = `arn:aws:iam::${ACCOUNT}:role/datalake-dev-customers-job`;
    const READER = `arn:aws:iam::${ACCOUNT}:role/analyst`;
    const job = res(GLUE_JOB, "customers-job", {
      name: "datalake-dev-customers",
      roleArn: JOB_ROLE,
      glueVersion: "5.0",
      securityConfiguration: "sc",
      command: { name: "glueetl", scriptLocation: "s3://ops/main.py" },
    });
    const grant = (name: string, principal: unknown, target: Record<string, unknown>, extra = {}) =>
      res(LF_PERMISSIONS, name, { principal, permissions: ["SELECT"], ...target }, extra);
    const silver = (columns: Record<string, unknown>) => ({
      tableWithColumns: { databaseName: "datalake_dev_silver", name: "customers", ...columns },
    });
    const found = (...list: PolicyRes[]) => messages("lakeformation-reader-grants", [job, ...list]);

    it("rejects a reader's SELECT on every column of a table holding PII", () => {
      const wholeTable = grant("r1", READER, {
        table: { databaseName: "datalake_dev_silver", name: "customers" },
      });
      const allColumns = grant("r2", READER, silver({ wildcard: true }));
      const namedPii = grant("r3", READER, silver({ columnNames: ["customer_id", "email"] }));
      const wrongExclusion = grant("r4", READER, silver({ wildcard: true, excludedColumnNames: ["country"] }));
      const rawZone = grant("r5", READER, {
        table: { databaseName: "datalake_dev_bronze", name: "bronze_customers" },
      });
      const allPermissions = grant("r6", READER, silver({ wildcard: true }));
      allPermissions.props.permissions = ["ALL"];

      for (const g of [wholeTable, allColumns, namedPii, wrongExclusion, rawZone, allPermissions]) {
        const m = found(g);
        expect(m, g.name).to.have.length(1);
        expect(m[0], g.name).to.contain("email");
      }
    });

    it("counts hash-mode PII as PII only where the raw value is kept (not in silver)", () => {
      const hashed = { ...getDataset("customers"), pii: [{ column: "email", mode: "hash" as const }] };

      const pii = piiColumnsByTable([hashed]);

      expect(pii.get("customers")).to.equal(undefined);
      expect(pii.get("bronze_customers")).to.deep.equal(["email"]);
      expect(pii.get("quarantine_customers")).to.deep.equal(["email"]);
      expect(piiColumnsByTable([getDataset("customers")]).get("customers")).to.deep.equal([
        "email",
      ]);
    });

    it("rejects a reader's SELECT on every table of a database", () => {
      const m = found(grant("r", READER, { table: { databaseName: "datalake_dev_silver", wildcard: true } }));

      expect(m).to.have.length(1);
      expect(m[0]).to.contain("every table");
    });

    it("accepts readers without the PII columns, readers of PII-free tables, and the job's own role", () => {
      const m = found(
        grant("r1", READER, silver({ wildcard: true, excludedColumnNames: ["email"] })),
        grant("r2", READER, silver({ columnNames: ["customer_id", "country"] })),
        grant("r3", READER, { table: { databaseName: "datalake_dev_silver", name: "products" } }),
        grant("j1", JOB_ROLE, { table: { databaseName: "datalake_dev_silver", name: "customers" } }),
        res(LF_PERMISSIONS, "r4", {
          principal: READER,
          permissions: ["DESCRIBE"],
          database: { name: "datalake_dev_silver" },
        }),
      );

      expect(m).to.deep.equal([]);
    });

    it("knows the job role through property dependencies while its ARN is unknown (preview)", () => {
      const role = res(IAM.role, "customers-job-role", { name: UNKNOWN_VALUE, arn: UNKNOWN_VALUE });
      const previewJob = {
        ...job,
        props: { ...job.props, roleArn: UNKNOWN_VALUE },
        propertyDeps: { roleArn: [role.urn] },
      };
      const jobGrant = grant(
        "j1",
        UNKNOWN_VALUE,
        { table: { databaseName: "datalake_dev_silver", name: "customers" } },
        { propertyDeps: { principal: [role.urn] } },
      );

      expect(
        messages("lakeformation-reader-grants", [role, previewJob, jobGrant]),
      ).to.deep.equal([]);
    });

    it("knows the table through property dependencies while its name is unknown (preview)", () => {
      const table = res("aws:glue/catalogTable:CatalogTable", "customers-tables-silver", {
        name: "customers",
        databaseName: "datalake_dev_silver",
      });
      const previewGrant = grant(
        "r1",
        READER,
        { tableWithColumns: { databaseName: UNKNOWN_VALUE, name: UNKNOWN_VALUE, wildcard: true } },
        { propertyDeps: { tableWithColumns: [table.urn] } },
      );

      const m = messages("lakeformation-reader-grants", [job, table, previewGrant]);

      expect(m).to.have.length(1);
      expect(m[0]).to.contain("email");
    });

    it("rejects grants to IAM_ALLOWED_PRINCIPALS and hybrid access mode", () => {
      const iamAllowed = res(LF_PERMISSIONS, "iap", {
        principal: "IAM_ALLOWED_PRINCIPALS",
        permissions: ["DESCRIBE"],
        database: { name: "datalake_dev_silver" },
      });
      const hybrid = res(LF_RESOURCE, "silver-location", {
        arn: "arn:aws:s3:::silver",
        roleArn: JOB_ROLE,
        hybridAccessEnabled: true,
      });
      const optIn = res(LF_OPT_IN, "opt-in", {
        principals: [{ dataLakePrincipalIdentifier: READER }],
        resourceDatas: [{ database: [{ name: "datalake_dev_silver" }] }],
      });

      const m = found(iamAllowed, hybrid, optIn);

      expect(m).to.have.length(3);
      expect(m.some((x) => x.includes("IAM_ALLOWED_PRINCIPALS"))).to.equal(true);
      expect(m.some((x) => x.includes("hybridAccessEnabled"))).to.equal(true);
      expect(m.some((x) => x.includes("hybrid access"))).to.equal(true);
    });
  });

  describe("queues and topics accept TLS requests only (issue #13: SNS TLS)", () => {
    const TOPIC_ARN = `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`;
    const QUEUE_ARN = `arn:aws:sqs:eu-west-1:${ACCOUNT}:dlq`;
    const QUEUE_URL = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/dlq`;
    const publish = {
      Sid: "Alarms",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: TOPIC_ARN,
    };
    const topic = res(SNS_TOPIC, "alerts", { name: "alerts", arn: TOPIC_ARN });
    const queue = res(SQS_QUEUE, "dlq", { name: "dlq", arn: QUEUE_ARN, url: QUEUE_URL });

    it("rejects a topic or queue whose access policy does not deny insecure transport", () => {
      const found = messages("sqs-sns-tls-only", [
        topic,
        res(SNS_TOPIC_POLICY, "alerts-policy", { arn: TOPIC_ARN, policy: doc(publish) }),
        queue,
      ]);

      expect(found).to.deep.equal([
        'Queue "dlq": no access policy denying requests without TLS (aws:SecureTransport false)',
        'Topic "alerts": no Deny for Principal "*" with Bool aws:SecureTransport "false"',
      ]);
    });

    it("accepts a TLS deny in the joined queue or topic policy", () => {
      const found = messages("sqs-sns-tls-only", [
        topic,
        res(SNS_TOPIC_POLICY, "alerts-policy", {
          arn: TOPIC_ARN,
          policy: doc(publish, denyInsecure("sns:Publish", TOPIC_ARN)),
        }),
        queue,
        res(SQS_QUEUE_POLICY, "dlq-policy", {
          queueUrl: QUEUE_URL,
          policy: doc(denyInsecure("sqs:*", QUEUE_ARN)),
        }),
      ]);

      expect(found).to.deep.equal([]);
    });
  });

  describe("bucket policies", () => {
    it("rejects a bucket policy that allows Principal \"*\" without a pinning condition", () => {
      const policy = (Condition?: unknown) =>
        res(T.policy, "landing-policy", {
          bucket: "landing-id",
          policy: doc({
            Sid: "Read",
            Effect: "Allow",
            Principal: "*",
            Action: "s3:GetObject",
            Resource: "arn:aws:s3:::landing/*",
            ...(Condition ? { Condition } : {}),
          }),
        });

      expect(messages("s3-bucket-policy-not-public", [policy()])[0]).to.contain(
        'statement "Read" allows Principal "*"',
      );
      expect(
        messages("s3-bucket-policy-not-public", [
          policy({ StringEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } }),
        ]),
      ).to.deep.equal([]);
    });
  });
});
