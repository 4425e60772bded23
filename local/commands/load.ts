// `datalake load` (being written: waits for the DuckDB executor in engine/duckdb).
import type { CliIo } from "../cli-io";
import { CliError, Verb } from "../cli-verb";

export const loadVerb: Verb = {
  name: "load",
  summary: "load (not available yet)",
  async run(_argv: string[], _io: CliIo): Promise<number> {
    throw new CliError("not available yet");
  },
};
