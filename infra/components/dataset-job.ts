// One Glue job per dataset: its own role scoped to its prefixes and tables, its load plan
// uploaded under a content-hashed key, the shared script and library, Iceberg + metrics + logs on.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { JOB_ARGS, OPTIONAL_JOB_ARGS } from "../../engine/contracts";
import { planKey } from "../content-hash";
import { GLUE_MAX_CONCURRENT_RUNS } from "../defaults";
import { Zone } from "../catalog-layout";
import { AccountContext } from "../policies/document";
import { glueJobPolicyDocument } from "../policies/glue-job-policy";
import { piiKeyReadPolicyDocument } from "../policies/pii-key-policy";
import { serviceTrustPolicy } from "../policies/trust-policy";

export interface BucketRef {
  name: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

export interface DatasetJobArgs {
  ctx: pulumi.Input<AccountContext>;
  dataset: string;
  landingPrefix: string;
  /** Physical job name (GLUE_JOBS env of the handlers is built from the same names). */
  jobName: string;
  /** The compiled spark plan as JSON. */
  planJson: string;
  landing: BucketRef;
  ops: BucketRef;
  zones: Record<Zone, BucketRef>;
  scriptKey: string;
  libraryKey: string;
  dataKeyArn: pulumi.Input<string>;
  /** The key the security configuration encrypts logs with. */
  logKeyArn: pulumi.Input<string>;
  /** The security configuration (an output: the job waits for it) and its name (log groups). */
  securityConfiguration: pulumi.Input<string>;
  securityConfigurationName: string;
  databaseNames: Record<Zone, string>;
  /** "<database>/<table>" of every table of the dataset. */
  tables: string[];
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
  /** Resources the job (and so the plan it runs) must wait for: the readers' grants. */
  after?: pulumi.Resource[];
}

export class DatasetJob extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly job: aws.glue.Job;
  public readonly planKey: string;

  constructor(name: string, args: DatasetJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:glue:DatasetJob", name, {}, opts);
    this.planKey = planKey(args.dataset, args.planJson);
    const plan = new aws.s3.BucketObjectv2(
      `${name}-plan`,
      { bucket: args.ops.name, key: this.planKey, content: args.planJson, contentType: "application/json" },
      { parent: this },
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: pulumi.output(args.ctx).apply((ctx) => JSON.stringify(serviceTrustPolicy(ctx, "glue.amazonaws.com"))) },
      { parent: this },
    );
    const zoneArns = pulumi.all([args.zones.bronze.arn, args.zones.silver.arn, args.zones.quarantine.arn]);
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.id,
        policy: pulumi
          .all([args.ctx, args.landing.arn, args.ops.arn, zoneArns, args.dataKeyArn, args.logKeyArn, this.role.name])
          .apply(([ctx, landingArn, opsArn, zones, dataKeyArn, logKeyArn, roleName]) =>
            JSON.stringify(
              glueJobPolicyDocument({
                ctx,
                dataset: args.dataset,
                landingBucketArn: landingArn,
                landingPrefix: args.landingPrefix,
                zoneBucketArns: zones,
                opsBucketArn: opsArn,
                artifactKeys: [args.scriptKey, args.libraryKey, this.planKey],
                dataKeyArn,
                logKeyArn,
                roleName,
                securityConfigurationName: args.securityConfigurationName,
                databaseNames: Object.values(args.databaseNames),
                tables: args.tables,
                metricsNamespace: args.metricsNamespace,
              }),
            ),
          ),
      },
      { parent: this },
    );
    // Only a job that hashes reads the key: by its ARN, at run start (never a job argument's value).
    const piiKey = args.piiKeySecretArn
      ? [
          new aws.iam.RolePolicy(
            `${name}-pii-key`,
            { role: this.role.id, policy: pulumi
                .all([args.ctx, args.piiKeySecretArn, args.dataKeyArn])
                .apply(([ctx, arn, key]) => JSON.stringify(piiKeyReadPolicyDocument(ctx, arn, key))),
            },
            { parent: this },
          ),
        ]
      : [];
    const s3 = (bucket: pulumi.Input<string>, key: string) => pulumi.interpolate`s3://${bucket}/${key}`;
    this.job = new aws.glue.Job(
      name,
      {
        name: args.jobName,
        description: `Load ${args.dataset}: manifest -> bronze -> state -> silver/quarantine (audited)`,
        roleArn: this.role.arn,
        glueVersion: args.glueVersion,
        command: { name: "glueetl", pythonVersion: "3", scriptLocation: s3(args.ops.name, args.scriptKey) },
        workerType: args.workerType,
        numberOfWorkers: args.workers,
        timeout: args.timeoutMinutes,
        executionClass: args.flex ? "FLEX" : "STANDARD",
        // The run slot in the audit table admits one run per dataset; Glue enforces it too.
        executionProperty: { maxConcurrentRuns: GLUE_MAX_CONCURRENT_RUNS },
        maxRetries: 0,
        securityConfiguration: args.securityConfiguration,
        defaultArguments: {
          [JOB_ARGS.planUri]: s3(args.ops.name, this.planKey),
          [JOB_ARGS.opsBucket]: args.ops.name,
          [JOB_ARGS.bronzePath]: pulumi.interpolate`s3://${args.zones.bronze.name}/${args.dataset}/`,
          [JOB_ARGS.warehousePath]: args.warehousePath,
          [JOB_ARGS.catalogDatabase]: args.databaseNames.silver,
          [JOB_ARGS.quarantineDatabase]: args.databaseNames.quarantine,
          [JOB_ARGS.metricsNamespace]: args.metricsNamespace,
          [OPTIONAL_JOB_ARGS.bronzeDatabase]: args.databaseNames.bronze,
          ...(args.piiKeySecretArn ? { [OPTIONAL_JOB_ARGS.piiKeySecret]: args.piiKeySecretArn } : {}),
          "--extra-py-files": s3(args.ops.name, args.libraryKey),
          "--datalake-formats": "iceberg",
          "--conf": args.sparkConf,
          "--enable-glue-datacatalog": "true",
          "--enable-metrics": "true",
          "--enable-observability-metrics": "true",
          "--enable-continuous-cloudwatch-log": "true",
          "--enable-job-insights": "true",
          "--job-language": "python",
          "--TempDir": s3(args.ops.name, `tmp/${args.dataset}/`),
        },
      },
      { parent: this, dependsOn: [plan, rolePolicy, ...piiKey, ...(args.after ?? [])] },
    );
    this.registerOutputs({ jobName: this.job.name, roleArn: this.role.arn });
  }
}
