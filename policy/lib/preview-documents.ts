// Policy documents the pack can know at preview.
//
// The program builds every policy document inside an apply from other resources' ARNs, so in a
// preview of a new stack (or of a new dataset, key or function) each document is unknown and the
// IAM checks used to run only at `pulumi up`, after the PR was merged. The documents come from the
// pure builders of infra/policies/ (CONVENTIONS.md: "IAM policy documents come from small pure
// functions"), and their actions, principals, conditions and ARN shapes do not depend on the ARN
// values. So where a document is unknown, the pack checks instead what the resource's builder
// renders with placeholder ARNs; at `pulumi up` the real document is known and checked as is.
//
// A resource is matched to its builder by the component that created it (the parent type in its
// URN) and its own type. A component with several builders for one kind of resource (the handlers'
// three policies, the DLQ's two queue policies) is checked against all of them: every statement
// any of them writes is one the program can deploy. test/policy/preview.test.ts fails when a
// policy-bearing resource of the program has no entry here.
import { piiKeyReadPolicyDocument } from "../../infra/policies/pii-key-policy";
import { DATASETS } from "../../datasets";
import { tableDefs } from "../../engine/compile";
import { accessLogBucketPolicy, tlsOnlyBucketPolicy } from "../../infra/policies/bucket-policy";
import { AccountContext, PolicyDocument } from "../../infra/policies/document";
import { glueJobPolicyDocument } from "../../infra/policies/glue-job-policy";
import { modelJobPolicyDocument } from "../../infra/policies/model-job-policy";
import { compileModel } from "../../engine/models";
import { modelReads } from "../../infra/model-layout";
import { MODELS } from "../../models";
import {
  COMPACT_LIST_THRESHOLD,
  HandlerPolicyInput,
  fileArrivalPolicyDocument,
  jobStatePolicyDocument,
  reconcilerPolicyDocument,
} from "../../infra/policies/handler-policies";
import { keyPolicyDocument } from "../../infra/policies/kms-key-policy";
import { registrationRolePolicyDocument } from "../../infra/policies/lake-formation-policy";
import {
  ALARM_LIST_THRESHOLD,
  alertTopicPolicyDocument,
  deadLetterQueuePolicyDocument,
  tlsOnlyQueuePolicyDocument,
} from "../../infra/policies/queue-topic-policies";
import { serviceTrustPolicy } from "../../infra/policies/trust-policy";
import { PolicyRes, isUnknown } from "./model";

/** Resource properties that hold a policy document. */
export const DOCUMENT_FIELDS = ["policy", "assumeRolePolicy"] as const;

// Placeholders shaped like real values (a 12-digit account, a region, exact names), so the checks
// that read ARN shapes treat them as the concrete values they stand for.
const CTX: AccountContext = { partition: "aws", region: "xx-preview-1", accountId: "000000000000" };
const at = (service: string, resource: string) =>
  `arn:${CTX.partition}:${service}:${CTX.region}:${CTX.accountId}:${resource}`;
const bucket = (name: string) => `arn:${CTX.partition}:s3:::preview-${name}`;
const KEYS = [at("kms", "key/preview-data"), at("kms", "key/preview-ops")];
const ROLE = `arn:${CTX.partition}:iam::${CTX.accountId}:role/preview-role`;
const JOB_PREFIX = "datalake-preview-";
const ZONES = ["bronze", "silver", "quarantine"];

function glueJobDocuments(): PolicyDocument[] {
  // A hashing job's extra policy (the PII hash key secret), then each dataset's job policy.
  const piiKey = piiKeyReadPolicyDocument(CTX, at("secretsmanager", "secret:preview-pii-hash-key"), KEYS[0]);
  return [piiKey, ...DATASETS.map((spec) =>
    glueJobPolicyDocument({
      ctx: CTX,
      dataset: spec.name,
      landingBucketArn: bucket("landing"),
      landingPrefix: spec.prefix,
      zoneBucketArns: ZONES.map(bucket),
      opsBucketArn: bucket("ops"),
      artifactKeys: ["glue/script.py", "glue/lib.zip", `plans/${spec.name}.json`],
      dataKeyArn: KEYS[0],
      logKeyArn: KEYS[1],
      roleName: "preview-role",
      securityConfigurationName: "preview-secconf",
      databaseNames: ZONES.map((z) => `preview_${z}`),
      tables: Object.values(tableDefs(spec)).map((t) => `preview_silver/${t.name}`),
      metricsNamespace: "Datalake/preview",
    }),
  )];
}

function modelJobDocuments(): PolicyDocument[] {
  // A dimension over a hashing dataset reads the PII hash key too; then each model's job policy.
  const piiKey = piiKeyReadPolicyDocument(CTX, at("secretsmanager", "secret:preview-pii-hash-key"), KEYS[0]);
  return [piiKey, ...MODELS.map((spec) => {
    const reads = modelReads(compileModel(spec, { dialect: "spark", datasets: DATASETS, models: MODELS }), DATASETS);
    return modelJobPolicyDocument({
      ctx: CTX,
      model: spec.name,
      reads: reads.tables.map((t) => ({ bucketArn: bucket(t.zone), owner: t.owner })),
      semanticBucketArn: bucket("semantic"),
      opsBucketArn: bucket("ops"),
      artifactKeys: ["glue/model-script.py", "glue/lib.zip", `plans/${spec.name}.json`, ...reads.files.map((f) => `files/${spec.name}/${f}`)],
      dataKeyArn: KEYS[0],
      logKeyArn: KEYS[1],
      roleName: "preview-role",
      securityConfigurationName: "preview-secconf",
      databaseNames: ["semantic", ...reads.tables.map((t) => t.zone)].map((z) => `preview_${z}`),
      readTables: reads.tables.map((t) => `preview_${t.zone}/${t.table}`),
      ownTable: `preview_semantic/${spec.name}`,
      metricsNamespace: "Datalake/preview",
    });
  })];
}

function handlerInput(datasets: number): HandlerPolicyInput {
  return {
    ctx: CTX,
    auditTableArn: at("dynamodb", "table/preview-audit"),
    auditIndexNames: ["by-status"],
    opsBucketArn: bucket("ops"),
    landingBucketArn: bucket("landing"),
    landingPrefixes: Array.from({ length: datasets }, (_, i) => `dataset${i}/`),
    glueJobNames: Array.from({ length: datasets }, (_, i) => `${JOB_PREFIX}dataset${i}`),
    glueJobNamePrefix: JOB_PREFIX,
    keyArns: KEYS,
    logGroupArn: at("logs", "log-group:/aws/lambda/preview-fn"),
    failureQueueArn: at("sqs", "preview-failures"),
  };
}

function handlerDocuments(): PolicyDocument[] {
  // Both shapes the builders write: exact lists, and the compact form past the threshold.
  const inputs = [handlerInput(DATASETS.length), handlerInput(COMPACT_LIST_THRESHOLD + 1)];
  return inputs.flatMap((input) => [
    fileArrivalPolicyDocument(input),
    jobStatePolicyDocument(input),
    reconcilerPolicyDocument(input),
  ]);
}

type Render = () => PolicyDocument[];

/** `<component type>$<resource type> <field>` -> the builder renderings for it. */
export const PREVIEW_DOCUMENTS: Record<string, Render> = {
  "datalake:glue:DatasetJob$aws:iam/role:Role assumeRolePolicy": () => [
    serviceTrustPolicy(CTX, "glue.amazonaws.com"),
  ],
  "datalake:glue:DatasetJob$aws:iam/rolePolicy:RolePolicy policy": glueJobDocuments,
  "datalake:glue:ModelJob$aws:iam/role:Role assumeRolePolicy": () => [
    serviceTrustPolicy(CTX, "glue.amazonaws.com"),
  ],
  "datalake:glue:ModelJob$aws:iam/rolePolicy:RolePolicy policy": modelJobDocuments,
  "datalake:lambda:HandlerFunction$aws:iam/role:Role assumeRolePolicy": () => [
    serviceTrustPolicy(CTX, "lambda.amazonaws.com"),
  ],
  "datalake:lambda:HandlerFunction$aws:iam/rolePolicy:RolePolicy policy": handlerDocuments,
  "datalake:lakeformation:LakeFormation$aws:iam/role:Role assumeRolePolicy": () => [
    serviceTrustPolicy(CTX, "lakeformation.amazonaws.com"),
  ],
  "datalake:lakeformation:LakeFormation$aws:iam/rolePolicy:RolePolicy policy": () => [
    // Every registered location: the load zones and semantic (infra/catalog-layout.ts).
    registrationRolePolicyDocument(CTX, [...ZONES, "semantic"].map(bucket), KEYS[0]),
  ],
  "datalake:keys:KeyPolicies$aws:kms/keyPolicy:KeyPolicy policy": () => [
    keyPolicyDocument({
      ctx: CTX,
      users: [
        { sid: "ServiceRoles", arns: [ROLE], viaServices: ["s3"], createGrants: true },
        { sid: "Deployer", arns: [ROLE], viaServices: ["s3"], onlyBuckets: [bucket("ops")] },
        { sid: "Operators", arns: [ROLE], viaServices: ["sqs"], actions: ["kms:Decrypt", "kms:DescribeKey"] },
      ],
      logGroupArns: [at("logs", "log-group:/aws/lambda/preview-fn")],
      publishers: {
        "events.amazonaws.com": [at("events", "rule/preview-orders")],
        "cloudwatch.amazonaws.com": [at("cloudwatch", "alarm:preview-alarm")],
      },
    }),
  ],
  "datalake:storage:SecureBucket$aws:s3/bucketPolicy:BucketPolicy policy": () => [
    tlsOnlyBucketPolicy(bucket("data")),
  ],
  "datalake:storage:Storage$aws:s3/bucketPolicy:BucketPolicy policy": () => [
    accessLogBucketPolicy(CTX, bucket("access-logs"), [bucket("landing"), bucket("ops")]),
  ],
  "datalake:events:DeadLetterQueues$aws:sqs/queuePolicy:QueuePolicy policy": () => [
    deadLetterQueuePolicyDocument(at("sqs", "preview-dlq"), [at("events", "rule/preview-orders")]),
    deadLetterQueuePolicyDocument(at("sqs", "preview-dlq"), [at("events", `rule/${JOB_PREFIX}*`)]),
    tlsOnlyQueuePolicyDocument(at("sqs", "preview-failures")),
  ],
  "datalake:monitoring:Monitoring$aws:sns/topicPolicy:TopicPolicy policy": () => [
    alertTopicPolicyDocument(CTX, at("sns", "preview-alerts"), [at("cloudwatch", "alarm:preview-alarm")], "preview"),
    // Past the threshold: the stack's alarm name prefix instead of the list.
    alertTopicPolicyDocument(CTX, at("sns", "preview-alerts"), Array.from({ length: ALARM_LIST_THRESHOLD + 1 }, (_, i) => at("cloudwatch", `alarm:preview-${i}`)), "preview"),
  ],
};

/** `<parent type>$<type>` from a URN (`urn:pulumi:stack::project::a$b$type::name`). */
function qualifiedKey(urn: string): string {
  const types = (urn.split("::")[2] ?? "").split("$");
  return types.slice(-2).join("$");
}

// Builders are pure: render each once per process (the pack calls this for every resource).
const rendered = new WeakMap<Render, string>();

/** One document with every statement the resource's builders can write (JSON, as programs pass). */
function render(fn: Render): string {
  let json = rendered.get(fn);
  if (json === undefined) {
    const Statement = fn().flatMap((d) => d.Statement);
    json = JSON.stringify({ Version: "2012-10-17", Statement });
    rendered.set(fn, json);
  }
  return json;
}

/** The resource with each unknown policy document replaced by its builder's rendering. */
export function withPreviewDocuments(
  res: PolicyRes,
  registry: Record<string, Render> = PREVIEW_DOCUMENTS,
): PolicyRes {
  let props: Record<string, unknown> | undefined;
  for (const field of DOCUMENT_FIELDS) {
    if (!isUnknown(res.props[field])) continue;
    const fn = registry[`${qualifiedKey(res.urn)} ${field}`];
    if (!fn) continue;
    props ??= { ...res.props };
    props[field] = render(fn);
  }
  return props ? { ...res, props } : res;
}
