// S3 rules. With @pulumi/aws v7 a bucket's settings live in separate resources
// (BucketServerSideEncryptionConfiguration, BucketVersioning, ...), so each requirement is a stack
// rule that joins those resources to their bucket and reports the bucket that lacks one.
import { C } from "../lib/controls";
import { configsByTarget, referencedBy } from "../lib/join";
import {
  PolicyRes,
  ResourceRule,
  StackRule,
  Violation,
  asArray,
  get,
  isSet,
  isUnknown,
  label,
  ofType,
} from "../lib/model";
import {
  conditionValues,
  hasWildcardPrincipal,
  parsePolicyDocument,
  publicAllowProblems,
} from "../lib/policy-document";

export const T = {
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  sseV2:
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  versioningV2: "aws:s3/bucketVersioningV2:BucketVersioningV2",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  lifecycleV2: "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  logging: "aws:s3/bucketLogging:BucketLogging",
  loggingV2: "aws:s3/bucketLoggingV2:BucketLoggingV2",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  acl: "aws:s3/bucketAcl:BucketAcl",
  aclV2: "aws:s3/bucketAclV2:BucketAclV2",
} as const;

const buckets = (all: PolicyRes[]) => ofType(all, T.bucket, T.bucketV2);

/**
 * Shared shape of the per-bucket rules: join `configTypes` to buckets through `bucket`, then ask
 * `problem` what is wrong with that bucket's configs (undefined = compliant).
 */
function perBucket(
  all: PolicyRes[],
  configTypes: string[],
  problem: (configs: PolicyRes[], bucket: PolicyRes, all: PolicyRes[]) => string | undefined,
  skip: (bucket: PolicyRes, all: PolicyRes[]) => boolean = () => false,
): Violation[] {
  const targets = buckets(all);
  const joined = configsByTarget(ofType(all, ...configTypes), "bucket", targets);
  const out: Violation[] = [];
  for (const bucket of targets) {
    if (skip(bucket, all)) continue;
    const message = problem(joined.get(bucket.urn) ?? [], bucket, all);
    if (message) out.push({ message: `${label(bucket)}: ${message}`, urn: bucket.urn });
  }
  return out;
}

// ----------------------------------------------------------------------------------------------

export function checkPublicAccessBlock(all: PolicyRes[]): Violation[] {
  const flags = [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
  ];
  return perBucket(all, [T.publicAccessBlock], (configs) => {
    if (configs.length === 0) return "no BucketPublicAccessBlock";
    const ok = configs.some((c) =>
      flags.every((f) => isUnknown(c.props[f]) || c.props[f] === true),
    );
    if (ok) return undefined;
    const missing = flags.filter(
      (f) => !configs.some((c) => c.props[f] === true || isUnknown(c.props[f])),
    );
    return `public access block must set all four flags to true (missing: ${missing.join(", ")})`;
  });
}

function sseRuleProblem(rule: unknown, logTarget: boolean): string | undefined {
  const algorithm = get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm");
  const key = get(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId");
  const bucketKey = get(rule, "bucketKeyEnabled");
  // S3 delivers server access logs only to SSE-S3 destination buckets, so the log bucket is the one
  // bucket allowed AES256 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
  if (logTarget && algorithm === "AES256") return undefined;
  if (!isUnknown(algorithm) && algorithm !== "aws:kms")
    return `sseAlgorithm is ${String(algorithm)}, expected aws:kms`;
  if (!isSet(key))
    return "no kmsMasterKeyId: the AWS managed aws/s3 key would be used, not a customer managed key";
  if (typeof key === "string" && /alias\/aws\/s3$/.test(key))
    return "kmsMasterKeyId is the AWS managed alias/aws/s3";
  if (!isUnknown(bucketKey) && bucketKey !== true)
    return "bucketKeyEnabled must be true (S3 Bucket Keys cut KMS calls)";
  return undefined;
}

export function checkKmsEncryption(all: PolicyRes[]): Violation[] {
  const logBuckets = accessLogSinks(all);
  return perBucket(all, [T.sse, T.sseV2], (configs, bucket) => {
    if (configs.length === 0)
      return "no BucketServerSideEncryptionConfiguration (SSE-KMS with a customer managed key)";
    const problems = configs.map((c) => {
      const rules = get(c.props, "rules");
      if (isUnknown(rules)) return undefined;
      const list = asArray(rules);
      if (list.length === 0) return "encryption configuration has no rules";
      return list
        .map((r) => sseRuleProblem(r, logBuckets.has(bucket.urn)))
        .find((p) => p !== undefined);
    });
    return problems.every((p) => p !== undefined) ? problems[0] : undefined;
  });
}

/** A Deny for every principal when aws:SecureTransport is false, on the bucket and its objects. */
export function tlsDenyProblem(policy: unknown): string | undefined {
  const statements = parsePolicyDocument(policy);
  if (isUnknown(statements)) return undefined;
  if (!statements) return "bucket policy is empty";
  const deny = statements.find(
    (s) =>
      s.effect === "Deny" &&
      hasWildcardPrincipal(s) &&
      s.actions.some((a) => a === "s3:*" || a === "*") &&
      conditionValues(s, "aws:SecureTransport").some(
        (c) => c.operator === "Bool" && c.values.map((v) => v.toLowerCase()).includes("false"),
      ),
  );
  if (!deny)
    return 'no Deny statement for Principal "*", Action "s3:*" with Bool aws:SecureTransport = false';
  const resources = deny.resources;
  if (resources.includes("<unknown>")) return undefined;
  const bucketLevel = resources.some((r) => r.startsWith("arn:") && !r.includes("/"));
  const objectLevel = resources.some((r) => r.endsWith("/*"));
  if (!bucketLevel || !objectLevel)
    return "the TLS Deny must cover both the bucket ARN and <bucket ARN>/*";
  return undefined;
}

export function checkTlsOnly(all: PolicyRes[]): Violation[] {
  return perBucket(all, [T.policy], (configs) => {
    if (configs.length === 0) return "no BucketPolicy denying non-TLS requests";
    const problems = configs.map((c) => tlsDenyProblem(c.props.policy));
    return problems.some((p) => p === undefined) ? undefined : problems[0];
  });
}

/** Bucket policies never grant "anyone" (the public access block is the second line). */
export function checkBucketPolicyNotPublic(res: PolicyRes): string[] {
  return publicAllowProblems(res.props.policy);
}

export function checkVersioning(all: PolicyRes[]): Violation[] {
  return perBucket(all, [T.versioning, T.versioningV2], (configs) => {
    if (configs.length === 0) return "no BucketVersioning";
    const ok = configs.some((c) => {
      const status = get(c.props, "versioningConfiguration", "status");
      return isUnknown(status) || status === "Enabled";
    });
    return ok ? undefined : 'versioningConfiguration.status must be "Enabled"';
  });
}

function appliesToWholeBucket(rule: unknown): boolean {
  const filter = get(rule, "filter");
  const prefix = get(rule, "prefix");
  if (isSet(prefix) && !isUnknown(prefix)) return false;
  if (filter === undefined || filter === null || isUnknown(filter)) return true;
  const f = filter as Record<string, unknown>;
  return (
    !isSet(f.prefix) &&
    !isSet(f.and) &&
    !isSet(f.tag) &&
    !isSet(f.objectSizeGreaterThan) &&
    !isSet(f.objectSizeLessThan)
  );
}

const enabled = (rule: unknown) => {
  const status = get(rule, "status");
  return isUnknown(status) || status === "Enabled";
};

export function checkLifecycle(all: PolicyRes[]): Violation[] {
  const versioned = new Set<string>();
  for (const [urn, configs] of configsByTarget(
    ofType(all, T.versioning, T.versioningV2),
    "bucket",
    buckets(all),
  )) {
    if (configs.some((c) => get(c.props, "versioningConfiguration", "status") === "Enabled"))
      versioned.add(urn);
  }
  return perBucket(all, [T.lifecycle, T.lifecycleV2], (configs, bucket) => {
    if (configs.length === 0) return "no BucketLifecycleConfiguration";
    const rules = configs.flatMap((c) => (isUnknown(c.props.rules) ? [] : asArray(c.props.rules)));
    if (configs.some((c) => isUnknown(c.props.rules))) return undefined;
    const abort = rules.some((r) => {
      const days = get(r, "abortIncompleteMultipartUpload", "daysAfterInitiation");
      return (
        enabled(r) &&
        appliesToWholeBucket(r) &&
        (isUnknown(days) || (typeof days === "number" && days >= 1))
      );
    });
    if (!abort)
      return "no enabled whole-bucket rule with abortIncompleteMultipartUpload.daysAfterInitiation";
    if (versioned.has(bucket.urn)) {
      const noncurrent = rules.some(
        (r) => enabled(r) && isSet(get(r, "noncurrentVersionExpiration", "noncurrentDays")),
      );
      if (!noncurrent)
        return "versioned bucket without a noncurrentVersionExpiration rule (old versions kept forever)";
    }
    return undefined;
  });
}

/** Buckets that receive another bucket's server access logs (exempt from logging themselves). */
export function logTargets(all: PolicyRes[]): Set<string> {
  const targets = new Set<string>();
  const candidates = buckets(all);
  for (const config of ofType(all, T.logging, T.loggingV2)) {
    const sources = referencedBy(config, "bucket", candidates).map((b) => b.urn);
    for (const target of referencedBy(config, "targetBucket", candidates)) {
      if (!sources.includes(target.urn)) targets.add(target.urn);
    }
  }
  return targets;
}

const LOG_DELIVERY = "logging.s3.amazonaws.com";

/**
 * The buckets that may skip SSE-KMS and their own access logging: log targets that are ONLY log
 * sinks. Receiving logs is not enough (any data bucket can be named as a target to earn the
 * exemption): a sink sends no logs of its own and its bucket policies allow nobody but S3 log
 * delivery. An unknown policy (first preview) is decided again at `pulumi up`.
 */
export function accessLogSinks(all: PolicyRes[]): Set<string> {
  const targets = logTargets(all);
  const candidates = buckets(all);
  const sending = configsByTarget(ofType(all, T.logging, T.loggingV2), "bucket", candidates);
  const policies = configsByTarget(ofType(all, T.policy), "bucket", candidates);
  const sinks = new Set<string>();
  for (const urn of targets) {
    if ((sending.get(urn) ?? []).length > 0) continue;
    const onlyLogDelivery = (policies.get(urn) ?? []).every((p) => {
      const statements = parsePolicyDocument(p.props.policy);
      if (!statements || isUnknown(statements)) return true;
      return statements
        .filter((st) => st.effect === "Allow")
        .every(
          (st) =>
            !st.hasNotPrincipal &&
            st.principals.length > 0 &&
            st.principals.every((pr) => pr.kind === "Service" && pr.value === LOG_DELIVERY),
        );
    });
    if (onlyLogDelivery) sinks.add(urn);
  }
  return sinks;
}

export function checkAccessLogging(all: PolicyRes[]): Violation[] {
  const exempt = accessLogSinks(all);
  return perBucket(
    all,
    [T.logging, T.loggingV2],
    (configs, bucket) => {
      if (configs.length === 0) return "no BucketLogging (server access logs)";
      const ok = configs.some(
        (c) => isSet(c.props.targetBucket) && !bucket.refs.includes(String(c.props.targetBucket)),
      );
      return ok ? undefined : "BucketLogging must deliver to a separate access-log bucket";
    },
    // The log bucket does not log itself (that would loop).
    (bucket) => exempt.has(bucket.urn),
  );
}

export function checkOwnershipEnforced(all: PolicyRes[]): Violation[] {
  const out = perBucket(all, [T.ownership], (configs) => {
    if (configs.length === 0) return "no BucketOwnershipControls";
    const ok = configs.some((c) => {
      const value = get(c.props, "rule", "objectOwnership");
      return isUnknown(value) || value === "BucketOwnerEnforced";
    });
    return ok ? undefined : 'objectOwnership must be "BucketOwnerEnforced" (ACLs disabled)';
  });
  for (const acl of ofType(all, T.acl, T.aclV2)) {
    out.push({
      message: `${label(acl)}: bucket ACLs are not used; grant access with policies`,
      urn: acl.urn,
    });
  }
  return out;
}

// Inline bucket arguments that v7 deprecates in favour of the separate resources above. A bucket that
// still uses them would bypass the joins (and drift against the separate resources).
const LEGACY_INLINE = [
  "acl",
  "grants",
  "policy",
  "serverSideEncryptionConfiguration",
  "versioning",
  "lifecycleRules",
  "logging",
  "website",
  "corsRules",
  "replicationConfiguration",
];

const LEGACY_TYPES: Record<string, string> = {
  [T.bucketV2]: "aws.s3.Bucket",
  [T.sseV2]: "aws.s3.BucketServerSideEncryptionConfiguration",
  [T.versioningV2]: "aws.s3.BucketVersioning",
  [T.lifecycleV2]: "aws.s3.BucketLifecycleConfiguration",
  [T.loggingV2]: "aws.s3.BucketLogging",
  [T.aclV2]: "aws.s3.BucketOwnershipControls (no ACLs)",
};

export function checkCurrentS3Types(res: PolicyRes): string[] {
  const out: string[] = [];
  const replacement = LEGACY_TYPES[res.type];
  if (replacement) out.push(`${res.type} is deprecated in @pulumi/aws v7; use ${replacement}`);
  if (res.type === T.bucket || res.type === T.bucketV2) {
    for (const key of LEGACY_INLINE) {
      const value = res.props[key];
      if (isSet(value) && !(Array.isArray(value) && value.length === 0)) {
        out.push(
          `inline "${key}" on the bucket is deprecated; use the separate v7 bucket resource`,
        );
      }
    }
  }
  return out;
}

export const s3Rules: (StackRule | ResourceRule)[] = [
  {
    kind: "stack",
    name: "s3-public-access-block",
    description:
      "Every S3 bucket has a BucketPublicAccessBlock with all four flags on. Covers S3.1, S3.8, S3.2, S3.3.",
    controls: [C.S3_1, C.S3_8, C.S3_2, C.S3_3],
    remediation:
      "Add aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets = true.",
    check: checkPublicAccessBlock,
  },
  {
    kind: "stack",
    name: "s3-sse-kms-bucket-key",
    description:
      "Every S3 bucket defaults to SSE-KMS with a customer managed key and S3 Bucket Keys; only a bucket that is nothing but a server access log sink (receives logs, sends none, its policy allows only S3 log delivery) may use SSE-S3, the only encryption S3 log delivery supports. Covers S3.17 (S3.4 retired).",
    controls: [C.S3_17],
    remediation:
      'Add aws.s3.BucketServerSideEncryptionConfiguration: sseAlgorithm "aws:kms", kmsMasterKeyId = CMK ARN, bucketKeyEnabled true.',
    check: checkKmsEncryption,
  },
  {
    kind: "stack",
    name: "s3-tls-only",
    description:
      "Every S3 bucket has a BucketPolicy denying requests without TLS (aws:SecureTransport = false). Covers S3.5.",
    controls: [C.S3_5],
    remediation:
      'Add a Deny statement: Principal "*", Action "s3:*", Resource [bucket ARN, bucket ARN/*], Condition Bool aws:SecureTransport "false".',
    check: checkTlsOnly,
  },
  {
    kind: "resource",
    name: "s3-bucket-policy-not-public",
    description:
      'No bucket policy allows Principal "*" (or NotPrincipal) without a condition pinning the caller to a concrete account, organization, source or VPC endpoint. Covers S3.2, S3.3.',
    controls: [C.S3_2, C.S3_3],
    remediation:
      "Name the exact principals, or add aws:SourceAccount / aws:SourceArn / aws:PrincipalOrgID / aws:SourceVpce conditions.",
    types: [T.policy],
    check: checkBucketPolicyNotPublic,
  },
  {
    kind: "stack",
    name: "s3-versioning",
    description: "Every S3 bucket has versioning enabled (BucketVersioning). Covers S3.14.",
    controls: [C.S3_14],
    remediation: 'Add aws.s3.BucketVersioning with versioningConfiguration.status "Enabled".',
    check: checkVersioning,
  },
  {
    kind: "stack",
    name: "s3-lifecycle",
    description:
      "Every S3 bucket has a lifecycle configuration that aborts incomplete multipart uploads and, when versioned, expires noncurrent versions. Covers S3.13.",
    controls: [C.S3_13],
    remediation:
      "Add aws.s3.BucketLifecycleConfiguration with abortIncompleteMultipartUpload and noncurrentVersionExpiration rules.",
    check: checkLifecycle,
  },
  {
    kind: "stack",
    name: "s3-access-logging",
    description:
      "Every S3 bucket except the access-log bucket itself sends server access logs to a separate bucket (BucketLogging). Covers S3.9.",
    controls: [C.S3_9],
    remediation: "Add aws.s3.BucketLogging with targetBucket = the access-log bucket.",
    check: checkAccessLogging,
  },
  {
    kind: "stack",
    name: "s3-ownership-enforced",
    description:
      "Every S3 bucket has BucketOwnershipControls BucketOwnerEnforced (ACLs disabled) and no BucketAcl exists. Covers S3.12.",
    controls: [C.S3_12],
    remediation:
      'Add aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced"; remove BucketAcl resources.',
    check: checkOwnershipEnforced,
  },
  {
    kind: "resource",
    name: "s3-current-resource-types",
    description:
      "Buckets use the @pulumi/aws v7 resource types: no deprecated *V2 types and no inline bucket arguments that the separate resources replace.",
    controls: [C.NONE],
    remediation:
      "Move inline arguments to aws.s3.Bucket* configuration resources; replace *V2 types with their v7 names.",
    types: [T.bucket, ...Object.keys(LEGACY_TYPES)],
    check: checkCurrentS3Types,
  },
];
