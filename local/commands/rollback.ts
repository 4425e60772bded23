// `datalake rollback` (being written: waits for the DuckDB executor in engine/duckdb).
import type { CliIo } from "../cli-io";
import { CliError, Verb } from "../cli-verb";

export const rollbackVerb: Verb = {
  name: "rollback",
  summary: "rollback (not available yet)",
  async run(_argv: string[], _io: CliIo): Promise<number> {
    throw new CliError("not available yet");
  },
};
