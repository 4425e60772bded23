// The production wiring of local mode: the handlers' own logic (handlers/core) and the DuckDB
// executor (engine/duckdb), so `datalake local` runs exactly the code the Lambdas and Glue run;
// after a load publishes, the models it affects are rebuilt (model-builder.ts).
import { join } from "path";
import { buildModels, runLoad } from "../../engine/duckdb";
import { MODELS } from "../../models";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { reconcile } from "../../handlers/core/reconcile";
import type { HandlerFns } from "./handler-fns";
import type { ModelBuild } from "./model-builder";
import type { ProgressSink } from "./progress";
import { LoadExecutor, LocalRuntime, LocalRuntimeOptions } from "./runtime";

export const defaultHandlers: HandlerFns = {
  fileArrival: (event, deps) => handleFileArrival(deps, event),
  jobState: (event, deps) => handleJobStateChange(deps, event),
  reconcile: (deps) => reconcile(deps),
};

/**
 * The local "Glue script": the DuckDB executor. It writes the run summary right after publishing
 * (<workspace>/ops/summaries/<dataset>/<runId>.json, where job-state reads it), so a run
 * interrupted after its publish is finished from the summary instead of being loaded again.
 */
export const duckdbExecutor: LoadExecutor = ({ workspace, spec, manifest, fullRefresh, signal }) =>
  runLoad({ workspace, spec, manifest, fullRefresh, writeSummary: true, signal });

/**
 * `--engine spark`: the Glue runner on local Spark + Iceberg, one JVM for the runtime's life
 * (started at the first run; `close` ends it). The runner writes the summary where job-state
 * reads it, as on Glue.
 */
export function sparkExecutor(workspace: string): { executor: LoadExecutor; buildModels: ModelBuild; close(): Promise<void> } {
  let server: Promise<import("../../engine/spark").SparkServer> | undefined;
  const start = async () => {
    const spark = await import("../../engine/spark");
    return spark.SparkServer.start({ warehouse: spark.icebergWarehouse(workspace), logFile: join(workspace, "ops", "spark.log") });
  };
  return {
    executor: async ({ spec, manifest, fullRefresh, signal }) => {
      server ??= start();
      const { runLoadSpark } = await import("../../engine/spark");
      return runLoadSpark({ workspace, spec, manifest, fullRefresh, server: await server, signal });
    },
    // The models a load affects, by the Glue model job on the same JVM (model-builder.ts runs one
    // build at a time; the server queues it behind a load that is running).
    buildModels: async (changed) => {
      server ??= start();
      const { sparkModelExecutor } = await import("../../engine/spark");
      return buildModels(workspace, MODELS, { changed, executor: sparkModelExecutor(workspace, await server) });
    },
    close: async () => {
      if (server) await (await server.catch(() => undefined))?.close();
    },
  };
}

export interface StartOptions extends Partial<Omit<LocalRuntimeOptions, "workspace" | "progress">> {
  workspace: string;
  progress?: ProgressSink;
  /** `--once`: reconcile more often, nothing waits for a human. */
  once?: boolean;
}

export function startLocalRuntime(options: StartOptions): Promise<LocalRuntime> {
  // Models build on DuckDB from the DuckDB executor's tables; a Spark runtime passes its own
  // buildModels (sparkExecutor), or builds none.
  const duckdb = options.executor === undefined || options.executor === duckdbExecutor;
  return LocalRuntime.start({
    handlers: defaultHandlers,
    executor: duckdbExecutor,
    ...(duckdb ? { buildModels: (changed: string[]) => buildModels(options.workspace, MODELS, { changed }) } : {}),
    reconcileEveryMs: options.once ? 1000 : 2000,
    ...options,
  });
}
