// `npm run bench -- engine`: (a) engine overhead vs a bare DuckDB copy, (b) incremental cost over
// 30 daily batches. Figures are printed, never asserted. Sizes can be shrunk for a quick look with
// BENCH_ENGINE_ROWS, BENCH_ENGINE_STATE, BENCH_ENGINE_BATCHES, BENCH_ENGINE_BATCH_ROWS; run one
// part with BENCH_ENGINE_PART=overhead|incremental.
import { mkdtempSync, rmSync } from "fs";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import { defaultMemoryLimit } from "../engine/duckdb";
import { engineIncremental } from "./engine-incremental";
import { engineOverhead } from "./engine-overhead";

export async function run(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "datalake-bench-engine-"));
  // Generated data is hundreds of MB: remove it on Ctrl-C too.
  const onSignal = (signal: NodeJS.Signals) => {
    rmSync(tmp, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const part = process.env.BENCH_ENGINE_PART;
  console.log(`machine: ${cpus().length} CPU(s), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM; DuckDB memory_limit ${defaultMemoryLimit()}`);
  try {
    if (part !== "incremental") {
      console.log("\n-- (a) engine overhead --");
      await engineOverhead(tmp);
    }
    if (part !== "overhead") {
      console.log("\n-- (b) incremental cost --");
      await engineIncremental(tmp);
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    rmSync(tmp, { recursive: true, force: true });
  }
}
