// One Glue job per semantic model (glue-scripts/build_model.py). Per model rather than one job
// taking the model as a run argument: each job's role reads exactly the tables its plan reads and
// commits only its own table; its plan artifact is a default argument, so a model edit is a diff
// of that model's job in `pulumi preview`; Glue's one-run-at-a-time applies per model (the
// per-table write-audit-publish); and the job name in Glue's state-change events names the model,
// so failures alarm per model (components/monitoring.ts).
import { MODEL_JOB_ARGS } from "../../engine/contracts";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { planKey, sha256, HASH_LENGTH } from "../content-hash";
import { GLUE_MAX_CONCURRENT_RUNS } from "../defaults";
import { AccountContext } from "../policies/document";
import { modelJobPolicyDocument } from "../policies/model-job-policy";
import { piiKeyReadPolicyDocument } from "../policies/pii-key-policy";
import { serviceTrustPolicy } from "../policies/trust-policy";
import type { BucketRef } from "./dataset-job";

/** The model job's arguments, one list for every caller (engine/contracts.ts). */
export { MODEL_JOB_ARGS } from "../../engine/contracts";

export interface ModelFile {
  /** Path relative to the repository root, as the plan's `file` input names it. */
  path: string;
  content: Buffer;
}

export interface ModelJobArgs {
  ctx: pulumi.Input<AccountContext>;
  model: string;
  kind: string;
  jobName: string;
  /** The plan artifact (engine/spark/model-artifact.ts sparkModelArtifact) as JSON. */
  planJson: string;
  ops: BucketRef;
  semantic: BucketRef;
  /** Every prefix the job reads: the bucket (zone) and the dataset or model owning it. */
  reads: Array<{ bucketArn: pulumi.Input<string>; owner: string }>;
  scriptKey: string;
  libraryKey: string;
  /** Repository files the plan reads (uploaded next to the plan). */
  files: ModelFile[];
  dataKeyArn: pulumi.Input<string>;
  logKeyArn: pulumi.Input<string>;
  securityConfiguration: pulumi.Input<string>;
  securityConfigurationName: string;
  databaseNames: { bronze: string; silver: string; semantic: string };
  /** "<database>/<table>" of every table the job reads. */
  readTables: string[];
  glueVersion: string;
  workerType: string;
  workers: number;
  timeoutMinutes: number;
  flex: boolean;
  metricsNamespace: string;
  sparkConf: pulumi.Input<string>;
  warehousePath: pulumi.Input<string>;
  piiKeySecretArn?: pulumi.Input<string>;
  /** What the job must wait for: its table, the readers' grants. */
  after?: pulumi.Resource[];
}

/** `files/<model>/<hash of every file>/`: a changed holidays file is a new prefix (a preview diff). */
export function modelFilesPrefix(model: string, files: readonly ModelFile[]): string {
  const hash = sha256(Buffer.concat(files.flatMap((f) => [Buffer.from(`${f.path}\0`), f.content, Buffer.from("\0")])));
  return `files/${model}/${hash.slice(0, HASH_LENGTH)}/`;
}

export class ModelJob extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly job: aws.glue.Job;
  public readonly planKey: string;

  constructor(name: string, args: ModelJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:glue:ModelJob", name, {}, opts);
    const s3 = (bucket: pulumi.Input<string>, key: string) => pulumi.interpolate`s3://${bucket}/${key}`;
    // plans/models/<model>/<hash>.json: apart from the datasets' load plans.
    this.planKey = planKey(`models/${args.model}`, args.planJson);
    const uploads = [
      new aws.s3.BucketObjectv2(
        `${name}-plan`,
        { bucket: args.ops.name, key: this.planKey, content: args.planJson, contentType: "application/json" },
        { parent: this },
      ),
    ];
    const filesPrefix = args.files.length > 0 ? modelFilesPrefix(args.model, args.files) : undefined;
    const fileKeys = args.files.map((f) => `${filesPrefix}${f.path}`);
    args.files.forEach((f, i) =>
      uploads.push(
        new aws.s3.BucketObjectv2(
          `${name}-file-${i}`,
          { bucket: args.ops.name, key: fileKeys[i], content: f.content.toString("utf8"), contentType: "text/csv" },
          { parent: this },
        ),
      ),
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: pulumi.output(args.ctx).apply((ctx) => JSON.stringify(serviceTrustPolicy(ctx, "glue.amazonaws.com"))) },
      { parent: this },
    );
    const db = args.databaseNames;
    const readArns = pulumi.all(args.reads.map((r) => r.bucketArn));
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([args.ctx, readArns, args.semantic.arn, args.ops.arn, args.dataKeyArn, args.logKeyArn, this.role.name])
          .apply(([ctx, arns, semanticArn, opsArn, dataKeyArn, logKeyArn, roleName]) =>
            JSON.stringify(
              modelJobPolicyDocument({
                ctx,
                model: args.model,
                reads: args.reads.map((r, i) => ({ bucketArn: arns[i], owner: r.owner })),
                semanticBucketArn: semanticArn,
                opsBucketArn: opsArn,
                artifactKeys: [args.scriptKey, args.libraryKey, this.planKey, ...fileKeys],
                dataKeyArn,
                logKeyArn,
                roleName,
                securityConfigurationName: args.securityConfigurationName,
                databaseNames: [db.semantic, ...args.readTables.map((t) => t.split("/")[0])],
                readTables: args.readTables,
                ownTable: `${db.semantic}/${args.model}`,
                metricsNamespace: args.metricsNamespace,
              }),
            ),
          ),
      },
      { parent: this },
    );
    const piiKey = args.piiKeySecretArn
      ? [
          new aws.iam.RolePolicy(
            `${name}-pii-key`,
            {
              role: this.role.id,
              policy: pulumi
                .all([args.ctx, args.piiKeySecretArn, args.dataKeyArn])
                .apply(([ctx, arn, key]) => JSON.stringify(piiKeyReadPolicyDocument(ctx, arn, key))),
            },
            { parent: this },
          ),
        ]
      : [];
    this.job = new aws.glue.Job(
      name,
      {
        name: args.jobName,
        description: `Build model ${args.model} (${args.kind}): inputs -> staged -> audits -> publish`,
        roleArn: this.role.arn,
        glueVersion: args.glueVersion,
        command: { name: "glueetl", pythonVersion: "3", scriptLocation: s3(args.ops.name, args.scriptKey) },
        workerType: args.workerType,
        numberOfWorkers: args.workers,
        timeout: args.timeoutMinutes,
        executionClass: args.flex ? "FLEX" : "STANDARD",
        executionProperty: { maxConcurrentRuns: GLUE_MAX_CONCURRENT_RUNS },
        maxRetries: 0,
        securityConfiguration: args.securityConfiguration,
        defaultArguments: {
          [MODEL_JOB_ARGS.model]: args.model,
          [MODEL_JOB_ARGS.planUri]: s3(args.ops.name, this.planKey),
          [MODEL_JOB_ARGS.opsBucket]: args.ops.name,
          [MODEL_JOB_ARGS.warehousePath]: args.warehousePath,
          [MODEL_JOB_ARGS.semanticDatabase]: db.semantic,
          [MODEL_JOB_ARGS.silverDatabase]: db.silver,
          [MODEL_JOB_ARGS.bronzeDatabase]: db.bronze,
          ...(args.piiKeySecretArn ? { [MODEL_JOB_ARGS.piiKeySecret]: args.piiKeySecretArn } : {}),
          ...(filesPrefix ? { [MODEL_JOB_ARGS.filesPath]: s3(args.ops.name, filesPrefix) } : {}),
          "--extra-py-files": s3(args.ops.name, args.libraryKey),
          "--datalake-formats": "iceberg",
          "--conf": args.sparkConf,
          "--enable-glue-datacatalog": "true",
          "--enable-metrics": "true",
          "--enable-observability-metrics": "true",
          "--enable-continuous-cloudwatch-log": "true",
          "--enable-job-insights": "true",
          "--job-language": "python",
          "--TempDir": s3(args.ops.name, `tmp/${args.model}/`),
        },
      },
      { parent: this, dependsOn: [...uploads, rolePolicy, ...piiKey, ...(args.after ?? [])] },
    );
    this.registerOutputs({ jobName: this.job.name, roleArn: this.role.arn });
  }
}
