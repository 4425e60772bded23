// `npm run bench -- dms`: loading DMS output, 1,000,000 `orders` rows (DMS_BENCH_ROWS to change)
// in three formats, each through `datalake load` as a user runs it (a new node process from the
// CLI bundle, a fresh workspace, every file of the dataset in one load): header CSV with cdc_ts
// (AddColumnName=true, TimestampColumnName=cdc_ts), headerless DMS CSV (DMS defaults) and DMS
// Parquet (DataFormat=parquet). Same seed and sizes, so the three hold the same changes. Prints
// wall time, rows/s (rows read / wall time) and the peak resident memory of the load process side
// by side, and the audit's row counts so a quarantined-whole file cannot pass for a fast load.
import { spawn } from "child_process";
import { mkdtempSync, rmSync, statSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { writeDataset, type OutputFormat } from "../local/generator";
import { peakTreeMemory } from "./process-tree";

const BIN = join(__dirname, "..", "bin", "datalake.js");
const ROWS = Number(process.env.DMS_BENCH_ROWS ?? 1_000_000);
const FORMATS: [OutputFormat, string][] = [
  ["csv", "header CSV + cdc_ts"],
  ["dms-csv", "DMS CSV (no header)"],
  ["dms-parquet", "DMS Parquet"],
];

interface Figures {
  label: string;
  bytes: number;
  seconds: number;
  peak: number;
  code: number;
  error: string;
  read: number;
  loaded: number;
  quarantined: number;
  rejected: number;
}

function runCli(args: string[]): { pid: number; done: Promise<{ code: number; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr })));
  return { pid: child.pid!, done };
}

async function measure(dir: string, format: OutputFormat, label: string): Promise<Figures> {
  const out = join(dir, format, "files");
  const workspace = join(dir, format, "ws");
  const { paths } = await writeDataset("orders", { seed: 1, rows: ROWS, files: 4, badShare: 0.02, format, outDir: out });
  const bytes = paths.reduce((n, p) => n + statSync(p).size, 0);
  const started = process.hrtime.bigint();
  const load = runCli(["load", "--dataset", "orders", "--workspace", workspace, ...paths]);
  const { result, peak } = await peakTreeMemory(load.pid, () => load.done, 100);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const audit = await runCli(["audit", "--workspace", workspace, "--json"]).done;
  const files = audit.code === 0 ? (JSON.parse(audit.stdout) as Record<string, number | undefined>[]) : [];
  const sum = (k: string) => files.reduce((n, f) => n + (f[k] ?? 0), 0);
  return {
    label,
    bytes,
    seconds,
    peak,
    code: result.code,
    error: result.code === 0 ? "" : (result.stderr.trim().split("\n")[0] ?? ""),
    read: sum("rowsRead"),
    loaded: sum("rowsLoaded"),
    quarantined: sum("rowsQuarantined"),
    rejected: sum("rowsRejected"),
  };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "datalake-bench-dms-"));
  try {
    // One throwaway load first: it rebuilds a stale CLI bundle outside the timed runs.
    await runCli(["--version"]).done;
    const results: Figures[] = [];
    for (const [format, label] of FORMATS) {
      results.push(await measure(dir, format, label));
      rmSync(join(dir, format), { recursive: true, force: true });
    }
    const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
    console.log(`orders, ${ROWS.toLocaleString("en-US")} rows (full load + 4 change files), one \`datalake load\` each:`);
    console.log(`  ${"format".padEnd(22)} ${"files MB".padStart(8)} ${"wall s".padStart(7)} ${"rows/s".padStart(9)} ${"peak MB".padStart(8)}  rows read / loaded / quarantined / rejected`);
    for (const r of results) {
      const rate = r.read > 0 ? Math.round(r.read / r.seconds).toLocaleString("en-US") : "-";
      const counts = `${r.read} / ${r.loaded} / ${r.quarantined} / ${r.rejected}`;
      // A file quarantined whole reads fast and loads nothing: not a throughput figure.
      const status = r.code !== 0 ? `  FAILED (exit ${r.code}): ${r.error}` : r.loaded === 0 ? "  NOT LOADED: files quarantined whole" : "";
      console.log(`  ${r.label.padEnd(22)} ${mb(r.bytes).padStart(8)} ${r.seconds.toFixed(1).padStart(7)} ${rate.padStart(9)} ${mb(r.peak).padStart(8)}  ${counts}${status}`);
    }
    const base = results[0];
    for (const r of results.slice(1)) {
      if (base.seconds > 0 && r.code === 0 && r.loaded > 0) console.log(`  ${r.label}: ${(r.seconds / base.seconds).toFixed(2)}x the header CSV's wall time`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
