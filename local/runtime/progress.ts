// What the runtime reports as it works: one event per file that reaches a terminal status, per
// run that starts or ends and per model build. The CLI prints them as lines; tests and the bench collect them.
import type { FileStatus } from "../../handlers/audit/items";

export interface FileDone {
  type: "file";
  dataset: string;
  key: string;
  versionId: string;
  status: FileStatus;
  reason?: string;
  runId?: string;
  rowsRead?: number;
  rowsLoaded?: number;
  rowsQuarantined?: number;
  rowsRejected?: number;
  /** From the file being noticed in landing to its terminal status. */
  ms: number;
}

export interface RunStarted {
  type: "run-started";
  dataset: string;
  runId: string;
  jobRunId: string;
  files: number;
  /** >1 when the run is resumed after a crash. */
  attempt: number;
}

export interface RunFinished {
  type: "run-finished";
  dataset: string;
  runId: string;
  jobRunId: string;
  state: string;
  files: number;
  ms: number;
  rowsRead?: number;
  silverRows?: number;
  quarantineRows?: number;
  rejectedRows?: number;
  error?: string;
}

export interface Notice {
  type: "notice";
  level: "info" | "warn" | "error";
  message: string;
}

/** A model build after loads published (local/runtime/model-builder.ts). */
export interface ModelDone {
  type: "model";
  model: string;
  runId: string;
  status: "built" | "failed" | "skipped";
  /** Current version after the build (the last published one when it failed). */
  version: string | null;
  rows: number | null;
  audits: number;
  error?: string;
  ms: number;
}

export type ProgressEvent = FileDone | RunStarted | RunFinished | Notice | ModelDone;

export type ProgressSink = (event: ProgressEvent) => void;

/** One human line per event. */
export function formatProgress(e: ProgressEvent): string {
  switch (e.type) {
    case "file": {
      const counts =
        e.rowsRead === undefined
          ? ""
          : `  rows ${e.rowsRead}: loaded ${e.rowsLoaded ?? 0}, quarantined ${e.rowsQuarantined ?? 0}, rejected ${e.rowsRejected ?? 0}`;
      const reason = e.reason ? `  reason: ${e.reason}` : "";
      return `file ${e.dataset.padEnd(11)} ${e.status.padEnd(11)} ${e.key} (v ${e.versionId})${counts}${reason}  ${seconds(e.ms)}`;
    }
    case "run-started":
      return `run  ${e.dataset.padEnd(11)} ${(e.attempt > 1 ? "RESUMED" : "STARTED").padEnd(11)} ${e.runId}  ${e.files} file(s)`;
    case "run-finished": {
      const counts =
        e.rowsRead === undefined
          ? ""
          : `  rows read ${e.rowsRead}, silver ${e.silverRows ?? 0}, quarantine ${e.quarantineRows ?? 0}, rejected ${e.rejectedRows ?? 0}`;
      const error = e.error ? `  error: ${e.error.split("\n")[0]}` : "";
      return `run  ${e.dataset.padEnd(11)} ${e.state.padEnd(11)} ${e.runId}  ${e.files} file(s)${counts}${error}  ${seconds(e.ms)}`;
    }
    case "notice":
      return `${e.level === "info" ? "" : `${e.level}: `}${e.message}`;
    case "model": {
      const what =
        e.status === "built" ? `${e.version}  rows ${e.rows ?? 0}, ${e.audits} audits passed` : `${e.version ?? "nothing published"}  ${e.error ?? ""}`;
      return `model ${e.model.padEnd(16)} ${e.status.toUpperCase().padEnd(11)} ${what}  ${seconds(e.ms)}`;
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
