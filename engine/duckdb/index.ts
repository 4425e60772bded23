// The DuckDB executor: runs load plans against a local workspace (see workspace.ts for the
// layout), answers SQL over it and rolls silver tables back.
export { runLoad, cleanTemp, type RunLoadOptions, type ProgressEvent } from "./run-load";
export { openQuerySession, type QuerySession, type QueryResult } from "./query";
export { rollbackTable, listVersions, listSilverTables, type VersionInfo, type RollbackResult } from "./versions";
export { openSession, defaultMemoryLimit, type SessionOptions } from "./session";
export { KEEP_VERSIONS, summaryPath } from "./workspace";
