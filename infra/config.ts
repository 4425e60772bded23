// The only reader of pulumi.Config. Everything a stack may change is read here, validated with
// messages that name the config key and how to set it, and returned as one typed object.
import * as pulumi from "@pulumi/pulumi";
import type { DatasetSpec } from "../datasets/define";
import { DatasetSpecError } from "../datasets/errors";
import * as d from "./defaults";
import { MAX_NAME_PREFIX, namePrefix } from "./names";
import { IAM_ROLE_OR_USER, principalLabel } from "./principal-label";

export interface GlueDefaults {
  version: string;
  workerType: string;
  workers: number;
  timeoutMinutes: number;
  flex: boolean;
}

/** The three Lambdas by handler name (handlers/env-contract.ts HANDLER_ENTRIES). */
export const LAMBDA_NAMES = ["fileArrival", "jobState", "reconciler"] as const;
export type LambdaName = (typeof LAMBDA_NAMES)[number];

export interface LambdaSettings {
  /** X-Ray active tracing. @default true */
  tracing: boolean;
  /**
   * Reserved concurrency per function; unset: none. Lambda keeps at least 100 of the account's
   * concurrency unreserved, so the reservations need a quota of 100 + their sum; a new account's
   * quota of 10 admits none until it is raised.
   * https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
   */
  reservedConcurrency: Partial<Record<LambdaName, number>>;
}

export interface PlatformConfig {
  /** Stack name, used in physical names (`datalake-<stack>-...`). */
  stack: string;
  project: string;
  /** `<project>-<stack>` made safe for every physical name (infra/names.ts). */
  namePrefix: string;
  environment: "dev" | "prod";
  /** IAM principal ARNs administering Lake Formation; the deployer is added to them. */
  lakeFormationAdmins: string[];
  /**
   * The role (or user) that runs `pulumi up`: a Lake Formation admin and named in the data key's
   * policy. Unset: whoever runs the program. Set to the CI deploy role (docs/policy-and-ci.md), a
   * pull request's preview, run by the read-only role, shows no change to either.
   */
  deployerArn?: string;
  /**
   * true (default): this stack owns the account's one DataLakeSettings (admins, default
   * permissions). Stacks sharing an account and region set false on all stacks but one.
   */
  manageLakeFormationSettings: boolean;
  /**
   * IAM principal ARNs of the operators: they may read the DLQs (decrypt with the ops key through
   * SQS, for `datalake redrive`) and Athena results. @default lakeFormationAdmins
   */
  operatorPrincipals: string[];
  /** IAM principal ARNs granted SELECT on silver tables (PII columns excluded). */
  readerPrincipals: string[];
  alertEmail?: string;
  logRetentionDays: number;
  landingRetentionDays: number;
  noncurrentVersionDays: number;
  /** false (default): data-bearing resources are protected and retained on delete. */
  allowDataDestroy: boolean;
  glue: GlueDefaults;
  lambda: LambdaSettings;
  reconcileSchedule: string;
  staleAfterHours: number;
  athenaBytesScannedLimit: number;
  maxFilesPerRun: number;
  logLevel: string;
}

export class ConfigError extends Error {
  constructor(key: string, message: string) {
    super(`Invalid stack config "${key}": ${message}`);
    this.name = "ConfigError";
  }
}

/** Raw values keyed by config key without the namespace (strings or parsed JSON values). */
export type RawConfig = Record<string, unknown>;

const KEYS = [
  "environment",
  "lakeFormationAdmins",
  "deployerArn",
  "readerPrincipals",
  "manageLakeFormationSettings",
  "operatorPrincipals",
  "alertEmail",
  "logRetentionDays",
  "landingRetentionDays",
  "noncurrentVersionDays",
  "allowDataDestroy",
  "glue",
  "lambda",
  "reconcileSchedule",
  "staleAfterHours",
  "athenaBytesScannedLimit",
  "maxFilesPerRun",
  "logLevel",
] as const;

/** Reads and validates the stack config (namespace = project name, e.g. `datalake:`). */
export function loadConfig(): PlatformConfig {
  const config = new pulumi.Config();
  const raw: RawConfig = {};
  for (const key of KEYS) {
    const value = config.get(key);
    if (value !== undefined) raw[key] = parseValue(value);
  }
  return parseConfig(raw, pulumi.getStack(), pulumi.getProject());
}

// Structured config values reach the program as JSON text; scalars stay strings.
function parseValue(value: string): unknown {
  const trimmed = value.trim();
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return value;
    }
  }
  return value;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/;

/** Pure validation: the same rules `pulumi up` applies, testable without the Pulumi runtime. */
export function parseConfig(raw: RawConfig, stack: string, project = "datalake"): PlatformConfig {
  const key = (k: string) => `${project}:${k}`;
  const prefix = namePrefix(project, stack);
  if (prefix.length > MAX_NAME_PREFIX) {
    throw new ConfigError(
      "(stack name)",
      `stack name "${stack}" is ${stack.length} characters: at most ${MAX_NAME_PREFIX - project.length - 1} ` +
        `(names are "${project}-<stack>-..." and Lambda functions and EventBridge rules allow 64 characters)`,
    );
  }
  const environment = raw.environment ?? (stack === "prod" ? "prod" : "dev");
  if (environment !== "dev" && environment !== "prod") {
    throw new ConfigError(key("environment"), `must be "dev" or "prod", got ${JSON.stringify(environment)}`);
  }
  const lakeFormationAdmins = arnList(raw.lakeFormationAdmins, key("lakeFormationAdmins"));
  if (lakeFormationAdmins.length === 0) {
    throw new ConfigError(
      key("lakeFormationAdmins"),
      "is required: list at least one IAM role/user ARN, e.g. " +
        `\`pulumi config set --path '${key("lakeFormationAdmins")}[0]' arn:aws:iam::123456789012:role/DataPlatformAdmin\``,
    );
  }
  const deployerArn = raw.deployerArn === undefined ? undefined : principalArn(raw.deployerArn, key("deployerArn"));
  const glueRaw = raw.glue ?? {};
  if (typeof glueRaw !== "object" || glueRaw === null || Array.isArray(glueRaw)) {
    throw new ConfigError(key("glue"), "must be an object {version, workerType, workers, timeoutMinutes, flex}");
  }
  const glue = parseGlue(glueRaw as Record<string, unknown>, key("glue"));
  const logRetentionDays = int(raw.logRetentionDays, key("logRetentionDays"), d.DEFAULT_LOG_RETENTION_DAYS, 1);
  if (!(d.LOG_RETENTION_DAYS_ALLOWED as readonly number[]).includes(logRetentionDays)) {
    throw new ConfigError(key("logRetentionDays"), `${logRetentionDays} is not a CloudWatch retention (one of ${d.LOG_RETENTION_DAYS_ALLOWED.join(", ")})`);
  }
  const alertEmail = raw.alertEmail === undefined ? undefined : String(raw.alertEmail);
  if (alertEmail !== undefined && !EMAIL.test(alertEmail)) {
    throw new ConfigError(key("alertEmail"), `${JSON.stringify(alertEmail)} is not an email address`);
  }
  const reconcileSchedule = String(raw.reconcileSchedule ?? d.DEFAULT_RECONCILE_SCHEDULE);
  if (!SCHEDULE.test(reconcileSchedule)) {
    throw new ConfigError(key("reconcileSchedule"), `must be rate(N minutes|hours|days) or cron(...), got ${reconcileSchedule}`);
  }
  const staleAfterHours = int(raw.staleAfterHours, key("staleAfterHours"), d.DEFAULT_STALE_AFTER_HOURS, 1);
  if (staleAfterHours > 168) throw new ConfigError(key("staleAfterHours"), "must be at most 168 (CloudWatch evaluates 7 days)");
  return {
    stack,
    project,
    namePrefix: prefix,
    environment,
    lakeFormationAdmins,
    ...(deployerArn ? { deployerArn } : {}),
    operatorPrincipals: raw.operatorPrincipals === undefined ? lakeFormationAdmins : arnList(raw.operatorPrincipals, key("operatorPrincipals")),
    manageLakeFormationSettings: bool(raw.manageLakeFormationSettings, key("manageLakeFormationSettings"), true),
    readerPrincipals: readers(raw.readerPrincipals, key("readerPrincipals")),
    alertEmail,
    logRetentionDays,
    landingRetentionDays: int(raw.landingRetentionDays, key("landingRetentionDays"), d.DEFAULT_LANDING_RETENTION_DAYS, 1),
    noncurrentVersionDays: int(raw.noncurrentVersionDays, key("noncurrentVersionDays"), d.DEFAULT_NONCURRENT_VERSION_DAYS, 1),
    allowDataDestroy: bool(raw.allowDataDestroy, key("allowDataDestroy"), false),
    glue,
    lambda: parseLambda(raw.lambda ?? {}, key("lambda")),
    reconcileSchedule,
    staleAfterHours,
    athenaBytesScannedLimit: int(raw.athenaBytesScannedLimit, key("athenaBytesScannedLimit"), d.DEFAULT_ATHENA_BYTES_SCANNED_LIMIT, 10 * 1024 ** 2),
    maxFilesPerRun: int(raw.maxFilesPerRun, key("maxFilesPerRun"), d.DEFAULT_MAX_FILES_PER_RUN, 1),
    logLevel: logLevel(raw.logLevel, key("logLevel")),
  };
}

function parseGlue(raw: Record<string, unknown>, key: string): GlueDefaults {
  const unknownKeys = Object.keys(raw).filter((k) => !["version", "workerType", "workers", "timeoutMinutes", "flex"].includes(k));
  if (unknownKeys.length > 0) throw new ConfigError(key, `unknown field(s) ${unknownKeys.join(", ")}`);
  const workerType = String(raw.workerType ?? d.DEFAULT_GLUE_WORKER_TYPE);
  if (!(d.GLUE_WORKER_TYPES as readonly string[]).includes(workerType)) {
    throw new ConfigError(`${key}.workerType`, `unknown Glue worker type "${workerType}" (one of ${d.GLUE_WORKER_TYPES.join(", ")})`);
  }
  const flex = bool(raw.flex, `${key}.flex`, d.DEFAULT_GLUE_FLEX);
  if (flex && !(d.GLUE_FLEX_WORKER_TYPES as readonly string[]).includes(workerType)) {
    throw new ConfigError(`${key}.flex`, `flex execution needs worker type ${d.GLUE_FLEX_WORKER_TYPES.join(" or ")}, not ${workerType}`);
  }
  const version = String(raw.version ?? d.DEFAULT_GLUE_VERSION);
  if (version !== d.DEFAULT_GLUE_VERSION) {
    // The runner is executed only on this runtime's Spark + Iceberg (npm test): another version
    // would deploy code no test has run.
    throw new ConfigError(`${key}.version`, `the Glue runner runs on Glue ${d.DEFAULT_GLUE_VERSION} (glue-scripts/datalake_glue/runtime.json), got ${version}`);
  }
  return {
    version,
    workerType,
    workers: int(raw.workers, `${key}.workers`, d.DEFAULT_GLUE_WORKERS, 2),
    timeoutMinutes: int(raw.timeoutMinutes, `${key}.timeoutMinutes`, d.DEFAULT_GLUE_TIMEOUT_MINUTES, 1),
    flex,
  };
}

function parseLambda(raw: unknown, key: string): LambdaSettings {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(raw)) throw new ConfigError(key, "must be an object {tracing, reservedConcurrency}");
  const unknownKeys = Object.keys(raw).filter((k) => !["tracing", "reservedConcurrency"].includes(k));
  if (unknownKeys.length > 0) throw new ConfigError(key, `unknown field(s) ${unknownKeys.join(", ")}`);
  const reserved = raw.reservedConcurrency ?? {};
  if (!isObject(reserved)) throw new ConfigError(`${key}.reservedConcurrency`, `must be an object keyed by ${LAMBDA_NAMES.join(", ")}`);
  const reservedConcurrency: Partial<Record<LambdaName, number>> = {};
  for (const [fn, value] of Object.entries(reserved)) {
    if (!(LAMBDA_NAMES as readonly string[]).includes(fn)) {
      throw new ConfigError(`${key}.reservedConcurrency`, `unknown function ${JSON.stringify(fn)} (one of ${LAMBDA_NAMES.join(", ")})`);
    }
    reservedConcurrency[fn as LambdaName] = int(value, `${key}.reservedConcurrency.${fn}`, 0, 1);
  }
  return { tracing: bool(raw.tracing, `${key}.tracing`, true), reservedConcurrency };
}

/**
 * A dataset's Glue sizing: the stack's glue config overridden by the spec's target.glue, checked
 * like the stack config (AWS rejects FLEX on G.4X/G.8X, and G.025X on a glueetl job, only at
 * `pulumi up`). The error names the spec file and the field that made the pair invalid.
 */
export function datasetGlue(defaults: GlueDefaults, spec: Pick<DatasetSpec, "target" | "sourceFile">, project = "datalake"): GlueDefaults {
  const override = Object.fromEntries(Object.entries(spec.target.glue).filter(([, v]) => v !== undefined)) as Partial<GlueDefaults>;
  const glue = { ...defaults, ...override };
  const fail = (field: string, problem: string): never => {
    throw new DatasetSpecError(spec.sourceFile, `target.glue.${field}`, problem);
  };
  if (!(d.GLUE_WORKER_TYPES as readonly string[]).includes(glue.workerType)) {
    fail("workerType", `${glue.workerType} is for Glue streaming jobs only; the load job is glueetl (one of ${d.GLUE_WORKER_TYPES.join(", ")})`);
  }
  if (glue.flex && !(d.GLUE_FLEX_WORKER_TYPES as readonly string[]).includes(glue.workerType)) {
    const flexFrom = override.flex === undefined ? `the stack's ${project}:glue.flex is true` : "target.glue.flex is true";
    const field = override.flex === undefined ? "workerType" : "flex";
    fail(field, `flex execution (${flexFrom}) needs worker type ${d.GLUE_FLEX_WORKER_TYPES.join(" or ")}, not ${glue.workerType}: set target.glue.flex: false or a smaller worker type`);
  }
  return glue;
}

function arnList(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  const list = typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(list)) throw new ConfigError(key, "must be a list of IAM ARNs");
  for (const [i, item] of list.entries()) principalArn(item, `${key}[${i}]`);
  // Sorted and unique: Lake Formation returns lists in its own order (ordering drift otherwise).
  return [...new Set(list as string[])].sort();
}

function principalArn(value: unknown, key: string): string {
  // Lake Formation grants to roles and users; a group, a policy, an account root or an STS
  // session ARN is either rejected by the API or granted to something other than intended.
  if (typeof value !== "string" || !IAM_ROLE_OR_USER.test(value)) {
    throw new ConfigError(key, `${JSON.stringify(value)} is not an IAM role/user ARN (arn:aws:iam::<account>:role/<path/>Name or user/...; no groups, policies, root or sessions)`);
  }
  return value;
}

/** Readers, whose grants are named after them (infra/principal-label.ts): names must be unique. */
function readers(value: unknown, key: string): string[] {
  const list = arnList(value, key);
  const byLabel = new Map<string, string>();
  for (const arn of list) {
    const other = byLabel.get(principalLabel(arn));
    if (other !== undefined) {
      throw new ConfigError(key, `${other} and ${arn} are path-less roles with one name in two accounts; their grants would share a name: give one a path`);
    }
    byLabel.set(principalLabel(arn), arn);
  }
  return list;
}

/**
 * The handlers' log level (handlers/log.ts), upper case: also the functions' Lambda
 * applicationLogLevel, which drops every line below it before CloudWatch Logs sees it.
 */
function logLevel(value: unknown, key: string): string {
  const level = String(value ?? d.DEFAULT_LOG_LEVEL).toUpperCase();
  if (!(d.LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(key, `must be one of ${d.LOG_LEVELS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return level;
}

function int(value: unknown, key: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(key, `must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function bool(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new ConfigError(key, `must be true or false, got ${JSON.stringify(value)}`);
}
