// `npm run bench -- peer` (issue 15): the CLI `datalake load` against the reconcile a data
// engineer would hand-write in DuckDB instead (bench/peer-reconcile.js: latest per key, drop
// deletes, TRY_CAST, rule labels, partitioned silver + quarantine Parquet; no bronze, state,
// lineage, rejects, audits or atomic publish), on the same generated orders files, run
// alternately (so drift in the machine's load hits both) as separate processes measured exactly
// (bench/report-usage.js: getrusage of each child). Targets: wall and peak memory <= 1.5x the peer.
// A third script runs with them, the contract's floor (bench/contract-floor.js: the least work the
// contract asks for, hand-written the peer's way): how much of the CLI's ratio the contract itself
// costs, and how much is left to win.
// Sizes: BENCH_PEER_ROWS (default 1,000,000), BENCH_PEER_FILES (10), BENCH_PEER_ROUNDS (3).
import { execFileSync } from "child_process";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { cpus, tmpdir, totalmem } from "os";
import { join } from "path";
import { generateDataset } from "../local/generator";
import { mb, sec, sizeOf } from "./engine-measure";

const ROWS = Number(process.env.BENCH_PEER_ROWS ?? 1_000_000);
const FILES = Number(process.env.BENCH_PEER_FILES ?? 10);
const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 3);
const TARGET = 1.5;
const ROOT = join(__dirname, "..");

interface Usage {
  ms: number;
  cpuMs: number;
  peakRss: number;
  stdout: string;
}

function runMeasured(args: string[], usageFile: string): Usage {
  const started = process.hrtime.bigint();
  const stdout = execFileSync(process.execPath, ["-r", join(__dirname, "report-usage.js"), ...args], {
    cwd: ROOT,
    env: { ...process.env, BENCH_USAGE_FILE: usageFile },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  }).toString();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as { cpuMs: number; peakRss: number };
  return { ms, ...usage, stdout };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "datalake-bench-peer-"));
  try {
    const paths = generateDataset("orders", { format: "csv", seed: 7, rows: ROWS, files: FILES - 1, outDir: join(tmp, "landing") });
    console.log(
      `machine: ${cpus().length} CPU(s), ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM; ` +
        `${ROWS.toLocaleString("en-US")} orders changes in ${paths.length} header CSV files (${mb(sizeOf(paths))}); ${ROUNDS} rounds, alternating`,
    );
    execFileSync(process.execPath, [join(ROOT, "bin", "datalake.js"), "--version"], { cwd: ROOT, stdio: "ignore" }); // builds a stale bundle
    // Each script writes into a fresh folder under tmp, removed as soon as its run is measured.
    const measureIn = (prefix: string, args: (dir: string) => string[]): Usage => {
      const dir = mkdtempSync(join(tmp, prefix));
      try {
        return runMeasured(args(dir), join(tmp, "usage.json"));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const peer: Usage[] = [];
    const floor: Usage[] = [];
    const cli: Usage[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      peer.push(measureIn("peer-", (out) => [join(__dirname, "peer-reconcile.js"), out, ...paths]));
      floor.push(measureIn("floor-", (out) => [join(__dirname, "contract-floor.js"), out, ...paths]));
      cli.push(measureIn("ws-", (ws) => [join(ROOT, "bin", "datalake.js"), "load", "--dataset", "orders", "--workspace", ws, "--json", "--no-build", ...paths]));
      const at = (runs: Usage[]) => `${sec(runs[round - 1].ms)} / ${mb(runs[round - 1].peakRss)}`;
      console.log(`  round ${round}: peer ${at(peer)}, contract floor ${at(floor)}, CLI load ${at(cli)}`);
    }
    const peerCounts = JSON.parse(peer[0].stdout) as { silverRows: number; quarantineRows: number };
    const loaded = (JSON.parse(cli[0].stdout) as { counts?: Record<string, number> }[])[0]?.counts ?? {};
    const floorCounts = JSON.parse(floor[0].stdout) as { silverRows: number; quarantineRows: number };
    console.log(
      `  peer: silver ${peerCounts.silverRows}, quarantine ${peerCounts.quarantineRows}; contract floor: silver ${floorCounts.silverRows}, ` +
        `quarantine ${floorCounts.quarantineRows}; CLI: silver ${loaded.silverRows}, quarantine ${loaded.quarantineRows}, rejected ${loaded.rejectedRows}`,
    );
    const line = (name: string, runs: Usage[]) =>
      `${name.padEnd(30)} ${sec(median(runs.map((r) => r.ms))).padStart(9)} wall  ${sec(median(runs.map((r) => r.cpuMs))).padStart(9)} CPU  peak RSS ${mb(median(runs.map((r) => r.peakRss))).padStart(8)}`;
    console.log("median of the rounds:");
    console.log(line("hand-written DuckDB reconcile", peer));
    console.log(line("contract floor (hand-written)", floor));
    console.log(line("datalake load (CLI)", cli));
    const ratio = (of: Usage[], to: Usage[], pick: (u: Usage) => number) => median(of.map(pick)) / median(to.map(pick));
    const ratios = (of: Usage[], to: Usage[]) => [ratio(of, to, (u) => u.ms), ratio(of, to, (u) => u.cpuMs), ratio(of, to, (u) => u.peakRss)];
    const verdict = (r: number) => (r <= TARGET ? "meets" : "MISSES");
    const [wall, cpu, rss] = ratios(cli, peer);
    console.log(`ratio CLI / peer: wall ${wall.toFixed(2)} (target <= ${TARGET}: ${verdict(wall)}), CPU ${cpu.toFixed(2)}, peak memory ${rss.toFixed(2)} (target <= ${TARGET}: ${verdict(rss)})`);
    const [floorWall, floorCpu, floorRss] = ratios(floor, peer);
    console.log(`ratio contract floor / peer: wall ${floorWall.toFixed(2)}, CPU ${floorCpu.toFixed(2)}, peak memory ${floorRss.toFixed(2)} (what the contract's own work costs)`);
    const [leftWall, leftCpu, leftRss] = ratios(cli, floor);
    console.log(`ratio CLI / contract floor: wall ${leftWall.toFixed(2)}, CPU ${leftCpu.toFixed(2)}, peak memory ${leftRss.toFixed(2)} (what the platform adds to it)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
