// An in-process Glue stand-in implementing the GlueLauncher port: records starts, fails on
// demand with Glue-shaped errors, and completes runs by writing the run summary the real job
// would write (every manifest file LOADED unless told otherwise).
import { CONTRACT_VERSION, FileResult, Manifest, ModelRunSummary, RUN_ARGS, RunSummary, manifestKey, modelSummaryKey, publishRecordKey, summaryKey } from "../../../engine/contracts";
import { GlueJobRun, GlueJobRunState, GlueLauncher, ObjectStore, glueError } from "../../../handlers/ports";

export class FakeGlue implements GlueLauncher {
  readonly runs: (GlueJobRun & { JobName: string })[] = [];
  /** Errors thrown by the next startJobRun calls, in order. */
  readonly startFailures: string[] = [];
  startCalls = 0;
  /** Hook run after a successful start, before returning (crash injection). */
  afterStart?: () => void;
  /** Model name of a model job (complete() of a model run needs it). */
  modelOfJob?: (jobName: string) => string;
  private counter = 0;

  constructor(private readonly objects: ObjectStore, private readonly opsBucket: string) {}

  async startJobRun(jobName: string, args: Record<string, string>): Promise<{ JobRunId: string }> {
    this.startCalls++;
    const failure = this.startFailures.shift();
    if (failure) throw glueError(failure, `${failure} (fake)`);
    const Id = `jr_${String(++this.counter).padStart(4, "0")}`;
    this.runs.push({ Id, JobName: jobName, JobRunState: "RUNNING", Arguments: { ...args }, StartedOn: new Date(0), MaxCapacity: 2 });
    this.afterStart?.();
    return { JobRunId: Id };
  }

  async getJobRun(jobName: string, jobRunId: string): Promise<GlueJobRun> {
    const run = this.runs.find((r) => r.Id === jobRunId && r.JobName === jobName);
    if (!run) throw glueError("EntityNotFoundException", `run ${jobRunId} not found`);
    return { ...run };
  }

  async getJobRuns(jobName: string): Promise<GlueJobRun[]> {
    return this.runs.filter((r) => r.JobName === jobName).reverse().map((r) => ({ ...r }));
  }

  running(): (GlueJobRun & { JobName: string })[] {
    return this.runs.filter((r) => r.JobRunState === "RUNNING");
  }

  /** A model build's run: started with --run_id only (no --dataset, no manifest). */
  isModelRun(jobRunId: string): boolean {
    const run = this.runs.find((r) => r.Id === jobRunId);
    return run !== undefined && run.Arguments?.[RUN_ARGS.dataset] === undefined;
  }

  /**
   * Ends a model build: writes the summary the model job writes (SUCCEEDED with a version unless
   * told otherwise, none when `writeSummary` is false) and returns Glue's state change event.
   */
  async completeModel(
    jobRunId: string,
    model: string,
    state: GlueJobRunState = "SUCCEEDED",
    opts: { summaryStatus?: "SUCCEEDED" | "FAILED"; writeSummary?: boolean } = {},
  ): Promise<Record<string, unknown>> {
    const run = this.runs.find((r) => r.Id === jobRunId)!;
    const runId = run.Arguments![RUN_ARGS.runId];
    run.JobRunState = state;
    run.CompletedOn = new Date(1000);
    run.ExecutionTime = 30;
    if (state !== "SUCCEEDED") run.ErrorMessage = `fake ${state}`;
    if (opts.writeSummary ?? state === "SUCCEEDED") {
      const failed = opts.summaryStatus === "FAILED";
      const summary: ModelRunSummary = {
        model,
        runId,
        status: failed ? "FAILED" : "SUCCEEDED",
        startedAt: new Date(0).toISOString(),
        finishedAt: new Date(1000).toISOString(),
        durationMs: 1000,
        rows: 42,
        audits: [{ name: "surrogate_key_unique", passed: !failed, violations: failed ? 3 : 0 }],
        version: failed ? null : `snap-${jobRunId}`,
        currentVersion: "snap-previous",
        ...(failed ? { error: "audit failed: surrogate_key_unique" } : {}),
      };
      await this.objects.putJson(this.opsBucket, modelSummaryKey(model, runId), summary);
    }
    return stateChangeEvent(run.JobName, jobRunId, state);
  }

  async manifestOf(jobRunId: string): Promise<Manifest> {
    const run = this.runs.find((r) => r.Id === jobRunId)!;
    const dataset = run.Arguments![RUN_ARGS.dataset];
    const runId = run.Arguments![RUN_ARGS.runId];
    const manifest = await this.objects.getJson<Manifest>(this.opsBucket, manifestKey(dataset, runId));
    if (!manifest) throw new Error(`no manifest for ${jobRunId}`);
    return manifest;
  }

  /**
   * Ends a run: writes the summary (unless `writeSummary` is false), and the publish record the
   * runner writes before its fast-forwards when `publishRecord` is true (a run that published and
   * then lost its summary: TIMEOUT, a failed summary write), and returns the "Glue Job State
   * Change" event Glue would emit.
   */
  async complete(
    jobRunId: string,
    state: GlueJobRunState = "SUCCEEDED",
    opts: { outcome?: (f: Manifest["files"][number]) => Partial<FileResult>; writeSummary?: boolean; summaryStatus?: "SUCCEEDED" | "FAILED"; publishRecord?: boolean } = {},
  ): Promise<Record<string, unknown>> {
    const run = this.runs.find((r) => r.Id === jobRunId)!;
    if (this.isModelRun(jobRunId)) {
      if (!this.modelOfJob) throw new Error(`fake glue: ${run.JobName} is a model job and no modelOfJob was given`);
      return this.completeModel(jobRunId, this.modelOfJob(run.JobName), state, { summaryStatus: opts.summaryStatus, writeSummary: opts.writeSummary });
    }
    const manifest = await this.manifestOf(jobRunId);
    run.JobRunState = state;
    run.CompletedOn = new Date(1000);
    run.ExecutionTime = 60;
    if (state !== "SUCCEEDED") run.ErrorMessage = `fake ${state}`;
    const writeSummary = opts.writeSummary ?? state === "SUCCEEDED";
    if (writeSummary || opts.publishRecord) {
      const files: FileResult[] = manifest.files.map((f) => ({
        fileId: f.fileId,
        key: f.key,
        versionId: f.versionId,
        outcome: "LOADED",
        rowsRead: 10,
        rowsLoaded: 9,
        rowsQuarantined: 1,
        rowsRejected: 0,
        ...opts.outcome?.(f),
      }));
      const summary: RunSummary = {
        version: CONTRACT_VERSION,
        dataset: manifest.dataset,
        runId: manifest.runId,
        status: opts.summaryStatus ?? "SUCCEEDED",
        error: opts.summaryStatus === "FAILED" ? "audit failed: pk_unique" : undefined,
        startedAt: new Date(0).toISOString(),
        finishedAt: new Date(1000).toISOString(),
        // The sums over the files, as the engine's conservation audit demands (engine/conservation.ts).
        counts: { ...totals(files), changesApplied: 10, stateKeys: 10, currentRows: 10, silverRows: 9, quarantineRows: 1 },
        files,
        audits: [{ name: "pk_unique", passed: opts.summaryStatus !== "FAILED", violations: 0 }],
        driftWarnings: [],
        published: { silverVersion: "v1", quarantineVersion: "v1" },
        freshness: { rowCount: 9, latestSequence: null, dataAgeHours: null },
      };
      if (opts.publishRecord) await this.objects.putJson(this.opsBucket, publishRecordKey(manifest.dataset, manifest.runId), { ...summary, published: { silverVersion: "", quarantineVersion: "" } });
      if (writeSummary) await this.objects.putJson(this.opsBucket, summaryKey(manifest.dataset, manifest.runId), summary);
    }
    return stateChangeEvent(run.JobName, jobRunId, state);
  }
}

function totals(files: FileResult[]): Pick<RunSummary["counts"], "rowsRead" | "bronzeRows" | "rejectedRows" | "quarantinedFileRows"> {
  const ran = files.filter((f) => f.outcome !== "ALREADY_LOADED");
  const sum = (pick: (f: FileResult) => number) => ran.reduce((n, f) => n + pick(f), 0);
  const quarantinedFileRows = sum((f) => (f.outcome === "QUARANTINED" ? f.rowsQuarantined : 0));
  const rowsRead = sum((f) => f.rowsRead);
  return { rowsRead, bronzeRows: rowsRead - quarantinedFileRows, rejectedRows: sum((f) => f.rowsRejected), quarantinedFileRows };
}

export function stateChangeEvent(jobName: string, jobRunId: string, state: string, message = `Job run ${state.toLowerCase()}`): Record<string, unknown> {
  return {
    version: "0",
    id: `evt-${jobRunId}-${state}`,
    "detail-type": "Glue Job State Change",
    source: "aws.glue",
    account: "123456789012",
    time: "2026-11-21T10:25:01Z",
    region: "eu-west-1",
    resources: [],
    detail: { jobName, severity: state === "SUCCEEDED" ? "INFO" : "ERROR", state, jobRunId, message },
  };
}
