// `datalake query`: SQL over the workspace's published tables (silver tables by name,
// quarantine_<dataset>, rejects_<dataset>), printed as a table or one JSON array.
import { existsSync } from "fs";
import { ArgSpec, JSON_FLAG, parseArgs, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { CliError, Verb } from "../cli-verb";
import { formatTable } from "../cli-table";
import { firstLine } from "../cli-text";

const SPEC: ArgSpec = {
  flags: { ...WORKSPACE_FLAG, ...JSON_FLAG },
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
    const workspace = workspaceDir(args.flags.workspace);
    if (!existsSync(workspace)) throw new CliError(`workspace ${workspace} does not exist (load something first)`);
    const { openQuerySession } = await import("../../engine/duckdb");
    const session = await openQuerySession(workspace);
    try {
      let result;
      try {
        result = await session.query(args.positionals[0]);
      } catch (err) {
        const tables = session.tables.length > 0 ? session.tables.join(", ") : "none yet";
        throw new CliError(`${firstLine((err as Error).message)} (tables: ${tables})`);
      }
      if (args.flags.json) {
        const objects = result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c, row[i]])));
        io.out(JSON.stringify(objects, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
      } else {
        io.out(formatTable(result.columns, result.rows));
        io.out(`(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`);
      }
      return 0;
    } finally {
      session.close();
    }
  },
};
