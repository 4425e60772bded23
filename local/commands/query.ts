// `datalake query`: one read-only SQL statement over the workspace's published tables (silver
// tables and semantic models by name, quarantine_, rejects_, state_ and bronze_<dataset>), printed as a capped table,
// or streamed as JSON or CSV (local/cli-output.ts). `--write` lifts the read-only guard.
import { existsSync } from "fs";
import { ArgSpec, parseArgs, usageText, UsageError, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { CliError, Verb } from "../cli-verb";
import { ROWS_OUTPUT_FLAGS, rowsOutput, writeRows } from "../cli-output";
import { firstLine } from "../cli-text";

const SPEC: ArgSpec = {
  flags: {
    ...WORKSPACE_FLAG,
    ...ROWS_OUTPUT_FLAGS,
    write: { type: "boolean", help: "also run statements that are not SELECT (COPY ... TO a file, SET ...)" },
  },
  positionals: { name: '"SQL"', min: 1, max: 1 },
};
const SUMMARY = "run SQL over silver tables, semantic models (dim_, fact_) and quarantine_, rejects_, state_ and bronze_<dataset>";

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
    for (const run of session.unfinished) {
      io.err(`datalake query: the publish of ${run} is unfinished (a load stopped mid-publish; the next load of the dataset finishes it): its tables may mix versions until then`);
    }
    try {
      let result;
      try {
        result = await session.stream(args.positionals[0], { write: args.flags.write === true });
      } catch (err) {
        // The table list helps when the SQL or a name in it is wrong (DuckDB's parser, catalog or
        // binder); after a refusal of the statement (one that writes, two statements) it was 37
        // names of noise.
        const message = firstLine((err as Error).message);
        if (!/^(Catalog|Parser|Binder) Error/.test(message)) throw new CliError(message);
        const tables = session.tables.length > 0 ? session.tables.join(", ") : "none yet";
        throw new CliError(`${message} (tables: ${tables})`);
      }
      await writeRows(io, output, result.columns, result.batches);
      return 0;
    } finally {
      session.close();
    }
  },
};
