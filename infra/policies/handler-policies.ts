// Least-privilege policies of the three Lambdas (handlers/). Shared facts in one input; each
// function grants only what its handler calls.
import { caseSpellings } from "../../datasets/routing";
import { AccountContext, PolicyDocument, Statement, policy, sorted } from "./document";

export interface HandlerPolicyInput {
  ctx: AccountContext;
  auditTableArn: string;
  /** GSI names of the audit table (handlers/audit/schema.ts). */
  auditIndexNames: string[];
  opsBucketArn: string;
  landingBucketArn: string;
  landingPrefixes: string[];
  glueJobNames: string[];
  /** Prefix every job name of the stack starts with, e.g. "datalake-prod-". */
  glueJobNamePrefix: string;
  keyArns: string[];
  logGroupArn: string;
  failureQueueArn: string;
  /** X-Ray active tracing is on: allow sending traces. @default false */
  tracing?: boolean;
}

/** Exactly the calls handlers/audit/store.ts makes (Get, BatchGet, Put, Update, Query). */
export const AUDIT_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"];

function common(input: HandlerPolicyInput): Statement[] {
  return [
    {
      Sid: "AuditTable",
      Effect: "Allow",
      Action: AUDIT_ACTIONS,
      Resource: [input.auditTableArn, ...sorted(input.auditIndexNames).map((i) => `${input.auditTableArn}/index/${i}`)],
    },
    {
      // Only inside the services that hold the data: S3 objects, the audit table, the failure queue.
      Sid: "UseKeys",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: sorted(input.keyArns),
      Condition: { StringEquals: { "kms:ViaService": ["dynamodb", "s3", "sqs"].map((s) => `${s}.${input.ctx.region}.amazonaws.com`) } },
    },
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${input.logGroupArn}:*` },
    { Sid: "FailureDestination", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: input.failureQueueArn },
    ...(input.tracing
      ? [{ Sid: "XRayTraces", Effect: "Allow" as const, Action: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], Resource: "*" }]
      : []),
  ];
}

/**
 * Past this many datasets, per-dataset resource lists are replaced by the stack's name prefix, so
 * the inline policy stays under IAM's 10,240-character quota (still scoped to this stack).
 */
export const COMPACT_LIST_THRESHOLD = 25;

function glueJobArns(input: HandlerPolicyInput): string[] {
  const { ctx } = input;
  const names = input.glueJobNames.length > COMPACT_LIST_THRESHOLD ? [`${input.glueJobNamePrefix}*`] : sorted(input.glueJobNames);
  return names.map((j) => `arn:${ctx.partition}:glue:${ctx.region}:${ctx.accountId}:job/${j}`);
}

function landingObjectArns(input: HandlerPolicyInput): string[] {
  // Beyond the threshold: every key of the landing bucket (it holds nothing but dataset files).
  if (input.landingPrefixes.length > COMPACT_LIST_THRESHOLD) return [`${input.landingBucketArn}/*`];
  return landingSpellings(input).map((p) => `${input.landingBucketArn}/${p}*`);
}

/** Keys route in any case; ARNs and s3:prefix are case-sensitive: each prefix's spellings (routing.ts). */
function landingSpellings(input: HandlerPolicyInput): string[] {
  return sorted([...new Set(input.landingPrefixes.flatMap(caseSpellings))]);
}

/** Keys under the ops bucket the job-state handler and the reconciler read (manifests, summaries). */
export const OPS_READ_PREFIXES = ["manifests/", "summaries/"];

/**
 * s3:ListBucket on one bucket, limited by s3:prefix to the given key prefixes (none: the whole
 * bucket). The handlers never list: without this right S3 answers HeadObject/GetObject of a
 * missing key with 403 instead of 404, and the handlers' "missing" paths (file-arrival's
 * SOURCE_MISSING, job-state's missing summary) would become errors and retries. A prefix-scoped
 * grant suffices for keys under the prefix (observed in kopia/kopia#3072); verify on a new account.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 */
function listForMissingKeys(sid: string, bucketArn: string, prefixes: string[] | undefined): Statement {
  const statement: Statement = { Sid: sid, Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn };
  if (prefixes) statement.Condition = { StringLike: { "s3:prefix": sorted(prefixes).map((p) => `${p}*`) } };
  return statement;
}

/** Landing prefixes for the ListBucket condition; beyond the threshold the whole bucket (as for objects). */
function landingListPrefixes(input: HandlerPolicyInput): string[] | undefined {
  return input.landingPrefixes.length > COMPACT_LIST_THRESHOLD ? undefined : landingSpellings(input);
}

/** ListObjectVersions under dataset prefixes (S3 names its right s3:ListBucketVersions). */
function listLandingVersions(sid: string, input: HandlerPolicyInput): Statement {
  return { ...listForMissingKeys(sid, input.landingBucketArn, landingListPrefixes(input)), Action: ["s3:ListBucketVersions"] };
}

/**
 * file-arrival: HeadObject on dataset prefixes, FILE items, manifests, StartJobRun, and the list
 * of a key's versions that tells a re-copy from content put in between (versions-between.ts).
 */
export function fileArrivalPolicyDocument(input: HandlerPolicyInput): PolicyDocument {
  return policy([
    {
      Sid: "HeadLandingObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: landingObjectArns(input),
    },
    listForMissingKeys("LandingMissingIs404", input.landingBucketArn, landingListPrefixes(input)),
    listLandingVersions("CompareKeyVersions", input),
    { Sid: "WriteManifests", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${input.opsBucketArn}/manifests/*` },
    { Sid: "StartJobRuns", Effect: "Allow", Action: ["glue:GetJobRun", "glue:StartJobRun"], Resource: glueJobArns(input) },
    ...common(input),
  ]);
}

/** job-state: read summaries and manifests, finalize items, start the next run. */
export function jobStatePolicyDocument(input: HandlerPolicyInput): PolicyDocument {
  return policy([
    {
      Sid: "ReadRunFiles",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: OPS_READ_PREFIXES.map((p) => `${input.opsBucketArn}/${p}*`),
    },
    listForMissingKeys("RunFilesMissingIs404", input.opsBucketArn, OPS_READ_PREFIXES),
    { Sid: "WriteManifests", Effect: "Allow", Action: ["s3:PutObject"], Resource: `${input.opsBucketArn}/manifests/*` },
    {
      Sid: "ManageJobRuns",
      Effect: "Allow",
      Action: ["glue:GetJobRun", "glue:GetJobRuns", "glue:StartJobRun"],
      Resource: glueJobArns(input),
    },
    ...common(input),
  ]);
}

/**
 * reconciler: everything job-state does, driven by a schedule instead of events, plus the landing
 * sweep (handlers/core/landing-sweep.ts): ListObjectVersions under dataset prefixes, and what
 * file-arrival does to file a version (HeadObject, with the list right that makes a missing key a 404).
 */
export function reconcilerPolicyDocument(input: HandlerPolicyInput): PolicyDocument {
  const sweep = listLandingVersions("SweepLandingVersions", input);
  return policy([
    ...jobStatePolicyDocument(input).Statement,
    { Sid: "HeadLandingObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: landingObjectArns(input) },
    listForMissingKeys("LandingMissingIs404", input.landingBucketArn, landingListPrefixes(input)),
    sweep,
  ]);
}
