// The Glue job role of one dataset: its landing prefix (read), its prefixes in the zone buckets
// (read/write), its artifacts and run files in the ops bucket, its catalog tables, the keys.
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
  keyArns: string[];
  databaseNames: string[];
  /** "<database>/<table>" of every catalog table the job writes. */
  tables: string[];
  metricsNamespace: string;
}

export function glueJobPolicyDocument(input: GlueJobPolicyInput): PolicyDocument {
  const { ctx, dataset } = input;
  const glueArn = (kind: string) => `arn:${ctx.partition}:glue:${ctx.region}:${ctx.accountId}:${kind}`;
  const statements: Statement[] = [
    {
      Sid: "ReadLandingFiles",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: `${input.landingBucketArn}/${input.landingPrefix}*`,
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
      Condition: { StringLike: { "s3:prefix": [`${input.landingPrefix}*`] } },
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
    {
      Sid: "UseDataKeys",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      Resource: sorted(input.keyArns),
    },
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
    {
      // Continuous logging writes to /aws-glue/jobs/... groups (encrypted by the security configuration).
      Sid: "ContinuousLogs",
      Effect: "Allow",
      Action: ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:/aws-glue/*`,
    },
    {
      Sid: "PublishMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:PutMetricData"],
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": ["Glue", input.metricsNamespace] } },
    },
    {
      // Lake Formation vends credentials for registered locations; the action has no resource type.
      Sid: "LakeFormationDataAccess",
      Effect: "Allow",
      Action: ["lakeformation:GetDataAccess"],
      Resource: "*",
    },
  ];
  return policy(statements);
}
