// `npm run bench -- cli`: how long a `datalake` command takes to start, as a user runs it (a new
// node process, bin/datalake.js from its bundle). Median of 5 after one warm-up that rebuilds a
// stale bundle. Beside it, the floor: node starting and loading DuckDB, nothing else.
// Target: <= 0.2 s for `--help` and a small query.
import { execFileSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const BIN = join(__dirname, "..", "bin", "datalake.js");
const RUNS = 5;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeCommand(args: string[], cwd: string): number {
  execFileSync(process.execPath, args, { cwd, stdio: "ignore" });
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    execFileSync(process.execPath, args, { cwd, stdio: "ignore" });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(times);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "datalake-bench-cli-"));
  try {
    mkdirSync(join(dir, ".datalake"));
    const rows: [string, string[]][] = [
      ["node, nothing loaded", ["-e", "0"]],
      ["node + DuckDB loaded", ["-e", `require(${JSON.stringify(require.resolve("@duckdb/node-api"))})`]],
      ["datalake --version", [BIN, "--version"]],
      ["datalake --help", [BIN, "--help"]],
      ["datalake query (small)", [BIN, "query", "SELECT 42 AS answer"]],
    ];
    console.log(`median of ${RUNS} runs each (target <= 200 ms for --help and a small query):`);
    for (const [what, args] of rows) console.log(`  ${what.padEnd(26)} ${timeCommand(args, dir).toFixed(0).padStart(6)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
