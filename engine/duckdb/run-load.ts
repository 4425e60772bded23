// runLoad: one load of one dataset against a local workspace, executing the duckdb plan step by
// step (the same steps the Glue runner executes with the spark plan). Bad data never throws: it
// ends up in rejects / quarantine / a QUARANTINED file, and a failed audit returns a FAILED
// summary with nothing published. Only programmer or environment errors throw.
import * as fs from "node:fs";
import * as path from "node:path";
import type { DatasetSpec } from "../../datasets/define";
import { compilePlan } from "../compile";
import { conservationAudit } from "../conservation";
import { CONTRACT_VERSION, type AuditResult, type FileResult, type Manifest, type RunSummary } from "../contracts";
import { hmacPads, keyedFingerprint, workspacePiiKey } from "../pii-key";
import { stepsAfterSwitch, stepsFor, type AuditQuery, type LoadPlan, type RunMode } from "../plan";
import { dropsAfterLastRead } from "./last-reads";
import { oweModels } from "./models-owed";
import { ledgerKey, objectVersion, readFiles, type ReadResult } from "./read-files";
import { fsyncTree } from "./durable";
import { applyJournal, finishPublishes, PublishCutShort, writeJournal } from "./publish-journal";
import { finishRollbacks } from "./stopped-rollbacks";
import { openSession, type Session } from "./session";
import { TableStore } from "./tables";
import { duckdbTempDir, keepVersions, loadSpillDir, nextVersion, publishRecordPath, summaryPath, writeJsonAtomic } from "./workspace";

/** Rows a thread buffers for a partitioned write before flushing (DuckDB default: 524288). */
const PARTITION_FLUSH_ROWS = 50_000;

export interface ProgressEvent {
  dataset: string;
  runId: string;
  /**
   * Step kind or phase: read_files, sql, stage, audit, journal, commit (the publish record is
   * written), moved (one per table moved into place), publish (all moved), done; recover (a
   * killed run's publish finished, or its staging removed, before this run read anything).
   */
  stage: string;
  message: string;
  elapsedMs: number;
}

export interface RunLoadOptions {
  workspace: string;
  spec: DatasetSpec;
  manifest: Manifest;
  /** @default manifest.fullRefresh ?? false */
  fullRefresh?: boolean;
  onProgress?: (event: ProgressEvent) => void;
  /** Extra write-audit-publish checks (tests use a failing one to prove nothing is published). */
  extraAudits?: AuditQuery[];
  /** Changes the compiled plan (tests craft a bad write with it, to prove an audit catches it). */
  editPlan?: (plan: LoadPlan) => LoadPlan;
  /** DuckDB memory_limit. @default defaultMemoryLimit() */
  memoryLimit?: string;
  threads?: number;
  /**
   * Write the summary to <ws>/ops/summaries/<dataset>/<runId>.json. @default true (the publish
   * record beside it is written either way: it is the publish's commit point)
   */
  writeSummary?: boolean;
  /**
   * Stops the load (a job timeout): the running query is interrupted and runLoad rejects with
   * the signal's reason. Checked up to the publish, never during it: an aborted load publishes
   * nothing, a load that started publishing finishes.
   */
  signal?: AbortSignal;
  /**
   * fileIds of versions an earlier run settled without appending them to bronze (quarantined
   * whole), which the files ledger therefore does not list: reported ALREADY_LOADED, not read
   * again. `datalake load` looks them up in its audit store while the engine opens; on AWS the
   * FILE item's conditional put keeps such a version out of every later manifest.
   */
  settled?: Promise<ReadonlySet<string>>;
  /**
   * The last word before the publish, once the audits passed: throwing stops the run and nothing
   * is published (`datalake load`: a named file changed after its bytes were hashed into its
   * version id, so what was read is not the version it would be recorded as).
   */
  beforePublish?: () => void;
}

/**
 * The load plan a run of `spec` executes in `workspace`: its fingerprint names the workspace's PII
 * key too, when the plan hashes (the published tables record it: a rollback compares it).
 */
export function workspaceLoadPlan(workspace: string, spec: DatasetSpec, edit: (plan: LoadPlan) => LoadPlan = (p) => p): LoadPlan {
  const compiled = edit(compilePlan(spec, { dialect: "duckdb" }));
  // Read before the run: a plan that hashes PII needs the workspace's key (created once).
  const piiKey = compiled.steps.some((s) => s.kind === "pii_key") ? workspacePiiKey(workspace) : null;
  return piiKey ? { ...compiled, fingerprint: keyedFingerprint(compiled.fingerprint, piiKey) } : compiled;
}

export async function runLoad(opts: RunLoadOptions): Promise<RunSummary> {
  const { workspace, spec, manifest } = opts;
  if (manifest.dataset !== spec.name) {
    throw new Error(`manifest is for dataset ${manifest.dataset}, spec is ${spec.name}`);
  }
  // Checked now, not when the publish prunes old versions: a bad value then failed a run whose
  // silver was already published, with state, bronze and its audit record missing.
  keepVersions();
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const plan = workspaceLoadPlan(workspace, spec, opts.editPlan);
  let mode: RunMode = (opts.fullRefresh ?? manifest.fullRefresh ?? false) ? "full_refresh" : "incremental";
  const progress = (stage: string, message: string) =>
    opts.onProgress?.({ dataset: spec.name, runId: manifest.runId, stage, message, elapsedMs: Date.now() - t0 });

  // One spill directory per run: loads of different datasets may run side by side.
  const spill = loadSpillDir(workspace, spec.name, manifest.runId);
  const engine = await openSession({ memoryLimit: opts.memoryLimit, threads: opts.threads, tempDirectory: spill });
  const { signal } = opts;
  // DuckDB clears a pending interrupt when a query starts, and queries start on a worker thread:
  // an interrupt sent just before that start would be lost. So keep interrupting until the
  // load settles.
  let interrupting: NodeJS.Timeout | undefined;
  const interrupt = () => {
    engine.interrupt();
    interrupting = setInterval(() => engine.interrupt(), 50);
  };
  signal?.addEventListener("abort", interrupt, { once: true });
  const checkAborted = () => {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(`load stopped: ${String(signal.reason)}`);
  };
  // Every statement checks first: interrupt() only stops a query already running, and an abort
  // may land between two statements (e.g. while read_files checks a file's bytes in Node).
  const session: Session = {
    ...engine,
    run: (sql) => (checkAborted(), engine.run(sql)),
    rows: (sql) => (checkAborted(), engine.rows(sql)),
    runSideBySide: (sqls) => (checkAborted(), engine.runSideBySide(sqls)),
  };
  let store: TableStore | undefined;
  // From the publish record until every move is made: meanwhile the staging holds the rest of a
  // committed publish, which the next load finishes (publish-journal.ts), so it is kept.
  let publishing = false;
  try {
    checkAborted();
    // Before anything is read or versioned: a publish a killed run of this dataset committed and
    // did not finish is finished (its files are then in the ledger), one it never committed goes.
    for (const s of finishPublishes(workspace, [spec.name], (runId, role) => progress("moved", `${role} (run ${runId})`))) {
      progress("recover", s.outcome === "finished" ? `finished the publish of run ${s.runId}, cut short` : `removed the staging of run ${s.runId}, which never committed`);
    }
    // Then a rollback of the dataset stopped part way (some bronze set aside, some pointers
    // moved): this run reads the state, the ledger and bronze it leaves (rollback.ts). After the
    // publishes, as they happened: a rollback takes the workspace lock, which finishes them first.
    finishRollbacks(workspace, spec.name);
    // A run publishes once. Resumed after a stop past its commit point (`local` restarted), it is
    // done: its publish record is what it did. Running it again found its files in the ledger,
    // and when the plan had changed in between (a spec edited, an upgrade) that re-run was a full
    // refresh that published again and overwrote the record with 0 rows read: the audit trail
    // then showed the run's files SKIPPED already_loaded, and `audit --verify` failed for good.
    const committed = readCommittedRecord(workspace, spec.name, manifest.runId);
    if (committed) {
      progress("recover", `run ${manifest.runId} published before it was stopped: its publish record stands`);
      return committed;
    }
    store = new TableStore(session, workspace, plan, manifest.runId, "");
    const version = nextVersion([store.tableDir("silver"), store.tableDir("quarantine"), store.tableDir("state")]);
    store = new TableStore(session, workspace, plan, manifest.runId, version);
    store.discard(); // leftovers of an interrupted attempt of the same run
    const rebuild = mode === "incremental" ? store.rebuildReason() : null;
    if (rebuild) {
      mode = "full_refresh";
      progress("mode", `full refresh: ${rebuild}`);
    }

    // No step relies on row order, and keeping it costs the CSV -> bronze COPY ~2x the memory
    // (1M orders: ~650 -> ~250 MB). `_row_number` stays the line order: a CSV's is
    // row_number() OVER (), a streaming window, which DuckDB runs in a sequential pipeline
    // (PhysicalStreamingWindow is not a parallel operator) whatever this setting; Parquet and
    // JSON lines number rows explicitly (read-parquet.ts, read-jsonl.ts).
    await session.run("SET preserve_insertion_order = false");
    // A partitioned write (silver) buffers rows per thread and partition until this many, then
    // hands them to the partitions' writers; at DuckDB's default (524288) a 1M-row load buffers
    // all of silver a second time. Same files, ~100 MB less at the run's peak (issue 15).
    await session.run(`SET partitioned_write_flush_threshold = ${PARTITION_FLUSH_ROWS}`);
    let read: ReadResult | undefined;
    let steps = stepsFor(plan, mode);
    const audited = [...plan.audits, ...(opts.extraAudits ?? [])];
    const finalReads = [...audited.map((a) => a.sql), plan.summary.counts, plan.summary.files];
    // A refresh_check may switch the run to the full refresh's steps: nothing it ran before may
    // have been dropped, for those may read it (dropsFrom keeps only later drops).
    const check = steps.findIndex((s) => s.kind === "refresh_check");
    const dropsFrom = (after: number) => new Map([...dropsAfterLastRead(steps, finalReads)].filter(([at]) => at > after));
    let drops = dropsFrom(check);
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i];
      checkAborted();
      switch (step.kind) {
        case "refresh_check":
          if ((await session.rows(step.sql)).length > 0) {
            mode = "full_refresh";
            steps = stepsAfterSwitch(plan, steps, step);
            drops = dropsFrom(i);
            progress("mode", `full refresh: ${step.reason}`);
          }
          break;
        case "read_files":
          read = await readFiles(session, plan, step, manifest, await loadedOrSettled(store, manifest, opts.settled), store.bronzeTarget());
          store.adopt("bronze", step.output, read.bronzeFiles, read.bronzeRows);
          progress("read_files", `${read.accepted.size} file(s) accepted, ${read.skipped.length} skipped`);
          break;
        case "read_table":
          await store.readTable(step);
          break;
        case "pii_key": {
          // Bound as parameters on the raw connection: the pads never appear in a traced statement.
          const { ipad, opad } = hmacPads(workspacePiiKey(workspace));
          await engine.conn.run(`CREATE OR REPLACE TEMP TABLE ${step.output} AS SELECT unhex($1) AS ipad, unhex($2) AS opad`, [ipad.toString("hex"), opad.toString("hex")]);
          break;
        }
        case "sql":
          await session.run(`CREATE OR REPLACE TEMP ${step.materialize === "table" ? "TABLE" : "VIEW"} ${step.name} AS ${step.sql}`);
          if (step.materialize === "table") progress("sql", step.name);
          break;
        case "stage": {
          const rows = await store.stage(step);
          progress("stage", `${step.table}: ${rows} row(s)`);
          break;
        }
        case "merge": {
          const rows = await store.merge(step);
          progress("merge", `${step.table}: ${rows} row(s)`);
          break;
        }
      }
      for (const table of drops.get(i) ?? []) await session.run(`DROP TABLE ${table}`);
    }
    if (!read) throw new Error("plan has no read_files step");

    // The plan's audits, then each merge step's check of the rows it layered (plan.ts, step 2).
    const audits = [...(await runAudits(session, audited)), ...(await runAudits(session, store.mergeChecks))];
    progress("audit", audits.map((a) => `${a.name}=${a.passed ? "ok" : a.violations}`).join(" "));
    const summary = await summarize(session, plan, manifest, read, audits, startedAt);
    // The file-level conservation rule is checked on the summary itself, as the Glue runner does.
    audits.push(conservationAudit(summary.files, summary.counts));

    checkAborted(); // an interrupted audit query counts as failed: report the stop instead
    if (audits.every((a) => a.passed)) opts.beforePublish?.();
    // An incremental run that read no file (each one loaded before, or quarantined whole) changes
    // no published table: publishing it made a version identical to the last, which pushed real
    // versions out of the rollback window and rebuilt the models for nothing. (The first run
    // publishes even so: its empty tables are what queries then read.)
    const unchanged = mode === "incremental" && read.accepted.size === 0 && store.hasPublished();
    if (unchanged && audits.every((a) => a.passed)) {
      progress("publish", "nothing to publish: no file was read");
    } else if (audits.every((a) => a.passed)) {
      // The models are owed a build first: one too many if the run never commits, never one too few.
      oweModels(workspace, spec.name, manifest.runId);
      const { stateKeys: state, silverRows: silver, quarantineRows: quarantine } = summary.counts;
      const journal = store.journal(new Date().toISOString(), { state, silver, quarantine });
      // On disk before the journal and the record that commit them (durable.ts).
      fsyncTree(store.staging);
      writeJournal(store.staging, journal);
      progress("journal", `${journal.moves.length} table(s) to move`);
      // The publish record (engine/contracts.ts publishRecordKey) is the commit point, as the Glue
      // runner writes it (publish-journal.ts): once it exists the publish is finished, by this
      // run or by whoever next takes the workspace. It is also what records the run SUCCEEDED if
      // the summary is lost (job-state; `datalake load` once the files ledger is in place).
      writeJsonAtomic(publishRecordPath(workspace, spec.name, manifest.runId), { ...summary, published: { silverVersion: "", quarantineVersion: "" } });
      publishing = true;
      try {
        progress("commit", `publish record written: version ${version}`);
        applyJournal(workspace, journal, (role) => progress("moved", role));
      } catch (e) {
        throw new PublishCutShort(manifest.runId, e as Error);
      }
      publishing = false;
      summary.published = { silverVersion: version, quarantineVersion: version };
      progress("publish", `version ${version}`);
    } else {
      summary.status = "FAILED";
      summary.error = `audit failed, nothing published: ${audits
        .filter((a) => !a.passed)
        .map((a) => `${a.name} (${a.detail ?? `${a.violations} violation(s)`})`)
        .join("; ")}`;
    }
    summary.finishedAt = new Date().toISOString();
    summary.freshness.dataAgeHours = sequenceIsTime(plan)
      ? dataAge(summary.freshness.latestSequence, summary.finishedAt)
      : arrivalAge(manifest, summary.files, summary.finishedAt);
    if (opts.writeSummary ?? true) writeJsonAtomic(summaryPath(workspace, spec.name, manifest.runId), summary);
    progress("done", summary.status);
    return summary;
  } catch (e) {
    // "INTERRUPT Error" from DuckDB: the caller wants the reason it gave (a publish is never interrupted).
    if (!(e instanceof PublishCutShort)) checkAborted();
    throw e;
  } finally {
    signal?.removeEventListener("abort", interrupt);
    clearInterval(interrupting);
    if (!publishing) store?.discard();
    session.close();
    fs.rmSync(spill, { recursive: true, force: true });
  }
}

async function runAudits(session: Session, audits: AuditQuery[]): Promise<AuditResult[]> {
  const results: AuditResult[] = [];
  for (const audit of audits) {
    try {
      const [row] = await session.rows(audit.sql);
      const violations = Number(row?.violations ?? NaN);
      if (!Number.isFinite(violations)) {
        results.push({ name: audit.name, passed: false, violations: 0, detail: "audit returned no violations count" });
      } else {
        // A failed audit says what it checks (as the Glue runner's do): its name alone left the
        // person reading the run's error to find the audit in the code.
        results.push({ name: audit.name, passed: violations === 0, violations, ...(violations > 0 ? { detail: `${violations} violation(s): ${audit.description}` } : {}) });
      }
    } catch (e) {
      // A broken audit must block the publish, not crash it silently.
      results.push({ name: audit.name, passed: false, violations: 0, detail: `audit error: ${(e as Error).message.split("\n")[0]}` });
    }
  }
  return results;
}

async function summarize(
  session: Session,
  plan: LoadPlan,
  manifest: Manifest,
  read: ReadResult,
  audits: AuditResult[],
  startedAt: string,
): Promise<RunSummary> {
  const [c] = await session.rows(plan.summary.counts);
  const n = (k: string) => Number(c[k] ?? 0);
  const perFile = new Map((await session.rows(plan.summary.files)).map((r) => [String(r._file_id), r]));
  const accepted = new Map<string, FileResult>();
  for (const [fileId, acc] of read.accepted) {
    const r = perFile.get(fileId);
    const rowsRead = acc.rowsRead;
    const rowsRejected = Number(r?.rows_rejected ?? 0);
    const rowsQuarantined = Number(r?.rows_quarantined ?? 0);
    const result: FileResult = {
      fileId,
      key: acc.file.key,
      versionId: acc.file.versionId,
      outcome: "LOADED",
      rowsRead,
      rowsLoaded: rowsRead - rowsRejected - rowsQuarantined,
      rowsQuarantined,
      rowsRejected,
    };
    if (acc.extraColumns.length > 0) result.extraColumns = acc.extraColumns;
    accepted.set(fileId, result);
  }
  // One result per manifest listing, in manifest order (a repeated listing is ALREADY_LOADED).
  const files = read.order.map((o) => o.skipped ?? accepted.get(o.fileId)!);
  const quarantinedFileRows = read.skipped.reduce((sum, f) => sum + f.rowsQuarantined, 0);
  const latest = c.latest_sequence == null ? null : String(c.latest_sequence);
  return {
    version: CONTRACT_VERSION,
    dataset: manifest.dataset,
    runId: manifest.runId,
    status: "SUCCEEDED",
    startedAt,
    finishedAt: startedAt,
    counts: {
      rowsRead: n("rows_read") + read.skipped.reduce((sum, f) => sum + f.rowsRead, 0),
      bronzeRows: n("bronze_rows"),
      rejectedRows: n("rejected_rows"),
      quarantinedFileRows,
      changesApplied: n("changes_applied"),
      stateKeys: n("state_keys"),
      currentRows: n("current_rows"),
      silverRows: n("silver_rows"),
      quarantineRows: n("quarantine_rows"),
    },
    files,
    audits,
    driftWarnings: read.driftWarnings,
    published: null,
    freshness: { rowCount: n("silver_rows"), latestSequence: latest, dataAgeHours: null },
  };
}

/**
 * Whether the latest sequence is a point in time, so the data has an age. Only a date or a
 * timestamp is: Date.parse read an int or double sequence's text as a year or a day (42 as 2042,
 * 2.5 as 2001-02-05), and the Glue runner's parser reads other texts (20240102 as a date).
 */
function sequenceIsTime(plan: LoadPlan): boolean {
  const first = plan.source.sequenceColumns[0];
  const type = plan.source.columns.find((c) => c.name === first)?.type;
  return type === "timestamp" || type === "date";
}

function dataAge(latest: string | null, now: string): number | null {
  if (!latest) return null;
  return hoursBetween(Date.parse(`${latest.replace(" ", "T")}Z`), now);
}

/**
 * Without a time sequence the data's age is that of the newest file this run LOADED (its arrival):
 * a dataset keyed by a counter (DMS without a timestamp column) still tells the stale-data alarm
 * that it is fed. Files quarantined whole or settled earlier do not make silver fresher.
 */
function arrivalAge(manifest: Manifest, files: FileResult[], now: string): number | null {
  const loaded = new Set(files.filter((f) => f.outcome === "LOADED").map((f) => f.fileId));
  const arrivals = manifest.files.filter((f) => loaded.has(f.fileId)).map((f) => Date.parse(f.receivedAt));
  return arrivals.length === 0 ? null : hoursBetween(Math.max(...arrivals), now);
}

function hoursBetween(then: number, now: string): number | null {
  if (Number.isNaN(then)) return null;
  return Math.round(((Date.parse(now) - then) / 3_600_000) * 100) / 100;
}

/** Remove a workspace's DuckDB spill files (they are only useful during a run). */
export function cleanTemp(workspace: string): void {
  fs.rmSync(duckdbTempDir(workspace), { recursive: true, force: true });
}

/** The files ledger's versions, and those of the manifest's files another run settled (RunLoadOptions.settled). */
async function loadedOrSettled(store: TableStore, manifest: Manifest, settled?: Promise<ReadonlySet<string>>): Promise<Set<string>> {
  const loaded = await store.loadLedger();
  const others = settled ? await settled : new Set<string>();
  for (const file of manifest.files) if (others.has(file.fileId)) loaded.add(ledgerKey(file.key, objectVersion(file)));
  return loaded;
}

/** The publish record of a run that committed (engine/contracts.ts publishRecordKey), if any. */
function readCommittedRecord(workspace: string, dataset: string, runId: string): RunSummary | undefined {
  const file = publishRecordPath(workspace, dataset, runId);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as RunSummary) : undefined;
}
