// `npm run bench -- models`: model build time after a 50,000-change batch over a 500,000-customer,
// 5,000,000-order star (dim_date, dim_customer, fact_orders), incremental vs full rebuild
// (issue 11's benchmark; target: incremental <= 20% of the full rebuild). The datasets are loaded
// with runLoad (what `load --no-build` does), built once, then the batch (half customer changes,
// half order changes) is loaded and built incrementally, then rebuilt with --full-refresh. Figures
// are printed, never asserted. Sizes: BENCH_MODELS_CUSTOMERS, BENCH_MODELS_ORDERS,
// BENCH_MODELS_CHANGES, all multiplied by BENCH_MODELS_SCALE (e.g. 0.01 for a quick look).
// DuckDB only: the Spark half runs through the same buildModels with the Spark executor, which
// this benchmark does not start (see the report of issue 11).
import { mkdtempSync, rmSync } from "fs";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import { DATASETS, getDataset } from "../datasets";
import { buildModel, buildModels, defaultMemoryLimit, runLoad, type ModelSummary } from "../engine/duckdb";
import { duckdbModelExecutor, type ModelExecutor } from "../engine/duckdb/build-models";
import type { ModelBuildResult } from "../engine/duckdb/build-model";
import { generateDataset } from "../local/generator";
import { MODELS } from "../models";
import { benchManifest, mb, measure, sec } from "./engine-measure";

const SCALE = Number(process.env.BENCH_MODELS_SCALE ?? 1);
const size = (name: string, fallback: number) => Math.max(1, Math.round(Number(process.env[name] ?? fallback) * SCALE));
const CUSTOMERS = size("BENCH_MODELS_CUSTOMERS", 500_000);
const ORDERS = size("BENCH_MODELS_ORDERS", 5_000_000);
const CHANGES = size("BENCH_MODELS_CHANGES", 50_000);
const TARGET = 0.2;
const STAR = ["dim_date", "dim_customer", "fact_orders"];

export async function run(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "datalake-bench-models-"));
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  console.log(`machine: ${cpus().length} CPU(s), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM; DuckDB memory_limit ${defaultMemoryLimit()}`);
  try {
    await modelsBench(tmp);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function modelsBench(tmp: string): Promise<void> {
  const out = join(tmp, "gen");
  const workspace = join(tmp, "ws");
  const sizes = { customers: CUSTOMERS, orders: ORDERS };
  const batch: Array<{ dataset: string; path: string }> = [];
  for (const [dataset, keys] of Object.entries(sizes)) {
    const changes = Math.floor(CHANGES / 2);
    const gen = await measure(async () => generateDataset(dataset, { seed: 11, rows: keys + changes, loadRows: keys, files: 1, badShare: 0.01, anomalies: false, outDir: out }));
    const [load, change] = gen.result;
    batch.push({ dataset, path: change });
    const spec = getDataset(dataset);
    const loaded = await measure(() => runLoad({ workspace, spec, manifest: benchManifest(spec, out, [load], `bench-models-${dataset}-1`), writeSummary: false }));
    console.log(`${dataset}: ${keys.toLocaleString("en-US")} rows generated in ${sec(gen.ms)}, loaded in ${sec(loaded.ms)} (${loaded.result.status})`);
  }
  const star = MODELS.filter((m) => STAR.includes(m.name));
  const phases = new Map<string, ModelBuildResult["phasesMs"]>();
  const executor: ModelExecutor = {
    ...duckdbModelExecutor(workspace),
    build: async (plan, options) => {
      const r = await buildModel(workspace, plan, options);
      phases.set(plan.model, r.phasesMs);
      return r;
    },
  };
  const build = (fullRefresh: boolean) => measure(() => buildModels(workspace, star, { datasets: DATASETS, fullRefresh, executor }));
  const report = (what: string, m: Awaited<ReturnType<typeof build>>) => {
    console.log(`${what}: ${sec(m.ms)}, peak RSS ${mb(m.peakRss)}`);
    for (const s of m.result) {
      const work = s.mode ? `, ${s.mode}${s.modeReason ? ` (${s.modeReason})` : ""}, recomputed ${s.recomputed?.toLocaleString("en-US")}` : "";
      const p = phases.get(s.model);
      const split = p ? `  [inputs ${sec(p.inputs)}, steps+write ${sec(p.build)}, audits ${sec(p.audits)}]` : "";
      console.log(`  ${s.model.padEnd(14)} ${s.status.padEnd(7)} ${sec(s.durationMs).padStart(8)}  ${String(s.rows?.toLocaleString("en-US")).padStart(11)} rows${work}${split}${s.error ? `  ${s.error}` : ""}`);
    }
  };

  const first = await build(false);
  report("first build", first);
  for (const { dataset, path } of batch) {
    const spec = getDataset(dataset);
    const loaded = await measure(() => runLoad({ workspace, spec, manifest: benchManifest(spec, out, [path], `bench-models-${dataset}-2`), writeSummary: false }));
    console.log(`batch: ${dataset} changes loaded in ${sec(loaded.ms)} (${loaded.result.status})`);
  }
  const incremental = await build(false);
  report("incremental build", incremental);
  const full = await build(true);
  report("full rebuild", full);

  const modelMs = (s: ModelSummary[]) => s.filter((m) => m.kind !== "date").reduce((n, m) => n + m.durationMs, 0);
  const ratio = modelMs(incremental.result) / modelMs(full.result);
  console.log(
    `dim_customer + fact_orders after a ${CHANGES.toLocaleString("en-US")}-change batch: incremental ${sec(modelMs(incremental.result))}, ` +
      `full rebuild ${sec(modelMs(full.result))} -> ${(ratio * 100).toFixed(1)}% (target <= ${TARGET * 100}%) -> ${ratio <= TARGET ? "meets target" : "MISSES target"}`,
  );
}
