// Read-only SQL over a workspace: one view per published silver table (its current pointer) and
// per published semantic model,
// plus quarantine_<dataset> and state_<dataset> (current versions), rejects_<dataset> and
// bronze_<dataset> (all runs). Views are bound
// to the versions current when the session opens, taken at one moment when no publish is half
// done (query-snapshot.ts).
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBTypeId, StatementType } from "@duckdb/node-api";
import { icebergScan, icebergTables, loadIcebergExtension } from "../spark/iceberg-duckdb";
import { LOCAL_SPARK } from "../spark/run-load";
import { LOCAL_SEMANTIC_DATABASE } from "../spark/build-model";
import { fileList, ident, lit, openSession, type Session, type SessionOptions } from "./session";
import { consistentViews } from "./query-snapshot";
import { listSilverTables } from "./versions";
import { listSemanticTables, semanticScan } from "./build-model";
import { currentSegments, segmentsScan } from "./segments";
import { committedBronzeFiles } from "./tables";
import { parquetFiles, zoneDir } from "./workspace";

const READ_ONLY = new Set<StatementType>([StatementType.SELECT, StatementType.EXPLAIN]);
const WIDE_INTEGERS = new Set<number>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT]);

/** SQL comments and blanks before a statement's first keyword. */
const LEADING = /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;
/** EXPLAIN ANALYZE (or ANALYSE, or an options list naming it), which runs the statement it explains. */
const EXPLAIN_ANALYZE = /^EXPLAIN\s+(?:ANALY[SZ]E\b|\([^)]*\bANALY[SZ]E\b[^)]*\))/i;

/**
 * The statement an EXPLAIN ANALYZE runs (it executes what it explains: `EXPLAIN ANALYZE COPY ...
 * TO` wrote over a published Parquet file with the read-only guard on), or null for a plain
 * EXPLAIN, which runs nothing.
 */
function analyzedStatement(sql: string): string | null {
  const text = sql.replace(LEADING, "");
  const analyzed = text.match(EXPLAIN_ANALYZE);
  return analyzed ? text.slice(analyzed[0].length) : null;
}

/**
 * Whether `sql` parses as a query (a SELECT, or EXPLAIN of anything: its plain form runs nothing),
 * by the parser alone: json_serialize_sql serializes only SELECT statements and does not bind.
 */
async function parsesAsQuery(session: Session, sql: string): Promise<boolean> {
  if (/^EXPLAIN\b/i.test(sql.replace(LEADING, ""))) return true;
  const [row] = await session.rows(`SELECT json_serialize_sql(${lit(sql)}) ->> 'error_type' AS error`);
  return row?.error !== "not implemented";
}

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
}

export interface QueryStream {
  columns: string[];
  /** The rows in batches (DuckDB's chunks), read as they are consumed. */
  batches: AsyncIterable<unknown[][]>;
}

export interface QuerySession {
  /** Names of the views the session offers, sorted. */
  tables: string[];
  /**
   * Publishes a killed load left unfinished (`<dataset> run <runId>`; query-snapshot.ts): until
   * the next load finishes them, their tables may mix versions.
   */
  unfinished: string[];
  query(sql: string): Promise<QueryResult>;
  /**
   * The same rows as query(), without holding them all: for output of any size. Read-only unless
   * `write`: a statement other than SELECT / EXPLAIN (COPY ... TO, DROP VIEW, SET...) is refused.
   */
  stream(sql: string, options?: { write?: boolean }): Promise<QueryStream>;
  close(): void;
}

/** View name -> FROM item (null: nothing to read yet) of every published DuckDB table. */
function publishedViews(workspace: string): Map<string, string | null> {
  const views = new Map<string, string | null>();
  for (const table of listSilverTables(workspace)) views.set(table, currentScan(zoneDir(workspace, "silver", table)));
  for (const dataset of subdirs(path.join(workspace, "quarantine"))) views.set(`quarantine_${dataset}`, currentScan(zoneDir(workspace, "quarantine", dataset)));
  // The replayable history and the per-key latest changes, for tracing a row back to its file.
  for (const dataset of subdirs(path.join(workspace, "bronze"))) {
    const files = committedBronzeFiles(workspace, dataset);
    views.set(`bronze_${dataset}`, files.length > 0 ? `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)` : null);
  }
  for (const dataset of subdirs(path.join(workspace, "state"))) views.set(`state_${dataset}`, currentScan(zoneDir(workspace, "state", dataset)));
  // Published semantic tables by model name (dim_customer, fact_orders, dim_date): after silver,
  // so a model wins over a silver table of the same name (silver tables are named after datasets).
  for (const model of listSemanticTables(workspace)) views.set(model, semanticScan(workspace, model));
  for (const dataset of subdirs(path.join(workspace, "rejects"))) {
    const files = parquetFiles(zoneDir(workspace, "rejects", dataset));
    views.set(`rejects_${dataset}`, files.length > 0 ? `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)` : null);
  }
  return views;
}

export async function openQuerySession(workspace: string, opts: SessionOptions & { publishWaitMs?: number } = {}): Promise<QuerySession> {
  const { views, unfinished } = await consistentViews(workspace, () => publishedViews(workspace), opts.publishWaitMs);
  const session = await openSession(opts);
  const tables: string[] = [];
  try {
    for (const [name, scan] of views) {
      if (scan === null) continue;
      await session.run(`CREATE VIEW ${ident(name)} AS SELECT * FROM ${scan}`);
      tables.push(name);
    }
    tables.push(...(await icebergViews(session, workspace)));
  } catch (e) {
    session.close();
    throw e;
  }
  const stream = async (sql: string, options: { write?: boolean } = {}): Promise<QueryStream> => {
    const extracted = await session.conn
      .extractStatements(sql)
      .catch((err: Error) => Promise.reject(new Error(err.message.replace(/^Failed to extract statements: /, ""))));
    // Several statements would print only the last one's rows: refuse rather than hide the others.
    if (extracted.count !== 1) throw new Error(`one SQL statement at a time (got ${extracted.count})`);
    const refuse = (what: string) => new Error(`query only reads (SELECT, DESCRIBE, SUMMARIZE, EXPLAIN); this is ${what}: add --write to run it`);
    const prepared = await extracted.prepare(0).catch(async (err: Error) => {
      // Preparing binds, and a write to a view fails there ("Binder Error: Can only delete from
      // base table"): the parser alone tells that it is no query, so the refusal names the cause.
      if (!options.write && !(await parsesAsQuery(session, sql))) throw refuse("a statement that writes");
      throw err;
    });
    if (!options.write && !READ_ONLY.has(prepared.statementType)) {
      throw refuse(`a ${StatementType[prepared.statementType]} statement`);
    }
    const analyzed = !options.write && prepared.statementType === StatementType.EXPLAIN ? analyzedStatement(sql) : null;
    if (analyzed !== null) {
      // Prepared, not run: its type is what EXPLAIN ANALYZE would execute.
      const inner = await session.conn.extractStatements(analyzed).catch(() => null);
      const type = inner && inner.count === 1 ? (await inner.prepare(0).catch(() => null))?.statementType : undefined;
      if (type !== StatementType.SELECT) throw new Error("query only reads: EXPLAIN ANALYZE runs the statement it explains, and only a SELECT may run without --write");
    }
    const result = await prepared.stream();
    // JSON-safe values: wide integers come back as strings; make them numbers when exact.
    const wide = result.columnTypes().map((t) => WIDE_INTEGERS.has(t.typeId));
    async function* batches(): AsyncIterable<unknown[][]> {
      for await (const rows of result.yieldRowsJson()) {
        yield (rows as unknown[][]).map((row) => row.map((v, i) => (wide[i] && typeof v === "string" && Number.isSafeInteger(Number(v)) ? Number(v) : v)));
      }
    }
    return { columns: result.columnNames(), batches: batches() };
  };
  return {
    tables: tables.sort(),
    unfinished,
    stream,
    async query(sql) {
      const { columns, batches } = await stream(sql);
      const rows: unknown[][] = [];
      for await (const batch of batches) for (const row of batch) rows.push(row);
      return { columns, rows };
    },
    close: () => session.close(),
  };
}

/**
 * Views over the Iceberg tables `--engine spark` loads wrote (<ws>/iceberg, the local catalog),
 * under the same names: silver tables, quarantine_<dataset>, rejects_<dataset>, and the semantic
 * models `build` published (dim_customer, fact_orders: after silver, so a model wins). A table with no
 * published snapshot yet (its first run failed) has no view.
 */
async function icebergViews(session: Session, workspace: string): Promise<string[]> {
  const warehouse = path.join(workspace, "iceberg");
  if (!fs.existsSync(warehouse)) return [];
  await loadIcebergExtension(session);
  const { silver, quarantine } = LOCAL_SPARK.databases;
  const wanted = [...icebergTables(warehouse, silver)].concat(
    [...icebergTables(warehouse, quarantine)].filter(([name]) => /^(quarantine|rejects)_/.test(name)),
    [...icebergTables(warehouse, LOCAL_SEMANTIC_DATABASE)],
  );
  const created: string[] = [];
  for (const [name, dir] of wanted) {
    try {
      // Spark's TIMESTAMP is an Iceberg timestamptz: shown as the UTC TIMESTAMP the DuckDB engine
      // stores, so both engines' tables read alike.
      const columns = await session.rows(`DESCRIBE SELECT * FROM ${icebergScan(dir)}`);
      const select = columns.map((c) =>
        String(c.column_type) === "TIMESTAMP WITH TIME ZONE"
          ? `timezone('UTC', ${ident(String(c.column_name))}) AS ${ident(String(c.column_name))}`
          : ident(String(c.column_name)),
      );
      await session.run(`CREATE OR REPLACE VIEW ${ident(name)} AS SELECT ${select.join(", ")} FROM ${icebergScan(dir)}`);
      created.push(name);
    } catch {
      // no published snapshot yet
    }
  }
  return created;
}

/** The current version of a versioned table (its segments: engine/duckdb/segments.ts). */
function currentScan(dir: string): string | null {
  const seg = currentSegments(dir);
  return seg && segmentsScan(seg, (data) => path.join(dir, data));
}

function subdirs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}
