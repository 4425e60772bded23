// Environment variables of the Lambdas: the Pulumi program sets them, the handlers read them
// once at init. One list so the two cannot drift.
export const HANDLER_ENV = {
  auditTable: "AUDIT_TABLE",
  opsBucket: "OPS_BUCKET",
  landingBucket: "LANDING_BUCKET",
  /** JSON object: dataset name -> Glue job name. */
  glueJobs: "GLUE_JOBS",
  /**
   * JSON object: model name -> { job, on: datasets, after: models, plan: hash } (handlers/ports.ts ModelNode,
   * built by infra/model-graph.ts). Absent or {}: no model builds.
   */
  modelGraph: "MODEL_GRAPH",
  /** Max files per run manifest. @default 500 */
  maxFilesPerRun: "MAX_FILES_PER_RUN",
  /** Run-slot lease in seconds (should exceed the Glue job timeout). */
  slotLeaseSeconds: "SLOT_LEASE_SECONDS",
  logLevel: "LOG_LEVEL",
  /** CloudWatch namespace of RunFailed (the Glue runner's namespace, so one alarm sees both). */
  metricsNamespace: "METRICS_NAMESPACE",
} as const;

/** Entry files bundled by esbuild (scripts/bundle-handlers.js and infra/). */
export const HANDLER_ENTRIES = {
  fileArrival: "handlers/file-arrival.ts",
  jobState: "handlers/job-state.ts",
  reconciler: "handlers/reconciler.ts",
} as const;
