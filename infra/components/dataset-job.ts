// One Glue job per dataset: its own role scoped to its prefixes and tables, its load plan
// uploaded under a content-hashed key, the shared script and library, Iceberg + metrics + logs on.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { JOB_ARGS, OPTIONAL_JOB_ARGS } from "../../engine/contracts";
import { planKey } from "../content-hash";
import { Zone } from "../catalog-layout";
import { glueJobPolicyDocument } from "../policies/glue-job-policy";
import { type BucketRef, type GlueJobBaseArgs, glueJob, glueServiceRole, piiKeyPolicies, s3Uri } from "./glue-job-base";

export type { BucketRef } from "./glue-job-base";

export interface DatasetJobArgs extends GlueJobBaseArgs {
  dataset: string;
  landingPrefix: string;
  /** The compiled spark plan as JSON. */
  planJson: string;
  landing: BucketRef;
  zones: Record<Zone, BucketRef>;
  databaseNames: Record<Zone, string>;
  /** "<database>/<table>" of every table of the dataset. */
  tables: string[];
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
    this.role = glueServiceRole(name, args.ctx, this);
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
    const piiKey = piiKeyPolicies(name, this.role, args, this);
    this.job = glueJob(
      name,
      args,
      {
        description: `Load ${args.dataset}: manifest -> bronze -> state -> silver/quarantine (audited)`,
        role: this.role,
        arguments: {
          [JOB_ARGS.planUri]: s3Uri(args.ops.name, this.planKey),
          [JOB_ARGS.opsBucket]: args.ops.name,
          [JOB_ARGS.bronzePath]: pulumi.interpolate`s3://${args.zones.bronze.name}/${args.dataset}/`,
          [JOB_ARGS.warehousePath]: args.warehousePath,
          [JOB_ARGS.catalogDatabase]: args.databaseNames.silver,
          [JOB_ARGS.quarantineDatabase]: args.databaseNames.quarantine,
          [JOB_ARGS.metricsNamespace]: args.metricsNamespace,
          [OPTIONAL_JOB_ARGS.bronzeDatabase]: args.databaseNames.bronze,
          ...(args.piiKeySecretArn ? { [OPTIONAL_JOB_ARGS.piiKeySecret]: args.piiKeySecretArn } : {}),
        },
        tempOwner: args.dataset,
        dependsOn: [plan, rolePolicy, ...piiKey],
      },
      this,
    );
    this.registerOutputs({ jobName: this.job.name, roleArn: this.role.arn });
  }
}
