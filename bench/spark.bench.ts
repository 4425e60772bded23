// `npm run bench -- spark`: the Glue runner on local Spark + Iceberg (Glue 5.1's versions) beside
// the DuckDB executor, on the same plans and files. Printed, never asserted.
//  (a) Incremental at scale: one batch of 50,000 changes over a 500,000-key and a 5,000,000-key
//      orders state, on both engines. Target: time(big) / time(small) <= 1.5 (a whole-table
//      rewrite gives about 10). On Iceberg: files each batch writes, merge-on-read (the runner's
//      default) against copy-on-write.
//  (b) Same plan, same 1,000,000 rows: Spark local vs DuckDB, wall time and peak memory (when the
//      embedded engine is the right one).
// Sizes: BENCH_SPARK_SIZES=500000,5000000 BENCH_SPARK_BATCH=50000 BENCH_SPARK_ROWS=1000000;
// BENCH_SPARK_PART=incremental|compare runs one part; BENCH_SPARK_DRIVER_MEMORY (default 4g).
import { mkdtempSync, rmSync } from "fs";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import { getDataset } from "../datasets";
import type { RunSummary } from "../engine/contracts";
import { runLoad } from "../engine/duckdb";
import { runLoadSpark, SparkServer, GLUE_RUNTIME, type SparkDatabases } from "../engine/spark";
import { generateDataset } from "../local/generator";
import { benchManifest, mb, measure, sec } from "./engine-measure";
import { peakTreeMemory } from "./process-tree";
import { slowestStatements } from "./spark-log";

const SIZES = (process.env.BENCH_SPARK_SIZES ?? "500000,5000000").split(",").map(Number);
const BATCH = Number(process.env.BENCH_SPARK_BATCH ?? 50_000);
const ROWS = Number(process.env.BENCH_SPARK_ROWS ?? 1_000_000);
const TARGET = 1.5;
const spec = getDataset("orders");

interface Timed {
  ms: number;
  peak: number;
  summary: RunSummary;
}

export async function run(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "datalake-bench-spark-"));
  const part = process.env.BENCH_SPARK_PART;
  console.log(
    `machine: ${cpus().length} CPU(s), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM; Glue ${GLUE_RUNTIME.glueVersion} = ` +
      `Spark ${GLUE_RUNTIME.sparkVersion} + Iceberg ${GLUE_RUNTIME.icebergVersion}, local[2]`,
  );
  const server = await SparkServer.start({
    warehouse: join(tmp, "iceberg"),
    logFile: join(tmp, "spark.log"),
    driverMemory: process.env.BENCH_SPARK_DRIVER_MEMORY ?? "4g",
  });
  try {
    if (part !== "compare") await incrementalAtScale(tmp, server);
    if (part !== "incremental") await sameRows(tmp, server);
  } finally {
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const databases = (tag: string): SparkDatabases => ({ silver: `${tag}_silver`, quarantine: `${tag}_quarantine`, bronze: `${tag}_bronze` });

async function onSpark(server: SparkServer, ws: string, dbs: SparkDatabases, paths: string[], root: string, runId: string): Promise<Timed> {
  const manifest = benchManifest(spec, root, paths, runId);
  const started = Date.now();
  const { result, peak } = await peakTreeMemory(server.pid!, () => runLoadSpark({ workspace: ws, spec, manifest, server, databases: dbs }));
  if (result.status !== "SUCCEEDED") console.log(`  spark ${runId} ${result.status}: ${result.error}`);
  return { ms: Date.now() - started, peak, summary: result };
}

async function onDuckdb(ws: string, paths: string[], root: string, runId: string): Promise<Timed> {
  const run = await measure(() => runLoad({ workspace: ws, spec, manifest: benchManifest(spec, root, paths, runId), writeSummary: false }));
  if (run.result.status !== "SUCCEEDED") console.log(`  duckdb ${runId} ${run.result.status}: ${run.result.error}`);
  return { ms: run.ms, peak: run.peakRss, summary: run.result };
}

/** What the last commit of a table's main branch wrote (Iceberg snapshot summary). */
async function lastCommit(server: SparkServer, table: string): Promise<string> {
  const [row] = await server.sql(`SELECT operation, summary FROM ${table}.snapshots ORDER BY committed_at DESC LIMIT 1`);
  const s = (row?.summary ?? {}) as Record<string, string>;
  const n = (k: string) => s[k] ?? "0";
  return `${row?.operation ?? "?"}: +${n("added-data-files")} data files (${n("added-records")} rows), -${n("deleted-data-files")} data files, +${n("added-delete-files")} delete files; ${n("total-data-files")} data files in all`;
}

async function setWriteMode(server: SparkServer, dbs: SparkDatabases, mode: "copy-on-write" | "merge-on-read"): Promise<void> {
  const tables = [`${dbs.bronze}.state_orders`, `${dbs.silver}.${spec.target.table}`, `${dbs.quarantine}.quarantine_orders`];
  for (const t of tables) {
    await server.sql(`ALTER TABLE glue_catalog.${t} SET TBLPROPERTIES ('write.delete.mode'='${mode}', 'write.update.mode'='${mode}', 'write.merge.mode'='${mode}')`);
  }
}

async function incrementalAtScale(tmp: string, server: SparkServer): Promise<void> {
  console.log(`\n-- (a) one batch of ${BATCH.toLocaleString("en-US")} changes over growing state --`);
  const results: { keys: number; duck: number; mor: number; cow: number }[] = [];
  for (const keys of SIZES) {
    const out = join(tmp, `gen-${keys}`);
    const [load, b1, b2] = generateDataset("orders", { format: "csv", seed: 5, rows: keys + 2 * BATCH, loadRows: keys, files: 2, badShare: 0.01, anomalies: false, outDir: out });
    const dbs = databases(`inc${keys}`);
    const sparkWs = join(tmp, `spark-${keys}`);
    console.log(`state of ${keys.toLocaleString("en-US")} keys:`);
    const sInit = await onSpark(server, sparkWs, dbs, [load], out, `init-${keys}`);
    console.log(`  spark initial load ${sec(sInit.ms)} (peak ${mb(sInit.peak)})`);
    const mor = await onSpark(server, sparkWs, dbs, [b1], out, `mor-${keys}`);
    console.log(`  spark batch, merge-on-read: ${sec(mor.ms)}`);
    for (const t of [`${dbs.bronze}.state_orders`, `${dbs.silver}.${spec.target.table}`]) console.log(`    ${t}: ${await lastCommit(server, `glue_catalog.${t}`)}`);
    for (const line of slowestStatements(join(tmp, "spark.log"), `mor-${keys}`)) console.log(`    ${line}`);
    await setWriteMode(server, dbs, "copy-on-write");
    const cow = await onSpark(server, sparkWs, dbs, [b2], out, `cow-${keys}`);
    console.log(`  spark batch, copy-on-write: ${sec(cow.ms)}`);
    for (const t of [`${dbs.bronze}.state_orders`, `${dbs.silver}.${spec.target.table}`]) console.log(`    ${t}: ${await lastCommit(server, `glue_catalog.${t}`)}`);
    const duckWs = join(tmp, `duck-${keys}`);
    const dInit = await onDuckdb(duckWs, [load], out, `init-${keys}`);
    const duck = await onDuckdb(duckWs, [b1], out, `b1-${keys}`);
    console.log(`  duckdb initial load ${sec(dInit.ms)}, batch ${sec(duck.ms)} (peak ${mb(duck.peak)})`);
    results.push({ keys, duck: duck.ms, mor: mor.ms, cow: cow.ms });
    rmSync(out, { recursive: true, force: true });
  }
  if (results.length < 2) return;
  const [small, big] = [results[0], results[results.length - 1]];
  const label = `${big.keys.toLocaleString("en-US")} / ${small.keys.toLocaleString("en-US")} keys`;
  for (const [name, a, b] of [
    ["duckdb", small.duck, big.duck],
    ["spark merge-on-read", small.mor, big.mor],
    ["spark copy-on-write", small.cow, big.cow],
  ] as const) {
    const ratio = b / a;
    console.log(`  ${name.padEnd(20)} ${sec(a).padStart(9)} -> ${sec(b).padStart(9)}: ratio ${ratio.toFixed(2)} (${label}, target <= ${TARGET}) ${ratio <= TARGET ? "meets target" : "MISSES target"}`);
  }
}

async function sameRows(tmp: string, server: SparkServer): Promise<void> {
  console.log(`\n-- (b) same plan, same ${ROWS.toLocaleString("en-US")} rows (full load + 4 change files) --`);
  const out = join(tmp, "gen-compare");
  const paths = generateDataset("orders", { format: "csv", seed: 7, rows: ROWS, files: 4, outDir: out });
  const duck = await onDuckdb(join(tmp, "duck-compare"), paths, out, "compare");
  const spark = await onSpark(server, join(tmp, "spark-compare"), databases("compare"), paths, out, "compare");
  const same = JSON.stringify(duck.summary.counts) === JSON.stringify(spark.summary.counts);
  console.log(`  duckdb: ${sec(duck.ms)}, peak ${mb(duck.peak)} (this process)`);
  console.log(`  spark:  ${sec(spark.ms)}, peak ${mb(spark.peak)} (driver + JVM + workers, PSS)`);
  console.log(`  spark / duckdb: time ${(spark.ms / duck.ms).toFixed(1)}x, memory ${(spark.peak / duck.peak).toFixed(1)}x; counts ${same ? "equal" : "DIFFER"}`);
  rmSync(out, { recursive: true, force: true });
}
