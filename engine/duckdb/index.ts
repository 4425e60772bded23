// The DuckDB executor: runs load plans against a local workspace (see workspace.ts for the
// layout), answers SQL over it and rolls silver tables back.
export { runLoad, cleanTemp, type RunLoadOptions, type ProgressEvent } from "./run-load";
export { openQuerySession, type QuerySession, type QueryResult } from "./query";
export { listVersions, listSilverTables, type VersionInfo } from "./versions";
export { planRollback, applyRollback, rollbackTable, type RollbackPlan, type RollbackResult } from "./rollback";
export { openSession, defaultMemoryLimit, type SessionOptions } from "./session";
export { KEEP_VERSIONS, summaryPath } from "./workspace";
export { runModelPlan, semanticDir, type ModelRunResult } from "./run-model";
