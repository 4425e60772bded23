// `datalake local`: watch <workspace>/landing and load files as they land, exactly as the AWS
// deployment would (same handlers, specs and SQL). `--once` loads what is there, waits until
// every file settled and exits 0 only if nothing failed.
import { DEFAULT_GLUE_TIMEOUT_MINUTES } from "../../infra/defaults";
import { ArgSpec, intFlag, parseArgs, usageText, UsageError, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { onInterrupt } from "../cli-signals";
import type { Verb } from "../cli-verb";
import { claimWorkspaceEngine, parseEngine } from "../workspace-engine";
import { FileDone, formatProgress, ProgressEvent } from "../runtime/progress";
import type { LocalRuntime, SettleReport } from "../runtime/runtime";

const SPEC: ArgSpec = {
  flags: {
    ...WORKSPACE_FLAG,
    once: { type: "boolean", help: "load what is in landing, wait until every file settled, then exit" },
    timeout: { type: "string", value: "SECONDS", help: "with --once: give up after this long (default 1800)" },
    "job-timeout": {
      type: "string",
      value: "MINUTES",
      help: `stop a load running longer than this: it ends TIMEOUT, its files FAILED (default ${DEFAULT_GLUE_TIMEOUT_MINUTES}, as deployed)`,
    },
    settle: {
      type: "string",
      value: "SECONDS",
      help: "read a landed file once it has not changed for this long (default 2; a producer pausing longer mid-file should write under a .tmp name and rename)",
    },
    json: { type: "boolean", help: "no progress lines; print the settled files as one JSON array at the end" },
    engine: { type: "string", value: "duckdb|spark", help: "duckdb (default), or spark: the Glue runner on local Spark + Iceberg" },
  },
};
const SUMMARY = "watch <workspace>/landing and load files as they land (Ctrl-C stops cleanly)";

export const localVerb: Verb = {
  name: "local",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("local", argv, SPEC);
    if (args.help) {
      io.out(usageText("local", SUMMARY, SPEC));
      return 0;
    }
    const workspace = workspaceDir(args.flags.workspace);
    const json = args.flags.json === true;
    const timeoutMs = intFlag("local", args, "timeout", 1800) * 1000;
    const jobTimeoutMinutes = intFlag("local", args, "job-timeout", DEFAULT_GLUE_TIMEOUT_MINUTES);
    const settleSeconds = args.flags.settle === undefined ? undefined : intFlag("local", args, "settle", undefined, { min: 1, max: 3600 });
    // Glue's own bounds (and setTimeout's: beyond ~24.8 days it fires at once).
    if (jobTimeoutMinutes < 1 || jobTimeoutMinutes > 2880) throw new UsageError("local: --job-timeout must be 1 to 2880 (minutes)");
    const files: FileDone[] = [];
    const progress = (e: ProgressEvent) => {
      if (e.type === "file") files.push(e);
      if (!json) io.out(formatProgress(e));
      else if (e.type === "notice" && e.level !== "info") io.err(formatProgress(e));
    };
    const engine = parseEngine(args.flags.engine);
    claimWorkspaceEngine(workspace, engine);
    // Loaded here, not at the top: DuckDB and the AWS SDK would slow every other verb and --help.
    const { startLocalRuntime, sparkExecutor } = await import("../runtime/defaults");
    const spark = engine === "spark" ? sparkExecutor(workspace) : undefined;
    const runtime = await startLocalRuntime({
      workspace,
      progress,
      once: args.flags.once === true,
      jobTimeoutMs: jobTimeoutMinutes * 60_000,
      ...(settleSeconds !== undefined ? { settleMs: settleSeconds * 1000 } : {}),
      ...(spark ? { executor: spark.executor, buildModels: spark.buildModels } : {}),
    });
    const stop = async () => {
      await runtime.stop();
      await spark?.close();
    };
    if (args.flags.once) {
      let report: SettleReport;
      try {
        report = await runtime.settle(timeoutMs);
      } finally {
        await stop();
      }
      if (json) io.out(JSON.stringify(files, null, 2));
      else io.out(summaryLine(report));
      return exitCode(report);
    }
    if (!json) io.out(watchBanner(runtime));
    await untilSignal();
    if (!json) io.out("stopping: waiting for running loads to finish (Ctrl-C again to force)...");
    const forced = onInterrupt(() => process.exit(130)); // a second signal
    await stop();
    forced();
    if (json) io.out(JSON.stringify(files, null, 2));
    else io.out(summaryLine(runtime.report()));
    return 0;
  },
};

export function exitCode(report: SettleReport): number {
  return report.failed > 0 || report.failedRuns.length > 0 || report.open > 0 || report.undelivered.length > 0 ? 1 : 0;
}

export function summaryLine(r: SettleReport): string {
  const parts = [
    `${r.files} file(s) settled: ${r.succeeded} succeeded, ${r.quarantined} quarantined, ${r.failed} failed, ${r.skipped} skipped`,
    `${r.runs} run(s), ${r.failedRuns.length} failed`,
  ];
  // Reported, not counted in the exit code: a model failure fails no load (its last version stays).
  if (r.modelRuns > 0) parts.push(`${r.modelRuns} model build(s), ${r.failedModels.length} failed`);
  if (r.unrouted.length > 0) parts.push(`${r.unrouted.length} file(s) under no dataset prefix ignored`);
  if (r.undelivered.length > 0) parts.push(`${r.undelivered.length} file event(s) undeliverable (see ops/dead-letters.jsonl)`);
  return parts.join("; ");
}

function watchBanner(runtime: LocalRuntime): string {
  const folders = runtime.specs.map((s) => s.prefix).join(" ");
  return [
    `watching ${runtime.paths.landing}`,
    `dataset folders: ${folders}`,
    "drop a file into a dataset folder to load it; `datalake audit` and `datalake query` work alongside; Ctrl-C stops",
  ].join("\n");
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const release = onInterrupt(() => {
      release();
      resolve();
    });
  });
}
