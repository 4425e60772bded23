// Starting a run for a dataset: take the run slot, collect the PENDING files (bounded batch),
// record the RUN (QUEUED) and its manifest, StartJobRun, then mark RUN and files RUNNING.
// Order matters: nothing starts without an audit row (the RUN item precedes StartJobRun), and a
// crash between any two steps leaves a state the reconciler repairs (see reconcile.ts).
import { CONTRACT_VERSION, Manifest, ManifestFile, RUN_ARGS, manifestKey } from "../../engine/contracts";
import type { FileItem } from "../audit/items";
import type { HandlerDeps, Logger } from "../ports";
import { WRITE_PARALLELISM, mapLimit } from "./concurrency";
import { classifyStartError, describeError } from "./glue-errors";

export type StartOutcome =
  | { started: true; runId: string; jobRunId: string; fileCount: number }
  | { started: false; reason: "slot_held" | "no_pending" | "start_retryable" | "start_rejected" | "start_unconfirmed"; runId?: string };

/**
 * Starts a run for `dataset` if its slot is free and files are PENDING. `known` are files the
 * caller just recorded: included even if the (eventually consistent) pending index lags.
 */
export async function startRunIfIdle(deps: HandlerDeps, dataset: string, known: readonly FileItem[] = []): Promise<StartOutcome> {
  const { audit, clock, limits } = deps;
  const runId = deps.newRunId();
  const log = deps.log.child({ dataset, runId });
  if (!(await audit.tryTakeSlot(dataset, runId, clock.now(), limits.slotLeaseSeconds * 1000))) {
    log.debug("run slot held; files wait for the active run to finish");
    return { started: false, reason: "slot_held" };
  }
  let files: FileItem[];
  let finishing: string | undefined;
  let beforeReject: (() => Promise<unknown>) | undefined;
  const jobName = deps.jobNames[dataset];
  const manifestUri = `s3://${deps.opsBucket}/${manifestKey(dataset, runId)}`;
  try {
    files = await collectPending(deps, dataset, known);
    // No file, but an earlier run's publish is committed and unfinished: a run without files
    // finishes it (the runner does so before reading anything).
    finishing = files.length === 0 ? (await audit.getSlot(dataset))?.finishPublishOf : undefined;
    if (files.length === 0 && !finishing) {
      await audit.releaseSlot(dataset, runId);
      log.debug("no pending files; slot released");
      return { started: false, reason: "no_pending" };
    }
    const createdAt = new Date(clock.now()).toISOString();
    const note = finishing ? { note: `finishes the publish of run ${finishing}` } : {};
    await audit.putRun({ kind: "RUN", runId, dataset, jobName: jobName ?? "", status: "QUEUED", manifestUri, fileCount: files.length, createdAt, ...note });
    if (finishing) {
      log.warn("starting a run without files to finish an interrupted publish", { of: finishing });
      // A refused start of that run clears the request: no refusal loop (the refusal alarms).
      beforeReject = () => audit.releaseSlot(dataset, runId, null);
    }
    if (!jobName) return reject(deps, log, { dataset, runId, files, beforeReject }, `no Glue job configured for dataset ${dataset}`);
    const manifest: Manifest = { version: CONTRACT_VERSION, dataset, runId, createdAt, files: files.map(toManifestFile) };
    await deps.objects.putJson(deps.opsBucket, manifestKey(dataset, runId), manifest);
  } catch (err) {
    // Nothing was started: give the slot back now instead of waiting for the reconciler (best
    // effort: if the audit table is what failed, the reconciler frees the slot later).
    await abandonBeforeStart(deps, dataset, runId, describeError(err)).catch(() => undefined);
    throw err;
  }
  const args = { [RUN_ARGS.dataset]: dataset, [RUN_ARGS.runId]: runId, [RUN_ARGS.manifestUri]: manifestUri };
  return launch(deps, log, { dataset, runId, jobName, args, files, beforeReject });
}

/** Fails a run that never reached StartJobRun and frees its slot; its files stay PENDING. */
export async function abandonBeforeStart(deps: HandlerDeps, dataset: string, runId: string, error: string): Promise<void> {
  const moved = await deps.audit.updateRun(runId, ["QUEUED"], {
    status: "FAILED",
    error: `start_not_attempted: ${error}`,
    finishedAt: new Date(deps.clock.now()).toISOString(),
  });
  if (moved) deps.metrics.runFailed(dataset, "start_not_attempted", { runId });
  await deps.audit.releaseSlot(dataset, runId);
}

export interface Launch {
  /** The dataset (or, for a model build, the model) the run is for: RunFailed's dimension. */
  dataset: string;
  runId: string;
  jobName: string;
  /** The per-run job arguments. */
  args: Record<string, string>;
  files: readonly { fileId: string }[];
  /** Frees the run's slot. @default the dataset's run slot */
  release?: () => Promise<unknown>;
  /** Before a refused start fails the RUN (a model build marks its requests answered: no retry loop). */
  beforeReject?: () => Promise<unknown>;
}

const releaseOf = (deps: HandlerDeps, l: Pick<Launch, "dataset" | "runId" | "release">) => l.release ?? (() => deps.audit.releaseSlot(l.dataset, l.runId));

/** StartJobRun with backoff (retryable errors only), then RUN and files -> RUNNING. */
export async function launch(deps: HandlerDeps, log: Logger, l: Launch): Promise<StartOutcome> {
  const { limits, clock } = deps;
  for (let attempt = 1; ; attempt++) {
    let jobRunId: string;
    try {
      jobRunId = (await deps.glue.startJobRun(l.jobName, l.args)).JobRunId;
    } catch (err) {
      const kind = classifyStartError(err);
      if (kind === "retryable" && attempt < limits.startAttempts) {
        const backoff = limits.startBackoffMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
        log.warn("StartJobRun failed, backing off", { error: describeError(err), attempt, backoffMs: Math.round(backoff) });
        await clock.sleep(backoff);
        continue;
      }
      if (kind === "retryable") {
        // Files stay PENDING: the next finishing run, the next arrival or the reconciler starts them.
        const moved = await deps.audit.updateRun(l.runId, ["QUEUED"], {
          status: "FAILED",
          error: `start_failed: ${describeError(err)}`,
          finishedAt: new Date(clock.now()).toISOString(),
          startAttempts: attempt,
        });
        if (moved) deps.metrics.runFailed(l.dataset, "start_failed", { runId: l.runId });
        await releaseOf(deps, l)();
        log.warn("StartJobRun still failing; files stay PENDING", { error: describeError(err), attempts: attempt });
        return { started: false, reason: "start_retryable", runId: l.runId };
      }
      if (kind === "permanent") return reject(deps, log, l, `start_rejected: ${describeError(err)}`);
      // Ambiguous (timeout, network): Glue may have started the run. Keep RUN QUEUED and the slot
      // held; the reconciler adopts the run by --run_id or abandons it after staleStartSeconds.
      log.error("StartJobRun outcome unknown; left for the reconciler", { error: describeError(err) });
      return { started: false, reason: "start_unconfirmed", runId: l.runId };
    }
    log.info("job run started", { jobName: l.jobName, jobRunId, files: l.files.length, attempt });
    // If this write fails the run is still recorded QUEUED with its manifest: the state event or
    // the reconciler adopts it by --run_id.
    await recordStarted(deps, l.runId, jobRunId, l.files, { startAttempts: attempt });
    return { started: true, runId: l.runId, jobRunId, fileCount: l.files.length };
  }
}

/** RUN QUEUED -> RUNNING with the job run id, then its files -> RUNNING. Idempotent. */
export async function recordStarted(
  deps: HandlerDeps,
  runId: string,
  jobRunId: string,
  files: readonly { fileId: string }[],
  extra: { startAttempts?: number; adoptedBy?: string; startedAt?: string } = {},
): Promise<boolean> {
  const moved = await deps.audit.updateRun(runId, ["QUEUED"], {
    status: "RUNNING",
    jobRunId,
    startedAt: extra.startedAt ?? new Date(deps.clock.now()).toISOString(),
    startAttempts: extra.startAttempts,
    adoptedBy: extra.adoptedBy,
  });
  await mapLimit(files, WRITE_PARALLELISM, (f) => deps.audit.markFileRunning(f.fileId, runId));
  return moved;
}

/** Permanent start failure: RUN and its files FAILED with the reason, slot released (no retry loop). */
async function reject(
  deps: HandlerDeps,
  log: Logger,
  l: Pick<Launch, "dataset" | "runId" | "files" | "release" | "beforeReject">,
  reason: string,
): Promise<StartOutcome> {
  const { dataset, runId, files } = l;
  await mapLimit(files, WRITE_PARALLELISM, (f) => deps.audit.finalizeFile(f.fileId, { status: "FAILED", reason }, runId));
  await l.beforeReject?.();
  const moved = await deps.audit.updateRun(runId, ["QUEUED"], { status: "FAILED", error: reason, finishedAt: new Date(deps.clock.now()).toISOString() });
  if (moved) deps.metrics.runFailed(dataset, "start_rejected", { runId });
  await releaseOf(deps, l)();
  log.error("run rejected; its files FAILED", { reason, files: files.length });
  return { started: false, reason: "start_rejected", runId };
}

/** Pending files, re-read consistently (only PENDING ones are loaded), capped at maxFilesPerRun. */
async function collectPending(deps: HandlerDeps, dataset: string, known: readonly FileItem[]): Promise<FileItem[]> {
  const max = deps.limits.maxFilesPerRun;
  const listed = await deps.audit.listPendingFiles(dataset, max);
  const ids = new Set(listed.map((f) => f.fileId));
  for (const f of known) if (f.dataset === dataset && ids.size < max) ids.add(f.fileId);
  const current = await deps.audit.getFilesConsistent([...ids]);
  return current
    .filter((f) => f.status === "PENDING")
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.fileId < b.fileId ? -1 : 1));
}

function toManifestFile(f: FileItem): ManifestFile {
  return {
    fileId: f.fileId,
    bucket: f.bucket,
    key: f.key,
    versionId: f.versionId,
    etag: f.etag,
    sequencer: f.sequencer,
    size: f.size,
    receivedAt: f.receivedAt,
  };
}
