// The Glue job role of one dataset: its landing prefix (read), its prefixes in the zone buckets
// (read/write), its artifacts and run files in the ops bucket, its catalog tables, the keys.
import { caseSpellings } from "../../datasets/routing";
import { AccountContext, PolicyDocument, Statement, policy, sorted } from "./document";

export interface GlueJobPolicyInput {
  ctx: AccountContext;
  dataset: string;
  landingBucketArn: string;
  landingPrefix: string;
  /** Zone buckets holding this dataset's tables under `<dataset>/`. */
  zoneBucketArns: string[];
  opsBucketArn: string;
  /** Exact ops keys of the script, library and plan this job runs. */
  artifactKeys: string[];
  /** The data key (S3 objects, via S3 only). */
  dataKeyArn: string;
  /** The key of the security configuration's log encryption (via CloudWatch Logs only). */
  logKeyArn: string;
  /** The job role's own name and the security configuration: Glue names the log groups after them. */
  roleName: string;
  securityConfigurationName: string;
  databaseNames: string[];
  /** "<database>/<table>" of every catalog table the job writes. */
  tables: string[];
  metricsNamespace: string;
}

/**
 * The log groups of a Glue job run with a security configuration that encrypts CloudWatch logs:
 * `/aws-glue/jobs/<configuration>-role/<role>/output|error` and the continuous-logging group
 * `/aws-glue/jobs/logs-v2-<configuration>` (streams under both). `roleName` "*" gives every job
 * role of the configuration (the key policy's pattern).
 * https://docs.aws.amazon.com/glue/latest/dg/console-security-configurations.html
 */
export function glueJobLogGroupArns(ctx: AccountContext, securityConfigurationName: string, roleName: string): string[] {
  const group = (name: string) => `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:${name}`;
  // One role: its two exact groups and their streams (no prefix wildcard in a job's own policy).
  const roleGroups =
    roleName === "*"
      ? [group(`/aws-glue/jobs/${securityConfigurationName}-role/*`)]
      : ["output", "error"].flatMap((stream) => {
          const name = `/aws-glue/jobs/${securityConfigurationName}-role/${roleName}/${stream}`;
          return [group(name), group(`${name}:*`)];
        });
  return [
    ...roleGroups,
    group(`/aws-glue/jobs/logs-v2-${securityConfigurationName}`),
    group(`/aws-glue/jobs/logs-v2-${securityConfigurationName}:*`),
  ];
}

export function glueJobPolicyDocument(input: GlueJobPolicyInput): PolicyDocument {
  const { ctx, dataset } = input;
  // Keys route to the dataset in any case; ARNs and s3:prefix are case-sensitive (routing.ts).
  const landing = sorted(caseSpellings(input.landingPrefix));
  const glueArn = (kind: string) => `arn:${ctx.partition}:glue:${ctx.region}:${ctx.accountId}:${kind}`;
  const statements: Statement[] = [
    {
      Sid: "ReadLandingFiles",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: landing.map((p) => `${input.landingBucketArn}/${p}*`),
    },
    {
      // Never used to list: without it S3 answers a GetObject of a deleted object or version with
      // 403, indistinguishable from a real permission fault. The runner rejects a file whose
      // version is gone (404) and fails the run on any other fetch error, so a good file is never
      // quarantined for a fault of the environment.
      Sid: "ListLandingPrefix",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: input.landingBucketArn,
      Condition: { StringLike: { "s3:prefix": landing.map((p) => `${p}*`) } },
    },
    {
      Sid: "ReadArtifactsAndManifests",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: sorted([
        ...input.artifactKeys.map((k) => `${input.opsBucketArn}/${k}`),
        `${input.opsBucketArn}/manifests/${dataset}/*`,
      ]),
    },
    {
      Sid: "WriteSummariesAndTemp",
      Effect: "Allow",
      Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      Resource: [`${input.opsBucketArn}/summaries/${dataset}/*`, `${input.opsBucketArn}/tmp/${dataset}/*`],
    },
    {
      // The runner checks a run's publish record (its commit point) before finishing or
      // abandoning an interrupted publish: without this a missing record answers 403, not 404.
      Sid: "ListOwnSummaries",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: input.opsBucketArn,
      Condition: { StringLike: { "s3:prefix": [`summaries/${dataset}/*`] } },
    },
    {
      Sid: "ReadWriteDatasetTables",
      Effect: "Allow",
      Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      Resource: sorted(input.zoneBucketArns).map((b) => `${b}/${dataset}/*`),
    },
    {
      Sid: "ListDatasetPrefixes",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: sorted(input.zoneBucketArns),
      Condition: { StringLike: { "s3:prefix": [`${dataset}/`, `${dataset}/*`] } },
    },
    ...glueKeyStatements(ctx, input),
    {
      Sid: "DatasetCatalogTables",
      Effect: "Allow",
      Action: ["glue:GetDatabase", "glue:GetPartitions", "glue:GetTable", "glue:GetTables", "glue:UpdateTable"],
      Resource: sorted([
        glueArn("catalog"),
        ...input.databaseNames.map((db) => glueArn(`database/${db}`)),
        ...input.tables.map((t) => glueArn(`table/${t}`)),
      ]),
    },
    ...glueRuntimeStatements(ctx, input),
  ];
  return policy(statements);
}

/** A Glue job's keys: the data key only through S3, the log key only through CloudWatch Logs. */
export function glueKeyStatements(ctx: AccountContext, keys: { dataKeyArn: string; logKeyArn: string }): Statement[] {
  return [
    {
      Sid: "UseDataKeyThroughS3",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      Resource: keys.dataKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${ctx.region}.amazonaws.com` } },
    },
    {
      Sid: "UseLogKeyThroughLogs",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      Resource: keys.logKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `logs.${ctx.region}.amazonaws.com` } },
    },
  ];
}

/** What every Glue job of the platform needs to run (load and model jobs alike): logs, metrics, LF credentials. */
export function glueRuntimeStatements(
  ctx: AccountContext,
  job: { securityConfigurationName: string; roleName: string; metricsNamespace: string },
): Statement[] {
  return [
    {
      // Only this job's groups (named after the security configuration and this role), not every
      // /aws-glue/* group of the account.
      Sid: "ContinuousLogs",
      Effect: "Allow",
      Action: ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: glueJobLogGroupArns(ctx, job.securityConfigurationName, job.roleName),
    },
    {
      Sid: "PublishMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": ["Glue", job.metricsNamespace] } },
    },
    {
      // Lake Formation vends credentials for registered locations; the action has no resource type.
      Sid: "LakeFormationDataAccess",
      Effect: "Allow",
      Action: ["lakeformation:GetDataAccess"],
      Resource: "*",
    },
  ];
}
