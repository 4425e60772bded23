// Glue rules: every job runs with a security configuration (S3, CloudWatch and bookmarks encrypted
// with KMS) on a supported Glue version.
import { C } from "../lib/controls";
import {
  PolicyRes,
  ResourceRule,
  RuleConfig,
  StackRule,
  Violation,
  get,
  isSet,
  isUnknown,
  label,
  ofType,
} from "../lib/model";

export const GLUE_JOB = "aws:glue/job:Job";
export const GLUE_SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration";

/**
 * Glue versions inside AWS support (0.9-3.0 are past end of support; 5.1 is the current default).
 * Override with policy config `supportedGlueVersions`.
 * https://docs.aws.amazon.com/glue/latest/dg/glue-version-support-policy.html
 */
export const SUPPORTED_GLUE_VERSIONS = ["4.0", "5.0", "5.1"];

export function checkGlueVersion(res: PolicyRes, config: RuleConfig): string[] {
  const version = res.props.glueVersion;
  if (isUnknown(version)) return [];
  const supported = config.supportedGlueVersions ?? SUPPORTED_GLUE_VERSIONS;
  if (typeof version !== "string")
    return [`glueVersion must be set explicitly (${supported.join(", ")})`];
  return supported.includes(version)
    ? []
    : [`glueVersion ${version} is not supported (${supported.join(", ")})`];
}

export function checkSecurityConfigurationSettings(res: PolicyRes): string[] {
  const enc = get(res.props, "encryptionConfiguration");
  if (isUnknown(enc)) return [];
  const out: string[] = [];
  const s3Mode = get(enc, "s3Encryption", "s3EncryptionMode");
  if (!isUnknown(s3Mode) && s3Mode !== "SSE-KMS")
    out.push("s3Encryption.s3EncryptionMode must be SSE-KMS");
  if (!isSet(get(enc, "s3Encryption", "kmsKeyArn"))) out.push("s3Encryption.kmsKeyArn must be set");
  const cwMode = get(enc, "cloudwatchEncryption", "cloudwatchEncryptionMode");
  if (!isUnknown(cwMode) && cwMode !== "SSE-KMS")
    out.push("cloudwatchEncryption.cloudwatchEncryptionMode must be SSE-KMS");
  if (!isSet(get(enc, "cloudwatchEncryption", "kmsKeyArn")))
    out.push("cloudwatchEncryption.kmsKeyArn must be set");
  const bmMode = get(enc, "jobBookmarksEncryption", "jobBookmarksEncryptionMode");
  if (!isUnknown(bmMode) && bmMode !== "CSE-KMS")
    out.push("jobBookmarksEncryption.jobBookmarksEncryptionMode must be CSE-KMS");
  if (!isSet(get(enc, "jobBookmarksEncryption", "kmsKeyArn")))
    out.push("jobBookmarksEncryption.kmsKeyArn must be set");
  return out;
}

/**
 * Worker types by job command (Glue API CreateJob WorkerType; "AWS Glue worker types"). G.025X
 * exists only for streaming jobs; Python shell jobs take maxCapacity instead of workers.
 * https://docs.aws.amazon.com/glue/latest/dg/worker-types.html
 */
export const GLUE_WORKER_TYPES: Record<string, string[]> = {
  glueetl: ["G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"],
  gluestreaming: ["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"],
};

/**
 * Flex runs only Spark ETL jobs (glueetl, Glue 3.0+) on G.1X or G.2X workers.
 * https://docs.aws.amazon.com/glue/latest/dg/add-job.html (Job properties: Flex execution)
 */
export const GLUE_FLEX_WORKER_TYPES = ["G.1X", "G.2X"];

export function checkWorkerType(res: PolicyRes): string[] {
  const command = get(res.props, "command", "name");
  const workerType = res.props.workerType;
  const executionClass = res.props.executionClass;
  if (isUnknown(command) || isUnknown(workerType) || isUnknown(executionClass)) return [];
  const kind = typeof command === "string" ? command : "glueetl";
  const out: string[] = [];
  const allowed = GLUE_WORKER_TYPES[kind];
  if (typeof workerType === "string" && allowed && !allowed.includes(workerType)) {
    out.push(
      workerType === "G.025X"
        ? `workerType G.025X exists only for streaming jobs (gluestreaming), not ${kind}`
        : `workerType ${workerType} is not a ${kind} worker type (${allowed.join(", ")})`,
    );
  }
  if (executionClass === "FLEX") {
    if (kind !== "glueetl") out.push(`executionClass FLEX runs only glueetl jobs, not ${kind}`);
    else if (typeof workerType !== "string" || !GLUE_FLEX_WORKER_TYPES.includes(workerType))
      out.push(
        `executionClass FLEX needs workerType ${GLUE_FLEX_WORKER_TYPES.join(" or ")}, not ${String(workerType)}`,
      );
  }
  return out;
}

/** Every job names a security configuration, and it is one this stack defines. */
export function checkJobsUseSecurityConfiguration(all: PolicyRes[]): Violation[] {
  const configs = ofType(all, GLUE_SECURITY_CONFIGURATION);
  const out: Violation[] = [];
  for (const job of ofType(all, GLUE_JOB)) {
    const name = job.props.securityConfiguration;
    if (!isSet(name)) {
      out.push({ message: `${label(job)}: securityConfiguration must be set`, urn: job.urn });
      continue;
    }
    const fromDeps = job.propertyDeps.securityConfiguration ?? [];
    const known =
      isUnknown(name) ||
      configs.some(
        (c) => fromDeps.includes(c.urn) || c.props.name === name || c.refs.includes(String(name)),
      );
    if (!known) {
      out.push({
        message: `${label(job)}: securityConfiguration "${String(name)}" is not defined in this stack`,
        urn: job.urn,
      });
    }
  }
  return out;
}

export const glueRules: (ResourceRule | StackRule)[] = [
  {
    kind: "stack",
    name: "glue-job-security-configuration",
    description:
      "Every Glue job runs with a security configuration defined in the stack (no FSBP control; encryption of job output, logs and bookmarks).",
    controls: [C.NONE],
    remediation:
      "Create aws.glue.SecurityConfiguration and pass its name as securityConfiguration on every job.",
    check: checkJobsUseSecurityConfiguration,
  },
  {
    kind: "resource",
    name: "glue-security-configuration-kms",
    description:
      "Glue security configurations encrypt S3 (SSE-KMS), CloudWatch logs (SSE-KMS) and job bookmarks (CSE-KMS) with KMS keys (no FSBP control).",
    controls: [C.NONE],
    remediation: "Set all three encryption modes with kmsKeyArn.",
    types: [GLUE_SECURITY_CONFIGURATION],
    check: checkSecurityConfigurationSettings,
  },
  {
    kind: "resource",
    name: "glue-job-worker-type",
    description:
      "Every Glue job uses a worker type its command accepts (G.025X only for streaming) and Flex only on glueetl with G.1X/G.2X (no FSBP control; AWS rejects the others at deploy time).",
    controls: [C.NONE],
    remediation:
      'Use G.1X/G.2X with executionClass "FLEX", or executionClass "STANDARD" for larger workers.',
    types: [GLUE_JOB],
    check: checkWorkerType,
  },
  {
    kind: "resource",
    name: "glue-supported-version",
    description: "Every Glue job pins a supported Glue version. Covers Glue.4.",
    controls: [C.GLUE_4],
    remediation: 'Set glueVersion to "5.0" (or another supported version).',
    types: [GLUE_JOB],
    check: checkGlueVersion,
  },
];
