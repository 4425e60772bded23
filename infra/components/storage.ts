// The buckets of the lake: landing (EventBridge on), bronze / silver / quarantine / semantic zones, ops
// (scripts, plans, manifests, summaries), Athena results, and the access-log bucket they log to.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ATHENA_RESULTS_RETENTION_DAYS, DEFAULT_LANDING_RETENTION_DAYS, DEFAULT_NONCURRENT_VERSION_DAYS } from "../defaults";
import { AccountContext } from "../policies/document";
import { accessLogBucketPolicy } from "../policies/bucket-policy";
import { SecureBucket } from "./secure-bucket";

export interface StorageArgs {
  ctx: pulumi.Input<AccountContext>;
  dataKeyArn: pulumi.Input<string>;
  /** Key of the Athena results bucket (readers' key). */
  athenaKeyArn: pulumi.Input<string>;
  /** @default DEFAULT_LANDING_RETENTION_DAYS */
  landingRetentionDays?: number;
  /** @default DEFAULT_NONCURRENT_VERSION_DAYS */
  noncurrentVersionDays?: number;
  /** @default true */
  retainData?: boolean;
}

export const DATA_BUCKETS = ["landing", "bronze", "silver", "quarantine", "semantic", "ops", "athena"] as const;
export type DataBucket = (typeof DATA_BUCKETS)[number];

export class Storage extends pulumi.ComponentResource {
  public readonly accessLogs: SecureBucket;
  public readonly buckets: Record<DataBucket, SecureBucket>;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:storage:Storage", name, {}, opts);
    const retainData = args.retainData ?? true;
    const noncurrentVersionDays = args.noncurrentVersionDays ?? DEFAULT_NONCURRENT_VERSION_DAYS;
    this.accessLogs = new SecureBucket(
      `${name}-access-logs`,
      { noncurrentVersionDays, tlsOnlyPolicy: false, retainData },
      { parent: this },
    );
    const make = (zone: DataBucket, extra: Partial<ConstructorParameters<typeof SecureBucket>[1]> = {}) =>
      new SecureBucket(
        `${name}-${zone}`,
        { kmsKeyArn: args.dataKeyArn, accessLogBucket: this.accessLogs.bucket.id, noncurrentVersionDays, retainData, ...extra },
        { parent: this },
      );
    this.buckets = {
      landing: make("landing", { eventBridge: true, expireAfterDays: args.landingRetentionDays ?? DEFAULT_LANDING_RETENTION_DAYS }),
      bronze: make("bronze"),
      silver: make("silver"),
      quarantine: make("quarantine"),
      // Its own bucket, not a prefix of silver: silver's tables live under `<dataset>/`, so a
      // prefix could collide with a dataset's name, and the silver location's grants would cover it.
      semantic: make("semantic"),
      ops: make("ops"),
      athena: make("athena", { kmsKeyArn: args.athenaKeyArn, expireAfterDays: ATHENA_RESULTS_RETENTION_DAYS }),
    };
    const sources = DATA_BUCKETS.map((b) => this.buckets[b].arn);
    new aws.s3.BucketPolicy(
      `${name}-access-logs-policy`,
      {
        bucket: this.accessLogs.bucket.id,
        policy: pulumi
          .all([args.ctx, this.accessLogs.arn, pulumi.all(sources)])
          .apply(([ctx, logArn, sourceArns]) => JSON.stringify(accessLogBucketPolicy(ctx, logArn, sourceArns))),
      },
      { parent: this },
    );
    this.registerOutputs({ landing: this.buckets.landing.name });
  }
}
