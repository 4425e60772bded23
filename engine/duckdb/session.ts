// One DuckDB instance per load or query session (a build of models: one for all of them,
// SessionPool), sized for the machine: a memory cap well below RAM (DuckDB spills joins, sorts
// and windows to temp_directory beyond it), so a 1M-row load neither gets OOM-killed nor starves
// the rest of the process.
import * as fs from "node:fs";
import * as os from "node:os";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { DIALECTS } from "../dialects";
import type { PlanColumn } from "../plan";

export interface SessionOptions {
  /** DuckDB memory_limit, e.g. "2GB". @default DEFAULT_MEMORY_LIMIT (40% of RAM, 1-8 GB) */
  memoryLimit?: string;
  /** Spill directory. */
  tempDirectory?: string;
  /** @default number of CPUs */
  threads?: number;
}

export function defaultMemoryLimit(): string {
  const mb = Math.floor((os.totalmem() / 1024 / 1024) * 0.4);
  return `${Math.min(8192, Math.max(1024, mb))}MB`;
}

export interface Session {
  conn: DuckDBConnection;
  /** Worker threads of the instance. */
  threads: number;
  run(sql: string): Promise<number>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /**
   * Independent statements side by side, each on its own connection of the instance (the first
   * on `conn`), sharing its threads and memory limit; settles when all have, and then rejects
   * with the first failure. For statements DuckDB runs in a sequential pipeline (a CSV scan
   * numbering its rows), which alone keep one of the instance's threads busy.
   */
  runSideBySide(sqls: string[]): Promise<void>;
  /** Stops the statements running on every connection of the session. */
  interrupt(): void;
  close(): void;
}

export async function openSession(opts: SessionOptions = {}): Promise<Session> {
  const { instance, threads } = await openInstance(opts);
  return sessionOn(instance, await instance.connect(), threads, () => instance.closeSync());
}

/**
 * One instance for several sessions in turn, each on a connection of its own (temp tables and
 * views are a connection's: closing one drops them). A build of several models opens the
 * instance once: creating and closing one costs 20-40 ms, a connection under 1 ms, which is 5-8%
 * of an incremental star build (engine/duckdb/build-models.ts).
 */
export interface SessionPool {
  /** A session of the instance; its close() closes its connection only. */
  session(): Promise<Session>;
  /** Closes the instance (after every session's close). */
  close(): void;
}

export async function openSessionPool(opts: SessionOptions = {}): Promise<SessionPool> {
  const { instance, threads } = await openInstance(opts);
  return {
    session: async () => sessionOn(instance, await instance.connect(), threads, () => undefined),
    close: () => instance.closeSync(),
  };
}

async function openInstance(opts: SessionOptions): Promise<{ instance: DuckDBInstance; threads: number }> {
  const config: Record<string, string> = {
    memory_limit: opts.memoryLimit ?? defaultMemoryLimit(),
    threads: String(opts.threads ?? Math.max(1, os.cpus().length)),
  };
  if (opts.tempDirectory) {
    fs.mkdirSync(opts.tempDirectory, { recursive: true });
    config.temp_directory = opts.tempDirectory;
  }
  return { instance: await DuckDBInstance.create(":memory:", config), threads: Number(config.threads) };
}

/** A session on `conn`; `closeInstance` runs after the connection closes (a pooled one: nothing). */
function sessionOn(instance: DuckDBInstance, conn: DuckDBConnection, threads: number, closeInstance: () => void): Session {
  const trace = traced();
  const open = new Set<DuckDBConnection>([conn]);
  return {
    conn,
    threads,
    async run(sql) {
      const result = await trace(sql, () => conn.run(sql));
      return Number(result.rowsChanged);
    },
    async rows(sql) {
      const reader = await trace(sql, () => conn.runAndReadAll(sql));
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    },
    async runSideBySide(sqls) {
      const extra = await Promise.all(sqls.slice(1).map(() => instance.connect()));
      extra.forEach((c) => open.add(c));
      try {
        const settled = await Promise.allSettled(sqls.map((sql, i) => trace(sql, () => (i === 0 ? conn : extra[i - 1]).run(sql))));
        const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failed) throw failed.reason;
      } finally {
        for (const c of extra) {
          open.delete(c);
          c.closeSync();
        }
      }
    },
    interrupt() {
      for (const c of open) c.interrupt();
    },
    close() {
      conn.closeSync();
      closeInstance();
    },
  };
}

/**
 * DATALAKE_TRACE_SQL=1: every statement's duration and the process's RSS after it on stderr
 * (profiling a run, as the Glue runner's log does for Spark), each statement cut to
 * DATALAKE_TRACE_SQL_CHARS characters (default 140); otherwise the statement runs untouched.
 */
function traced(): <T>(sql: string, run: () => Promise<T>) => Promise<T> {
  if (!process.env.DATALAKE_TRACE_SQL) return (_sql, run) => run();
  const chars = Number(process.env.DATALAKE_TRACE_SQL_CHARS ?? 140);
  return async (sql, run) => {
    const started = process.hrtime.bigint();
    try {
      return await run();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const rss = (process.memoryUsage().rss / 1e6).toFixed(0).padStart(5);
      process.stderr.write(`sql ${ms.toFixed(0).padStart(7)} ms ${rss} MB  ${sql.replace(/\s+/g, " ").slice(0, chars)}\n`);
    }
  };
}

// Parquet write options of every table. Dictionaries only for columns with at most 256 distinct
// values per row group (status, country, partition and lineage columns): the writer gives up on
// near-unique columns (ids, timestamps, amounts) after 256 values, so they stay plain pages and
// cost nothing extra, while a low-cardinality string reads ~4x faster than plain (5 M silver
// `status` values: 61 -> 15 ms) and writes faster (smaller pages to compress). A limit of 1 (no
// dictionaries) cost the star's builds ~13%. LZ4_RAW, not zstd: a workspace's tables are read
// far more often than written (every incremental build scans silver and its staged fact whole),
// and LZ4 decompresses faster. 5 M silver orders rows, 5 columns read: zstd level 1
// 159 ms, LZ4_RAW 91 ms, uncompressed 57 ms; files 71, 121 and 200 MB; written in 2.7, 2.2 and
// 2.0 s. The star's incremental build went from 20.5% to 18.8% of a full rebuild (bench models).
// PARQUET_VERSION V2: Parquet 2's encodings where no dictionary is written, DELTA_BINARY_PACKED
// for integers, decimals and timestamps (ids and times that grow compress to a few bits a row)
// and DELTA_LENGTH_BYTE_ARRAY for strings. Smaller and faster both ways: 5 M silver orders rows
// 121 -> 74 MB, 4 columns read in 65-73 -> 38-47 ms, written in 1.27-1.41 -> 1.02-1.23 s; 5 M
// bronze orders rows (all strings) 149 -> 128 MB, read whole in 427-569 -> 350-382 ms; the bench
// star's builds ~10% faster (3 runs each: incremental median 1049 -> 907 ms, full rebuild 4670 ->
// 4242 ms), so the models bench's ratio barely moves (21.2% and 22.0%, two runs after). DuckDB, Arrow
// (pyarrow, polars) and Spark read these encodings; a tool that reads only Parquet 1's does not
// (none of the platform's: the workspace is read through DuckDB). Files written before stay
// Parquet 1, and a table may mix both.
export const PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION lz4_raw, DICTIONARY_SIZE_LIMIT 256, PARQUET_VERSION V2";

/** DuckDB string literal. */
export const lit = (value: string): string => DIALECTS.duckdb.str(value);
export const ident = (name: string): string => DIALECTS.duckdb.ident(name);
/**
 * A path as DuckDB's readers take it, naming exactly that file. They read `[ ] * ?` as a glob
 * (`read_csv('orders[1].csv')` reads orders1.csv) and have no escape character, but a
 * one-character class matches itself only: `[` -> `[[]`, `*` -> `[*]`, `?` -> `[?]`. A glob
 * cannot match a backslash, so a path with both is refused rather than read as something else.
 */
export function exactPath(file: string): string {
  if (!/[[*?]/.test(file)) return file;
  if (file.includes("\\")) {
    throw new Error(`DuckDB cannot read ${JSON.stringify(file)} exactly: rename it (a path may not hold both a backslash and [ * ?)`);
  }
  return file.replace(/[[*?]/g, (c) => `[${c}]`);
}

/** A list literal of exact paths for read_parquet / read_csv. */
export const fileList = (files: string[]): string => `[${files.map((f) => lit(exactPath(f))).join(", ")}]`;

/** An empty temp table `name` with the plan's columns, typed as the executor stores them. */
export async function createEmptyTable(session: Session, name: string, columns: readonly PlanColumn[]): Promise<void> {
  const cols = columns.map((c) => `${ident(c.name)} ${DIALECTS.duckdb.sqlType(c.type)}`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${name} (${cols.join(", ")})`);
}
