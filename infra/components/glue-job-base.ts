// What every Glue job of the platform shares, whether it loads a dataset (dataset-job.ts) or
// builds a model (model-job.ts): a role only Glue can assume, the PII key read for a plan that
// hashes, and one way to run: glueetl on Python 3, Iceberg, the catalog bound by --conf, metrics,
// continuous logs, no Glue retries (the handlers decide what runs again) and one run at a time.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GLUE_MAX_CONCURRENT_RUNS } from "../defaults";
import { AccountContext } from "../policies/document";
import { piiKeyReadPolicyDocument } from "../policies/pii-key-policy";
import { serviceTrustPolicy } from "../policies/trust-policy";

export interface BucketRef {
  name: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

/** The arguments every Glue job takes besides what it loads or builds. */
export interface GlueJobBaseArgs {
  ctx: pulumi.Input<AccountContext>;
  /** Physical job name (GLUE_JOBS / MODEL_GRAPH of the handlers are built from the same names). */
  jobName: string;
  ops: BucketRef;
  scriptKey: string;
  libraryKey: string;
  dataKeyArn: pulumi.Input<string>;
  /** The key the security configuration encrypts logs with. */
  logKeyArn: pulumi.Input<string>;
  /** The security configuration (an output: the job waits for it) and its name (log groups). */
  securityConfiguration: pulumi.Input<string>;
  securityConfigurationName: string;
  glueVersion: string;
  workerType: string;
  workers: number;
  timeoutMinutes: number;
  flex: boolean;
  metricsNamespace: string;
  /** `--conf` value binding the Iceberg catalog (glue-scripts/datalake_glue/iceberg_conf.py). */
  sparkConf: pulumi.Input<string>;
  warehousePath: pulumi.Input<string>;
  /** Secret of the PII hash key (components/pii-hash-key.ts), for a plan that hashes PII columns. */
  piiKeySecretArn?: pulumi.Input<string>;
  /** Resources the job (and so the plan it runs) must wait for: the readers' grants, its table. */
  after?: pulumi.Resource[];
}

export const s3Uri = (bucket: pulumi.Input<string>, key: string): pulumi.Output<string> => pulumi.interpolate`s3://${bucket}/${key}`;

/** A role only the Glue service can assume (its policies are the caller's). */
export function glueServiceRole(name: string, ctx: pulumi.Input<AccountContext>, parent: pulumi.Resource): aws.iam.Role {
  return new aws.iam.Role(
    `${name}-role`,
    { assumeRolePolicy: pulumi.output(ctx).apply((c) => JSON.stringify(serviceTrustPolicy(c, "glue.amazonaws.com"))) },
    { parent },
  );
}

/** Only a job that hashes reads the key: by its ARN, at run start (never a job argument's value). */
export function piiKeyPolicies(name: string, role: aws.iam.Role, args: GlueJobBaseArgs, parent: pulumi.Resource): aws.iam.RolePolicy[] {
  if (!args.piiKeySecretArn) return [];
  return [
    new aws.iam.RolePolicy(
      `${name}-pii-key`,
      {
        role: role.id,
        policy: pulumi.all([args.ctx, args.piiKeySecretArn, args.dataKeyArn]).apply(([ctx, arn, key]) => JSON.stringify(piiKeyReadPolicyDocument(ctx, arn, key))),
      },
      { parent },
    ),
  ];
}

export interface GlueJobSpec {
  description: string;
  role: aws.iam.Role;
  /** The job's own arguments (its plan, tables, ...): the shared ones are added here. */
  arguments: Record<string, pulumi.Input<string>>;
  /** Spark's temp files go to tmp/<owner>/ of the ops bucket, where the job's policy allows. */
  tempOwner: string;
  dependsOn: pulumi.Resource[];
}

export function glueJob(name: string, args: GlueJobBaseArgs, spec: GlueJobSpec, parent: pulumi.Resource): aws.glue.Job {
  return new aws.glue.Job(
    name,
    {
      name: args.jobName,
      description: spec.description,
      roleArn: spec.role.arn,
      glueVersion: args.glueVersion,
      command: { name: "glueetl", pythonVersion: "3", scriptLocation: s3Uri(args.ops.name, args.scriptKey) },
      workerType: args.workerType,
      numberOfWorkers: args.workers,
      timeout: args.timeoutMinutes,
      executionClass: args.flex ? "FLEX" : "STANDARD",
      // The run slot in the audit table admits one run per dataset or model; Glue enforces it too.
      executionProperty: { maxConcurrentRuns: GLUE_MAX_CONCURRENT_RUNS },
      maxRetries: 0,
      securityConfiguration: args.securityConfiguration,
      defaultArguments: {
        ...spec.arguments,
        "--extra-py-files": s3Uri(args.ops.name, args.libraryKey),
        "--datalake-formats": "iceberg",
        "--conf": args.sparkConf,
        "--enable-glue-datacatalog": "true",
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-job-insights": "true",
        "--job-language": "python",
        "--TempDir": s3Uri(args.ops.name, `tmp/${spec.tempOwner}/`),
      },
    },
    { parent, dependsOn: [...spec.dependsOn, ...(args.after ?? [])] },
  );
}
