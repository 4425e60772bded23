// `datalake build`: (re)build the semantic models (models/*.ts) of a workspace from its published
// silver and bronze, each with write-audit-publish (engine/duckdb/build-model.ts), in dependency
// order. A workspace loaded with `--engine spark` builds on Spark: each model's spark plan run by
// the Glue model job on local Spark + Iceberg (engine/spark/build-model.ts), like its loads. Holds the workspace lock like `load`; every model run is a RUN item in the audit trail.
// Exit 1 when a model failed (its last published version stays), 2 for usage mistakes.
import { existsSync } from "fs";
import { join } from "path";
import type { ModelExecutor, ModelSummary } from "../../engine/duckdb/build-models";
import { MODELS } from "../../models";
import { ArgSpec, JSON_FLAG, parseArgs, usageText, UsageError, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { CliError, Verb } from "../cli-verb";
import { parseEngine, workspaceEngine, type EngineName } from "../workspace-engine";

const SPEC: ArgSpec = {
  flags: {
    ...WORKSPACE_FLAG,
    select: { type: "string", value: "MODEL", help: "build this model only (e.g. dim_customer)" },
    "full-refresh": { type: "boolean", help: "rebuild every table from bronze and silver, ignoring its previous version" },
    engine: { type: "string", value: "duckdb|spark", help: "the workspace's engine (the one it was loaded with; the default)" },
    ...JSON_FLAG,
  },
};
const SUMMARY = "build the semantic models (dim_date, dimensions, facts) from published silver and bronze";

export const buildVerb: Verb = {
  name: "build",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("build", argv, SPEC);
    if (args.help) {
      io.out(usageText("build", SUMMARY, SPEC));
      return 0;
    }
    const select = typeof args.flags.select === "string" ? args.flags.select : undefined;
    if (select !== undefined && !MODELS.some((m) => m.name === select)) {
      throw new UsageError(`build: unknown model "${select}" (known: ${MODELS.map((m) => m.name).join(", ")})`);
    }
    const workspace = workspaceDir(args.flags.workspace);
    if (!existsSync(workspace)) throw new CliError(`workspace ${workspace} does not exist (load something first)`);
    const engine = workspaceEngine(workspace);
    if (args.flags.engine !== undefined && parseEngine(args.flags.engine) !== engine) {
      throw new CliError(`workspace ${workspace} holds ${engine} tables; build --engine ${engine} (or load --engine ${String(args.flags.engine)} into another --workspace)`);
    }
    // Every load leaves its manifest there (`load`, `local`, `demo`): without one this is not a
    // workspace (a mistyped --workspace), and a build would fill it with empty tables.
    if (!existsSync(join(workspace, "ops", "manifests"))) throw new CliError(`workspace ${workspace} has no load yet: nothing to build from (load something first)`);
    const json = args.flags.json === true;
    const { lockWorkspace } = await import("../cli-workspace-audit");
    const lock = lockWorkspace(workspace, (line) => io.err(`datalake build: ${line}`));
    // Ctrl-C / SIGTERM: the model building finishes (its publish is one step) and is recorded,
    // no other starts; the process is not killed mid-model, with its run unrecorded.
    const stop = new AbortController();
    const { onInterrupt } = await import("../cli-signals");
    const release = onInterrupt((name) => {
      if (stop.signal.aborted) return;
      io.err(`datalake build: ${name}: stopping after the model building now; it is recorded, the rest build next time`);
      stop.abort();
    });
    try {
      const options = { select, fullRefresh: args.flags["full-refresh"] === true, stop: stop.signal };
      const summaries = await withEngine(workspace, engine, (executor) => buildAndRecord(workspace, { ...options, executor }, json ? undefined : io));
      if (json) io.out(JSON.stringify(summaries));
      else io.out(buildTotals(summaries));
      if (stop.signal.aborted) return 130;
      return summaries.some((s) => s.status === "failed") ? 1 : 0;
    } finally {
      release();
      lock.release();
    }
  },
};

/**
 * Runs `build` with the workspace's model executor: DuckDB in-process, or the Glue model job on
 * the process's local Spark server for the workspace's warehouse (one JVM for every model; a
 * process that already runs one, a test, reuses it). An idle server holds no reference on the
 * event loop and exits when this process does (its stdin closes).
 */
async function withEngine<T>(workspace: string, engine: EngineName, build: (executor?: ModelExecutor) => Promise<T>): Promise<T> {
  return build(await modelExecutorFor(workspace, engine));
}

/** The model executor of a workspace's engine (undefined: buildModels' default, DuckDB). */
export async function modelExecutorFor(workspace: string, engine: EngineName): Promise<ModelExecutor | undefined> {
  if (engine === "duckdb") return undefined;
  const { sparkModelExecutor } = await import("../../engine/spark");
  return sparkModelExecutor(workspace, await workspaceSparkServer(workspace));
}

/** The process's local Glue for a spark workspace (its Iceberg warehouse), started on first use. */
export async function workspaceSparkServer(workspace: string): Promise<import("../../engine/spark").SparkServer> {
  const { sharedSparkServer, icebergWarehouse } = await import("../../engine/spark");
  return sharedSparkServer({ warehouse: icebergWarehouse(workspace), logFile: join(workspace, "ops", "spark.log") });
}

/**
 * After a load published (or a rollback moved a dataset back): rebuild the models whose inputs
 * it changed (dimensions of the dataset, facts reading it or those dimensions), dimensions first.
 * A model failure is reported, never the load's: its tables are published and the model keeps
 * its last version. Lines go to stdout, or to stderr under --json (stdout holds the one JSON
 * array). After a --full-refresh load they are rebuilt in full too: it can change silver rows
 * (relabelled by a spec edit, reordered by a regenerated DMS reload) without a new bronze row,
 * which an incremental build would not see. Call holding the lock.
 */
export async function buildAffectedModels(
  io: CliIo,
  workspace: string,
  changed: string[],
  opts: { engine: "duckdb" | "spark"; json: boolean; fullRefresh: boolean },
): Promise<void> {
  const print = (line: string) => (opts.json ? io.err(line) : io.out(line));
  const summaries = await buildAndRecord(workspace, { changed, fullRefresh: opts.fullRefresh, executor: await modelExecutorFor(workspace, opts.engine) });
  for (const s of summaries) print(`model ${modelLine(s, { timing: false })}`);
}

/**
 * Builds models (all, `select`, or those a load of `changed` datasets affects), printing a line
 * per model to `progress`, and records each model run as a RUN item. Call holding the lock.
 */
export async function buildAndRecord(
  workspace: string,
  options: { select?: string; changed?: readonly string[]; fullRefresh?: boolean; executor?: ModelExecutor; stop?: AbortSignal },
  progress?: CliIo,
): Promise<ModelSummary[]> {
  const { buildModels } = await import("../../engine/duckdb/build-models");
  const { recordingModelRuns } = await import("../cli-workspace-audit");
  return recordingModelRuns(workspace, (record) =>
    buildModels(workspace, MODELS, {
      ...options,
      onModel: (s) => {
        progress?.out(modelLine(s));
        record(s);
      },
    }),
  );
}

/**
 * One progress line per model: `dim_customer: built v000003, 1200 rows, 6 audits passed (850 ms)`,
 * an incremental model's rows followed by what was recomputed: `1200 rows (incremental: 14
 * recomputed)` or `1200 rows (full: no previous version)`.
 */
export function modelLine(s: ModelSummary, opts: { timing?: boolean } = {}): string {
  const ms = opts.timing === false ? "" : ` (${s.durationMs} ms)`;
  // Compiler and executor errors name the model already.
  const error = s.error?.replace(new RegExp(`^model ${s.model}: `), "");
  if (s.status === "skipped") return `${s.model}: skipped: ${error}`;
  const work = s.mode === "incremental" ? ` (incremental: ${s.recomputed} recomputed)` : s.mode === "full" ? ` (full: ${s.modeReason ?? "whole"})` : "";
  if (s.status === "built") return `${s.model}: built ${s.version}, ${s.rows} rows${work}, ${s.audits.length} audits passed${ms}`;
  const kept = s.version ? `; ${s.version} stays published` : "; nothing published yet";
  return `${s.model}: FAILED: ${error}${kept}${ms}`;
}

export function buildTotals(summaries: ModelSummary[]): string {
  const n = (status: ModelSummary["status"]) => summaries.filter((s) => s.status === status).length;
  return `${summaries.length} model(s): ${n("built")} built, ${n("failed")} failed, ${n("skipped")} skipped`;
}
