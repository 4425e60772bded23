// The dev and prod evaluations, computed once per mocha process and shared by the infra specs.
import { ProgramRun, RecordedResource, evaluateProgram } from "../mocks";

let dev: Promise<ProgramRun> | undefined;
let prod: Promise<ProgramRun> | undefined;

export const devRun = (): Promise<ProgramRun> => (dev ??= evaluateProgram({ stack: "dev" }));
export const prodRun = (): Promise<ProgramRun> => (prod ??= evaluateProgram({ stack: "prod" }));

export const T = {
  bucket: "aws:s3/bucket:Bucket",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  publicAccess: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  logging: "aws:s3/bucketLogging:BucketLogging",
  notification: "aws:s3/bucketNotification:BucketNotification",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  key: "aws:kms/key:Key",
  keyPolicy: "aws:kms/keyPolicy:KeyPolicy",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  permission: "aws:lambda/permission:Permission",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  queue: "aws:sqs/queue:Queue",
  queuePolicy: "aws:sqs/queuePolicy:QueuePolicy",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  table: "aws:dynamodb/table:Table",
  lfSettings: "aws:lakeformation/dataLakeSettings:DataLakeSettings",
  lfResource: "aws:lakeformation/resource:Resource",
  lfPermissions: "aws:lakeformation/permissions:Permissions",
  glueJob: "aws:glue/job:Job",
  glueDatabase: "aws:glue/catalogDatabase:CatalogDatabase",
  glueTable: "aws:glue/catalogTable:CatalogTable",
  glueSecurity: "aws:glue/securityConfiguration:SecurityConfiguration",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  workgroup: "aws:athena/workgroup:Workgroup",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
} as const;

/**
 * ARNs of the rules that deliver to a target (and so may dead-letter into the DLQ): every rule
 * but the models' failed-run counters, which only count matches for their alarms.
 */
export function targetedRuleArns(run: ProgramRun): string[] {
  const targeted = new Set(run.ofType(T.target).map((t) => t.inputs.rule));
  return run.ofType(T.rule).filter((r) => targeted.has(r.state.name)).map((r) => r.state.arn).sort();
}

/** The JSON document of a policy-bearing resource. */
export function doc(r: RecordedResource, field = "policy"): { Statement: any[] } {
  const raw = r.inputs[field];
  if (typeof raw !== "string") throw new Error(`${r.name}.${field} is not a JSON string`);
  return JSON.parse(raw);
}

export const asList = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The resource (of `type`) whose input `field` equals the id of the bucket named `bucketName`. */
export function forBucket(run: ProgramRun, type: string, bucketLogicalName: string): RecordedResource[] {
  const bucket = run.named(bucketLogicalName, T.bucket);
  const id = `${bucket.name}-id`;
  return run.ofType(type).filter((r) => r.inputs.bucket === id);
}
