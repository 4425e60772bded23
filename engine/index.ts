// The pure part of the engine: plans and their SQL. No DuckDB import here, so the Pulumi
// program can compile the spark plan without loading a native module. The executor lives in
// engine/duckdb/ (import "engine/duckdb").
export * from "./plan";
export * from "./contracts";
export { compilePlan, tableDefs, PUBLISH_ORDER, SILVER_LINEAGE, type CompileOptions } from "./compile";
export { DIALECTS, dialectFor, type SqlDialect } from "./dialects";
export { ruleLabel } from "./labels";
