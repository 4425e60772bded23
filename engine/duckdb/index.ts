// The DuckDB executor: runs load plans against a local workspace (see workspace.ts for the
// layout), builds semantic models, answers SQL over it and rolls silver tables back.
export { runLoad, cleanTemp, workspaceLoadPlan, type RunLoadOptions, type ProgressEvent } from "./run-load";
export { openQuerySession, type QuerySession, type QueryResult } from "./query";
export { listVersions, listSilverTables, type VersionInfo } from "./versions";
export { planRollback, applyRollback, newRollbackId, rollbackTable, type RollbackPlan, type RollbackResult } from "./rollback";
export { finishRollbacks, closeRollback, owedRollbacks, claimRollback, type UnrecordedRollback } from "./stopped-rollbacks";
export { openSession, defaultMemoryLimit, type SessionOptions } from "./session";
export { KEEP_VERSIONS, summaryPath } from "./workspace";
export { buildModel, listSemanticTables, modelDir, type BuildModelOptions, type ModelBuildResult } from "./build-model";
export { buildModels, type BuildModelsOptions, type ModelSummary } from "./build-models";
