// An in-process AWS Glue: StartJobRun / GetJobRun / GetJobRuns over load plans run by the DuckDB
// executor. It keeps Glue's observable behaviour the handlers are written against: max concurrent
// runs = 1 per job (ConcurrentRunsExceededException), Glue-named errors, JobRunState values, and a
// "Glue Job State Change" event when a run ends. Job runs are persisted in the workspace, so a run
// cut off by a crash is resumed on restart (same run id, same manifest) instead of being lost.
import { randomBytes } from "crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { join } from "path";
import { RUN_ARGS } from "../../engine/contracts";
import { GLUE_ERRORS, GlueJobRun, GlueJobRunState, GlueLauncher, glueError } from "../../handlers/ports";
import { EventBridgeEvent, glueJobStateChangeEvent } from "./events";

/** What a run's execution reports back; thrown errors become FAILED with their message. */
export interface RunOutcome {
  state: "SUCCEEDED" | "FAILED" | "TIMEOUT";
  errorMessage?: string;
}

export interface RunRequest {
  jobName: string;
  dataset: string;
  jobRunId: string;
  args: Record<string, string>;
  /** 1, or more when the run is resumed after a crash. */
  attempt: number;
}

export interface LocalJobRun extends Omit<GlueJobRun, "StartedOn" | "CompletedOn"> {
  JobName: string;
  StartedOn: string;
  CompletedOn?: string;
  /** Times this run was (re)started by local mode: >1 after a crash resume. */
  attempts: number;
}

export interface LocalGlueOptions {
  /** Directory holding one JSON file per job run. */
  dir: string;
  /** Job name -> dataset name: the jobs that exist. */
  jobs: Record<string, string>;
  /** Those of `jobs` that build a semantic model (name -> model): started with --run_id only, no manifest. */
  modelJobs?: ReadonlySet<string>;
  execute(run: RunRequest): Promise<RunOutcome>;
  emit(event: EventBridgeEvent): void;
  /** Runs executing at once across jobs (Glue's account-wide capacity). @default 2 */
  maxParallel?: number;
  now?: () => number;
  onError?(err: unknown, run: LocalJobRun): void;
}

const ACTIVE: readonly GlueJobRunState[] = ["STARTING", "RUNNING", "STOPPING", "WAITING"];

export class LocalGlue implements GlueLauncher {
  private readonly runs = new Map<string, LocalJobRun>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly waiting: (() => void)[] = [];
  private executing = 0;
  private readonly maxParallel: number;
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: LocalGlueOptions) {
    this.maxParallel = options.maxParallel ?? 2;
    this.now = options.now ?? Date.now;
    mkdirSync(options.dir, { recursive: true });
    for (const name of readdirSync(options.dir)) {
      if (!name.endsWith(".json")) continue;
      const run = JSON.parse(readFileSync(join(options.dir, name), "utf8")) as LocalJobRun;
      this.runs.set(run.Id, run);
    }
  }

  async startJobRun(jobName: string, args: Record<string, string>): Promise<{ JobRunId: string }> {
    const dataset = this.options.jobs[jobName];
    if (dataset === undefined) throw glueError(GLUE_ERRORS.entityNotFound, `Job ${jobName} not found`);
    const requiredArgs = this.options.modelJobs?.has(jobName) ? [RUN_ARGS.runId] : [RUN_ARGS.runId, RUN_ARGS.manifestUri];
    for (const required of requiredArgs) {
      if (!args[required]) throw glueError(GLUE_ERRORS.invalidInput, `Argument ${required} is required`);
    }
    if (this.stopped) throw glueError(GLUE_ERRORS.internalService, "local Glue is shutting down");
    if (this.activeRuns(jobName).length > 0) {
      throw glueError(GLUE_ERRORS.concurrentRunsExceeded, `Concurrent runs exceeded for ${jobName}`);
    }
    const run: LocalJobRun = {
      Id: `jr_${randomBytes(32).toString("hex")}`,
      JobName: jobName,
      JobRunState: "RUNNING",
      Arguments: { ...args },
      StartedOn: new Date(this.now()).toISOString(),
      attempts: 0,
    };
    this.save(run);
    this.launch(run);
    return { JobRunId: run.Id };
  }

  async getJobRun(jobName: string, jobRunId: string): Promise<GlueJobRun> {
    const run = this.runs.get(jobRunId);
    if (!run || run.JobName !== jobName) throw glueError(GLUE_ERRORS.entityNotFound, `Job run ${jobRunId} not found`);
    return toGlue(run);
  }

  async getJobRuns(jobName: string): Promise<GlueJobRun[]> {
    if (this.options.jobs[jobName] === undefined) throw glueError(GLUE_ERRORS.entityNotFound, `Job ${jobName} not found`);
    return [...this.runs.values()]
      .filter((r) => r.JobName === jobName)
      .sort((a, b) => b.StartedOn.localeCompare(a.StartedOn))
      .map(toGlue);
  }

  /**
   * Resumes runs a previous process left RUNNING. Glue runs survive a Lambda crash; local runs die
   * with the process, so the closest faithful behaviour is to run the same manifest again (the
   * engine's publish is atomic and its loads idempotent per file version).
   */
  resumeInterrupted(): number {
    const interrupted = [...this.runs.values()].filter((r) => ACTIVE.includes(r.JobRunState) && !this.inFlight.has(r.Id));
    for (const run of interrupted) this.launch(run);
    return interrupted.length;
  }

  /** Stops accepting runs and waits for the ones executing (they finish; nothing is cut half-way). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Runs not yet terminal (any job). */
  get activeCount(): number {
    return [...this.runs.values()].filter((r) => ACTIVE.includes(r.JobRunState)).length;
  }

  private activeRuns(jobName: string): LocalJobRun[] {
    return [...this.runs.values()].filter((r) => r.JobName === jobName && ACTIVE.includes(r.JobRunState));
  }

  private launch(run: LocalJobRun): void {
    const done = this.execute(run).finally(() => this.inFlight.delete(run.Id));
    this.inFlight.set(run.Id, done);
  }

  private async execute(run: LocalJobRun): Promise<void> {
    await this.acquire();
    let outcome: RunOutcome;
    try {
      run.attempts += 1;
      this.save(run);
      outcome = await this.options.execute({
        jobName: run.JobName,
        dataset: this.options.jobs[run.JobName],
        jobRunId: run.Id,
        args: run.Arguments ?? {},
        attempt: run.attempts,
      });
    } catch (err) {
      this.options.onError?.(err, run);
      outcome = { state: "FAILED", errorMessage: err instanceof Error ? err.message : String(err) };
    } finally {
      this.release();
    }
    const completed = this.now();
    const finished: LocalJobRun = {
      ...run,
      JobRunState: outcome.state,
      ErrorMessage: outcome.errorMessage,
      CompletedOn: new Date(completed).toISOString(),
      ExecutionTime: Math.max(0, Math.round((completed - Date.parse(run.StartedOn)) / 1000)),
    };
    this.save(finished);
    this.options.emit(
      glueJobStateChangeEvent({
        jobName: run.JobName,
        jobRunId: run.Id,
        state: outcome.state,
        message: outcome.errorMessage,
        time: new Date(completed),
      }),
    );
  }

  private async acquire(): Promise<void> {
    if (this.executing < this.maxParallel) {
      this.executing++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.executing--;
  }

  // Write-then-rename: a crash leaves the previous state, never a torn file.
  private save(run: LocalJobRun): void {
    this.runs.set(run.Id, run);
    const path = join(this.options.dir, `${run.Id}.json`);
    writeFileSync(`${path}.tmp`, JSON.stringify(run, null, 2));
    renameSync(`${path}.tmp`, path);
  }
}


function toGlue(run: LocalJobRun): GlueJobRun {
  return {
    Id: run.Id,
    JobName: run.JobName,
    JobRunState: run.JobRunState,
    ErrorMessage: run.ErrorMessage,
    Arguments: run.Arguments,
    StartedOn: new Date(run.StartedOn),
    CompletedOn: run.CompletedOn ? new Date(run.CompletedOn) : undefined,
    ExecutionTime: run.ExecutionTime,
  };
}

