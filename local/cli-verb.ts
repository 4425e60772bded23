// The shape of one CLI verb. One file per verb under local/commands/, registered in local/cli.ts.
import type { CliIo } from "./cli-io";

export interface Verb {
  name: string;
  /** One line for `datalake --help`. */
  summary: string;
  /** Returns the process exit code. Throw UsageError for usage mistakes (exit 2). */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A failure the user can fix (missing file, unknown dataset, bad SQL): one line, exit 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}
