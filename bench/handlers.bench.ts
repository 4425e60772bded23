// Handler benchmarks (printed, never asserted):
//  burst       1,000 files into one dataset at once -> job runs started (target <= 10), every FILE
//              terminal, zero duplicate loads
//  throughput  file-arrival events/s and p50/p99 latency against dynalite (target >= 200/s)
//  cold start  bundle size and module-init time of each handler vs a bare SDK client import
import { execFileSync } from "child_process";
import { rmSync } from "fs";
import { loadavg } from "os";
import { join } from "path";
import { handleFileArrival } from "../handlers/core/file-arrival";
import { handleJobStateChange } from "../handlers/core/job-state";
import { reconcile } from "../handlers/core/reconcile";
import type { AuditDb } from "../handlers/audit/store";
import { startDynalite } from "../test/handlers/support/dynalite";
import { BenchWorld, benchWorld, landEvent, percentile, pool, startDynaliteProcess } from "./handlers-harness";

const BURST_FILES = Number(process.env.BENCH_BURST_FILES ?? 1000);
const BURST_CONCURRENCY = 50;
// A Glue run takes minutes (startup alone is tens of seconds); 10 s keeps the bench short while
// still being longer than the gap between arrivals, as in a real burst.
const SIMULATED_JOB_MS = Number(process.env.BENCH_JOB_MS ?? 10_000);
const THROUGHPUT_EVENTS = Number(process.env.BENCH_THROUGHPUT_EVENTS ?? 300);
const COLD_START_RUNS = 5;

export async function run(): Promise<void> {
  const server = await startDynalite();
  try {
    await burst(await benchWorld(server));
    await throughput(await benchWorld(server), "in-process dynalite");
  } finally {
    await server.close();
  }
  const child = await startDynaliteProcess();
  try {
    await throughput(await benchWorld(child), "dynalite in a child process");
    const raw = rawWireDb(child.endpoint);
    if (raw) {
      try {
        await throughput(await benchWorld(child, raw), "child dynalite, raw-wire transport instead of the SDK");
      } finally {
        raw.destroy?.();
      }
    }
  } finally {
    await child.close();
  }
  coldStart();
}

async function burst(w: BenchWorld): Promise<void> {
  const inflight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  };
  // Each started Glue run "runs" SIMULATED_JOB_MS, then its state event goes to job-state.
  w.glue.afterStart = () => {
    const run = w.glue.runs[w.glue.runs.length - 1];
    track(
      new Promise((r) => setTimeout(r, SIMULATED_JOB_MS)).then(async () => handleJobStateChange(w.deps, await w.glue.complete(run.Id))),
    );
  };
  const events = Array.from({ length: BURST_FILES }, (_, i) => landEvent(w, `orders/burst/LOAD${String(i).padStart(8, "0")}.csv`));
  const t0 = Date.now();
  await pool(events, BURST_CONCURRENCY, async (e) => {
    await handleFileArrival(w.deps, e);
  });
  const arrivalsMs = Date.now() - t0;
  while (inflight.size > 0) await Promise.all([...inflight]);
  const reconciles = await settle(w, inflight);
  const totalMs = Date.now() - t0;

  const files = await w.audit.listFiles("orders");
  const terminal = files.filter((f) => ["SUCCEEDED", "FAILED", "QUARANTINED", "SKIPPED"].includes(f.status)).length;
  const loads = new Map<string, number>();
  for (const r of w.glue.runs) for (const f of (await w.glue.manifestOf(r.Id)).files) loads.set(f.fileId, (loads.get(f.fileId) ?? 0) + 1);
  const duplicates = [...loads.values()].filter((n) => n > 1).length;
  const sizes = await Promise.all(w.glue.runs.map(async (r) => (await w.glue.manifestOf(r.Id)).files.length));
  console.log(`burst: ${BURST_FILES} files into one dataset, ${BURST_CONCURRENCY} concurrent arrivals, simulated job ${SIMULATED_JOB_MS} ms`);
  console.log(`  job runs started       ${w.glue.runs.length}   (target <= 10; files per run: ${sizes.join(", ")})`);
  console.log(`  FILE items terminal    ${terminal} / ${files.length}`);
  console.log(`  duplicate loads        ${duplicates}`);
  console.log(`  StartJobRun calls      ${w.glue.startCalls}; reconciler passes needed ${reconciles}`);
  console.log(`  arrivals handled in    ${arrivalsMs} ms; all settled in ${totalMs} ms`);
}

/** Runs the reconciler until nothing is pending (normally zero passes: job-state chains runs). */
async function settle(w: BenchWorld, inflight: Set<Promise<unknown>>): Promise<number> {
  let passes = 0;
  while ((await w.audit.listPendingFiles("orders", 1)).length > 0 || (await w.audit.listActiveRuns()).length > 0) {
    if (passes++ > 20) break;
    await reconcile(w.deps);
    while (inflight.size > 0) await Promise.all([...inflight]);
  }
  return passes;
}

async function throughput(w: BenchWorld, where: string): Promise<void> {
  // Steady state: a run is active for every dataset, so arrivals take the common path
  // (HeadObject, FILE put, slot attempt) and wait for the active run.
  const datasets = w.deps.specs.map((s) => s.prefix);
  for (const prefix of datasets) await handleFileArrival(w.deps, landEvent(w, `${prefix}warmup.csv`));
  console.log(`throughput: file-arrival, a run active for every dataset (target >= 200 events/s); load average ${loadavg()[0].toFixed(1)}`);
  for (const concurrency of [1, 8, 32]) {
    const events = Array.from({ length: THROUGHPUT_EVENTS }, (_, i) => landEvent(w, `${datasets[i % datasets.length]}c${concurrency}/${i}.csv`));
    const latencies: number[] = [];
    const t0 = process.hrtime.bigint();
    await pool(events, concurrency, async (e) => {
      const s = process.hrtime.bigint();
      await handleFileArrival(w.deps, e);
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    latencies.sort((a, b) => a - b);
    console.log(
      `throughput (${where}): ${THROUGHPUT_EVENTS} events, concurrency ${String(concurrency).padStart(2)}: ${(THROUGHPUT_EVENTS / seconds).toFixed(0).padStart(4)} events/s, ` +
        `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
  }
}

function coldStart(): void {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { bundleAll } = require("../scripts/bundle-handlers.js");
  const root = join(__dirname, "..");
  // Inside the repo so the external-SDK variant resolves node_modules.
  const outDir = join(root, "dist", "bench-handlers");
  const env = { ...process.env, AUDIT_TABLE: "a", OPS_BUCKET: "o", LANDING_BUCKET: "l", GLUE_JOBS: '{"orders":"j"}', AWS_REGION: "eu-west-1", NODE_NO_WARNINGS: "1" };
  const initMs = (target: string): number => {
    const runs: number[] = [];
    for (let i = 0; i < COLD_START_RUNS; i++) {
      const out = execFileSync(process.execPath, ["-e", `const t=process.hrtime.bigint();require(${JSON.stringify(target)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`], { env, cwd: root, encoding: "utf8" });
      runs.push(Number(out));
    }
    return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  };
  try {
    const bundled = bundleAll(join(outDir, "bundled"));
    const external = bundleAll(join(outDir, "external"), { external: ["@aws-sdk/*", "@smithy/*"] });
    console.log(`cold start: median module-init of ${COLD_START_RUNS} runs of node -e "require(bundle)" (target <= 150 ms)`);
    const baseline = initMs("@aws-sdk/client-dynamodb");
    console.log(`  baseline require("@aws-sdk/client-dynamodb")            ${baseline.toFixed(0).padStart(5)} ms`);
    for (const [i, b] of bundled.entries()) {
      const ext = external[i];
      console.log(
        `  ${b.name.padEnd(13)} bundled ${(b.bytes / 1024).toFixed(0).padStart(4)} KiB ${initMs(b.file).toFixed(0).padStart(5)} ms | ` +
          `SDK external ${(ext.bytes / 1024).toFixed(0).padStart(3)} KiB ${initMs(ext.file).toFixed(0).padStart(5)} ms`,
      );
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * Local mode's raw-wire DynamoDB transport (local/runtime/dynalite-db.ts), when present: the
 * same handler code with the SDK's per-call cost removed shows how much of the time is the SDK.
 */
function rawWireDb(endpoint: string): (AuditDb & { destroy?: () => void }) | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require("../local/runtime/dynalite-db");
    return new mod.DynaliteDb(endpoint);
  } catch {
    return undefined;
  }
}
