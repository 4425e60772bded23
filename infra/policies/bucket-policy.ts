// Bucket policies: TLS only for everyone, plus the few service grants a bucket needs.
import { AccountContext, PolicyDocument, Statement, policy, sorted } from "./document";

export function denyInsecureTransport(bucketArn: string): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": false } },
  };
}

export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return policy([denyInsecureTransport(bucketArn)]);
}

/**
 * The access-log bucket: TLS only, and the S3 logging service may write logs of exactly the
 * source buckets of this stack.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 */
export function accessLogBucketPolicy(ctx: AccountContext, logBucketArn: string, sourceBucketArns: string[]): PolicyDocument {
  return policy([
    denyInsecureTransport(logBucketArn),
    {
      Sid: "S3ServerAccessLogsDelivery",
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: `${logBucketArn}/*`,
      Condition: {
        ArnLike: { "aws:SourceArn": sorted(sourceBucketArns) },
        StringEquals: { "aws:SourceAccount": ctx.accountId },
      },
    },
  ]);
}
