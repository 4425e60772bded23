// `datalake query`: SQL over the workspace's published tables (silver tables by name,
// quarantine_<dataset>, rejects_<dataset>), printed as a table or one JSON array.
import { existsSync } from "fs";
import { ArgSpec, parseArgs, usageText, UsageError, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { CliError, Verb } from "../cli-verb";
import { ROWS_OUTPUT_FLAGS, rowsOutput, writeRows } from "../cli-output";
import { firstLine } from "../cli-text";

const SPEC: ArgSpec = {
  flags: { ...WORKSPACE_FLAG, ...ROWS_OUTPUT_FLAGS },
  positionals: { name: '"SQL"', min: 1, max: 1 },
};
const SUMMARY = "run SQL over silver tables, quarantine_<dataset> and rejects_<dataset>";

export const queryVerb: Verb = {
  name: "query",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("query", argv, SPEC);
    if (args.help) {
      io.out(usageText("query", SUMMARY, SPEC));
      return 0;
    }
    const output = rowsOutput("query", args);
    if (args.positionals[0].trim() === "") throw new UsageError("query: the SQL is empty");
    const workspace = workspaceDir(args.flags.workspace);
    if (!existsSync(workspace)) throw new CliError(`workspace ${workspace} does not exist (load something first)`);
    const { openQuerySession } = await import("../../engine/duckdb");
    const session = await openQuerySession(workspace);
    try {
      let result;
      try {
        result = await session.stream(args.positionals[0]);
      } catch (err) {
        const tables = session.tables.length > 0 ? session.tables.join(", ") : "none yet";
        throw new CliError(`${firstLine((err as Error).message)} (tables: ${tables})`);
      }
      await writeRows(io, output, result.columns, result.batches);
      return 0;
    } finally {
      session.close();
    }
  },
};
