// A Glue that runs the real Glue runner on local Spark: the GlueLauncher port over local mode's
// in-process Glue (local/runtime/glue-launcher.ts LocalGlue: per-job concurrency of one,
// ConcurrentRunsExceededException, Glue-named errors, JobRunState values, persisted job runs and a
// "Glue Job State Change" event when a run ends), with each run executed as Glue executes it:
// the job's DefaultArguments merged with the run's Arguments (run arguments win) plus Glue's own
// --JOB_NAME / --JOB_RUN_ID, given to the runner on the shared Spark server with no `buckets`, so
// the runner reads the manifest and plan and writes the summary through boto3 (S3 API).
import type { SparkServer } from "../../engine/spark/server";
import { LocalGlue, type RunOutcome, type RunRequest } from "../../local/runtime/glue-launcher";
import type { EventBridgeEvent } from "../../local/runtime/events";

export interface SparkGlueJob {
  /** The dataset the job loads, or the model it builds (Glue itself does not know; LocalGlue reports it per run). */
  dataset: string;
  /** A semantic model's job (glue-scripts/build_model.py) instead of a dataset's load job. */
  model?: boolean;
  /** The job's DefaultArguments, as the Pulumi program sets them (engine/contracts.ts JOB_ARGS). */
  defaultArguments: Record<string, string>;
}

export interface SparkGlueOptions {
  server: SparkServer;
  /** Job name -> job: the jobs that exist (others: EntityNotFoundException). */
  jobs: Record<string, SparkGlueJob>;
  /** Folder of the job-run records (one JSON file per run). */
  dir: string;
  /** Receives the "Glue Job State Change" event of every run that ends. */
  emit(event: EventBridgeEvent): void;
  /**
   * Runs admitted at once across jobs (Glue's account capacity). The Spark server executes one
   * run at a time; the others wait in RUNNING, as Glue runs wait for workers.
   * @default 6
   */
  maxParallel?: number;
  /** Metrics as JSON lines in this file instead of CloudWatch through boto3. */
  metricsFile?: string;
  onError?(err: unknown, jobRunId: string): void;
}

/** The Glue job arguments of one run, as the script's argv sees them. */
export function glueRunArgv(job: SparkGlueJob, run: Pick<RunRequest, "jobName" | "jobRunId" | "args">): string[] {
  const merged: Record<string, string> = { ...job.defaultArguments, ...run.args, "--JOB_NAME": run.jobName, "--JOB_RUN_ID": run.jobRunId };
  return Object.entries(merged).flatMap(([name, value]) => [name, value]);
}

export function sparkGlueLauncher(options: SparkGlueOptions): LocalGlue {
  const jobs = options.jobs;
  return new LocalGlue({
    dir: options.dir,
    jobs: Object.fromEntries(Object.entries(jobs).map(([name, job]) => [name, job.dataset])),
    modelJobs: new Set(Object.keys(jobs).filter((name) => jobs[name].model)),
    maxParallel: options.maxParallel ?? 6,
    emit: options.emit,
    onError: (err, run) => options.onError?.(err, run.Id),
    async execute(run: RunRequest): Promise<RunOutcome> {
      if (jobs[run.jobName].model) {
        const built = await options.server.runModel({ args: glueRunArgv(jobs[run.jobName], run) });
        if (built.status === "SUCCEEDED") return { state: "SUCCEEDED" };
        return { state: "FAILED", errorMessage: `build of ${built.model} (${built.runId}) failed: ${built.error ?? "unknown"}` };
      }
      const summary = await options.server.run({ args: glueRunArgv(jobs[run.jobName], run), metrics: options.metricsFile });
      if (summary.status === "SUCCEEDED") return { state: "SUCCEEDED" };
      // load_dataset.py raises RunFailed on a FAILED summary, so the Glue run ends FAILED with it.
      return { state: "FAILED", errorMessage: `RunFailed: ${summary.dataset} run ${summary.runId} failed: ${summary.error ?? "unknown"}` };
    },
  });
}
