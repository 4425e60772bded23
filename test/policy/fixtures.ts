// One violating and one passing fixture per rule, keyed by rule name. rules.test.ts fails when a
// rule of the pack has no entry here.
import { PolicyRes, RuleConfig } from "../../policy/lib/model";
import { ATHENA_WORKGROUP } from "../../policy/rules/athena";
import { DYNAMODB_TABLE } from "../../policy/rules/dynamodb";
import { EVENT_TARGET } from "../../policy/rules/events";
import { GLUE_JOB, GLUE_SECURITY_CONFIGURATION } from "../../policy/rules/glue";
import { IAM } from "../../policy/rules/iam";
import { KMS_KEY } from "../../policy/rules/kms";
import { LF_PERMISSIONS, LF_SETTINGS } from "../../policy/rules/lakeformation";
import {
  INVOKE_CONFIG,
  LAMBDA_FUNCTION,
  LAMBDA_PERMISSION,
  LOG_GROUP,
} from "../../policy/rules/lambda";
import {
  SNS_TOPIC,
  SNS_TOPIC_POLICY,
  SQS_QUEUE,
  SQS_QUEUE_POLICY,
} from "../../policy/rules/messaging";
import { T } from "../../policy/rules/s3";
import { ACCOUNT, KEY_ARN, compliantBucket, compliantBuckets, replaceProps, res } from "./builders";

export interface Fixture {
  fail: PolicyRes[];
  pass: PolicyRes[];
  /** A violation message of the failing fixture must match this. */
  expect: RegExp;
  config?: RuleConfig;
}

const ROLE = `arn:aws:iam::${ACCOUNT}:role/datalake-file-arrival`;
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement });

const table = (props: Record<string, unknown>, protect = false) =>
  res(
    DYNAMODB_TABLE,
    "audit",
    {
      billingMode: "PAY_PER_REQUEST",
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: KEY_ARN },
      deletionProtectionEnabled: true,
      ...props,
    },
    { protect },
  );

const securityConfiguration = (s3Mode: string) =>
  res(GLUE_SECURITY_CONFIGURATION, "glue-security", {
    name: "datalake-dev-glue",
    encryptionConfiguration: {
      s3Encryption: { s3EncryptionMode: s3Mode, kmsKeyArn: KEY_ARN },
      cloudwatchEncryption: { cloudwatchEncryptionMode: "SSE-KMS", kmsKeyArn: KEY_ARN },
      jobBookmarksEncryption: { jobBookmarksEncryptionMode: "CSE-KMS", kmsKeyArn: KEY_ARN },
    },
  });

const job = (props: Record<string, unknown>) =>
  res(GLUE_JOB, "orders-job", {
    name: "datalake-dev-orders",
    roleArn: ROLE,
    glueVersion: "5.0",
    command: { name: "glueetl", scriptLocation: "s3://ops/scripts/abc/main.py" },
    securityConfiguration: "datalake-dev-glue",
    ...props,
  });

const MODEL_ROLE = `arn:aws:iam::${ACCOUNT}:role/fact_orders-job-role`;
const modelJob = () =>
  res(GLUE_JOB, "fact_orders-job", {
    name: "datalake-dev-fact_orders",
    roleArn: MODEL_ROLE,
    glueVersion: "5.0",
    command: { name: "glueetl", scriptLocation: "s3://ops/scripts/build_model-abc.py" },
    securityConfiguration: "datalake-dev-glue",
    defaultArguments: { "--model": "fact_orders", "--semantic_database": "semantic" },
  });

const fnLogs = () =>
  res(LOG_GROUP, "fa-logs", {
    name: "/aws/lambda/datalake-dev-file-arrival",
    retentionInDays: 30,
    kmsKeyId: KEY_ARN,
  });

const fnAsync = (props: Record<string, unknown> = {}) =>
  res(INVOKE_CONFIG, "fa-async", {
    functionName: "datalake-dev-file-arrival",
    maximumRetryAttempts: 2,
    destinationConfig: { onFailure: { destination: `arn:aws:sqs:eu-west-1:${ACCOUNT}:failures` } },
    ...props,
  });

const fn = (runtime = "nodejs22.x") =>
  res(LAMBDA_FUNCTION, "file-arrival", {
    name: "datalake-dev-file-arrival",
    runtime,
    role: ROLE,
    handler: "index.handler",
  });

const QUEUE_URL = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/dlq`;
const TOPIC_ARN = `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`;
export const denyInsecure = (action: string, resource: string) => ({
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: action,
  Resource: resource,
  Condition: { Bool: { "aws:SecureTransport": "false" } },
});
const queuePolicy = () =>
  res(SQS_QUEUE_POLICY, "dlq-tls", {
    queueUrl: QUEUE_URL,
    policy: doc(denyInsecure("sqs:*", `arn:aws:sqs:eu-west-1:${ACCOUNT}:dlq`)),
  });
const topicPolicy = () =>
  res(SNS_TOPIC_POLICY, "alerts-tls", {
    arn: TOPIC_ARN,
    policy: doc(denyInsecure("sns:Publish", TOPIC_ARN)),
  });

export const FIXTURES: Record<string, Fixture> = {
  "s3-public-access-block": {
    fail: replaceProps(compliantBuckets(), "landing-pab", { blockPublicPolicy: false }),
    pass: compliantBuckets(),
    expect: /missing: blockPublicPolicy/,
  },
  "s3-sse-kms-bucket-key": {
    fail: replaceProps(compliantBuckets(), "landing-sse", {
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }),
    pass: compliantBuckets(),
    expect: /sseAlgorithm is AES256, expected aws:kms/,
  },
  "s3-tls-only": {
    fail: compliantBuckets(["policy"]),
    pass: compliantBuckets(),
    expect: /no BucketPolicy denying non-TLS/,
  },
  "s3-bucket-policy-not-public": {
    fail: [
      res(T.policy, "landing-policy", {
        bucket: "landing-id",
        policy: doc({
          Sid: "Anyone",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "s3:GetObject",
          Resource: "arn:aws:s3:::landing-physical/*",
        }),
      }),
    ],
    pass: compliantBuckets(),
    expect: /statement "Anyone" allows Principal "\*"/,
  },
  "s3-versioning": {
    fail: replaceProps(compliantBuckets(), "landing-versioning", {
      versioningConfiguration: { status: "Suspended" },
    }),
    pass: compliantBuckets(),
    expect: /status must be "Enabled"/,
  },
  "s3-lifecycle": {
    fail: replaceProps(compliantBuckets(), "landing-lifecycle", {
      rules: [
        {
          id: "noncurrent",
          status: "Enabled",
          noncurrentVersionExpiration: { noncurrentDays: 30 },
        },
      ],
    }),
    pass: compliantBuckets(),
    expect: /abortIncompleteMultipartUpload/,
  },
  "s3-access-logging": {
    fail: [...compliantBucket("landing"), ...compliantBucket("access-logs")],
    pass: compliantBuckets(),
    expect: /Bucket "landing": no BucketLogging/,
  },
  "s3-ownership-enforced": {
    fail: replaceProps(compliantBuckets(), "landing-ownership", {
      rule: { objectOwnership: "ObjectWriter" },
    }),
    pass: compliantBuckets(),
    expect: /BucketOwnerEnforced/,
  },
  "s3-current-resource-types": {
    fail: replaceProps(compliantBuckets(), "landing", {
      serverSideEncryptionConfiguration: {
        rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } },
      },
    }),
    pass: compliantBuckets(),
    expect: /inline "serverSideEncryptionConfiguration"/,
  },
  "kms-key-rotation": {
    fail: [res(KMS_KEY, "data-key", { enableKeyRotation: false })],
    pass: [res(KMS_KEY, "data-key", { enableKeyRotation: true })],
    expect: /enableKeyRotation must be true/,
  },
  "kms-no-wildcard-principal": {
    fail: [
      res(KMS_KEY, "data-key", {
        enableKeyRotation: true,
        policy: doc({
          Sid: "Anyone",
          Effect: "Allow",
          Principal: { AWS: "*" },
          Action: "kms:Decrypt",
          Resource: "*",
        }),
      }),
    ],
    pass: [
      res(KMS_KEY, "data-key", {
        enableKeyRotation: true,
        policy: doc(
          {
            Sid: "Root",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: "kms:*",
            Resource: "*",
          },
          {
            Sid: "Logs",
            Effect: "Allow",
            Principal: { Service: "logs.eu-west-1.amazonaws.com" },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: {
              ArnLike: {
                "kms:EncryptionContext:aws:logs:arn": `arn:aws:logs:eu-west-1:${ACCOUNT}:*`,
              },
            },
          },
        ),
      }),
    ],
    expect: /statement "Anyone" allows Principal "\*"/,
  },
  "lambda-permission-source-arn": {
    fail: [
      res(LAMBDA_PERMISSION, "allow-events", {
        action: "lambda:InvokeFunction",
        function: "fa",
        principal: "events.amazonaws.com",
      }),
    ],
    pass: [
      res(LAMBDA_PERMISSION, "allow-events", {
        action: "lambda:InvokeFunction",
        function: "fa",
        principal: "events.amazonaws.com",
        sourceArn: `arn:aws:events:eu-west-1:${ACCOUNT}:rule/orders`,
      }),
    ],
    expect: /without sourceArn/,
  },
  "lambda-supported-runtime": {
    fail: [fn("nodejs18.x")],
    pass: [fn("nodejs22.x"), fnLogs(), fnAsync()],
    expect: /nodejs18.x is not a supported Lambda runtime/,
  },
  "log-group-retention-kms": {
    fail: [
      res(LOG_GROUP, "fa-logs", {
        name: "/aws/lambda/datalake-dev-file-arrival",
        kmsKeyId: KEY_ARN,
      }),
    ],
    pass: [fnLogs()],
    expect: /retentionInDays must be set/,
  },
  "lambda-log-group": {
    fail: [
      fn(),
      fnAsync(),
      res(LOG_GROUP, "other-logs", {
        name: "/aws/lambda/something-else",
        retentionInDays: 30,
        kmsKeyId: KEY_ARN,
      }),
    ],
    pass: [fn(), fnLogs(), fnAsync()],
    expect: /Function "file-arrival": no LogGroup managed for it/,
  },
  "lambda-async-failure-destination": {
    fail: [fn(), fnLogs(), fnAsync({ destinationConfig: undefined })],
    pass: [fn(), fnLogs(), fnAsync()],
    expect: /without destinationConfig.onFailure.destination/,
  },
  "dynamodb-pitr": {
    fail: [table({ pointInTimeRecovery: { enabled: false } })],
    pass: [table({})],
    expect: /pointInTimeRecovery.enabled must be true/,
  },
  "dynamodb-cmk": {
    fail: [table({ serverSideEncryption: { enabled: true } })],
    pass: [table({})],
    expect: /kmsKeyArn must name a customer managed key/,
  },
  "dynamodb-deletion-protection": {
    fail: [table({ deletionProtectionEnabled: false })],
    pass: [table({ deletionProtectionEnabled: true })],
    expect: /deletionProtectionEnabled must be true in the prod environment/,
    config: { environment: "prod" },
  },
  "glue-job-security-configuration": {
    fail: [securityConfiguration("SSE-KMS"), job({ securityConfiguration: undefined })],
    pass: [securityConfiguration("SSE-KMS"), job({})],
    expect: /securityConfiguration must be set/,
  },
  "glue-security-configuration-kms": {
    fail: [securityConfiguration("DISABLED")],
    pass: [securityConfiguration("SSE-KMS")],
    expect: /s3EncryptionMode must be SSE-KMS/,
  },
  "glue-job-worker-type": {
    fail: [job({ executionClass: "FLEX", workerType: "G.4X", numberOfWorkers: 2 })],
    pass: [
      securityConfiguration("SSE-KMS"),
      job({ executionClass: "FLEX", workerType: "G.1X", numberOfWorkers: 2 }),
    ],
    expect: /executionClass FLEX needs workerType G.1X or G.2X, not G.4X/,
  },
  "glue-supported-version": {
    fail: [job({ glueVersion: "2.0" })],
    pass: [securityConfiguration("SSE-KMS"), job({ glueVersion: "5.0" })],
    expect: /glueVersion 2.0 is not supported/,
  },
  "eventbridge-target-dlq-retry": {
    fail: [
      res(EVENT_TARGET, "orders-target", {
        rule: "orders",
        arn: "arn:fn",
        retryPolicy: { maximumRetryAttempts: 4 },
      }),
    ],
    pass: [
      res(EVENT_TARGET, "orders-target", {
        rule: "orders",
        arn: "arn:fn",
        deadLetterConfig: { arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:dlq` },
        retryPolicy: { maximumRetryAttempts: 4, maximumEventAgeInSeconds: 3600 },
      }),
    ],
    expect: /deadLetterConfig.arn must name an SQS dead-letter queue/,
  },
  "sqs-cmk-encryption": {
    fail: [res(SQS_QUEUE, "dlq", { sqsManagedSseEnabled: true })],
    pass: [res(SQS_QUEUE, "dlq", { kmsMasterKeyId: KEY_ARN, url: QUEUE_URL }), queuePolicy()],
    expect: /SQS-managed SSE is not a customer managed key/,
  },
  "sns-cmk-encryption": {
    fail: [res(SNS_TOPIC, "alerts", { kmsMasterKeyId: "alias/aws/sns" })],
    pass: [res(SNS_TOPIC, "alerts", { kmsMasterKeyId: KEY_ARN, arn: TOPIC_ARN }), topicPolicy()],
    expect: /AWS managed alias\/aws\/sns/,
  },
  "sqs-sns-no-public-policy": {
    fail: [
      res(SQS_QUEUE_POLICY, "dlq-policy", {
        queueUrl: "https://sqs/dlq",
        policy: doc({
          Sid: "Anyone",
          Effect: "Allow",
          Principal: "*",
          Action: "sqs:SendMessage",
          Resource: "arn:dlq",
        }),
      }),
    ],
    pass: [
      res(SQS_QUEUE_POLICY, "dlq-policy", {
        queueUrl: "https://sqs/dlq",
        policy: doc({
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: "arn:dlq",
          Condition: {
            ArnEquals: { "aws:SourceArn": `arn:aws:events:eu-west-1:${ACCOUNT}:rule/orders` },
          },
        }),
      }),
      res(SNS_TOPIC_POLICY, "alerts-policy", {
        arn: "arn:alerts",
        policy: doc({
          Effect: "Allow",
          Principal: "*",
          Action: "sns:Publish",
          Resource: "arn:alerts",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        }),
      }),
    ],
    expect: /statement "Anyone" allows Principal "\*"/,
  },
  "sqs-sns-tls-only": {
    fail: [res(SNS_TOPIC, "alerts", { kmsMasterKeyId: KEY_ARN, arn: TOPIC_ARN })],
    pass: [
      res(SQS_QUEUE, "dlq", { kmsMasterKeyId: KEY_ARN, url: QUEUE_URL }),
      queuePolicy(),
      res(SNS_TOPIC, "alerts", { kmsMasterKeyId: KEY_ARN, arn: TOPIC_ARN }),
      topicPolicy(),
    ],
    expect: /Topic "alerts": no access policy denying requests without TLS/,
  },
  "iam-no-wildcards": {
    fail: [
      res(IAM.rolePolicy, "fa-policy", {
        role: "fa",
        policy: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }),
      }),
    ],
    pass: [
      res(IAM.rolePolicy, "fa-policy", {
        role: "fa",
        policy: doc(
          {
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: ["arn:aws:s3:::landing/orders/*"],
          },
          { Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*" },
        ),
      }),
    ],
    expect: /service-wide wildcard actions s3:\*/,
  },
  "iam-no-broad-managed-policies": {
    fail: [
      res(IAM.rolePolicyAttachment, "fa-basic", {
        role: "fa",
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      }),
    ],
    pass: [
      res(IAM.rolePolicyAttachment, "fa-basic", {
        role: "fa",
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/datalake-fa`,
      }),
    ],
    expect: /AWSLambdaBasicExecutionRole/,
  },
  "iam-trust-policy-scoped": {
    fail: [
      res(IAM.role, "fa-role", {
        assumeRolePolicy: doc({ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole" }),
      }),
    ],
    pass: [
      res(IAM.role, "fa-role", {
        assumeRolePolicy: doc({
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        }),
      }),
    ],
    expect: /Principal "\*" assume the role/,
  },
  "lakeformation-settings": {
    fail: [
      res(LF_SETTINGS, "lf", {
        admins: [],
        createDatabaseDefaultPermissions: [
          { principal: "IAM_ALLOWED_PRINCIPALS", permissions: ["ALL"] },
        ],
      }),
    ],
    pass: [
      res(LF_SETTINGS, "lf", {
        admins: [ROLE],
        createDatabaseDefaultPermissions: [],
        createTableDefaultPermissions: [],
      }),
    ],
    expect: /IAM_ALLOWED_PRINCIPALS/,
  },
  "lakeformation-reader-grants": {
    fail: [
      res(LF_PERMISSIONS, "customers-grants-reader-analyst", {
        principal: `arn:aws:iam::${ACCOUNT}:role/analyst`,
        permissions: ["SELECT"],
        tableWithColumns: { databaseName: "silver", name: "customers", wildcard: true },
      }),
    ],
    pass: [
      res(LF_PERMISSIONS, "customers-grants-reader-analyst", {
        principal: `arn:aws:iam::${ACCOUNT}:role/analyst`,
        permissions: ["SELECT"],
        tableWithColumns: {
          databaseName: "silver",
          name: "customers",
          wildcard: true,
          excludedColumnNames: ["email"],
        },
      }),
      res(LF_SETTINGS, "lf", { admins: [ROLE] }),
    ],
    expect: /shows PII column\(s\) email/,
  },
  "lakeformation-model-job-writes": {
    fail: [
      securityConfiguration("SSE-KMS"),
      modelJob(),
      res(LF_PERMISSIONS, "fact_orders-grants-job-read-silver-orders", {
        principal: MODEL_ROLE,
        permissions: ["DESCRIBE", "INSERT", "SELECT"],
        table: { databaseName: "silver", name: "orders" },
      }),
      res(LF_SETTINGS, "lf", { admins: [ROLE] }),
    ],
    pass: [
      securityConfiguration("SSE-KMS"),
      modelJob(),
      res(LF_PERMISSIONS, "fact_orders-grants-job-read-silver-orders", {
        principal: MODEL_ROLE,
        permissions: ["DESCRIBE", "SELECT"],
        table: { databaseName: "silver", name: "orders" },
      }),
      res(LF_PERMISSIONS, "fact_orders-grants-job-table", {
        principal: MODEL_ROLE,
        permissions: ["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"],
        table: { databaseName: "semantic", name: "fact_orders" },
      }),
      res(LF_SETTINGS, "lf", { admins: [ROLE] }),
    ],
    expect: /model job fact_orders gets INSERT on silver\.orders; it writes only its own table semantic\.fact_orders/,
  },
  "lakeformation-database-defaults": {
    fail: [
      res("aws:glue/catalogDatabase:CatalogDatabase", "semantic-db", {
        name: "semantic",
        createTableDefaultPermissions: [
          { principal: { dataLakePrincipalIdentifier: "IAM_ALLOWED_PRINCIPALS" }, permissions: ["ALL"] },
        ],
      }),
    ],
    pass: [
      res("aws:glue/catalogDatabase:CatalogDatabase", "semantic-db", { name: "semantic", createTableDefaultPermissions: [] }),
      res(LF_SETTINGS, "lf", { admins: [ROLE] }),
    ],
    expect: /createTableDefaultPermissions grants \["ALL"\] to IAM_ALLOWED_PRINCIPALS/,
  },
  "lakeformation-settings-present": {
    fail: [res("aws:glue/catalogDatabase:CatalogDatabase", "silver-db", { name: "silver" })],
    pass: [
      res("aws:glue/catalogDatabase:CatalogDatabase", "silver-db", { name: "silver" }),
      res(LF_SETTINGS, "lf", { admins: [ROLE] }),
    ],
    expect: /no DataLakeSettings/,
  },
  "athena-workgroup-enforced-encryption": {
    fail: [
      res(ATHENA_WORKGROUP, "wg", {
        configuration: {
          enforceWorkgroupConfiguration: false,
          bytesScannedCutoffPerQuery: 10_000_000_000,
          resultConfiguration: { outputLocation: "s3://athena/" },
        },
      }),
    ],
    pass: [
      res(ATHENA_WORKGROUP, "wg", {
        configuration: {
          enforceWorkgroupConfiguration: true,
          bytesScannedCutoffPerQuery: 10_000_000_000,
          resultConfiguration: {
            outputLocation: "s3://athena/",
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: KEY_ARN },
          },
        },
      }),
    ],
    expect: /enforceWorkgroupConfiguration must be true/,
  },
};
