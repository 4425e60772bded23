// Edge cases of individual rules beyond the one-fixture-per-rule table: exemptions, joins,
// preview-time unknowns, and the narrow allowances (actions without resource scopes, conditions).
import { expect } from "chai";
import { evaluateRules } from "../../policy/evaluate";
import { Rule, RuleConfig, UNKNOWN } from "../../policy/lib/model";
import { RULES } from "../../policy/rules";
import { DYNAMODB_TABLE } from "../../policy/rules/dynamodb";
import { GLUE_JOB } from "../../policy/rules/glue";
import { IAM } from "../../policy/rules/iam";
import { KMS_KEY } from "../../policy/rules/kms";
import { LF_SETTINGS } from "../../policy/rules/lakeformation";
import { LAMBDA_FUNCTION, LAMBDA_PERMISSION } from "../../policy/rules/lambda";
import { T, tlsDenyProblem } from "../../policy/rules/s3";
import { ACCOUNT, KEY_ARN, compliantBucket, compliantBuckets, replaceProps, res } from "./builders";

const rule = (name: string): Rule[] => RULES.filter((r) => r.name === name);
const messages = (
  name: string,
  resources: ReturnType<typeof compliantBuckets>,
  config: RuleConfig = {},
) => evaluateRules(resources, config, rule(name)).map((f) => f.message);
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const aes256 = { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] };

describe("policy rules: edge cases", () => {
  describe("S3", () => {
    it("lets only the server access log bucket use SSE-S3", () => {
      const logBucketAes = replaceProps(compliantBuckets(), "access-logs-sse", aes256);
      const landingAes = replaceProps(compliantBuckets(), "landing-sse", aes256);

      expect(messages("s3-sse-kms-bucket-key", logBucketAes)).to.deep.equal([]);
      expect(messages("s3-sse-kms-bucket-key", landingAes)).to.deep.equal([
        'Bucket "landing": sseAlgorithm is AES256, expected aws:kms',
      ]);
    });

    it("still requires an encryption configuration on the log bucket", () => {
      const list = compliantBuckets().filter((r) => r.name !== "access-logs-sse");

      expect(messages("s3-sse-kms-bucket-key", list)).to.have.length(1);
    });

    it("rejects SSE-KMS without a customer managed key or without bucket keys", () => {
      const noKey = replaceProps(compliantBuckets(), "landing-sse", {
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" },
            bucketKeyEnabled: true,
          },
        ],
      });
      const noBucketKey = replaceProps(compliantBuckets(), "landing-sse", {
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: KEY_ARN,
            },
          },
        ],
      });

      expect(messages("s3-sse-kms-bucket-key", noKey)[0]).to.contain("no kmsMasterKeyId");
      expect(messages("s3-sse-kms-bucket-key", noBucketKey)[0]).to.contain(
        "bucketKeyEnabled must be true",
      );
    });

    it("requires the TLS deny to cover objects as well as the bucket, and skips unknown documents", () => {
      const bucketOnly = doc({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: "arn:aws:s3:::b",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
      const allowOnly = doc({
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "s3:GetObject",
        Resource: "arn:aws:s3:::b/*",
      });

      expect(tlsDenyProblem(bucketOnly)).to.contain("both the bucket ARN and <bucket ARN>/*");
      expect(tlsDenyProblem(allowOnly)).to.contain("no Deny statement");
      expect(tlsDenyProblem(UNKNOWN)).to.equal(undefined);
    });

    it("requires noncurrent-version expiry on versioned buckets and a whole-bucket abort rule", () => {
      const noNoncurrent = replaceProps(compliantBuckets(), "landing-lifecycle", {
        rules: [
          {
            id: "abort",
            status: "Enabled",
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      });
      const prefixedAbort = replaceProps(compliantBuckets(), "landing-lifecycle", {
        rules: [
          {
            id: "abort",
            status: "Enabled",
            filter: { prefix: "orders/" },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
          {
            id: "noncurrent",
            status: "Enabled",
            noncurrentVersionExpiration: { noncurrentDays: 30 },
          },
        ],
      });

      expect(messages("s3-lifecycle", noNoncurrent)[0]).to.contain("noncurrentVersionExpiration");
      expect(messages("s3-lifecycle", prefixedAbort)[0]).to.contain(
        "whole-bucket rule with abortIncompleteMultipartUpload",
      );
    });

    it("rejects a bucket that logs to itself and exempts the log bucket from logging", () => {
      const selfLogging = [
        ...compliantBucket("landing"),
        res(T.logging, "landing-logging", {
          bucket: "landing-id",
          targetBucket: "landing-id",
          targetPrefix: "x/",
        }),
      ];

      expect(messages("s3-access-logging", selfLogging)).to.deep.equal([
        'Bucket "landing": BucketLogging must deliver to a separate access-log bucket',
      ]);
      expect(messages("s3-access-logging", compliantBuckets())).to.deep.equal([]);
    });

    it("flags any BucketAcl and legacy *V2 types", () => {
      const withAcl = [
        ...compliantBuckets(),
        res(T.acl, "landing-acl", { bucket: "landing-id", acl: "private" }),
      ];
      const v2 = [
        res(T.versioningV2, "old", {
          bucket: "landing-id",
          versioningConfiguration: { status: "Enabled" },
        }),
      ];

      expect(messages("s3-ownership-enforced", withAcl)).to.deep.equal([
        'BucketAcl "landing-acl": bucket ACLs are not used; grant access with policies',
      ]);
      expect(messages("s3-current-resource-types", v2)[0]).to.contain(
        "deprecated in @pulumi/aws v7",
      );
    });

    it("joins a configuration by value when it references the bucket by physical name", () => {
      const byName = compliantBuckets().map((r) =>
        r.props.bucket === "landing-id" && r.type !== T.bucket
          ? { ...r, props: { ...r.props, bucket: "landing-physical" } }
          : r,
      );

      expect(evaluateRules(byName, {})).to.deep.equal([]);
    });

    it("counts an unknown public-access flag as set (decided again at pulumi up)", () => {
      const unknownFlag = replaceProps(compliantBuckets(), "landing-pab", {
        blockPublicPolicy: UNKNOWN,
      });

      expect(messages("s3-public-access-block", unknownFlag)).to.deep.equal([]);
    });
  });

  describe("IAM and KMS", () => {
    const rolePolicy = (...statements: unknown[]) => [
      res(IAM.rolePolicy, "p", { role: "r", policy: doc(...statements) }),
    ];

    it("allows Resource * only for actions without resource-level permissions", () => {
      const ok = rolePolicy({
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricData", "lakeformation:GetDataAccess"],
        Resource: "*",
      });
      const bad = rolePolicy({
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricData", "glue:StartJobRun"],
        Resource: "*",
      });

      expect(messages("iam-no-wildcards", ok)).to.deep.equal([]);
      expect(messages("iam-no-wildcards", bad)[0]).to.contain("(glue:startjobrun)");
    });

    it("rejects Action *, NotAction and decrypt on all KMS keys, but not Deny statements", () => {
      const found = messages(
        "iam-no-wildcards",
        rolePolicy(
          { Sid: "Admin", Effect: "Allow", Action: "*", Resource: "arn:aws:s3:::b" },
          { Sid: "Not", Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::b" },
          {
            Sid: "Keys",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: "arn:aws:kms:*:*:key/*",
          },
          { Sid: "Guard", Effect: "Deny", Action: "*", Resource: "*" },
        ),
      );

      expect(found.some((m) => m.includes('"Admin": Action "*"'))).to.equal(true);
      expect(found.some((m) => m.includes('"Not": Allow with NotAction'))).to.equal(true);
      expect(found.some((m) => m.includes('"Keys": kms:decrypt on all KMS keys'))).to.equal(true);
      expect(found.some((m) => m.includes("Guard"))).to.equal(false);
    });

    it("rejects ARNs that name every resource of a type, and accepts exactly named ones", () => {
      const bad = rolePolicy(
        {
          Sid: "Tables",
          Effect: "Allow",
          Action: "dynamodb:GetItem",
          Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/*",
        },
        { Sid: "Buckets", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::*/*" },
      );
      const ok = rolePolicy(
        {
          Effect: "Allow",
          Action: "logs:PutLogEvents",
          Resource: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/jobs/output:*",
        },
        { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::landing/orders/*" },
        { Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::silver/*" },
      );

      const found = messages("iam-no-wildcards", bad);

      expect(found.some((m) => m.includes('"Tables"') && m.includes("table/*"))).to.equal(true);
      expect(found.some((m) => m.includes('"Buckets"'))).to.equal(true);
      expect(messages("iam-no-wildcards", ok)).to.deep.equal([]);
    });

    it("checks a role's inline policies and managed policy list", () => {
      const role = res(IAM.role, "r", {
        assumeRolePolicy: doc({
          Effect: "Allow",
          Principal: { Service: "glue.amazonaws.com" },
          Action: "sts:AssumeRole",
        }),
        inlinePolicies: [
          { name: "inline", policy: doc({ Effect: "Allow", Action: "dynamodb:*", Resource: "*" }) },
        ],
        managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
      });

      expect(messages("iam-no-wildcards", [role])[0]).to.contain("inline policy inline");
      expect(messages("iam-no-broad-managed-policies", [role])[0]).to.contain(
        "AdministratorAccess",
      );
    });

    it("accepts a wildcard key-policy principal only with a scoping condition", () => {
      const key = (condition?: unknown) =>
        res(KMS_KEY, "k", {
          enableKeyRotation: true,
          policy: doc({
            Sid: "Svc",
            Effect: "Allow",
            Principal: "*",
            Action: "kms:Decrypt",
            Resource: "*",
            ...(condition ? { Condition: condition } : {}),
          }),
        });

      expect(
        messages("kms-no-wildcard-principal", [
          key({ StringEquals: { "kms:CallerAccount": ACCOUNT } }),
        ]),
      ).to.deep.equal([]);
      expect(messages("kms-no-wildcard-principal", [key()])).to.have.length(1);
    });

    it("does not require rotation on asymmetric keys", () => {
      expect(
        messages("kms-key-rotation", [res(KMS_KEY, "sign", { customerMasterKeySpec: "RSA_2048" })]),
      ).to.deep.equal([]);
    });
  });

  describe("Lambda, DynamoDB, Glue, Lake Formation", () => {
    it("rejects a public invoke permission and a public function URL", () => {
      const found = messages("lambda-permission-source-arn", [
        res(LAMBDA_PERMISSION, "pub", {
          action: "lambda:InvokeFunctionUrl",
          function: "f",
          principal: "*",
          functionUrlAuthType: "NONE",
        }),
      ]);

      expect(found).to.have.length(2);
    });

    it("honours the supported-runtime override and skips container images", () => {
      const fn = res(LAMBDA_FUNCTION, "f", { name: "f", runtime: "nodejs22.x" });
      const image = res(LAMBDA_FUNCTION, "img", { name: "img", packageType: "Image" });

      expect(
        messages("lambda-supported-runtime", [fn], { supportedLambdaRuntimes: ["nodejs24.x"] }),
      ).to.have.length(1);
      expect(messages("lambda-supported-runtime", [image])).to.deep.equal([]);
    });

    it("requires deletion protection on protected tables even outside prod, and not on dev tables", () => {
      const props = { pointInTimeRecovery: { enabled: true }, deletionProtectionEnabled: false };

      expect(
        messages("dynamodb-deletion-protection", [res(DYNAMODB_TABLE, "t", props)], {
          environment: "dev",
        }),
      ).to.deep.equal([]);
      expect(
        messages(
          "dynamodb-deletion-protection",
          [res(DYNAMODB_TABLE, "t", props, { protect: true })],
          { environment: "dev" },
        )[0],
      ).to.contain("on a protected table");
    });

    it("rejects a job naming a security configuration the stack does not define", () => {
      const job = res(GLUE_JOB, "j", { glueVersion: "5.0", securityConfiguration: "elsewhere" });

      expect(messages("glue-job-security-configuration", [job])[0]).to.contain(
        '"elsewhere" is not defined in this stack',
      );
    });

    it("rejects two DataLakeSettings (account singleton)", () => {
      const two = [
        res(LF_SETTINGS, "a", { admins: ["x"] }),
        res(LF_SETTINGS, "b", { admins: ["x"] }),
        res("aws:glue/catalogDatabase:CatalogDatabase", "db", {}),
      ];

      expect(messages("lakeformation-settings-present", two)[0]).to.contain("2 DataLakeSettings");
    });
  });
});
