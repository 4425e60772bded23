// Reads the Lambda environment once at init. A missing variable fails the cold start with a
// message naming it, instead of a confusing error on the first event.
import { HANDLER_ENV } from "./env-contract";
import { DEFAULT_LIMITS, HandlerLimits } from "./ports";

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") throw new Error(`missing required environment variable ${name}`);
  return value;
}

export interface HandlerEnv {
  auditTable: string;
  opsBucket: string;
  landingBucket: string;
  jobNames: Record<string, string>;
  limits: HandlerLimits;
  logLevel: string | undefined;
  metricsNamespace: string;
}

export function readHandlerEnv(env: NodeJS.ProcessEnv = process.env): HandlerEnv {
  const jobsRaw = requireEnv(HANDLER_ENV.glueJobs, env);
  let jobNames: Record<string, string>;
  try {
    jobNames = JSON.parse(jobsRaw);
  } catch {
    throw new Error(`environment variable ${HANDLER_ENV.glueJobs} is not JSON (dataset -> Glue job name): ${jobsRaw}`);
  }
  if (typeof jobNames !== "object" || jobNames === null || Object.values(jobNames).some((v) => typeof v !== "string")) {
    throw new Error(`environment variable ${HANDLER_ENV.glueJobs} must be a JSON object of dataset -> job name`);
  }
  return {
    auditTable: requireEnv(HANDLER_ENV.auditTable, env),
    opsBucket: requireEnv(HANDLER_ENV.opsBucket, env),
    landingBucket: requireEnv(HANDLER_ENV.landingBucket, env),
    jobNames,
    limits: {
      ...DEFAULT_LIMITS,
      maxFilesPerRun: optionalInt(env, HANDLER_ENV.maxFilesPerRun, DEFAULT_LIMITS.maxFilesPerRun),
      slotLeaseSeconds: optionalInt(env, HANDLER_ENV.slotLeaseSeconds, DEFAULT_LIMITS.slotLeaseSeconds),
    },
    logLevel: env[HANDLER_ENV.logLevel],
    metricsNamespace: requireEnv(HANDLER_ENV.metricsNamespace, env),
  };
}

function optionalInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`environment variable ${name} must be a positive integer, got ${raw}`);
  return n;
}
