// The object versions a workspace's files ledger holds for some object keys, each with its place
// among the key's versions as the engines order them (`_version_at`: the version's first arrival,
// then its sequencer, engine/compile.ts fileOrder). `datalake load` names bytes dropped again
// under a key by them (cli-manifest.ts redropped). The ledger, not the audit store: it is what
// the engine decides ALREADY_LOADED by, a rollback sets its rows aside, and it is whole once
// lockWorkspace has finished the publish a killed load committed (its FILE items wait for the
// next record).
import type { DatasetSpec } from "../datasets";
import { SEQUENCER_WIDTH, tableDefs } from "../engine/compile";
import { fileList, lit, openSession, type Session } from "../engine/duckdb/session";
import { bronzeFilesDir, parquetFiles } from "../engine/duckdb/workspace";
import { icebergScan, icebergTables, loadIcebergExtension } from "../engine/spark/iceberg-duckdb";
import { icebergWarehouse, LOCAL_SPARK } from "../engine/spark/run-load";
import { workspaceEngine } from "./workspace-engine";

/** A loaded version of a key: its `_version_at` (the engines' order of a key's versions) and first arrival. */
export interface LoadedVersion {
  order: string;
  receivedAt: string;
}

/** Object key -> (version id -> LoadedVersion), for the keys with a version in the ledger. */
export type LoadedVersions = Map<string, Map<string, LoadedVersion>>;

/** The loaded versions of a dataset's `keys`. Call holding the workspace lock. */
export async function loadedVersions(workspace: string, spec: DatasetSpec, keys: readonly string[]): Promise<LoadedVersions> {
  const out: LoadedVersions = new Map();
  const ledger = ledgerOf(workspace, spec);
  if (keys.length === 0 || !ledger) return out;
  const session = await openSession({ threads: 1 });
  try {
    if (ledger.iceberg) await loadIcebergExtension(session);
    // Ledger files written before a column existed lack it: read as NULL, as the engines read them.
    const columns = await columnNames(session, ledger.scan);
    const column = (name: string) => (columns.has(name) ? name : "NULL");
    const rows = await session.rows(
      `SELECT _source_key AS k, _source_version AS v, ${column("_received_at")} AS r, ${column("_sequencer")} AS s FROM ${ledger.scan} ` +
        `WHERE _source_key IN (${[...new Set(keys)].map(lit).join(", ")})`,
    );
    for (const r of rows) {
      const versions = out.get(String(r.k)) ?? new Map<string, LoadedVersion>();
      versions.set(String(r.v), earliest(versions.get(String(r.v)), r.r === null ? null : String(r.r), r.s === null ? "" : String(r.s)));
      out.set(String(r.k), versions);
    }
    return out;
  } finally {
    session.close();
  }
}

/**
 * A version's first listing in the ledger: `_version_at` is MIN(`_received_at` || the sequencer
 * right-padded, as S3 compares sequencers), "" when no row has an arrival (compile.ts fileOrder).
 */
function earliest(seen: LoadedVersion | undefined, receivedAt: string | null, sequencer: string): LoadedVersion {
  const known = seen ?? { order: "", receivedAt: "" };
  if (receivedAt === null) return known;
  const s = sequencer.toUpperCase();
  const order = receivedAt + s.padEnd(Math.max(s.length, SEQUENCER_WIDTH), "0");
  return {
    order: known.order === "" || order < known.order ? order : known.order,
    receivedAt: known.receivedAt === "" || receivedAt < known.receivedAt ? receivedAt : known.receivedAt,
  };
}

/**
 * The dataset's files ledger as a FROM item: the DuckDB engine's Parquet files, or an `--engine
 * spark` workspace's Iceberg table (its published snapshot); undefined before a first publish.
 */
function ledgerOf(workspace: string, spec: DatasetSpec): { scan: string; iceberg: boolean } | undefined {
  if (workspaceEngine(workspace) === "spark") {
    const dir = icebergTables(icebergWarehouse(workspace), LOCAL_SPARK.databases.bronze).get(tableDefs(spec).files.name);
    return dir === undefined ? undefined : { scan: icebergScan(dir), iceberg: true };
  }
  const files = parquetFiles(bronzeFilesDir(workspace, spec.name));
  return files.length === 0 ? undefined : { scan: `read_parquet(${fileList(files)}, union_by_name = true)`, iceberg: false };
}

async function columnNames(session: Session, scan: string): Promise<Set<string>> {
  const columns = await session.rows(`DESCRIBE SELECT * FROM ${scan}`);
  return new Set(columns.map((c) => String(c.column_name)));
}
