// Local mode benchmarks (printed, never asserted):
//  1. latency from a 1,000-row file appearing in landing/ to its FILE item SUCCEEDED, with the
//     default watcher settings `datalake local` uses (median of several drops, one at a time);
//  2. `datalake demo` end to end (six datasets, 1,000 rows each) in a fresh workspace.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { main } from "../local/cli";
import { recordingIo } from "../local/cli-io";
import { startLocalRuntime } from "../local/runtime/defaults";
import type { FileDone } from "../local/runtime/progress";

const DROPS = 7;

function ordersCsv(from: number, n: number): string {
  const lines = ["order_id,customer_id,order_ts,status,total_amount,Op,cdc_ts"];
  for (let i = 0; i < n; i++) lines.push(`${from + i},${(i % 97) + 1},2026-10-31 09:00:00,paid,${(i % 500) + 0.5},I,2026-11-01 10:00:${String(i % 60).padStart(2, "0")}`);
  return lines.join("\n") + "\n";
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function latency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "datalake-bench-local-"));
  const waiting = new Map<string, (e: FileDone) => void>();
  const runtime = await startLocalRuntime({
    workspace: dir,
    log: "none",
    progress: (e) => e.type === "file" && waiting.get(e.key)?.(e),
  });
  try {
    mkdirSync(join(runtime.paths.landing, "orders"), { recursive: true });
    const totals: number[] = [];
    for (let i = 0; i < DROPS; i++) {
      const key = `orders/bench-${i}.csv`;
      const done = new Promise<FileDone>((resolve) => waiting.set(key, resolve));
      const t0 = Date.now();
      writeFileSync(join(runtime.paths.landing, key), ordersCsv(i * 1000 + 1, 1000));
      const e = await done;
      if (e.status !== "SUCCEEDED") throw new Error(`${key} ended ${e.status}: ${e.reason}`);
      totals.push(Date.now() - t0);
    }
    console.log(`landing -> FILE SUCCEEDED, 1,000-row file (median of ${DROPS}): ${median(totals)} ms`);
    console.log(`  all drops (ms): ${totals.join(", ")}; includes the 250 ms settle window of the watcher`);
  } finally {
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function demo(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "datalake-bench-demo-"));
  try {
    const io = recordingIo();
    const t0 = Date.now();
    const code = await main(["demo", "--workspace", dir], io);
    const ms = Date.now() - t0;
    const settled = io.stdout.find((l) => l.includes("settled")) ?? "";
    console.log(`demo end to end (6 datasets x 1,000 rows): ${(ms / 1000).toFixed(1)} s, exit ${code}`);
    console.log(`  ${settled}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  await latency();
  await demo();
}
