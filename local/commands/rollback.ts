// `datalake rollback`: re-point a silver table (and its dataset's quarantine) at an earlier
// audited version. `--list` shows the versions kept.
import { existsSync } from "fs";
import { ArgSpec, JSON_FLAG, parseArgs, requireFlag, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { CliError, Verb } from "../cli-verb";
import { formatTable } from "../cli-table";
import { firstLine } from "../cli-text";

const SPEC: ArgSpec = {
  flags: {
    table: { type: "string", value: "NAME", help: "silver table, e.g. fact_orders" },
    to: { type: "string", value: "VERSION", help: "version to restore (default: the one before the current)" },
    list: { type: "boolean", help: "list the kept versions instead of rolling back" },
    ...WORKSPACE_FLAG,
    ...JSON_FLAG,
  },
};
const SUMMARY = "republish an earlier audited version of a silver table";

export const rollbackVerb: Verb = {
  name: "rollback",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("rollback", argv, SPEC);
    if (args.help) {
      io.out(usageText("rollback", SUMMARY, SPEC));
      return 0;
    }
    const table = requireFlag("rollback", args, "table");
    const workspace = workspaceDir(args.flags.workspace);
    if (!existsSync(workspace)) throw new CliError(`workspace ${workspace} does not exist`);
    const { listVersions, rollbackTable } = await import("../../engine/duckdb");
    try {
      if (args.flags.list) {
        const versions = listVersions(workspace, table);
        if (args.flags.json) io.out(JSON.stringify(versions));
        else io.out(formatTable(["version", "current", "rows", "run", "created"], versions.map((v) => [v.version, v.current ? "*" : "", v.rows, v.runId, v.createdAt])));
        return 0;
      }
      const to = typeof args.flags.to === "string" ? args.flags.to : undefined;
      const result = rollbackTable(workspace, table, to);
      if (args.flags.json) io.out(JSON.stringify([result]));
      else io.out(`${result.table}: ${result.from} -> ${result.to}${result.dataset ? ` (quarantine_${result.dataset} too)` : ""}`);
      return 0;
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(firstLine((err as Error).message));
    }
  },
};
