// `datalake load`: one load of one dataset from files named on the command line (replays,
// backfills), run in-process by the DuckDB executor, or with --engine spark by the Glue runner on
// local Spark + Iceberg at the Glue runtime's versions (a Glue run reproduced on a laptop).
// No events; like an event-path run it holds the workspace lock and is recorded in the audit
// store (FILE and RUN items: local/cli-workspace-audit.ts). A load that publishes then rebuilds
// the semantic models it affects (local/commands/build.ts), on the load's engine.
import { existsSync, mkdirSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { DATASETS } from "../../datasets";
import type { DatasetSpec } from "../../datasets";
import { alreadyLoaded, FileResult, Manifest, ManifestFile, manifestKey, RunSummary } from "../../engine/contracts";
import { ArgSpec, JSON_FLAG, parseArgs, requireFlag, UsageError, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { changedSinceHashed, manifestForFiles } from "../cli-manifest";
import { markOpenLoad } from "../cli-open-loads";
import { oweModels, owedModels } from "../../engine/duckdb/models-owed";
import { PublishCutShort } from "../../engine/duckdb/publish-journal";
import { onInterrupt } from "../cli-signals";
import { CliError, type Verb } from "../cli-verb";
import { formatTable } from "../cli-table";
import { fileFinal } from "../../handlers/core/run-finalize";
import { claimWorkspaceEngine, parseEngine } from "../workspace-engine";
import type { SettledFile } from "../cli-workspace-audit";

const SPEC: ArgSpec = {
  flags: {
    dataset: { type: "string", value: "NAME", help: "dataset the files belong to" },
    ...WORKSPACE_FLAG,
    "full-refresh": { type: "boolean", help: "rebuild state from all of bronze instead of incrementally" },
    engine: { type: "string", value: "duckdb|spark", help: "duckdb (default), or spark: the Glue runner on local Spark + Iceberg" },
    "no-build": { type: "boolean", help: "publish the load only; build the semantic models later (datalake build)" },
    ...JSON_FLAG,
    verbose: { type: "boolean", help: "print engine progress to stderr (the default on a terminal)" },
  },
  // None with --full-refresh: rebuild state, silver and quarantine from bronze alone.
  positionals: { name: "FILE...", min: 0, max: Infinity },
};
const SUMMARY =
  "load files into a dataset (bronze, state, silver, quarantine) in one run; a FILE that is a folder loads its files, recursively (names starting with . or _ skipped)";

export const loadVerb: Verb = {
  name: "load",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("load", argv, SPEC);
    if (args.help) {
      io.out(usageText("load", SUMMARY, SPEC));
      return 0;
    }
    const name = requireFlag("load", args, "dataset");
    const spec = DATASETS.find((d) => d.name === name);
    if (!spec) throw new UsageError(`load: unknown dataset "${name}" (known: ${DATASETS.map((d) => d.name).join(", ")})`);
    const workspace = workspaceDir(args.flags.workspace);
    if (args.positionals.length === 0 && args.flags["full-refresh"] !== true) {
      throw new UsageError("load: missing FILE... (or --full-refresh alone to rebuild from bronze; see datalake load --help)");
    }
    const engine = parseEngine(args.flags.engine);
    // Loaded here, not at the top: the audit store brings the AWS SDK, which --help does not need.
    const { lockWorkspace } = await import("../cli-workspace-audit");
    const lock = lockWorkspace(workspace, (line) => io.err(`datalake load: ${line}`));
    try {
      // Under the lock: a file in landing becomes a version in the store `local` owns.
      const manifest = await manifestForFiles(spec, args.positionals, { workspace, fullRefresh: args.flags["full-refresh"] === true });
      claimWorkspaceEngine(workspace, engine);
      return await loadLocked(io, args.flags, workspace, spec, manifest, engine);
    } finally {
      lock.release();
    }
  },
};

export async function loadLocked(
  io: CliIo,
  flags: Record<string, string | boolean | undefined>,
  workspace: string,
  spec: DatasetSpec,
  named: Manifest,
  engine: "duckdb" | "spark",
): Promise<number> {
  const manifest = unusedRunId(workspace, named);
  const fullRefresh = manifest.fullRefresh === true;
  const startedAt = new Date();
  // Kept like the AWS flow keeps it: a replay of this exact run is `runLoad` on this file.
  const manifestPath = join(workspace, "ops", manifestKey(spec.name, manifest.runId));
  mkdirSync(dirname(manifestPath), { recursive: true });
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  const unmark = markOpenLoad(workspace, manifest, startedAt);

  // A load of millions of rows takes a while: a person at a terminal sees each step go by.
  const verbose = flags.verbose === true || io.interactive === true;
  const { closeAudit, openAudit, settledBefore, recordLoadRun } = await import("../cli-workspace-audit");
  // Opened while the engine works, recorded into after it (openAudit). The files file-arrival
  // would not have loaded (quarantined whole before, skipped, a re-copy of loaded bytes) are
  // looked up meanwhile too: the engine skips them (settledBefore).
  const opening = openAudit(workspace);
  const gated = settledBefore(opening, manifest, workspace);
  gated.catch(() => undefined); // awaited by the engine, or its error is the audit's
  const settled = gated.then((m) => new Set(m.keys()));
  settled.catch(() => undefined);
  // Ctrl-C or SIGTERM stops the engine before its publish; a publish under way finishes, and
  // either way the run is recorded before the process exits. Killed by the default handler,
  // a load that had published left its tables with no FILE or RUN item saying so.
  const stop = interruption(io);
  let summary: RunSummary;
  try {
    const run = { fullRefresh, settled, signal: stop.signal, progress: verbose ? io : undefined };
    summary = engine === "spark" ? await loadOnSpark(workspace, spec, manifest, run) : await loadOnDuckdb(workspace, spec, manifest, run);
  } catch (err) {
    stop.release();
    // Nothing published: nothing to record. A publish cut short after its commit point stays
    // marked: the next load finishes it, then records it from its publish record.
    if (!(err instanceof PublishCutShort)) unmark();
    await closeAudit(opening);
    if (err instanceof FileChanged) throw err;
    if (err instanceof PublishCutShort) throw new CliError(err.message);
    if (stop.signal.aborted) throw new CliError("interrupted before the publish: nothing was loaded", 130);
    throw err;
  }
  let recorded: Awaited<ReturnType<typeof recordLoadRun>>;
  try {
    recorded = await recordLoadRun(workspace, manifest, manifestPath, summary, startedAt, opening, await gated);
    unmark();
  } catch (err) {
    // The audit store failed (its process killed, a full disk): the load's own outcome is on
    // disk and the run stays marked, so the next load records it. Said so, not as a bare
    // "connect ECONNREFUSED".
    const why = (err as Error).message.split("\n")[0];
    if (!summary.published) throw new CliError(`run ${manifest.runId} ended ${summary.status}, nothing published, and was not recorded in the audit trail (${why})`);
    throw new CliError(`run ${manifest.runId} published but was not recorded in the audit trail (${why}): the next \`datalake load\` records it`);
  } finally {
    stop.release();
  }
  const { recovered, warnings } = recorded;
  for (const w of warnings) io.err(`datalake load: ${w}`);
  for (const { summary: r, source } of recovered) {
    const from = source === "publish record" ? " from its publish record (killed before its summary)" : "";
    io.err(`datalake load: recorded run ${r.runId} (${r.dataset}, ${r.files.length} file(s), ${r.status})${from}, which a stopped load left out of the audit trail`);
  }
  if (flags.json) io.out(JSON.stringify([summary]));
  else printSummary(io, summary, await gated.catch(() => new Map<string, SettledFile>()));
  if (stop.signal.aborted) return 130; // published and recorded; the models are left to `build`
  // --no-build: a backfill of many loads builds once at the end, not after each of them. The
  // models an earlier load published for and never built (killed first: models-owed.ts) are
  // built too, even when this load had nothing new to publish.
  const changed = [...new Set([...(summary.published ? [spec.name] : []), ...owedModels(workspace).keys()])];
  if (changed.length > 0 && flags["no-build"] !== true) {
    const { buildAffectedModels } = await import("./build");
    await buildAffectedModels(io, workspace, changed, { engine, json: flags.json === true, fullRefresh });
  }
  return summary.status === "SUCCEEDED" ? 0 : 1;
}

/**
 * The manifest under a run id no earlier load of the workspace used. Ids are stamped to the
 * second with a digest of the files: the same files loaded twice within one second shared one,
 * and the second run's RUN item, manifest and summary replaced the first's. Called holding the
 * workspace lock, so no other load takes the id meanwhile.
 */
export function unusedRunId(workspace: string, manifest: Manifest): Manifest {
  const used = (runId: string) => existsSync(join(workspace, "ops", manifestKey(manifest.dataset, runId)));
  let runId = manifest.runId;
  for (let n = 2; used(runId); n++) runId = `${manifest.runId}-${n}`;
  return runId === manifest.runId ? manifest : { ...manifest, runId };
}

/** SIGINT / SIGTERM abort `signal` (once, said on stderr) until release(); the process is not killed. */
function interruption(io: CliIo): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const release = onInterrupt((name) => {
    if (controller.signal.aborted) return;
    io.err(`datalake load: ${name}: stopping; a publish under way finishes and is recorded first`);
    controller.abort(new Error(`interrupted (${name})`));
  });
  return { signal: controller.signal, release };
}

/**
 * A named file was written to while the load read it: its version id is the hash of the bytes
 * before, so what was read would be recorded under another version. Nothing is published.
 */
class FileChanged extends CliError {
  constructor(what: string) {
    super(`${what} changed while it was loaded: nothing was published; load it again once it is complete`);
  }
}

/** Throws FileChanged when a file of the manifest is no longer the bytes it was hashed from. */
function checkUnchanged(manifest: Manifest): void {
  const changed = changedSinceHashed(manifest);
  if (changed) throw new FileChanged(changed);
}

interface EngineRun {
  fullRefresh: boolean;
  /** fileIds an earlier run quarantined whole (RunLoadOptions.settled). */
  settled: Promise<ReadonlySet<string>>;
  signal: AbortSignal;
  progress?: CliIo;
}

async function loadOnDuckdb(workspace: string, spec: DatasetSpec, manifest: Manifest, { fullRefresh, settled, signal, progress }: EngineRun): Promise<RunSummary> {
  // Loaded on use: the DuckDB native module is not needed for --help or usage errors.
  const { runLoad } = await import("../../engine/duckdb");
  return runLoad({
    workspace,
    spec,
    manifest,
    fullRefresh,
    settled,
    signal,
    beforePublish: () => checkUnchanged(manifest),
    onProgress: progress ? (e) => progress.err(`[${e.elapsedMs} ms] ${e.stage}: ${e.message}`) : undefined,
  });
}

async function loadOnSpark(workspace: string, spec: DatasetSpec, manifest: Manifest, { fullRefresh, settled, signal, progress }: EngineRun): Promise<RunSummary> {
  const { runLoadSpark, GLUE_RUNTIME } = await import("../../engine/spark");
  const { workspaceSparkServer } = await import("./build");
  const started = Date.now();
  progress?.err(`starting local Glue ${GLUE_RUNTIME.glueVersion} (Spark ${GLUE_RUNTIME.sparkVersion}, Iceberg ${GLUE_RUNTIME.icebergVersion}); log: ${join(workspace, "ops", "spark.log")}`);
  // The process's server for the workspace: the model builds after the load reuse its JVM. It
  // holds nothing on the event loop when idle and exits with this process (its stdin closes).
  const server = await workspaceSparkServer(workspace);
  progress?.err(`[${Date.now() - started} ms] Spark ready; running the Glue job`);
  // The Glue job publishes out of this process's sight: owe the models a build first (a load
  // that publishes nothing owes one build too many, never one too few; models-owed.ts).
  oweModels(workspace, spec.name, manifest.runId);
  // The Glue job has no such option (its manifests never list a settled file): they are left out
  // of its manifest and listed ALREADY_LOADED again, as the DuckDB engine lists them.
  const skip = await settled;
  const run = { ...manifest, files: manifest.files.filter((f) => !skip.has(f.fileId)) };
  // The Glue job takes no callback before its publish: a file written to while the job runs
  // stops it, checked every second (a write in the job's last second is not caught).
  const changed = new AbortController();
  const watch = setInterval(() => {
    const what = changedSinceHashed(manifest);
    if (what) changed.abort(new FileChanged(what));
  }, 1000);
  let summary: RunSummary;
  try {
    summary = await runLoadSpark({ workspace, spec, manifest: run, fullRefresh, server, signal: AbortSignal.any([signal, changed.signal]) });
  } catch (e) {
    if (changed.signal.aborted && !signal.aborted) throw changed.signal.reason;
    throw e;
  } finally {
    clearInterval(watch);
  }
  progress?.err(`[${Date.now() - started} ms] done: ${summary.status}`);
  const results = new Map(summary.files.map((f) => [f.fileId, f]));
  const listed = (f: ManifestFile): FileResult | undefined =>
skip.has(f.fileId) ? alreadyLoaded(f) : results.get(f.fileId);
  return { ...summary, files: manifest.files.map(listed).filter((r): r is FileResult => r !== undefined) };
}

/** `settled`: files the engine skipped as file-arrival would have (settledBefore), and why. */
function printSummary(io: CliIo, s: RunSummary, settled: ReadonlyMap<string, SettledFile>): void {
  // A full refresh of no new file lists none (an empty table was only its header).
  if (s.files.length > 0) io.out(filesTable(s, settled));
  for (const warning of s.driftWarnings) io.out(`drift: ${warning}`);
  // No row of a file had a key, sequence and Op that parse: most often another dataset's file, or
  // a headerless file whose columns are in another order. Its rows are in rejects, but say so.
  for (const f of s.files) {
    if (f.outcome === "LOADED" && f.rowsRead > 0 && f.rowsRejected === f.rowsRead) {
      io.out(`warning: every row of ${f.key} was rejected (rejects_${s.dataset} says why): is it a file of dataset ${s.dataset}, its columns in the spec's order?`);
    }
  }
  const c = s.counts;
  io.out(
    `${s.dataset} run ${s.runId}: ${s.status}; read ${c.rowsRead}, rejected ${c.rejectedRows}, ` +
      (c.quarantinedFileRows > 0 ? `in files quarantined whole ${c.quarantinedFileRows}, ` : "") +
      `current ${c.currentRows} = silver ${c.silverRows} + quarantine ${c.quarantineRows}`,
  );
  for (const audit of s.audits.filter((a) => !a.passed)) {
    io.out(`audit failed: ${audit.name} (${audit.detail ?? `${audit.violations} violation(s)`})`);
  }
  if (s.published) io.out(`published ${s.published.silverVersion}`);
  if (s.error) io.err(`datalake load: ${s.error.split("\n")[0]}`);
}

/** One line per file: its status as the audit trail and the watcher name it (SUCCEEDED, QUARANTINED...), its rows and reason. */
function filesTable(s: RunSummary, settled: ReadonlyMap<string, SettledFile>): string {
  return formatTable(
    ["status", "file", "read", "loaded", "quarantined", "rejected", "reason"],
    s.files.map((f) => {
      const final = fileFinal(s.status, f, s.error);
      const gate = f.outcome === "ALREADY_LOADED" ? settled.get(f.fileId) : undefined;
      const reason = !gate
        ? (final.reason ?? "")
        : gate.status === "QUARANTINED"
          ? `already_quarantined (run ${gate.runId})`
          : gate.fresh
            ? `${gate.fresh.reason} (${gate.fresh.note})`
            : `already_skipped (${gate.reason})`;
      return [final.status, f.key, f.rowsRead, f.rowsLoaded, f.rowsQuarantined, f.rowsRejected, reason];
    }),
  );
}
