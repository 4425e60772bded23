// The verbs that change a workspace's tables without events (`load`, `rollback`) in its audit
// trail, like a run the event path starts: they hold the workspace lock while they work (a
// `datalake local` beside them would publish into the same tables), then record what they did:
// a load a FILE item per file and a RUN item (so `datalake audit` counts every row it read), a
// rollback a RUN item naming the runs it undid.
import { mkdirSync } from "fs";
import { join } from "path";
import type { FileItem, RunItem } from "../handlers/audit/items";
import type { AuditStore } from "../handlers/audit/store";
import { systemClock } from "../handlers/ports";
import { fileFinal, recordLoadedContent } from "../handlers/core/run-finalize";
import { boundedAudits, boundedWarnings, clipText } from "../handlers/core/run-fields";
import type { Manifest, RunSummary } from "../engine/contracts";
import type { RollbackResult } from "../engine/duckdb/rollback";
import { closeRollback, finishRollbacks, type UnrecordedRollback } from "../engine/duckdb/stopped-rollbacks";
import type { ModelSummary } from "../engine/duckdb/build-models";
import { DATASETS } from "../datasets";
import { finishPublishes } from "../engine/duckdb/publish-journal";
import { openLoads, type EngineReport } from "./cli-open-loads";
import { CliError } from "./cli-verb";
import { startWorkspaceAudit } from "./runtime/audit-access";
import { acquireWorkspaceLock, type WorkspaceLock } from "./runtime/workspace-lock";
import { modelRunItem } from "./runtime/model-builder";
import { VersionStore } from "./runtime/version-store";
import { LOCAL_NAMES, workspacePaths } from "./runtime/workspace";

/** Job names of the RUN items these verbs write (the event path's carry the Glue job's). */
export const CLI_LOAD_JOB = "datalake load";
export const CLI_ROLLBACK_JOB = "datalake rollback";

/**
 * Takes the workspace lock, then finishes the DuckDB publishes a killed process committed and did
 * not finish, and removes the staging of those it never committed (engine/duckdb/publish-journal.ts),
 * before the verb reads or changes a table. `say` hears one line per run settled so.
 */
export function lockWorkspace(workspace: string, say: (line: string) => void = () => undefined): WorkspaceLock {
  const paths = workspacePaths(workspace);
  mkdirSync(paths.ops, { recursive: true });
  let lock: WorkspaceLock;
  try {
    lock = acquireWorkspaceLock(join(paths.ops, "local.lock"));
  } catch (err) {
    throw new CliError(`${(err as Error).message} (while \`datalake local\` runs, it loads what lands in landing/ and builds the models itself)`);
  }
  try {
    for (const s of finishPublishes(workspace, DATASETS.map((d) => d.name))) {
      if (s.outcome === "finished") say(`finished the publish of run ${s.runId} (${s.dataset}), which a stopped load had cut short`);
    }
    // Then the tables of a rollback a killed `datalake rollback` left part way, so that a build
    // (which settles the models the rollback owed) never reads them half moved. Its RUN item is
    // written by the next load or rollback (recordStoppedRollbacks), which needs the audit store.
    finishRollbacks(workspace);
  } catch (err) {
    lock.release();
    throw err;
  }
  return lock;
}

type OpeningAudit = ReturnType<typeof startWorkspaceAudit>;

/**
 * The audit store opened ahead of the work that records into it: its dynalite child process takes
 * a few hundred ms to start, which a load spends running the engine instead of waiting after it.
 * Give the result to recordLoadRun, or to closeAudit when the work fails first. Call holding the lock.
 */
export function openAudit(workspace: string): OpeningAudit {
  const opening = startWorkspaceAudit(workspace);
  opening.catch(() => undefined); // awaited (and its error reported) by whoever uses it
  return opening;
}

/** Closes an audit store openAudit started, once it has opened (nothing to do if it failed). */
export async function closeAudit(opening: OpeningAudit): Promise<void> {
  await opening.then((a) => a.close(), () => undefined);
}

/** The workspace's audit store for one piece of work. Call holding the lock. */
async function withAudit(workspace: string, work: (audit: AuditStore) => Promise<void>, opening = openAudit(workspace)): Promise<void> {
  const { audit, close } = await opening;
  try {
    await work(audit);
  } finally {
    await close();
  }
}

/**
 * Writes the run's FILE items (final, from the summary) and its RUN item, in the store `opening`
 * (openAudit), by default opened now; first those of earlier loads killed before they were
 * recorded (cli-open-loads.ts), which it returns with what it could not read. Call holding the lock.
 */
export async function recordLoadRun(
  workspace: string,
  manifest: Manifest,
  manifestPath: string,
  summary: RunSummary,
  startedAt: Date,
  opening?: OpeningAudit,
  settled: ReadonlyMap<string, SettledFile> = new Map(),
): Promise<{ recovered: EngineReport[]; warnings: string[] }> {
  const recovered: EngineReport[] = [];
  const warnings: string[] = [];
  await withAudit(workspace, async (audit) => {
    // First the rollbacks a stopped `datalake rollback` left unrecorded: this run's FILE items
    // look up the runs they undid.
    for (const stopped of await recordStoppedRollbacks(workspace, "datalake load", audit)) warnings.push(stoppedRollbackLine(stopped));
    // Before this run's items: a file of such a run that this run found ALREADY_LOADED keeps
    // the item of the run that loaded it.
    for (const open of openLoads(workspace, manifest.runId, (w) => warnings.push(w))) {
      // A load killed after it recorded its run and before it removed its mark was recorded
      // already: its mark goes, and nothing claims it had been left out.
      const recorded = open.report ? await audit.getRun(open.report.summary.runId) : undefined;
      if (open.report && !recorded) {
        await writeLoadRun(audit, open.manifest, open.manifestPath, open.report.summary, open.startedAt);
        recovered.push(open.report);
      }
      open.close();
    }
    await writeLoadRun(audit, manifest, manifestPath, summary, startedAt, settled);
  }, opening);
  return { recovered, warnings };
}

async function writeLoadRun(
  audit: AuditStore,
  manifest: Manifest,
  manifestPath: string,
  summary: RunSummary,
  startedAt: Date,
  settled: ReadonlyMap<string, SettledFile> = new Map(),
): Promise<void> {
  const finishedAt = new Date().toISOString();
  const results = new Map(summary.files.map((f) => [f.fileId, f]));
  // Listed once, and only when a file already has an item (a reload): a plain load skips it.
  let undone: Promise<Set<string>> | undefined;
  const succeeded: Manifest["files"] = [];
  for (const file of manifest.files) {
    const fresh = summary.status === "SUCCEEDED" ? settled.get(file.fileId)?.fresh : undefined;
    const final = fresh ? { status: "SKIPPED" as const, reason: fresh.reason, note: fresh.note, counts: undefined } : fileFinal(summary.status, results.get(file.fileId), summary.error);
    const item: FileItem = {
      kind: "FILE",
      fileId: file.fileId,
      dataset: manifest.dataset,
      bucket: file.bucket,
      key: file.key,
      versionId: file.versionId,
      etag: file.etag,
      sequencer: file.sequencer,
      size: file.size,
      status: final.status,
      reason: final.reason,
      note: final.note,
      runId: manifest.runId,
      receivedAt: file.receivedAt,
      recordedAt: startedAt.toISOString(),
      finishedAt,
      ...final.counts,
    };
    // A file loaded by an earlier `load` keeps its first item (the engine reported it
    // ALREADY_LOADED this time, and the RUN below says so); one whose earlier load FAILED
    // takes this retry's outcome, and so does one whose loading run a rollback undid (the
    // engine loaded it again: its rows are this run's).
    const { created, item: earlier } = await audit.createFile(item);
    if (item.status === "SUCCEEDED" && file.bucket === LOCAL_NAMES.landingBucket) succeeded.push(file);
    if (created || item.status === "FAILED") continue;
    if (earlier.status === "FAILED") await audit.replaceFailedFile(item);
    else if (earlier.runId && item.status !== "SKIPPED" && (await (undone ??= undoneRuns(audit, manifest.dataset))).has(earlier.runId)) {
      await audit.replaceUndoneFile(item, earlier.runId);
    }
  }
  // As the event path records them: `datalake local` then skips a landing file written again
  // with the bytes a load read (duplicate_content) instead of loading its rows a second time.
  // Files from outside landing are no object versions: nothing compares them.
  await recordLoadedContent({ audit, clock: systemClock }, succeeded);
  const run: RunItem = {
    kind: "RUN",
    runId: manifest.runId,
    dataset: manifest.dataset,
    jobName: CLI_LOAD_JOB,
    status: summary.status === "SUCCEEDED" ? "SUCCEEDED" : "FAILED",
    manifestUri: manifestPath,
    fileCount: manifest.files.length,
    createdAt: startedAt.toISOString(),
    startedAt: startedAt.toISOString(),
    finishedAt,
    executionSeconds: engineSeconds(summary),
    counts: summary.counts,
    audits: boundedAudits(summary.audits),
    ...boundedWarnings(summary.driftWarnings),
    error: clipText(summary.error),
  };
  await audit.putRun(run);
}

/** The engine run's own time, what Glue reports as ExecutionTime on AWS (0.1 s steps), when its summary has it. */
function engineSeconds(summary: RunSummary): number | undefined {
  const ms = Date.parse(summary.finishedAt) - Date.parse(summary.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms / 100) / 10 : undefined;
}

/** A file of a `load` the engine is to skip, as file-arrival would have gated it on AWS. */
export interface SettledFile {
  /** QUARANTINED: an earlier run quarantined it whole; SKIPPED: it was, or is now, skipped. */
  status: "QUARANTINED" | "SKIPPED";
  /** The run that quarantined it, for QUARANTINED. */
  runId?: string;
  /** Why it was skipped (duplicate_content, empty_object...), for SKIPPED. */
  reason?: string;
  /** This load decides it (no FILE item yet): it writes the SKIPPED item. */
  fresh?: { reason: "duplicate_content"; note: string };
}

/**
 * Of a manifest's files, those the engine must skip (fileId -> why), the gate file-arrival is on
 * AWS (its conditional put): the engines' own gate, the files ledger, lists only versions that
 * reached bronze.
 *  - A version an earlier run quarantined whole, unless a rollback undid the run: such a file was
 *    read again by every `load` naming it, and that run counted rows its FILE item (still the
 *    first run's) did not: `audit --verify` failed run_counts.
 *  - A version recorded SKIPPED (`datalake local` skipped it: duplicate_content, empty_object...).
 *  - A new landing version holding the bytes of its key's last successfully loaded version, with
 *    no other content put in between: SKIPPED duplicate_content, as file-arrival records it. A
 *    `load` read it as new, and a re-copied DMS full-load file (LOAD*.csv) then counted as a
 *    reload, which outranks every later change: silver went back to the full load's values.
 */
export async function settledBefore(opening: OpeningAudit, manifest: Manifest, workspace: string): Promise<Map<string, SettledFile>> {
  const { audit } = await opening;
  const items = new Map((await audit.getFilesConsistent([...new Set(manifest.files.map((f) => f.fileId))])).map((i) => [i.fileId, i]));
  const settled = new Map<string, SettledFile>();
  const quarantined = [...items.values()].filter((i) => i.status === "QUARANTINED" && i.runId !== undefined);
  const undone = quarantined.length > 0 ? await undoneRuns(audit, manifest.dataset) : new Set<string>();
  for (const i of quarantined) if (!undone.has(i.runId!)) settled.set(i.fileId, { status: "QUARANTINED", runId: i.runId });
  for (const i of items.values()) if (i.status === "SKIPPED") settled.set(i.fileId, { status: "SKIPPED", reason: i.reason ?? "skipped" });
  let versions: VersionStore | undefined;
  for (const file of manifest.files) {
    if (items.has(file.fileId) || file.bucket !== LOCAL_NAMES.landingBucket) continue;
    const loaded = await audit.getLoadedContent(file.bucket, file.key);
    if (!loaded || loaded.pending || loaded.fileId === file.fileId || file.etag === "" || loaded.etag !== file.etag) continue;
    versions ??= new VersionStore(workspacePaths(workspace).versionLog, workspacePaths(workspace).versions);
    if (otherContentBetween(versions, file.key, loaded.versionId, file.versionId, file.etag)) continue;
    settled.set(file.fileId, { status: "SKIPPED", reason: "duplicate_content", fresh: { reason: "duplicate_content", note: `same content as ${loaded.fileId}, loaded successfully` } });
  }
  return settled;
}

/**
 * Whether the version store holds a version of `key` between the loaded one and `versionId`
 * whose bytes differ (handlers/core/versions-between.ts on S3): then the bytes loaded again
 * undo that one, a change to load. Unknown versions (the loaded one came from elsewhere): no.
 */
function otherContentBetween(versions: VersionStore, key: string, loadedVersionId: string | null, versionId: string | null, etag: string): boolean {
  const from = loadedVersionId ? versions.get(loadedVersionId)?.seq : undefined;
  const to = versionId ? versions.get(versionId)?.seq : undefined;
  if (from === undefined || to === undefined) return false;
  return versions.all().some((v) => v.key === key && v.seq > from && v.seq < to && v.etag !== etag);
}

/** Runs of a dataset that a `datalake rollback` undid (its RUN items name them). */
async function undoneRuns(audit: AuditStore, dataset: string): Promise<Set<string>> {
  const runs = await audit.listRuns(dataset);
  return new Set(runs.flatMap((r) => r.rollback?.runs ?? []));
}

/**
 * A rollback as a RUN item, and the undone runs' files forgotten as loaded content, so the same
 * bytes dropped again load again instead of being skipped as duplicate_content; then its record
 * is closed (engine/duckdb/rollback.ts). Call holding the lock.
 */
export async function recordRollback(workspace: string, rollbackId: string, result: RollbackResult, startedAt: Date): Promise<void> {
  await withAudit(workspace, (audit) => writeRollbackRun(audit, workspace, { rollbackId, result, startedAt }));
}

/**
 * Rollbacks a stopped `datalake rollback` left: finished in the tables (finishRollbacks) and
 * recorded, oldest first, as finished by `command` (owed to the stopped rollback's rerun until
 * it claims them: RollbackRecord.finishedBy). Returns them; opens the audit store only when
 * there is one. Call holding the lock, before planning a rollback or recording a load (whose
 * FILE items look up the runs a rollback undid).
 */
export async function recordStoppedRollbacks(workspace: string, command: string, audit?: AuditStore): Promise<UnrecordedRollback[]> {
  const stopped = finishRollbacks(workspace);
  if (stopped.length === 0) return [];
  const record = async (store: AuditStore) => {
    for (const s of stopped) await writeRollbackRun(store, workspace, s, command);
  };
  if (audit) await record(audit);
  else await withAudit(workspace, record);
  return stopped;
}

async function writeRollbackRun(audit: AuditStore, workspace: string, { rollbackId, result, startedAt }: UnrecordedRollback, finishedBy?: string): Promise<void> {
  for (const file of result.files) await audit.deleteLoadedContent(LOCAL_NAMES.landingBucket, file.key, file.fileId);
  await audit.putRun({
    kind: "RUN",
    runId: rollbackId,
    dataset: result.dataset,
    jobName: CLI_ROLLBACK_JOB,
    status: "SUCCEEDED",
    fileCount: result.files.length,
    createdAt: startedAt.toISOString(),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    rollback: { table: result.table, from: result.from, to: result.to, runs: result.runs },
  });
  closeRollback(workspace, result, finishedBy);
}

/** One line for a rollback a stopped process left and a later command finished. */
export function stoppedRollbackLine({ rollbackId, result }: UnrecordedRollback): string {
  return `finished and recorded rollback ${rollbackId} (${result.table}: ${result.from} -> ${result.to}, undid ${result.runs.length} run(s)), which a stopped \`datalake rollback\` left`;
}

/**
 * Runs `build` (a build of models, calling its `record` with each model's summary as it ends) with
 * the audit store open, and records each model run as a RUN item (model-builder.ts modelRunItem)
 * when the model ends, not after the last: a build stopped part way had published models whose
 * runs no item recorded. A skipped model ran nothing. Call holding the lock.
 */
export async function recordingModelRuns<T>(workspace: string, build: (record: (s: ModelSummary) => void) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await withAudit(workspace, async (audit) => {
    // Items are put one after another, while the build goes on; a failed put is kept (and
    // thrown once the build ends) rather than left an unhandled rejection meanwhile.
    let recorded = Promise.resolve();
    let failed: { error: unknown } | undefined;
    try {
      result = await build((s) => {
        if (s.status === "skipped") return;
        recorded = recorded.then(async () => {
          if (!failed) await audit.putRun(modelRunItem(s)).catch((error: unknown) => void (failed = { error }));
        });
      });
    } finally {
      await recorded;
    }
    if (failed) throw failed.error;
  });
  return result as T;
}
