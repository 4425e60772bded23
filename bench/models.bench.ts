// `npm run bench -- models`: model build time after a 50,000-change batch over a 500,000-customer,
// 5,000,000-order star (dim_date, dim_customer, fact_orders), incremental vs full rebuild, on both
// engines (issue 11's benchmark; target: incremental <= 20% of the full rebuild). The datasets are
// generated once; each engine loads them (what `load --no-build` does: runLoad, runLoadSpark on
// one local Spark server), builds once, loads the batch (half customer changes, half order
// changes), builds incrementally, then rebuilds with --full-refresh. Figures are printed, never
// asserted. Sizes: BENCH_MODELS_CUSTOMERS, BENCH_MODELS_ORDERS, BENCH_MODELS_CHANGES, all
// multiplied by BENCH_MODELS_SCALE (e.g. 0.01 for a quick look); BENCH_MODELS_ENGINES=duckdb
// (or spark) runs one engine. Peak memory: DuckDB's is this process's RSS, Spark's
// its server's process tree (PSS: bench/process-tree.ts). Under each Spark model build: its five
// slowest statements, from the job log (bench/spark-log.ts). On Spark, before the incremental
// build: the contract's floor for the batch, its least reads and writes written by hand
// (bench/spark-model-floor.ts); the last line gives its share of the full rebuild. One build
// pair varies by ~10% on DuckDB and ~40% on Spark between runs, so DuckDB builds the pair
// BENCH_MODELS_ROUNDS times (default 3), each on a copy of the workspace as the batch left it, and
// the figure is the median round. Spark runs one round: its Iceberg metadata names files by
// absolute path, so a copied warehouse would still read (and a rebuild delete) the original's
// files.
import { cpSync, mkdtempSync, rmSync } from "fs";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import { DATASETS, getDataset } from "../datasets";
import type { Manifest, RunSummary } from "../engine/contracts";
import { buildModels, defaultMemoryLimit, runLoad, type ModelSummary } from "../engine/duckdb";
import { duckdbModelExecutor, type ModelExecutor } from "../engine/duckdb/build-models";
import type { ModelBuildResult } from "../engine/duckdb/build-model";
import { GLUE_RUNTIME, icebergWarehouse, runLoadSpark, SparkServer, sparkModelExecutor } from "../engine/spark";
import { generateDataset } from "../local/generator";
import { MODELS } from "../models";
import { benchManifest, mb, measure, sec } from "./engine-measure";
import { peakTreeMemory } from "./process-tree";
import { sparkStarFloor, type FloorStep } from "./spark-model-floor";
import { slowestStatements } from "./spark-log";

const SCALE = Number(process.env.BENCH_MODELS_SCALE ?? 1);
const size = (name: string, fallback: number) => Math.max(1, Math.round(Number(process.env[name] ?? fallback) * SCALE));
const CUSTOMERS = size("BENCH_MODELS_CUSTOMERS", 500_000);
const ORDERS = size("BENCH_MODELS_ORDERS", 5_000_000);
const CHANGES = size("BENCH_MODELS_CHANGES", 50_000);
const ENGINES = (process.env.BENCH_MODELS_ENGINES ?? "duckdb,spark").split(",");
const ROUNDS = Math.max(1, Number(process.env.BENCH_MODELS_ROUNDS ?? 3));
const TARGET = 0.2;
const STAR = ["dim_date", "dim_customer", "fact_orders"];
/** A load's run id: round 1 loads the datasets, round 2 the batch. */
const runIdOf = (dataset: string, round: number) => `bench-models-${dataset}-${round}`;

interface Files {
  root: string;
  /** Per dataset: the full-load file and the batch of changes. */
  datasets: Array<{ dataset: string; keys: number; load: string; change: string }>;
}

/** How one engine loads a dataset and builds the star; `peak` measures the engine's memory. */
interface Engine {
  name: string;
  workspace: string;
  load(manifest: Manifest): Promise<RunSummary>;
  executor: ModelExecutor;
  peak<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; peak: number }>;
  /** Where each model's time went, when the engine reports it. */
  phases: Map<string, ModelBuildResult["phasesMs"]>;
  /** Keeps the workspace as it is and puts it back before each round; absent: one round. */
  snapshot?: { save(): void; restore(): void };
  /** A model build's slowest statements, when the engine logs them (Spark's job log). */
  slowest?(runId: string): string[];
  /** The contract's least work for the batch, hand-written (bench/spark-model-floor.ts). */
  floor?(batch: { customers: string; orders: string }): Promise<FloorStep[]>;
}

export async function run(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "datalake-bench-models-"));
  let server: SparkServer | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // The server would finish its current statement (minutes into a 5 M-row load) before seeing
    // its input close; its JVM exits with it.
    server?.kill();
    rmSync(tmp, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  console.log(`machine: ${cpus().length} CPU(s), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM; DuckDB memory_limit ${defaultMemoryLimit()}`);
  try {
    const files = generate(join(tmp, "gen"));
    if (ENGINES.includes("duckdb")) await starBench(files, duckdbEngine(join(tmp, "duckdb")));
    if (ENGINES.includes("spark")) {
      const workspace = join(tmp, "spark");
      const logFile = join(tmp, "spark.log");
      server = await SparkServer.start({ warehouse: icebergWarehouse(workspace), logFile, shufflePartitions: 4 });
      try {
        await starBench(files, sparkEngine(workspace, server, logFile));
      } finally {
        await server.close();
        server = undefined;
      }
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    rmSync(tmp, { recursive: true, force: true });
  }
}

function generate(root: string): Files {
  const datasets = Object.entries({ customers: CUSTOMERS, orders: ORDERS }).map(([dataset, keys]) => {
    const started = Date.now();
    const [load, change] = generateDataset(dataset, { seed: 11, rows: keys + Math.floor(CHANGES / 2), loadRows: keys, files: 1, badShare: 0.01, anomalies: false, outDir: root });
    console.log(`${dataset}: ${keys.toLocaleString("en-US")} rows + ${Math.floor(CHANGES / 2).toLocaleString("en-US")} changes generated in ${sec(Date.now() - started)}`);
    return { dataset, keys, load, change };
  });
  return { root, datasets };
}

function duckdbEngine(workspace: string): Engine {
  const phases = new Map<string, ModelBuildResult["phasesMs"]>();
  const executor = duckdbModelExecutor(workspace);
  return {
    name: "DuckDB",
    workspace,
    load: (manifest) => runLoad({ workspace, spec: getDataset(manifest.dataset), manifest, writeSummary: false }),
    executor: {
      ...executor,
      build: async (plan, options) => {
        const r = await executor.build(plan, options);
        phases.set(plan.model, r.phasesMs);
        return r;
      },
    },
    peak: async (work) => {
      const m = await measure(work);
      return { result: m.result, ms: m.ms, peak: m.peakRss };
    },
    phases,
    snapshot: {
      save: () => cpSync(workspace, `${workspace}-batch`, { recursive: true }),
      restore: () => {
        rmSync(workspace, { recursive: true, force: true });
        cpSync(`${workspace}-batch`, workspace, { recursive: true });
      },
    },
  };
}

function sparkEngine(workspace: string, server: SparkServer, logFile: string): Engine {
  return {
    name: `Spark ${GLUE_RUNTIME.sparkVersion} + Iceberg ${GLUE_RUNTIME.icebergVersion} (local)`,
    workspace,
    load: (manifest) => runLoadSpark({ workspace, spec: getDataset(manifest.dataset), manifest, server }),
    executor: sparkModelExecutor(workspace, server),
    peak: async (work) => {
      const started = Date.now();
      const { result, peak } = await peakTreeMemory(server.pid!, work);
      return { result, ms: Date.now() - started, peak };
    },
    phases: new Map(),
    slowest: (runId) => slowestStatements(logFile, runId, 5),
    floor: (batch) => sparkStarFloor(server, batch),
  };
}

async function starBench(files: Files, engine: Engine): Promise<void> {
  console.log(`\n-- ${engine.name} --`);
  const load = async (which: "load" | "change", round: number) => {
    for (const d of files.datasets) {
      const spec = getDataset(d.dataset);
      const loaded = await engine.peak(() => engine.load(benchManifest(spec, files.root, [d[which]], runIdOf(d.dataset, round))));
      const what = which === "load" ? `${d.keys.toLocaleString("en-US")} rows` : "changes";
      console.log(`${which === "load" ? "" : "batch: "}${d.dataset} ${what} loaded in ${sec(loaded.ms)} (${loaded.result.status}${loaded.result.error ? `: ${loaded.result.error}` : ""})`);
    }
  };
  const star = MODELS.filter((m) => STAR.includes(m.name));
  // Each build's own phases: the report of the incremental build comes after the full rebuild ran.
  const build = async (fullRefresh: boolean) => {
    const m = await engine.peak(() => buildModels(engine.workspace, star, { datasets: DATASETS, fullRefresh, executor: engine.executor }));
    return { ...m, phases: new Map(engine.phases) };
  };
  const report = (what: string, m: Awaited<ReturnType<typeof build>>) => {
    console.log(`${what}: ${sec(m.ms)}, peak memory ${mb(m.peak)}`);
    for (const s of m.result) {
      const work = s.mode ? `, ${s.mode}${s.modeReason ? ` (${s.modeReason})` : ""}, recomputed ${s.recomputed?.toLocaleString("en-US")}` : "";
      const p = m.phases.get(s.model);
      const split = p ? `  [inputs ${sec(p.inputs)}, steps+write ${sec(p.build)}, audits ${sec(p.audits)}]` : "";
      console.log(`  ${s.model.padEnd(14)} ${s.status.padEnd(7)} ${sec(s.durationMs).padStart(8)}  ${String(s.rows?.toLocaleString("en-US")).padStart(11)} rows${work}${split}${s.error ? `  ${s.error}` : ""}`);
      for (const line of s.kind === "date" ? [] : (engine.slowest?.(s.runId) ?? [])) console.log(`    ${line}`);
    }
  };

  await load("load", 1);
  report("first build", await build(false));
  await load("change", 2);
  const floor = await engine.floor?.({ customers: runIdOf("customers", 2), orders: runIdOf("orders", 2) });
  const floorMs = floor?.reduce((n, s) => n + s.ms, 0);
  if (floor && floorMs !== undefined) {
    console.log(`contract floor (hand-written, the batch's least reads and writes): ${sec(floorMs)}`);
    for (const s of floor) console.log(`  ${sec(s.ms).padStart(8)}  ${s.name}`);
  }
  const rounds = engine.snapshot ? ROUNDS : 1;
  engine.snapshot?.save();
  const modelMs = (s: ModelSummary[]) => s.filter((m) => m.kind !== "date").reduce((n, m) => n + m.durationMs, 0);
  const pairs: Array<{ incremental: number; full: number }> = [];
  // The whole build's wall time too: it includes dim_date and what the models' builds share (the
  // DuckDB executor opens one instance for all of them), which no model's own time holds.
  const walls: Array<{ incremental: number; full: number }> = [];
  for (let round = 1; round <= rounds; round++) {
    if (round > 1) engine.snapshot!.restore();
    const incremental = await build(false);
    const full = await build(true);
    const pair = { incremental: modelMs(incremental.result), full: modelMs(full.result) };
    pairs.push(pair);
    walls.push({ incremental: incremental.ms, full: full.ms });
    if (round === 1) {
      report("incremental build", incremental);
      report("full rebuild", full);
    }
    if (rounds > 1) console.log(`round ${round}/${rounds}: incremental ${sec(pair.incremental)}, full rebuild ${sec(pair.full)} -> ${((pair.incremental / pair.full) * 100).toFixed(1)}%`);
  }
  const ratioOf = (p: { incremental: number; full: number }) => p.incremental / p.full;
  const medianOf = (all: typeof pairs) => [...all].sort((a, b) => ratioOf(a) - ratioOf(b))[Math.floor(all.length / 2)];
  const median = medianOf(pairs);
  const ratio = ratioOf(median);
  const wall = medianOf(walls);
  console.log(`whole build, wall clock (dim_date and the shared engine included): incremental ${sec(wall.incremental)}, full rebuild ${sec(wall.full)} -> ${(ratioOf(wall) * 100).toFixed(1)}%`);
  console.log(
    `${engine.name}: dim_customer + fact_orders after a ${CHANGES.toLocaleString("en-US")}-change batch${rounds > 1 ? ` (median of ${rounds} rounds)` : ""}: incremental ${sec(median.incremental)}, ` +
      `full rebuild ${sec(median.full)} -> ${(ratio * 100).toFixed(1)}% (target <= ${TARGET * 100}%) -> ${ratio <= TARGET ? "meets target" : "MISSES target"}`,
  );
  if (floorMs !== undefined) {
    console.log(`${engine.name}: the contract floor is ${((floorMs / median.full) * 100).toFixed(1)}% of the full rebuild; the incremental build is ${(median.incremental / floorMs).toFixed(2)}x the floor`);
  }
}
