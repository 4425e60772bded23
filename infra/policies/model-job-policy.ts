// The Glue job role of one semantic model: read the tables its plan reads (bronze and silver of
// its datasets, the semantic tables of the models it reads) under their owners' prefixes, read
// and write its own table under `<model>/` of the semantic bucket, its artifacts and run files in
// the ops bucket, the keys through S3 and CloudWatch Logs only. Nothing of landing or quarantine.
// Its run summaries go to engine/contracts.ts modelSummaryKey, where the job-state handler reads them,
// and the state of each published version to modelStatePrefix (incremental builds).
import { modelStatePrefix, modelSummaryPrefix } from "../../engine/contracts";
import { glueKeyStatements, glueRuntimeStatements } from "./glue-job-policy";
import { AccountContext, PolicyDocument, Statement, policy, sorted } from "./document";

export interface ModelJobPolicyInput {
  ctx: AccountContext;
  model: string;
  /** Bucket ARN and owner (dataset or model) of every prefix the job reads. */
  reads: Array<{ bucketArn: string; owner: string }>;
  /** The semantic bucket: the job writes `<model>/` in it. */
  semanticBucketArn: string;
  opsBucketArn: string;
  /** Exact ops keys of the script, library, plan and files this job runs with. */
  artifactKeys: string[];
  dataKeyArn: string;
  logKeyArn: string;
  roleName: string;
  securityConfigurationName: string;
  /** Databases of every table the job reads or writes. */
  databaseNames: string[];
  /** "<database>/<table>" the job reads. */
  readTables: string[];
  /** "<database>/<table>" of its own table (the one it commits to). */
  ownTable: string;
  metricsNamespace: string;
}

export function modelJobPolicyDocument(input: ModelJobPolicyInput): PolicyDocument {
  const { ctx, model } = input;
  const glueArn = (kind: string) => `arn:${ctx.partition}:glue:${ctx.region}:${ctx.accountId}:${kind}`;
  const readPrefixes = sorted([...new Set(input.reads.map((r) => `${r.bucketArn}/${r.owner}/*`))]);
  const readBuckets = sorted([...new Set(input.reads.map((r) => r.bucketArn))]);
  const own = `${input.semanticBucketArn}/${model}`;
  const statements: Statement[] = [
    {
      Sid: "ReadArtifacts",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: sorted(input.artifactKeys.map((k) => `${input.opsBucketArn}/${k}`)),
    },
    {
      // Its summaries, the state its next incremental build starts from, and temp files.
      Sid: "WriteSummariesStateAndTemp",
      Effect: "Allow",
      Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      Resource: sorted([`${input.opsBucketArn}/${modelSummaryPrefix(model)}*`, `${input.opsBucketArn}/${modelStatePrefix(model)}*`, `${input.opsBucketArn}/tmp/${model}/*`]),
    },
    {
      // Without it a missing summary or state answers 403, not 404 (as for the load jobs).
      Sid: "ListOwnSummariesAndState",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: input.opsBucketArn,
      Condition: { StringLike: { "s3:prefix": sorted([`${modelSummaryPrefix(model)}*`, `${modelStatePrefix(model)}*`]) } },
    },
    ...(readPrefixes.length > 0
      ? [
          { Sid: "ReadInputTables", Effect: "Allow", Action: ["s3:GetObject"], Resource: readPrefixes } as Statement,
          {
            Sid: "ListInputPrefixes",
            Effect: "Allow",
            Action: ["s3:ListBucket"],
            Resource: readBuckets,
            Condition: { StringLike: { "s3:prefix": sorted([...new Set(input.reads.flatMap((r) => [`${r.owner}/`, `${r.owner}/*`]))]) } },
          } as Statement,
        ]
      : []),
    {
      Sid: "ReadWriteModelTable",
      Effect: "Allow",
      Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      Resource: `${own}/*`,
    },
    {
      Sid: "ListModelPrefix",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: input.semanticBucketArn,
      Condition: { StringLike: { "s3:prefix": [`${model}/`, `${model}/*`] } },
    },
    ...glueKeyStatements(ctx, input),
    {
      Sid: "ReadInputCatalog",
      Effect: "Allow",
      Action: ["glue:GetDatabase", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
      Resource: sorted([
        glueArn("catalog"),
        ...[...new Set(input.databaseNames)].map((db) => glueArn(`database/${db}`)),
        ...input.readTables.map((t) => glueArn(`table/${t}`)),
      ]),
    },
    {
      // Only its own table takes Iceberg commits. Glue authorizes a table action on the table and
      // on each of its ancestors (the catalog and the table's database): without those two ARNs
      // every UpdateTable, so every commit of the model's table, is denied.
      // https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html
      Sid: "CommitModelTable",
      Effect: "Allow",
      Action: ["glue:GetTable", "glue:UpdateTable"],
      Resource: sorted([glueArn("catalog"), glueArn(`database/${input.ownTable.split("/")[0]}`), glueArn(`table/${input.ownTable}`)]),
    },
    ...glueRuntimeStatements(ctx, input),
  ];
  return policy(statements);
}
