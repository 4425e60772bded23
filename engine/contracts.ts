// Contracts shared by the handlers (which write manifests and read summaries), the load engine
// (DuckDB locally, glue-scripts/ on AWS) and local mode. All JSON; the Python side mirrors them
// in glue-scripts/datalake_glue/contracts.py. Change both together.

export const CONTRACT_VERSION = 1;

/** One object version to load. Written by file-arrival into the manifest. */
export interface ManifestFile {
  /** Audit FILE item id (bucket + key + version, or etag + sequencer fallback). */
  fileId: string;
  bucket: string;
  /** Decoded object key, e.g. "orders/2026/11/21/LOAD0001.csv". */
  key: string;
  /** S3 version id, or null when the bucket is unversioned (then etag+sequencer identify it). */
  versionId: string | null;
  etag: string;
  sequencer: string;
  size: number;
  /** When the object landed (event time), ISO-8601. Bronze partitions by its date: no now() in loads. */
  receivedAt: string;
  /** Local mode only: absolute path of the file's bytes for this version. */
  localPath?: string;
}

/** s3://<ops>/manifests/<dataset>/<runId>.json (local: <workspace>/ops/manifests/...). */
export interface Manifest {
  version: typeof CONTRACT_VERSION;
  dataset: string;
  runId: string;
  createdAt: string;
  fullRefresh?: boolean;
  files: ManifestFile[];
}

export type FileOutcome = "LOADED" | "QUARANTINED" | "ALREADY_LOADED";

/** The result of a listed file whose version an earlier run settled: not read, no rows. */
export const alreadyLoaded = (f: Pick<ManifestFile, "fileId" | "key" | "versionId">): FileResult => ({
  fileId: f.fileId,
  key: f.key,
  versionId: f.versionId,
  outcome: "ALREADY_LOADED",
  rowsRead: 0,
  rowsLoaded: 0,
  rowsQuarantined: 0,
  rowsRejected: 0,
});

/**
 * Per file. Conservation: rowsRead = rowsLoaded + rowsQuarantined + rowsRejected, where
 * rowsRejected = rows whose key, sequence or Op could not be parsed (the rows the rejects table
 * gets), rowsQuarantined = this file's rows that are current and carry reason labels after the
 * run, or every row of a file quarantined whole (counted once, under the file's reason),
 * rowsLoaded = the rest (in silver, or superseded/deleted by later changes).
 */
export interface FileResult {
  fileId: string;
  key: string;
  versionId: string | null;
  outcome: FileOutcome;
  /** Set when the file was quarantined whole (e.g. "missing_column:status", "not_utf8", "empty_file"). */
  reason?: string;
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
  rowsRejected: number;
  /** Header columns the spec does not declare (drift: the load continues). */
  extraColumns?: string[];
}

export interface AuditResult {
  name: string;
  passed: boolean;
  violations: number;
  detail?: string;
}

export type RunStatus = "SUCCEEDED" | "FAILED";

/** s3://<ops>/summaries/<dataset>/<runId>.json (local: <workspace>/ops/summaries/...). */
export interface RunSummary {
  version: typeof CONTRACT_VERSION;
  dataset: string;
  runId: string;
  status: RunStatus;
  /** Set when status is FAILED: the audit report or the exception. */
  error?: string;
  startedAt: string;
  finishedAt: string;
  counts: {
    rowsRead: number;
    bronzeRows: number;
    /** Rows of the rejects table this run appended (key, sequence or Op unusable). */
    rejectedRows: number;
    /**
     * Rows of files quarantined whole (not UTF-8, a missing required column, malformed...): read
     * and counted once, under the file's reason, in no table (the file itself is the record).
     */
    quarantinedFileRows: number;
    changesApplied: number;
    stateKeys: number;
    currentRows: number;
    silverRows: number;
    quarantineRows: number;
  };
  files: FileResult[];
  audits: AuditResult[];
  driftWarnings: string[];
  /** Version ids of what this run published; null when nothing was published (audit failure; on DuckDB also a run that read no file). */
  published: { silverVersion: string; quarantineVersion: string } | null;
  /** dataAgeHours: finish - newest sequence (a date/timestamp sequence), else finish - arrival of the newest file this run LOADED. */
  freshness: { rowCount: number; latestSequence: string | null; dataAgeHours: number | null };
}

export type RunCounts = RunSummary["counts"];

export const manifestKey = (dataset: string, runId: string): string => `manifests/${dataset}/${runId}.json`;
export const summaryKey = (dataset: string, runId: string): string => `summaries/${dataset}/${runId}.json`;
/**
 * The publish record: the run's SUCCEEDED summary, written by the runner once its audits passed
 * and before its first fast-forward. It is the run's commit point (a publish cut short is finished
 * by the next run only when it exists), so job-state finalizes a run whose summary is missing
 * SUCCEEDED from it.
 */
export const publishRecordKey = (dataset: string, runId: string): string => `summaries/${dataset}/${runId}.publish.json`;

/**
 * A semantic model build's summary, written by the model job (glue-scripts model_runner.py) and by
 * the DuckDB build (engine/duckdb/build-model.ts ModelBuildResult has these fields): SUCCEEDED
 * only when the build published a version.
 */
export interface ModelRunSummary {
  model: string;
  runId: string;
  status: "SUCCEEDED" | "FAILED";
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Rows of the new table (also when an audit refused it). */
  rows: number | null;
  audits: AuditResult[];
  /** The version (Iceberg snapshot id) this build published; null when it published nothing. */
  version: string | null;
  /** The version current after the build (the old one when nothing was published). */
  currentVersion: string | null;
  /** Incremental plans: built on the previous version, or from scratch (and why). */
  mode?: "incremental" | "full";
  modeReason?: string;
  /** Rows of the plan's `recomputed` relation (an incremental build recomputes only those). */
  recomputedRows?: number | null;
  error?: string;
}

export const modelSummaryPrefix = (model: string): string => `summaries/semantic/${model}/`;
export const modelSummaryKey = (model: string, runId: string): string => `${modelSummaryPrefix(model)}${runId}.json`;
/**
 * What an incremental model build needs of the previous one (glue-scripts/datalake_glue/
 * model_state.py): `state/semantic/<model>/<snapshot id>.json` in the ops bucket.
 */
export const modelStatePrefix = (model: string): string => `state/semantic/${model}/`;

/**
 * The model job's arguments (glue-scripts/datalake_glue/model_args.py). The Pulumi program sets
 * all but --run_id and --full_refresh as the job's DefaultArguments; whoever starts a run (the
 * handlers, a local build) sets those two.
 */
export const MODEL_JOB_ARGS = {
  model: "--model",
  runId: "--run_id",
  fullRefresh: "--full_refresh",
  planUri: "--plan_uri",
  opsBucket: "--ops_bucket",
  warehousePath: "--warehouse_path",
  semanticDatabase: "--semantic_database",
  silverDatabase: "--silver_database",
  bronzeDatabase: "--bronze_database",
  piiKeySecret: "--pii_key_secret",
  filesPath: "--files_path",
} as const;

/** Glue job arguments: set per run by the handlers (and by local mode's in-process launcher). */
export const RUN_ARGS = {
  dataset: "--dataset",
  runId: "--run_id",
  manifestUri: "--manifest_uri",
  fullRefresh: "--full_refresh",
} as const;

/** Glue job arguments set once per job by the Pulumi program (DefaultArguments). */
export const JOB_ARGS = {
  planUri: "--plan_uri",
  opsBucket: "--ops_bucket",
  bronzePath: "--bronze_path",
  warehousePath: "--warehouse_path",
  catalogDatabase: "--catalog_database",
  quarantineDatabase: "--quarantine_database",
  metricsNamespace: "--metrics_namespace",
} as const;

/**
 * Glue job arguments the Pulumi program may set (DefaultArguments); the runner reads them as
 * optional and has a default for each (glue-scripts/datalake_glue/args.py).
 * - bronzeDatabase: own Glue database for the bronze, files and state tables
 *   (default: the --catalog_database of silver).
 */
export const OPTIONAL_JOB_ARGS = {
  bronzeDatabase: "--bronze_database",
  /** Secrets Manager secret (ARN) of the PII hash key (engine/pii-key.ts); never the key itself. */
  piiKeySecret: "--pii_key_secret",
} as const;
