// The dependencies the handler logic is given instead of importing SDK clients, so the Lambdas
// (handlers/aws/ adapters), local mode (in-process implementations) and tests (fakes) run the
// same code. Shapes follow the AWS APIs they stand for, so the AWS adapters stay trivial.
import type { DatasetSpec } from "../datasets/define";
import type { AuditStore } from "./audit/store";

/** HeadObject result. `exists: false` when S3 answers 404/NoSuchKey/NoSuchVersion. */
export interface ObjectHead {
  exists: boolean;
  size: number;
  /** Without surrounding quotes. */
  etag: string;
  /** null when the bucket is unversioned ("null" version). */
  versionId: string | null;
  /** ISO-8601. */
  lastModified?: string;
  /** S3's checksums of the content by algorithm ("CRC64NVME", "SHA256", ...), when it has any. */
  checksums?: Record<string, string>;
}

/** One object version as ListObjectVersions gives it (delete markers are left out). */
export interface ObjectVersion {
  key: string;
  /** null for the "null" version (unversioned bucket, or put before versioning was enabled). */
  versionId: string | null;
  /** Without surrounding quotes. */
  etag: string;
  size: number;
  /** ISO-8601. */
  lastModified: string;
}

/** Where a version listing resumes (S3's KeyMarker / VersionIdMarker). */
export interface VersionMarker {
  keyMarker: string;
  versionIdMarker?: string;
}

export interface ObjectStore {
  headObject(bucket: string, key: string, versionId?: string): Promise<ObjectHead>;
  putJson(bucket: string, key: string, body: unknown): Promise<void>;
  /** undefined when the object does not exist. */
  getJson<T = unknown>(bucket: string, key: string): Promise<T | undefined>;
  /**
   * One page of ListObjectVersions under `prefix`, after `from`; `next` is absent on the last
   * page. Optional: a store without it (local mode, whose watcher sees every file) has no
   * landing sweep.
   */
  listVersions?(bucket: string, prefix: string, from: VersionMarker | undefined, maxKeys: number): Promise<{ versions: ObjectVersion[]; next?: VersionMarker }>;
}

/** Glue JobRunState values. https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html */
export type GlueJobRunState =
  | "STARTING"
  | "RUNNING"
  | "STOPPING"
  | "STOPPED"
  | "SUCCEEDED"
  | "FAILED"
  | "TIMEOUT"
  | "ERROR"
  | "WAITING"
  | "EXPIRED";

export const TERMINAL_GLUE_STATES: readonly GlueJobRunState[] = [
  "STOPPED",
  "SUCCEEDED",
  "FAILED",
  "TIMEOUT",
  "ERROR",
  "EXPIRED",
];

/** Whether a run in this state has ended (Glue sends no further state change for it). */
export function isTerminalGlueState(state: string): state is GlueJobRunState {
  return (TERMINAL_GLUE_STATES as readonly string[]).includes(state);
}

/** The subset of Glue's JobRun the handlers read. */
export interface GlueJobRun {
  Id: string;
  JobName?: string;
  JobRunState: GlueJobRunState;
  ErrorMessage?: string;
  /** Run arguments, e.g. { "--run_id": "..." } (see engine/contracts.ts RUN_ARGS). */
  Arguments?: Record<string, string>;
  StartedOn?: Date;
  CompletedOn?: Date;
  /** Seconds. */
  ExecutionTime?: number;
  /** DPU-hours for Flex / auto-scaling runs, when Glue reports it. */
  DPUSeconds?: number;
  MaxCapacity?: number;
}

/**
 * Glue's StartJobRun / GetJobRun / GetJobRuns. Errors are thrown as Error objects whose `name` is
 * the Glue exception name (GLUE_ERRORS), exactly as SDK v3 throws them.
 */
export interface GlueLauncher {
  startJobRun(jobName: string, args: Record<string, string>): Promise<{ JobRunId: string }>;
  /** Throws EntityNotFoundException when the run (or job) is unknown. */
  getJobRun(jobName: string, jobRunId: string): Promise<GlueJobRun>;
  /** Recent runs of the job, newest first (used to adopt a run by its --run_id argument). */
  getJobRuns(jobName: string): Promise<GlueJobRun[]>;
}

export const GLUE_ERRORS = {
  concurrentRunsExceeded: "ConcurrentRunsExceededException",
  throttling: "ThrottlingException",
  internalService: "InternalServiceException",
  operationTimeout: "OperationTimeoutException",
  resourceNumberLimitExceeded: "ResourceNumberLimitExceededException",
  entityNotFound: "EntityNotFoundException",
  invalidInput: "InvalidInputException",
} as const;

/** A Glue-shaped error, for in-process launchers and tests. */
export function glueError(name: string, message = name): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export type LogFields = Record<string, unknown>;

/** Structured JSON logger: every line carries the bound fields (dataset, key, version, runId). */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface HandlerLimits {
  /** Max files per run manifest. @default 500 */
  maxFilesPerRun: number;
  /** Run-slot lease; must exceed the Glue job timeout. @default 10800 (3 h) */
  slotLeaseSeconds: number;
  /** StartJobRun attempts on retryable errors within one invocation. @default 3 */
  startAttempts: number;
  /** First backoff between attempts, doubled each time with jitter. @default 250 */
  startBackoffMs: number;
  /**
   * Age after which the reconciler treats an unconfirmed start (RUN QUEUED, or a slot without a
   * RUN item) as abandoned; must exceed the Lambda timeout so no StartJobRun is still in flight.
   * @default 900
   */
  staleStartSeconds: number;
  /** TTL of finished FILE/RUN items. Long: the FILE item is the permanent dedupe. @default 400 */
  finishedTtlDays: number;
  /** Landing sweep: ListObjectVersions pages per dataset per reconciler invocation. @default 10 */
  sweepPagesPerDataset: number;
  /** Landing sweep: versions per ListObjectVersions page (S3's maximum is 1000). @default 1000 */
  sweepPageSize: number;
  /**
   * Landing sweep: versions younger than this are left to their own event (still in flight or
   * being retried); the next pass sees them. @default 900
   */
  sweepMinAgeSeconds: number;
  /**
   * Landing sweep: a pass re-checks versions modified this long before the previous pass began.
   * Covers multipart uploads, whose LastModified is when the upload was initiated, and clock
   * skew; must be at least sweepMinAgeSeconds. @default 86400 (1 day)
   */
  sweepLookbackSeconds: number;
  /** Landing sweep: wall time after which no further page is read in this invocation. @default 120 */
  sweepBudgetSeconds: number;
}

export const DEFAULT_LIMITS: HandlerLimits = {
  maxFilesPerRun: 500,
  slotLeaseSeconds: 10_800,
  startAttempts: 3,
  startBackoffMs: 250,
  staleStartSeconds: 900,
  finishedTtlDays: 400,
  sweepPagesPerDataset: 10,
  sweepPageSize: 1000,
  sweepMinAgeSeconds: 900,
  sweepLookbackSeconds: 86_400,
  sweepBudgetSeconds: 120,
};

/**
 * Why a RUN ended FAILED: the `Reason` dimension of the RunFailed metric (a short, fixed set, so
 * each value is one metric series; the RUN item's `error` carries the detail).
 */
export type RunFailureReason =
  | "load_failed" // the runner's summary reports FAILED (audit failure or load error)
  | "build_failed" // a model job's summary reports FAILED (an audit refused the table, or the build failed)
  | "summary_missing" // Glue ended the run and neither a summary nor a publish record exists
  | `glue_${Lowercase<GlueJobRunState>}` // Glue ended the run (TIMEOUT, OOM, driver crash, ...) before any summary
  | "start_rejected" // StartJobRun refused for good (EntityNotFound, InvalidInput, no job)
  | "start_failed" // StartJobRun kept failing with retryable errors (files stay PENDING)
  | "start_not_attempted" // the run failed before StartJobRun (manifest write, audit table)
  | "start_not_confirmed" // the reconciler found no Glue run for a stale QUEUED run
  | "files_unaccounted"; // the run published, but its summary did not account for some of its files (they are FAILED)

/**
 * Run outcome metrics. Emitted by whichever handler moves a RUN to FAILED, right after its
 * conditional write succeeds, so every failed run counts once whatever ended it.
 */
export interface RunMetrics {
  runFailed(dataset: string, reason: RunFailureReason, fields?: LogFields): void;
  /**
   * An object version file-arrival (or the sweep, or redrive) could not identify: its FILE item is
   * SKIPPED with this reason, and someone must look (rename or re-upload the object).
   */
  fileUnidentified(dataset: string, reason: FileUnidentifiedReason, fields?: LogFields): void;
  /**
   * A reconciler pass that could not do part of its work (a run it could not repair, a version
   * the landing sweep could not file, ...): `count` errors, each also in its log line. The pass
   * still did the rest; the next one retries.
   */
  reconcileErrors(count: number, fields?: LogFields): void;
}

/** SKIPPED reasons that mean "no key reading names this object version" (core/key-readings.ts). */
export const FILE_UNIDENTIFIED_REASONS = ["undecodable_key", "key_ambiguous"] as const;
export type FileUnidentifiedReason = (typeof FILE_UNIDENTIFIED_REASONS)[number];

/**
 * A semantic model as the handlers orchestrate it, computed by the Pulumi program from the model
 * specs (infra/model-graph.ts) so the Lambdas need no model compiler.
 */
export interface ModelNode {
  /** Its Glue job. */
  job: string;
  /** Datasets whose published load makes a build due (engine/models/order.ts modelsAffectedBy). */
  on: string[];
  /** Models it reads (a fact's dimensions): it never starts while one of them is due or building. */
  after: string[];
  /**
   * Content hash of its deployed plan artifact. A model whose plan the reconciler has not seen
   * (first deploy, or an edit such as dim_date's range) is due once: deploys rebuild what changed.
   */
  plan: string;
}

/** model name -> ModelNode. */
export type ModelGraph = Record<string, ModelNode>;

/** Everything the handler logic needs. Build with `createHandlerDeps` (handlers/deps.ts). */
export interface HandlerDeps {
  audit: AuditStore;
  objects: ObjectStore;
  glue: GlueLauncher;
  specs: readonly DatasetSpec[];
  /** dataset name -> Glue job name. */
  jobNames: Record<string, string>;
  /** The semantic models the handlers build after loads (core/model-runs.ts); empty: none. */
  modelGraph: ModelGraph;
  opsBucket: string;
  /** When set, events for other buckets are ignored. */
  landingBucket?: string;
  limits: HandlerLimits;
  clock: Clock;
  log: Logger;
  metrics: RunMetrics;
  /** New run ids; injectable for deterministic tests. */
  newRunId: () => string;
}
