// DuckDB reads the Iceberg tables a local Spark run wrote (`datalake query`, the parity suite):
// DuckDB's iceberg and avro extensions at DuckDB's own version, from the project venv (PyPI's
// duckdb-extension-* wheels carry the signed binaries; the machine needs no extension download).
// iceberg_scan reads a table folder's current metadata (version-hint.text, which the local Hadoop
// catalog maintains), i.e. the published `main` snapshot, never an unpublished WAP branch.
import { existsSync, readdirSync } from "fs";
import { join } from "path";
import type { Session } from "../duckdb/session";
import { lit } from "../duckdb/session";
import { REPO_ROOT, SETUP_COMMAND } from "./runtime";

const EXTENSIONS = ["avro", "iceberg"] as const;

function sitePackages(): string | undefined {
  const lib = join(REPO_ROOT, ".venv", "lib");
  if (!existsSync(lib)) return undefined;
  const python = readdirSync(lib).find((n) => n.startsWith("python"));
  return python ? join(lib, python, "site-packages") : undefined;
}

/** Paths of the extension binaries for DuckDB `version` ("v1.5.5"); throws one line when absent. */
export function icebergExtensionFiles(version: string): string[] {
  const site = sitePackages();
  const files = EXTENSIONS.map((name) =>
    site ? join(site, `duckdb_extension_${name}`, "extensions", version, `${name}.duckdb_extension`) : "",
  );
  const missing = files.filter((f) => !f || !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`reading Iceberg tables needs DuckDB's iceberg extension for ${version} from the project venv: run \`${SETUP_COMMAND}\``);
  }
  return files;
}

export async function loadIcebergExtension(session: Session): Promise<void> {
  const [row] = await session.rows("SELECT version() AS v");
  for (const file of icebergExtensionFiles(String(row.v))) await session.run(`LOAD ${lit(file)}`);
}

/** FROM-clause of one table of the local catalog. */
export const icebergScan = (tableDir: string): string => `iceberg_scan(${lit(tableDir)})`;

/** Table folders of one database of the local catalog (those holding metadata), by name. */
export function icebergTables(warehouse: string, database: string): Map<string, string> {
  const dir = join(warehouse, database);
  const tables = new Map<string, string>();
  if (!existsSync(dir)) return tables;
  for (const name of readdirSync(dir).sort()) {
    if (existsSync(join(dir, name, "metadata", "version-hint.text"))) tables.set(name, join(dir, name));
  }
  return tables;
}
