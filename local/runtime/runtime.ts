// Local mode: the AWS data flow on one machine. Files in <workspace>/landing become object
// versions, "Object Created" events go through rules with the infra's own patterns to the real
// file-arrival logic, which starts runs on an in-process Glue running the DuckDB executor; "Glue
// Job State Change" events reach the job-state logic, and the reconciler runs on a timer.
// Every piece of state lives in the workspace, so a killed process loses nothing on restart.
import { createWriteStream, mkdirSync, WriteStream } from "fs";
import { join } from "path";
import { DATASETS, routeObjectKey } from "../../datasets";
import type { DatasetSpec } from "../../datasets/define";
import { eventPatternFor, glueJobStatePattern } from "../../datasets/routing";
import type { Manifest, RunSummary } from "../../engine/contracts";
import { ensureAuditTable } from "../../handlers/audit/ensure-table";
import { AuditStore } from "../../handlers/audit/store";
import { createHandlerDeps } from "../../handlers/deps";
import { jsonLogger, silentLogger } from "../../handlers/log";
import type { HandlerDeps, HandlerLimits, Logger } from "../../handlers/ports";
import { advertiseEndpoint } from "./audit-access";
import { AuditServer, startAuditServer } from "./audit-server";
import { DynaliteDb } from "./dynalite-db";
import { EventBus } from "./event-bus";
import { EventBridgeEvent, objectCreatedEvent } from "./events";
import { FileTracker } from "./file-tracker";
import { fileIdOf } from "../../handlers/core/file-id";
import { LocalGlue } from "./glue-launcher";
import { executeLocalRun } from "./run-execution";
import { ModelBuilder, type ModelBuild } from "./model-builder";
import { owedModels } from "../../engine/duckdb/models-owed";
import { finishRollbacks } from "../../engine/duckdb/stopped-rollbacks";
import { finishPublishes } from "../../engine/duckdb/publish-journal";
import type { HandlerFns } from "./handler-fns";
import { LandingWatcher, StableFile } from "./landing-watcher";
import { LocalObjectStore } from "./object-store";
import type { ProgressEvent, ProgressSink } from "./progress";
import { VersionRecord, VersionStore, sameSignature } from "./version-store";
import { acquireWorkspaceLock, WorkspaceLock } from "./workspace-lock";
import { DEFAULT_GLUE_TIMEOUT_MINUTES } from "../../infra/defaults";
import { LOCAL_NAMES, WorkspacePaths, workspacePaths } from "./workspace";

/** Runs one manifest on the engine (H1's runLoad, or a stand-in in tests). */
export type LoadExecutor = (input: {
  workspace: string;
  spec: DatasetSpec;
  manifest: Manifest;
  fullRefresh: boolean;
  /** Aborted when the run exceeds the job timeout: stop and reject with its reason. */
  signal?: AbortSignal;
}) => Promise<RunSummary>;

/** Test-only fault injection. */
export interface LocalFaults {
  /** Lose an event on the bus (e.g. every Glue state change). */
  dropEvent?(event: EventBridgeEvent): boolean;
}

export interface LocalRuntimeOptions {
  workspace: string;
  handlers: HandlerFns;
  executor: LoadExecutor;
  specs?: readonly DatasetSpec[];
  /** How long a landed file must stay unchanged before it is read. @default DEFAULT_SETTLE_MS (2 s) */
  settleMs?: number;
  /** @default 1000 */
  pollMs?: number;
  /** Reconciler schedule. @default 2000 */
  reconcileEveryMs?: number;
  limits?: Partial<HandlerLimits>;
  progress?: ProgressSink;
  /** Structured handler logs: "file" = <workspace>/ops/local.log (default), "none", or a Logger. */
  log?: "file" | "none" | Logger;
  faults?: LocalFaults;
  /** Runs executing at once across datasets. @default 2 */
  maxParallelRuns?: number;
  /**
   * A run still loading after this long is stopped and ends TIMEOUT, as a Glue job does at its
   * `timeout`: its files end FAILED and the dataset's run slot is free for the next load.
   * @default DEFAULT_GLUE_TIMEOUT_MINUTES (the deployed jobs' default)
   */
  jobTimeoutMs?: number;
  /** Rebuilds the models a published load affects (default wiring: engine/duckdb buildModels); none when absent. */
  buildModels?: ModelBuild;
}

/**
 * Local defaults. StartJobRun is in-process (no Lambda timeout to wait out), so an unconfirmed
 * start is stale much sooner than on AWS; 30 s still leaves room for a machine under load.
 */
export const LOCAL_LIMITS: Partial<HandlerLimits> = {
  staleStartSeconds: 30,
  startBackoffMs: 50,
  maxFilesPerRun: 500,
};

/** Minimum interval between re-drives of an event whose delivery failed. */
const REDRIVE_MS = 10_000;

export class LocalRuntime {
  readonly paths: WorkspacePaths;
  readonly specs: readonly DatasetSpec[];
  readonly audit: AuditStore;
  readonly versions: VersionStore;
  readonly glue: LocalGlue;
  readonly bus: EventBus;
  readonly tracker: FileTracker;
  readonly deps: HandlerDeps;
  private readonly objects: LocalObjectStore;
  private readonly auditDb: DynaliteDb;
  private readonly watcher: LandingWatcher;
  private readonly announcing = new Map<string, Promise<void>>();
  private readonly failedRuns: string[] = [];
  private runsFinished = 0;
  private readonly unrouted = new Set<string>();
  private readonly undelivered = new Set<string>();
  private readonly lastAnnounce = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<void> | undefined;
  private readonly trackerPasses = new Set<Promise<void>>();
  private stopped = false;
  private unadvertise: () => void = () => undefined;
  private readonly models: ModelBuilder | undefined;

  private constructor(
    private readonly options: LocalRuntimeOptions,
    private readonly server: AuditServer,
    private readonly lock: WorkspaceLock,
    private readonly logStream: WriteStream | undefined,
    logger: Logger,
  ) {
    this.paths = workspacePaths(options.workspace);
    this.specs = options.specs ?? DATASETS;
    this.auditDb = new DynaliteDb(server.endpoint);
    this.audit = new AuditStore(this.auditDb, LOCAL_NAMES.auditTable);
    this.versions = new VersionStore(this.paths.versionLog, this.paths.versions);
    const objects = (this.objects = new LocalObjectStore(
      { landing: LOCAL_NAMES.landingBucket, ops: LOCAL_NAMES.opsBucket },
      { landing: this.paths.landing, ops: this.paths.ops },
      this.versions,
    ));
    const jobNames = Object.fromEntries(this.specs.map((s) => [s.name, LOCAL_NAMES.jobName(s.name)]));
    this.bus = new EventBus({
      deadLetterPath: join(this.paths.ops, "dead-letters.jsonl"),
      drop: options.faults?.dropEvent,
      onDeadLetter: (event, rule, err) =>
        this.emit({ type: "notice", level: "warn", message: `${rule}: event ${event["detail-type"]} undeliverable (${errText(err)}); kept in ops/dead-letters.jsonl` }),
    });
    this.glue = new LocalGlue({
      dir: this.paths.jobRuns,
      jobs: Object.fromEntries(this.specs.map((s) => [LOCAL_NAMES.jobName(s.name), s.name])),
      maxParallel: options.maxParallelRuns,
      execute: (run) =>
        executeLocalRun(
          {
            workspace: this.paths.root,
            specs: this.specs,
            versions: this.versions,
            objects,
            executor: options.executor,
            jobTimeoutMs: options.jobTimeoutMs ?? DEFAULT_GLUE_TIMEOUT_MINUTES * 60_000,
            emit: (e) => this.emit(e),
            onRunEnd: (runId, failed) => {
              this.runsFinished++;
              if (failed) this.failedRuns.push(runId);
            },
            onPublished: (dataset) => this.models?.published(dataset),
          },
          run,
        ),
      emit: (event) => void this.bus.put(event),
      onError: (err, run) => logger.error("job run crashed", { jobRunId: run.Id, error: errText(err) }),
    });
    this.deps = createHandlerDeps({
      audit: this.audit,
      objects,
      glue: this.glue,
      specs: this.specs,
      jobNames,
      opsBucket: LOCAL_NAMES.opsBucket,
      landingBucket: LOCAL_NAMES.landingBucket,
      limits: { ...LOCAL_LIMITS, ...options.limits },
      log: logger,
    });
    for (const spec of this.specs) {
      this.bus.addRule({
        name: `file-arrival/${spec.name}`,
        pattern: eventPatternFor(spec, LOCAL_NAMES.landingBucket),
        target: async (event) => {
          const result = (await options.handlers.fileArrival(event, this.deps)) as { fileId?: string } | undefined;
          if (result?.fileId) void this.checkFiles([result.fileId]); // SKIPPED or DUPLICATE: final already
        },
      });
    }
    this.bus.addRule({
      name: "job-state",
      pattern: glueJobStatePattern(Object.values(jobNames), LOCAL_NAMES.jobName("")),
      target: async (event) => {
        const result = (await options.handlers.jobState(event, this.deps)) as { outcome?: string; runId?: string } | undefined;
        if (result?.outcome === "FINALIZED" && result.runId) void this.checkRunFiles(result.runId).catch(() => undefined);
      },
    });
    this.models = options.buildModels && new ModelBuilder(options.buildModels, this.audit, (e) => this.emit(e));
    this.tracker = new FileTracker(this.audit, (e, earlier) => {
      this.versions.markSettled(e.versionId);
      if (!earlier) this.emit(e);
    });
    this.watcher = new LandingWatcher({
      root: this.paths.landing,
      settleMs: options.settleMs,
      pollMs: options.pollMs,
      isKnown: (key, sig) => {
        const latest = this.versions.latestOf(key);
        return latest !== undefined && sameSignature(latest.sig, sig);
      },
      onStable: async (file) => this.onStableFile(file),
      onError: (err, key) => this.emit({ type: "notice", level: "warn", message: `${key ?? "landing"}: ${errText(err)} (will retry)` }),
    });
  }

  static async start(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const paths = workspacePaths(options.workspace);
    mkdirSync(paths.landing, { recursive: true });
    mkdirSync(paths.ops, { recursive: true });
    const lock = acquireWorkspaceLock(join(paths.ops, "local.lock"));
    let server: AuditServer | undefined;
    try {
      server = await startAuditServer(paths.auditDb);
      await ensureAuditTable(server.client, LOCAL_NAMES.auditTable);
      let logStream: WriteStream | undefined;
      let logger: Logger = silentLogger;
      if (options.log === undefined || options.log === "file") {
        logStream = createWriteStream(join(paths.ops, "local.log"), { flags: "a" });
        const stream = logStream;
        logger = jsonLogger({ mode: "local" }, "info", (line) => stream.write(`${line}\n`));
      } else if (options.log !== "none") logger = options.log;
      const runtime = new LocalRuntime(options, server, lock, logStream, logger);
      // Each dataset's folder exists from the start, so the first `cp file landing/orders/` works.
      for (const spec of runtime.specs) mkdirSync(join(paths.landing, spec.prefix), { recursive: true });
      runtime.unadvertise = advertiseEndpoint(paths.root, server.endpoint);
      await runtime.recover();
      return runtime;
    } catch (err) {
      await server?.close();
      lock.release();
      throw err;
    }
  }

  /** Picks up where a previous process stopped, then starts watching and the schedules. */
  private async recover(): Promise<void> {
    // First, before a load or build reads a table: the DuckDB publishes a killed process committed
    // are finished, the staging of those it never committed removed (engine/duckdb/publish-journal.ts).
    for (const s of finishPublishes(this.paths.root, this.specs.map((spec) => spec.name))) {
      if (s.outcome === "finished") this.emit({ type: "notice", level: "info", message: `finished the publish of run ${s.runId} (${s.dataset}), which a stop had cut short` });
    }
    // And a rollback a killed `datalake rollback` left part way (its tables; the next CLI load or
    // rollback records it): the owed builds below must not read them half moved.
    finishRollbacks(this.paths.root);
    for (const v of this.versions.all()) if (!this.versions.isSettled(v.versionId)) this.follow(v);
    await this.tracker.check(undefined, true);
    const resumed = this.glue.resumeInterrupted();
    if (resumed > 0) this.emit({ type: "notice", level: "info", message: `resuming ${resumed} run(s) interrupted by a stop` });
    // Builds a stopped process owed after its loads published (engine/duckdb/models-owed.ts).
    for (const dataset of owedModels(this.paths.root).keys()) this.models?.published(dataset);
    for (const v of this.versions.unannounced()) this.announce(v);
    await this.reconcileNow();
    this.watcher.start();
    const every = this.options.reconcileEveryMs ?? 2000;
    this.timers.push(setInterval(() => void this.reconcileNow(), every));
    this.timers.push(setInterval(() => void this.checkFiles(), 3000));
  }

  /** Runs the reconciler once (also what the schedule does); concurrent calls share one pass. */
  reconcileNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.reconciling) {
      this.reconciling = (async () => {
        // Events whose delivery failed are announced again (at-least-once, like a DLQ re-drive),
        // at most every REDRIVE_MS so a handler that keeps failing does not spin.
        for (const v of this.versions.unannounced()) {
          if (!this.undelivered.has(v.versionId) || Date.now() - (this.lastAnnounce.get(v.versionId) ?? 0) > REDRIVE_MS) this.announce(v);
        }
        try {
          const report = (await this.options.handlers.reconcile(this.deps)) as { finalized?: string[]; abandoned?: string[] } | undefined;
          for (const runId of [...(report?.finalized ?? []), ...(report?.abandoned ?? [])]) {
            void this.checkRunFiles(runId).catch(() => undefined);
          }
        } catch (err) {
          this.emit({ type: "notice", level: "warn", message: `reconciler: ${errText(err)}` });
        }
      })().finally(() => (this.reconciling = undefined));
    }
    return this.reconciling;
  }

  /**
   * Waits until landing has no unsettled file, every event is handled, no run is active and every
   * routed file version has a terminal FILE item. Runs the reconciler while waiting, so a lost
   * state-change event or a crashed start does not stall. Throws after `timeoutMs`.
   */
  async settle(timeoutMs = 120_000): Promise<SettleReport> {
    const deadline = Date.now() + timeoutMs;
    let lastReconcile = Date.now();
    let lastSweep = 0;
    for (;;) {
      await this.watcher.scanNow();
      await Promise.all(this.announcing.values());
      // A reconciler pass in flight (the timer's) may have finalized a run's FILE items and not
      // yet its RUN (run-finalize.ts writes them in that order): wait for it, then look. Waiting
      // (rather than counting a pass as activity) cannot starve: the next pass starts on a timer.
      await this.reconciling;
      const quiet =
        this.watcher.unsettled === 0 && this.announcing.size === 0 && !this.bus.busy && this.glue.activeCount === 0 && !this.models?.busy;
      const waitingForEvents = this.versions.unannounced().filter((v) => !this.unrouted.has(v.versionId) && !this.undelivered.has(v.versionId));
      if (quiet && this.blockingOpenFiles().length === 0 && waitingForEvents.length === 0) {
        return this.report();
      }
      if (Date.now() > deadline) {
        const open = this.blockingOpenFiles();
        throw new Error(`local mode did not settle within ${timeoutMs} ms (open files: ${open.length} ${open.slice(0, 5).map((f) => f.key).join(", ")})`);
      }
      if (quiet && this.blockingOpenFiles().length > 0 && Date.now() - lastSweep > 1000) {
        lastSweep = Date.now();
        await this.checkFiles();
        continue;
      }
      if (quiet && Date.now() - lastReconcile > 1000) {
        lastReconcile = Date.now();
        await this.reconcileNow();
      }
      await sleep(100);
    }
  }

  report(): SettleReport {
    const outcomes = this.tracker.outcomes().filter((o) => !o.earlier);
    const count = (status: string) => outcomes.filter((o) => o.item.status === status).length;
    return {
      files: outcomes.length,
      succeeded: count("SUCCEEDED"),
      quarantined: count("QUARANTINED"),
      failed: count("FAILED"),
      skipped: count("SKIPPED"),
      open: this.blockingOpenFiles().length,
      undelivered: [...this.undelivered].map((id) => this.versions.get(id)?.key ?? id),
      runs: this.runsFinished,
      failedRuns: [...this.failedRuns],
      unrouted: [...this.unrouted].map((id) => this.versions.get(id)?.key ?? id),
      modelRuns: this.models?.report().runs ?? 0,
      failedModels: this.models?.report().failed ?? [],
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.watcher.stop();
    await Promise.allSettled(this.announcing.values());
    await this.glue.stop();
    await this.models?.idle();
    await this.bus.idle();
    await this.reconciling;
    await Promise.allSettled(this.trackerPasses);
    this.unadvertise();
    this.auditDb.destroy();
    await this.server.close();
    await new Promise<void>((resolve) => (this.logStream ? this.logStream.end(resolve) : resolve()));
    this.lock.release();
  }

  private emit(e: ProgressEvent): void {
    this.options.progress?.(e);
  }

  /** Open files settle() waits for: not those whose event could not be delivered. */
  private blockingOpenFiles() {
    return this.tracker.openFiles().filter((f) => !this.undelivered.has(f.versionId));
  }

  /** Checks the given files (default: all open ones) for a terminal FILE item. */
  private checkFiles(fileIds?: readonly string[]): Promise<void> {
    if (this.stopped || this.tracker.openCount === 0) return Promise.resolve();
    const pass = this.tracker
      .check(fileIds)
      .catch((err) => this.emit({ type: "notice", level: "warn", message: `audit read: ${errText(err)}` }));
    this.trackerPasses.add(pass);
    return pass.finally(() => this.trackerPasses.delete(pass));
  }

  /** After a run was finalized: check the files its manifest lists. */
  private async checkRunFiles(runId: string): Promise<void> {
    const run = await this.audit.getRun(runId);
    if (!run?.manifestUri) return this.checkFiles();
    const manifest = await this.objects.getJson<Manifest>(LOCAL_NAMES.opsBucket, this.objects.keyOfUri(run.manifestUri));
    await this.checkFiles(manifest?.files.map((f) => f.fileId));
  }

  private async onStableFile(file: StableFile): Promise<void> {
    const version = this.versions.ingest(file.key, file.path, file.sig, new Date());
    if (!version) return; // changed while copying: the next scan sees it again
    this.follow(version);
    this.announce(version);
  }

  private follow(v: VersionRecord): void {
    const spec = routeObjectKey(this.specs, v.key);
    if (!spec) return;
    const fileId = fileIdOf(LOCAL_NAMES.landingBucket, v.key, v.versionId, v.etag, v.sequencer);
    this.tracker.follow({ fileId, dataset: spec.name, key: v.key, versionId: v.versionId });
  }

  /** Sends a version's "Object Created" event; it counts as announced once a target handled it. */
  private announce(v: VersionRecord): void {
    if (this.announcing.has(v.versionId) || this.versions.isAnnounced(v.versionId)) return;
    const event = objectCreatedEvent({
      bucket: LOCAL_NAMES.landingBucket,
      key: v.key,
      size: v.size,
      etag: v.etag,
      versionId: v.versionId,
      sequencer: v.sequencer,
      time: new Date(v.createdAt),
    });
    const done = (async () => {
      if (this.bus.matching(event).length === 0) {
        // No rule matches (no dataset owns the prefix): on AWS the event goes nowhere either.
        this.unrouted.add(v.versionId);
        this.versions.markAnnounced(v.versionId);
        this.emit({ type: "notice", level: "warn", message: `landing/${v.key}: no dataset has this prefix; ignored` });
        return;
      }
      this.lastAnnounce.set(v.versionId, Date.now());
      if (await this.bus.put(event)) {
        this.versions.markAnnounced(v.versionId);
        this.undelivered.delete(v.versionId);
      } else this.undelivered.add(v.versionId);
    })()
      .catch((err) => this.emit({ type: "notice", level: "warn", message: `${v.key}: ${errText(err)}` }))
      .finally(() => this.announcing.delete(v.versionId));
    this.announcing.set(v.versionId, done);
  }
}

export interface SettleReport {
  /** File versions followed to a terminal status (this workspace, this process). */
  files: number;
  succeeded: number;
  quarantined: number;
  failed: number;
  skipped: number;
  open: number;
  /** Keys whose "Object Created" event exhausted its retries (dead-lettered; re-driven later). */
  undelivered: string[];
  /** Runs that ended during this process. */
  runs: number;
  /** Run ids whose run ended FAILED during this process. */
  failedRuns: string[];
  /** Keys under no dataset prefix (ignored, as EventBridge would). */
  unrouted: string[];
  /** Model builds that ran after loads published (built or failed), and the failed ones as `model:runId`. */
  modelRuns: number;
  failedModels: string[];
}

function errText(err: unknown): string {
  return err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
