// The audit items as the handlers and the CLI read them (key attributes stripped).
import type { AuditResult, FileResult, RunSummary } from "../../engine/contracts";

/** Forward only: PENDING -> QUEUED -> RUNNING -> one terminal status. */
export type FileStatus = "PENDING" | "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "QUARANTINED" | "SKIPPED";
export const FILE_OPEN_STATUSES: readonly FileStatus[] = ["PENDING", "QUEUED", "RUNNING"];
export const FILE_TERMINAL_STATUSES: readonly FileStatus[] = ["SUCCEEDED", "FAILED", "QUARANTINED", "SKIPPED"];

/** QUEUED = slot taken and manifest written, StartJobRun not yet confirmed. */
export type RunStatus = "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED";
export const RUN_OPEN_STATUSES: readonly RunStatus[] = ["QUEUED", "RUNNING"];

export interface FileItem {
  kind: "FILE";
  /** s3://bucket/key#versionId, or s3://bucket/key#etag:sequencer when unversioned. */
  fileId: string;
  /** Dataset name, or "_unrouted" for keys under no dataset prefix. */
  dataset: string;
  bucket: string;
  key: string;
  versionId: string | null;
  etag: string;
  sequencer: string;
  size: number;
  status: FileStatus;
  /** Why the file is SKIPPED / FAILED / QUARANTINED (e.g. "SOURCE_MISSING", "empty_object"). */
  reason?: string;
  /** Informational, e.g. "already_loaded". */
  note?: string;
  runId?: string;
  /** Event time (when the object landed). */
  receivedAt: string;
  /** When the handler recorded it. */
  recordedAt: string;
  finishedAt?: string;
  rowsRead?: number;
  rowsLoaded?: number;
  rowsQuarantined?: number;
  rowsRejected?: number;
  /** The first extra columns (run-fields.ts boundedExtraColumns); the run summary lists them all. */
  extraColumns?: string[];
  /** How many extra columns the file had, when extraColumns lists only the first. */
  extraColumnCount?: number;
  /** S3's checksums of the object ("CRC64NVME" -> base64 value), when HeadObject gave any. */
  checksums?: Record<string, string>;
}

/**
 * The content of the object version of a key that last loaded successfully: a new version with
 * the same content (a re-copy, a touch) is SKIPPED duplicate_content instead of loading again.
 */
export interface LoadedContentItem {
  kind: "LOADED";
  bucket: string;
  key: string;
  fileId: string;
  versionId: string | null;
  etag: string;
  checksums?: Record<string, string>;
  /** S3 sequencer of that version: only a later version replaces the record. */
  sequencer: string;
  loadedAt: string;
  /**
   * Set while a version of the key filed to load has not loaded yet (AuditStore.markContentPending):
   * the key's newest content is unknown, so no version is a duplicate of the one loaded before.
   */
  pending?: true;
}

export interface RunItem {
  kind: "RUN";
  runId: string;
  dataset: string;
  jobName: string;
  status: RunStatus;
  jobRunId?: string;
  manifestUri?: string;
  fileCount?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Final Glue JobRunState (SUCCEEDED, FAILED, TIMEOUT, STOPPED, ERROR, ...). */
  glueState?: string;
  executionSeconds?: number;
  dpuSeconds?: number;
  counts?: RunSummary["counts"];
  audits?: AuditResult[];
  /** The first drift warnings of the run (run-fields.ts); the run summary holds them all. */
  driftWarnings?: string[];
  /** How many drift warnings the run had, when driftWarnings does not hold them all. */
  driftWarningCount?: number;
  error?: string;
  /** Informational, on a SUCCEEDED run: e.g. its summary was lost and counts come from its publish record. */
  note?: string;
  startAttempts?: number;
  /** Set when the run was recorded by the reconciler or job-state from Glue's own record. */
  adoptedBy?: string;
  /** A semantic model build, not a load: `dataset` holds the model's name; no files, no counts. */
  model?: boolean;
  /** A model run on AWS: the model's request count when it started (ModelState.requested). */
  covers?: number;
  /** A model run: rows of the table it built, and the version (Iceberg snapshot) it published. */
  rows?: number | null;
  version?: string | null;
  /** A `datalake rollback` (local mode): the versions it moved between and the runs it undid. */
  rollback?: { table: string; from: string; to: string; runs: string[] };
}

export interface SlotItem {
  kind: "DATASET";
  dataset: string;
  activeRunId?: string;
  /** Epoch ms. */
  leaseExpiresAt?: number;
  takenAt?: string;
  /**
   * A run that published past its commit point, then ended without going live everywhere (Glue
   * FAILED after a SUCCEEDED summary): every run finishes such a publish before it reads, and
   * while this is set one starts even with no file pending (run-start.ts), so the tables do not
   * wait for the next file. Cleared by a run that ends cleanly, and by any run without files.
   */
  finishPublishOf?: string;
}

/**
 * A semantic model on AWS (handlers/core/model-runs.ts): how often a load asked for it to be
 * rebuilt (`requested`, only ever incremented), the request count the last finished run answered
 * (`handled`), and its run slot. requested > handled: a build is due. Every load that publishes
 * while a build runs is covered by one more build after it (coalesced).
 */
export interface ModelState {
  kind: "MODEL";
  model: string;
  requested: number;
  handled?: number;
  /** The last request: when, and by which load run (or "deploy"). */
  requestedAt?: string;
  requestedBy?: string;
  /** The plan hash (ModelNode.plan) the reconciler last requested a build for. */
  plan?: string;
  activeRunId?: string;
  /** Epoch ms. */
  leaseExpiresAt?: number;
  takenAt?: string;
}

/** Per-file finalization fields, from the run summary's FileResult. */
export interface FileFinal {
  status: "SUCCEEDED" | "FAILED" | "QUARANTINED" | "SKIPPED";
  reason?: string;
  note?: string;
  counts?: Pick<FileResult, "rowsRead" | "rowsLoaded" | "rowsQuarantined" | "rowsRejected" | "extraColumns"> & { extraColumnCount?: number };
}

/**
 * The landing sweep's watermark for one dataset prefix (handlers/core/landing-sweep.ts): the
 * pass under way, where its listing resumes, and the time before which versions were checked
 * by earlier passes.
 */
export interface SweepCursor {
  kind: "SWEEP";
  dataset: string;
  /** When the pass under way began (ISO). Versions younger than this minus the minimum age wait. */
  passStartedAt: string;
  /** Versions last modified before this (ISO) were checked by an earlier pass (or outlive FILE items' TTL). */
  since: string;
  /** Where the pass under way resumes; absent: the pass is complete. */
  next?: { keyMarker: string; versionIdMarker?: string };
  /** The spelling of the prefix `next` lists (routing.ts prefixSpellings); absent: the declared one. */
  spelling?: string;
  updatedAt: string;
}

export const UNROUTED_DATASET = "_unrouted";
