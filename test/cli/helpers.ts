// CLI runs for tests: main(argv) in-process with a recording IO, or bin/datalake.js as a real
// process; and temp workspaces.
import { execFile } from "child_process";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import { main } from "../../local/cli";
import { recordingIo } from "../../local/cli-io";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(...argv: string[]): Promise<CliRun> {
  return cliWith({}, ...argv);
}

/** `cli` as if stderr were a terminal (interactive) or not. */
export async function cliWith(opts: { interactive?: boolean }, ...argv: string[]): Promise<CliRun> {
  const io = recordingIo(opts);
  const code = await main(argv, io);
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") };
}

/** Runs `query --json` and returns its rows. */
export async function queryJson<T = Record<string, unknown>>(workspace: string, sql: string): Promise<T[]> {
  const run = await cli("query", "--workspace", workspace, "--json", sql);
  if (run.code !== 0) throw new Error(`query failed (${run.code}): ${run.stderr}`);
  return JSON.parse(run.stdout) as T[];
}

export const BIN = join(__dirname, "..", "..", "bin", "datalake.js");

/** `node <bin> ...args` as a real process: its exit code and output, whether it failed or not. */
export async function runProcess(args: string[], options: { bin?: string; cwd?: string } = {}): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [options.bin ?? BIN, ...args], { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
