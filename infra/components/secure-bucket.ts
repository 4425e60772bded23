// One bucket with every control the platform requires: encryption (SSE-KMS + bucket key), versioning,
// all four public-access blocks, ownership enforced, lifecycle, access logging, TLS-only policy.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_ABORT_MULTIPART_DAYS, DEFAULT_NONCURRENT_VERSION_DAYS } from "../defaults";
import { tlsOnlyBucketPolicy } from "../policies/bucket-policy";

export interface SecureBucketArgs {
  /** SSE-KMS key. Absent only for the access-log bucket: S3 delivers server access logs to SSE-S3 buckets only. */
  kmsKeyArn?: pulumi.Input<string>;
  /** Bucket receiving this bucket's server access logs (absent for the log bucket itself). */
  accessLogBucket?: pulumi.Input<string>;
  /** @default DEFAULT_NONCURRENT_VERSION_DAYS */
  noncurrentVersionDays?: number;
  /** Expire current objects after this many days (landing retention). @default never */
  expireAfterDays?: number;
  /** Send object events to EventBridge (the one notification config of the bucket). @default false */
  eventBridge?: boolean;
  /** Attach the TLS-only policy here; false when the owner adds a fuller policy itself. @default true */
  tlsOnlyPolicy?: boolean;
  /** Protect and retain the bucket; false lets `pulumi destroy` empty and delete it. @default true */
  retainData?: boolean;
}

export class SecureBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly name: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:storage:SecureBucket", name, {}, opts);
    const retain = args.retainData ?? true;
    const parent = { parent: this };
    this.bucket = new aws.s3.Bucket(
      name,
      { bucketPrefix: `${name}-`, forceDestroy: !retain },
      { parent: this, protect: retain, retainOnDelete: retain },
    );
    const bucket = this.bucket.id;
    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;

    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-sse`,
      {
        bucket,
        // SSE-C uploads refused (S3 blocks them by default only on buckets created since March
        // 2026): an object encrypted with a key the uploader keeps answers HeadObject and
        // GetObject with 400 to the handlers and the jobs, so it could never be read or loaded.
        rules: [
          args.kmsKeyArn === undefined
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, blockedEncryptionTypes: ["SSE-C"] }
            : {
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
                bucketKeyEnabled: true,
                blockedEncryptionTypes: ["SSE-C"],
              },
        ],
      },
      parent,
    );
    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: "Enabled" } }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket,
        rules: [
          { id: "abort-incomplete-multipart", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: DEFAULT_ABORT_MULTIPART_DAYS } },
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentVersionDays ?? DEFAULT_NONCURRENT_VERSION_DAYS },
          },
          ...(args.expireAfterDays === undefined
            ? []
            : [{ id: "expire-current-objects", status: "Enabled", filter: {}, expiration: { days: args.expireAfterDays } }]),
        ],
      },
      parent,
    );
    if (args.accessLogBucket !== undefined) {
      new aws.s3.BucketLogging(`${name}-logging`, { bucket, targetBucket: args.accessLogBucket, targetPrefix: `${name}/` }, parent);
    }
    if (args.eventBridge) {
      new aws.s3.BucketNotification(`${name}-notification`, { bucket, eventbridge: true }, parent);
    }
    if (args.tlsOnlyPolicy ?? true) {
      // After the public-access block: S3 evaluates the policy against it.
      new aws.s3.BucketPolicy(
        `${name}-policy`,
        { bucket, policy: this.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) },
        { parent: this, dependsOn: [publicAccess] },
      );
    }
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
