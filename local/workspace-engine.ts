// Which engine a workspace's tables belong to. The DuckDB executor keeps Parquet versions under
// <ws>/{bronze,state,silver,...}; the Spark runner keeps Iceberg tables under <ws>/iceberg. Each
// has its own files ledger, so loading one workspace with both would load every file twice:
// the first load records its engine in <ws>/engine.json and the other engine is refused.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { CliError } from "./cli-verb";

export const ENGINES = ["duckdb", "spark"] as const;
export type EngineName = (typeof ENGINES)[number];

const markerFile = (workspace: string) => join(workspace, "engine.json");

/** The workspace's engine: its marker, else DuckDB (workspaces made before the marker existed). */
export function workspaceEngine(workspace: string): EngineName {
  const file = markerFile(workspace);
  if (!existsSync(file)) return "duckdb";
  const engine = (JSON.parse(readFileSync(file, "utf8")) as { engine?: string }).engine;
  return engine === "spark" ? "spark" : "duckdb";
}

/** Records `engine` for a workspace, or throws one line when it already holds the other's tables. */
export function claimWorkspaceEngine(workspace: string, engine: EngineName): void {
  const file = markerFile(workspace);
  const tables = { duckdb: ["bronze", "silver", "state"].some((zone) => existsSync(join(workspace, zone))), spark: existsSync(join(workspace, "iceberg")) };
  // A marker without its engine's tables is a first load that never wrote any (Spark not
  // installed, say): it does not bind the workspace.
  const marked = existsSync(file) ? workspaceEngine(workspace) : undefined;
  const current = marked !== undefined && tables[marked] ? marked : tables.duckdb ? "duckdb" : undefined;
  if (current !== undefined && current !== engine) {
    throw new CliError(`workspace ${workspace} holds ${current} tables; load --engine ${engine} into another --workspace`);
  }
  if (marked !== engine) {
    mkdirSync(workspace, { recursive: true });
    writeFileSync(file, `${JSON.stringify({ engine }, null, 2)}\n`);
  }
}

export function parseEngine(value: string | boolean | undefined): EngineName {
  if (value === undefined) return "duckdb";
  if (typeof value === "string" && (ENGINES as readonly string[]).includes(value)) return value as EngineName;
  // The CLI prints CliErrors as `datalake <verb>: <message>`: the verb is not repeated here.
  throw new CliError(`--engine must be ${ENGINES.join(" or ")}, got ${JSON.stringify(value)}`, 2);
}
