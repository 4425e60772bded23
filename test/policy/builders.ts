// Fixture builders: PolicyRes values shaped like what the engine or the mocks hand the rules.
import { PolicyRes } from "../../policy/lib/model";
import { T } from "../../policy/rules/s3";

export const ACCOUNT = "123456789012";
export const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/key-data`;

export function res(
  type: string,
  name: string,
  props: Record<string, unknown>,
  extra: Partial<PolicyRes> = {},
): PolicyRes {
  const refs = [`${name}-id`];
  for (const key of ["bucket", "name", "arn", "url"]) {
    if (typeof props[key] === "string" && (type === T.bucket || key !== "bucket"))
      refs.push(props[key] as string);
  }
  return {
    type,
    name,
    urn: `urn:pulumi:test::datalake::${type}::${name}`,
    props,
    refs,
    propertyDeps: {},
    deps: [],
    protect: false,
    ...extra,
  };
}

export function tlsPolicy(bucket: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

export type BucketPart =
  "pab" | "sse" | "policy" | "versioning" | "lifecycle" | "logging" | "ownership";

/**
 * A bucket with every configuration resource the S3 rules want, minus `omit`, logging to
 * `logBucket`. Configuration resources refer to the bucket by id, as `bucket: b.id` does.
 */
export function compliantBucket(
  name: string,
  opts: { omit?: BucketPart[]; logBucket?: string } = {},
): PolicyRes[] {
  const omit = new Set(opts.omit ?? []);
  const physical = `${name}-physical`;
  const id = `${name}-id`;
  const out: PolicyRes[] = [
    res(T.bucket, name, { bucket: physical, arn: `arn:aws:s3:::${physical}` }),
  ];
  if (!omit.has("pab")) {
    out.push(
      res(T.publicAccessBlock, `${name}-pab`, {
        bucket: id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      }),
    );
  }
  if (!omit.has("sse")) {
    out.push(
      res(T.sse, `${name}-sse`, {
        bucket: id,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: KEY_ARN,
            },
            bucketKeyEnabled: true,
          },
        ],
      }),
    );
  }
  if (!omit.has("policy"))
    out.push(res(T.policy, `${name}-policy`, { bucket: id, policy: tlsPolicy(physical) }));
  if (!omit.has("versioning")) {
    out.push(
      res(T.versioning, `${name}-versioning`, {
        bucket: id,
        versioningConfiguration: { status: "Enabled" },
      }),
    );
  }
  if (!omit.has("lifecycle")) {
    out.push(
      res(T.lifecycle, `${name}-lifecycle`, {
        bucket: id,
        rules: [
          {
            id: "abort",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
          {
            id: "noncurrent",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: 30 },
          },
        ],
      }),
    );
  }
  if (!omit.has("logging") && opts.logBucket) {
    out.push(
      res(T.logging, `${name}-logging`, {
        bucket: id,
        targetBucket: `${opts.logBucket}-id`,
        targetPrefix: `${name}/`,
      }),
    );
  }
  if (!omit.has("ownership")) {
    out.push(
      res(T.ownership, `${name}-ownership`, {
        bucket: id,
        rule: { objectOwnership: "BucketOwnerEnforced" },
      }),
    );
  }
  return out;
}

/** A landing bucket logging to an access-log bucket: every S3 rule passes. */
export function compliantBuckets(omit: BucketPart[] = []): PolicyRes[] {
  return [
    ...compliantBucket("landing", { omit, logBucket: "access-logs" }),
    ...compliantBucket("access-logs"),
  ];
}

export function replaceProps(
  list: PolicyRes[],
  name: string,
  patch: Record<string, unknown>,
): PolicyRes[] {
  return list.map((r) => (r.name === name ? { ...r, props: { ...r.props, ...patch } } : r));
}
