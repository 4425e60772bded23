// Named defaults of the Pulumi program. Components apply them with `??` and document them with
// `@default NAME`; stack config (infra/config.ts) overrides the ones users may change.
import GLUE_RUNTIME from "../glue-scripts/datalake_glue/runtime.json";

/**
 * The Glue version the runner is executed on in tests (Spark + Iceberg at its versions, locally):
 * glue-scripts/datalake_glue/runtime.json, the one place it is pinned.
 */
export const DEFAULT_GLUE_VERSION: string = GLUE_RUNTIME.glueVersion;
export const DEFAULT_GLUE_WORKER_TYPE = "G.1X";
export const DEFAULT_GLUE_WORKERS = 2;
export const DEFAULT_GLUE_TIMEOUT_MINUTES = 60;
export const DEFAULT_GLUE_FLEX = false;
/** Worker types a glueetl job accepts (G.025X is for streaming jobs only). */
export const GLUE_WORKER_TYPES = ["G.1X", "G.2X", "G.4X", "G.8X"] as const;
/** Flex execution runs only on these worker types. */
export const GLUE_FLEX_WORKER_TYPES = ["G.1X", "G.2X"] as const;
/** One run per dataset at a time: the run slot in the audit table relies on it. */
export const GLUE_MAX_CONCURRENT_RUNS = 1;

/** CloudWatch Logs accepts only these retention values. */
export const LOG_RETENTION_DAYS_ALLOWED = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
  3288, 3653,
] as const;
export const DEFAULT_LOG_RETENTION_DAYS = 30;
/** Landing objects are loaded into bronze within minutes; the landing copy is a short safety net. */
export const DEFAULT_LANDING_RETENTION_DAYS = 30;
export const DEFAULT_NONCURRENT_VERSION_DAYS = 30;
export const DEFAULT_ABORT_MULTIPART_DAYS = 1;
/** Athena query results are scratch data: kept long enough to download, then expired. */
export const ATHENA_RESULTS_RETENTION_DAYS = 30;

export const DEFAULT_RECONCILE_SCHEDULE = "rate(5 minutes)";
/** Silver older than this (no successful publish) raises the stale-data alarm. */
export const DEFAULT_STALE_AFTER_HOURS = 26;
export const DEFAULT_ATHENA_BYTES_SCANNED_LIMIT = 10 * 1024 ** 3;
export const DEFAULT_MAX_FILES_PER_RUN = 500;
export const DEFAULT_LOG_LEVEL = "INFO";
/** Levels the handlers log at (handlers/log.ts) that Lambda's applicationLogLevel also accepts. */
export const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;

/** EventBridge delivery to the file-arrival Lambda: S3 events are redelivered for up to 24 h. */
export const EVENT_MAX_RETRY_ATTEMPTS = 185;
export const EVENT_MAX_AGE_SECONDS = 24 * 60 * 60;
/** Lambda async invocation retries (function errors), before the failure destination. */
export const LAMBDA_ASYNC_MAX_RETRIES = 2;
export const LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS = 6 * 60 * 60;
export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_ARCHITECTURE = "arm64";
export const LAMBDA_MEMORY_MB = 256;
export const LAMBDA_TIMEOUT_SECONDS = 60;
/** DLQ messages are kept for the maximum SQS allows, so an outage can be re-driven later. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** Days before a scheduled KMS key deletion completes (prod keeps the maximum). */
export const KMS_DELETION_WINDOW_DAYS_PROD = 30;
export const KMS_DELETION_WINDOW_DAYS_DEV = 7;
/** Days a deleted PII hash key secret can still be restored (Secrets Manager allows 7-30). */
export const PII_KEY_RECOVERY_WINDOW_DAYS = 30;
/** Attribute holding the expiry epoch seconds of audit items that may expire. */
export const DEFAULT_AUDIT_TTL_ATTRIBUTE = "expiresAt";
/** CloudWatch namespace prefix of the metrics the Glue runner publishes (per stack). */
export const METRICS_NAMESPACE_PREFIX = "Datalake";
/** Metric names published by glue-scripts/datalake_glue/constants.py (dimension: Dataset). */
export const METRIC_DATA_AGE_HOURS = "DataAgeHours";
/** Emitted by the handler that records a RUN FAILED (handlers/metrics.ts), not by the runner. */
export const METRIC_RUN_FAILED = "RunFailed";
/** Object versions file-arrival could not identify (handlers/metrics.ts FILE_UNIDENTIFIED_METRIC). */
export const METRIC_FILE_UNIDENTIFIED = "FileUnidentified";
/** Reconciler passes that could not do part of their work (handlers/metrics.ts RECONCILE_ERRORS_METRIC). */
export const METRIC_RECONCILE_ERRORS = "ReconcileErrors";
export const METRIC_ROW_COUNT = "RowCount";
