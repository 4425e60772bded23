// The Spark executor locally: the Glue runner (glue-scripts/) on local Spark + Iceberg at the
// Glue runtime's versions, driven from Node. See run-load.ts and server.ts.
export { runLoadSpark, icebergWarehouse, LOCAL_SPARK, type SparkLoadOptions, type SparkDatabases } from "./run-load";
export { SparkServer, sharedSparkServer, closeSharedSparkServer, closeSharedSparkServers, type SparkServerOptions, type RunRequest } from "./server";
export { GLUE_RUNTIME, requireGlueRuntime, venvPython, localJars, type GlueRuntime } from "./runtime";
export { buildModelSpark, publishedSparkModelVersion, MODEL_JOB_ARGS, LOCAL_SEMANTIC_DATABASE } from "./build-model";
export { modelArtifact, sparkModelArtifact, type SparkModelArtifact } from "./model-artifact";
export { sparkModelExecutor } from "./model-executor";
