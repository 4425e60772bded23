// Public API of the handlers package for local mode, the CLI and the Pulumi program (schema only).
export * from "./ports";
export { createHandlerDeps, newRunId } from "./deps";
export type { HandlerDepsInput } from "./deps";
export { jsonLogger, silentLogger } from "./log";
export { AuditStore } from "./audit/store";
export type { AuditDb, AuditStoreOptions, ListOptions } from "./audit/store";
export * from "./audit/items";
export { AUDIT_TABLE_SCHEMA, AUDIT_INDEX, auditCreateTableInput } from "./audit/schema";
export { ensureAuditTable } from "./audit/ensure-table";
export { handleFileArrival } from "./core/file-arrival";
export type { ArrivalResult } from "./core/file-arrival";
export { handleJobStateChange } from "./core/job-state";
export type { JobStateResult } from "./core/job-state";
export { reconcile } from "./core/reconcile";
export type { ReconcileReport } from "./core/reconcile";
export { startRunIfIdle } from "./core/run-start";
export { fileIdOf } from "./core/file-id";
export { decodeKey } from "./core/s3-event";
