// Where verbs write. main() passes process streams; tests pass a recorder, so the CLI runs
// in-process with no child process and no global stdout patching.
import { existsSync, statSync } from "fs";
import { resolve } from "path";
import { CliError } from "./cli-verb";

export interface CliIo {
  /** One line (or block) of normal output, newline added. */
  out(text: string): void;
  /** One line of diagnostics, newline added. */
  err(text: string): void;
  /** A person watches stderr (a terminal): long work reports progress there unasked. */
  interactive?: boolean;
  /** Resolves when stdout can take more: long output waits here instead of filling memory. */
  drain?(): Promise<void>;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  interactive: process.stderr.isTTY === true,
  drain: () => (process.stdout.writableNeedDrain ? new Promise((resolve) => process.stdout.once("drain", resolve)) : Promise.resolve()),
};

/** Collects output for tests. */
export function recordingIo(opts: { interactive?: boolean } = {}): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: opts.interactive ?? false };
}

export const DEFAULT_WORKSPACE = ".datalake";

/** The workspace directory; one that exists as something else (a file) is a usage error. */
export function workspaceDir(flag: string | boolean | undefined): string {
  const dir = resolve(typeof flag === "string" ? flag : DEFAULT_WORKSPACE);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`--workspace ${dir} is a file, not a directory`, 2);
  return dir;
}
