// Reads the Lambda environment once at init. A missing variable fails the cold start with a
// message naming it, instead of a confusing error on the first event.
import { HANDLER_ENV } from "./env-contract";
import { DEFAULT_LIMITS, HandlerLimits, ModelGraph } from "./ports";

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
  modelGraph: ModelGraph;
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
    modelGraph: parseModelGraph(env[HANDLER_ENV.modelGraph]),
    limits: {
      ...DEFAULT_LIMITS,
      maxFilesPerRun: optionalInt(env, HANDLER_ENV.maxFilesPerRun, DEFAULT_LIMITS.maxFilesPerRun),
      slotLeaseSeconds: optionalInt(env, HANDLER_ENV.slotLeaseSeconds, DEFAULT_LIMITS.slotLeaseSeconds),
    },
    logLevel: env[HANDLER_ENV.logLevel],
    metricsNamespace: requireEnv(HANDLER_ENV.metricsNamespace, env),
  };
}

/** MODEL_GRAPH, checked whole at cold start: a bad graph fails there, not on the first build. */
export function parseModelGraph(raw: string | undefined): ModelGraph {
  if (raw === undefined || raw.trim() === "") return {};
  const name = HANDLER_ENV.modelGraph;
  let graph: unknown;
  try {
    graph = JSON.parse(raw);
  } catch {
    throw new Error(`environment variable ${name} is not JSON (model -> { job, on, after, plan }): ${raw}`);
  }
  if (typeof graph !== "object" || graph === null || Array.isArray(graph)) throw new Error(`environment variable ${name} must be a JSON object of model -> { job, on, after, plan }`);
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  for (const [model, node] of Object.entries(graph as Record<string, any>)) {
    if (typeof node?.job !== "string" || node.job === "" || !strings(node.on) || !strings(node.after) || typeof node.plan !== "string") {
      throw new Error(`environment variable ${name}: model ${model} needs job (a name), on (datasets), after (models) and plan (a hash)`);
    }
    const unknown = (node.after as string[]).filter((m) => !(m in (graph as object)));
    if (unknown.length > 0) throw new Error(`environment variable ${name}: model ${model} reads unknown model(s) ${unknown.join(", ")}`);
  }
  return graph as ModelGraph;
}

function optionalInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`environment variable ${name} must be a positive integer, got ${raw}`);
  return n;
}
