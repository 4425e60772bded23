// In-process CLI runs for tests: main(argv) with a recording IO and a temp workspace.
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
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

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
