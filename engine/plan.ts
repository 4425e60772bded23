// The load plan: what one load of one dataset does, as data. compilePlan() (engine/compile.ts)
// builds it from a DatasetSpec; the DuckDB executor (engine/duckdb/) runs it locally and the Glue
// runner (glue-scripts/) runs the SAME plan, rendered for the `spark` dialect, on Iceberg.
//
// How an executor runs a plan (both engines do exactly this):
//   0. Choose the mode: "full_refresh" when asked, or when the published state was built under
//      another `fingerprint` (see LoadPlan.fingerprint); else "incremental". An incremental run
//      becomes a full refresh at a `refresh_check` step that returns a row (RefreshCheckStep).
//   1. Execute `steps` in order, skipping steps whose `when` does not match the run's mode
//      (`plan.modes` tells which modes the plan holds). Steps are either IO steps (engine-implemented, described below) or `sql` steps
//      (a plain SELECT registered under `name`: DuckDB `CREATE TEMP TABLE|VIEW name AS <sql>`,
//      Spark `spark.sql(sql).createOrReplaceTempView(name)`, computed once with its lineage cut when
//      materialize = "table": spark_io.materialize).
//      Every relation name used in SQL is either an IO step's output or an earlier sql step.
//   2. Run every `audits` query (each returns exactly one row with one BIGINT column
//      `violations`; 0 = passed) against the staged relations (`staged_*`: the tables as they
//      will be published; `written_*`: the rows this run wrote to state, silver and quarantine,
//      see StageStep / MergeStep `written`), then, for every merge step, the executor's check that
//      the rows it layered on the previous version carry keys it replaced (engine/audits.ts
//      writtenKeysCheck: audit `<table>_written_keys_replaced`, in step order).
//   3. Run every `summary` query (needed for the run summary even when an audit fails).
//   4. Only when all audits passed: execute `publish` (commit staged tables in `publish.order`).
//      A failed audit publishes nothing: every published table stays exactly as it was.
// Nothing in a plan reads the clock: run id and data dates come from the manifest, so replaying
// a manifest gives the same tables.
import type { ColumnType } from "../datasets/define";

export const PLAN_VERSION = 1;

export type Dialect = "duckdb" | "spark";
export type RunMode = "incremental" | "full_refresh";

/** Neutral column types (the spec's types). Executors map them to engine types. */
export type PlanColumnType = ColumnType;

export interface PlanColumn {
  name: string;
  type: PlanColumnType;
}

/**
 * The persistent tables of one dataset. Logical roles; each executor maps them to storage
 * (DuckDB: Parquet under the workspace, see engine/duckdb/workspace.ts; Glue: Iceberg tables).
 * - bronze: append-only history, every row of every accepted file, all data columns as strings,
 *   partitioned by `_data_date`. Schema: BRONZE_LINEAGE appended to the spec columns.
 * - files: append-only ledger of object versions appended to bronze (the idempotency record).
 * - state: one row per key = its latest change (tombstones included). Bronze's schema (strings +
 *   lineage, `_op` normalized to I/U/D) plus the typed ordering columns `_pk_<i>` (key) and
 *   `_seq_<i>` (sequence), so no run parses the state again. Merged per key (incremental),
 *   rewritten whole on a full refresh.
 * - silver: the published current table (typed), partitioned per spec; merged per key.
 * - quarantine: current rows with reason labels (raw strings + `_reasons`); merged per key.
 * - rejects: append-only rows whose key, sequence or Op could not be parsed (+ `_reasons`).
 */
export type TableRole = "bronze" | "files" | "state" | "silver" | "quarantine" | "rejects";

export interface TableDef {
  role: TableRole;
  /** Physical table name: bronze_<ds>, files_<ds>, state_<ds>, <target>, quarantine_<ds>, rejects_<ds>. */
  name: string;
  columns: PlanColumn[];
  /** Partition columns (hive style `col=value` directories locally; Iceberg identity partitions). */
  partitionBy: string[];
  /** append: each run adds rows; replace: a run writes a complete new version (stage) or changes
   * the rows of its keys (merge). */
  writeMode: "append" | "replace";
}

/**
 * Lineage columns, in this order, at the end of bronze / state / rejects / quarantine rows.
 * - _op: the raw Op value as read (null when the file has no Op column). In state it is
 *   normalized: "I", "U" or "D".
 * - _source_key: decoded object key of the file the row came from.
 * - _source_version: the object's versionId, or "etag:<etag>" when the bucket is unversioned.
 * - _file_id: the manifest's fileId (audit FILE item id).
 * - _row_number: BIGINT, 1-based position of the data row in its file (header excluded;
 *   a quoted field with embedded newlines is still one row; blank lines are skipped and not
 *   counted).
 * - _run_id: the manifest's runId of the run that read the row.
 * - _data_date: "YYYY-MM-DD", the UTC date of the file's manifest receivedAt (not the clock).
 */
export const BRONZE_LINEAGE: readonly PlanColumn[] = [
  { name: "_op", type: "string" },
  { name: "_source_key", type: "string" },
  { name: "_source_version", type: "string" },
  { name: "_file_id", type: "string" },
  { name: "_row_number", type: "bigint" },
  { name: "_run_id", type: "string" },
  { name: "_data_date", type: "string" },
];

/** Columns of the `files` ledger table and of the read_files step's `filesOutput` relation. */
export const FILES_COLUMNS: readonly PlanColumn[] = [
  { name: "_file_id", type: "string" },
  { name: "_source_key", type: "string" },
  { name: "_source_version", type: "string" },
  { name: "_run_id", type: "string" },
  { name: "_data_date", type: "string" },
  { name: "_rows_read", type: "bigint" },
  // The manifest's receivedAt as ISO-8601 UTC with milliseconds ("2026-11-30T15:29:52.000Z", so
  // text order is time order): it orders the versions of one object key (state `_version_at`),
  // and dms datasets date their load generations by it (compile.ts).
  { name: "_received_at", type: "string" },
  // The S3 event's sequencer as the manifest gives it (hex; "" when none is known, e.g. a version
  // found by the landing sweep): two PUTs of one key within the same second of `_received_at`
  // (EventBridge times are whole seconds) are ordered by it (compile.ts fileOrder).
  { name: "_sequencer", type: "string" },
];

/** Labels column of quarantine and rejects: labels joined by REASON_SEPARATOR, in plan order. */
export const REASONS_COLUMN = "_reasons";
export const REASON_SEPARATOR = ";";

/** What the IO steps need from the spec (so executors never re-read dataset files). */
export interface PlanSource {
  format: "csv" | "jsonl" | "parquet" | "dms";
  csv: { delimiter: string; quote: string; nullValue: string; header: "present" | "absent" | "auto" };
  /** DMS endpoint conventions (format "dms" only; datasets/define.ts DmsOptions), else null. */
  dms: { timestampColumn: string | null; noSupValue: string | null; partialImages: "keep_previous" | "as_written" } | null;
  /** Spec columns in declaration order; optional ones may be absent from a file's header. */
  columns: { name: string; type: PlanColumnType; optional: boolean }[];
  /** The Op column's header name (e.g. "Op"); null when the spec has no CDC. Always optional. */
  opColumn: string | null;
  primaryKey: string[];
  sequenceColumns: string[];
}

/**
 * IO step: read the manifest's files (strings only; never infer types).
 * For each manifest file, in manifest order:
 *   - version = versionId ?? "etag:" + etag. If (key, version) is already in the `files` ledger
 *     (or appeared earlier in this manifest): outcome ALREADY_LOADED, nothing read.
 *   - Bytes are classified by their magic bytes, never by the name (engine/file-bytes.ts): gzip
 *     (1f 8b) is decompressed and classified again, Parquet (PAR1) is "parquet_where_csv_declared"
 *     under format csv (format dms: read as Parquet, below; a gzipped one is "unsupported:gzipped parquet"),
 *     another compression or archive is "unsupported:xz compressed" | ":bzip2 compressed" |
 *     ":zstd compressed" | ":zip archive", a UTF-16/32 byte order mark "not_utf8:UTF-16 text" |
 *     "not_utf8:UTF-32 text" (all 0 rows), the rest is text.
 *   - Whole-file rejections (outcome QUARANTINED, rows never reach bronze or state), with reason:
 *     "empty_file" (0 bytes, nothing after gzip, or line ends only), "corrupt_gzip:truncated" /
 *     "corrupt_gzip:bad data" (0 rows), "header_only" (a header and no row: 0 rows, decided after
 *     the rows are counted), "unreadable:<message>" (the object version no longer exists, or
 *     access to it is denied; any other fetch error, e.g. throttling or a 5xx, fails the run:
 *     its files end FAILED, as the file is not at fault),
 *     "not_utf8" (bytes are not valid UTF-8), "not_csv" (header shares no column name with the
 *     spec; "not_csv:read with delimiter ';' it fits (csv.delimiter is ',')" when another common
 *     delimiter would make it name columns), "missing_column:a,b" (required = non-optional spec
 *     columns, comma-separated in spec order), "column_count:<W> fields fit no layout of
 *     <Op?,columns,timestamp?>" (headerless; the same note appended when another delimiter fits),
 *     "malformed_csv:<message>" (the CSV parser fails, e.g. unterminated quote or a row with too
 *     many fields; "row N has F fields, header has W", headerless "..., row 1 has W").
 *     rowsRead/rowsQuarantined of such a file = its data rows when they can be counted
 *     (missing_column, column_count), else its non-empty line count minus the header if it has
 *     one (min 0).
 *   - Header or not (`source.csv.header`): "present"; "absent"; "auto" = the first record is a
 *     header when every field names a declared column or the Op column, or it names every
 *     required column, or most of its fields name declared columns (engine/file-layout.ts
 *     looksLikeHeader), else the file is headerless.
 *   - Otherwise the file is accepted. A header (first record; a UTF-8 BOM is stripped) maps columns
 *     BY NAME (case-insensitively: engine/csv-rules.ts resolveHeader), so column order does not matter; spec columns missing
 *     from an accepted file (optional ones) are null; the Op column, when absent, is null;
 *     extra header columns are dropped and reported as drift ("<key>: extra column(s) a, b").
 *     A headerless file maps them by position (engine/file-layout.ts headerlessLayout, from the
 *     object key's name and the first record: Op first when its value is I/U/D, only "I" in a
 *     LOAD<hex> file; the dms timestamp column after Op, last, or absent = null); every record
 *     is a row.
 *     CSV per `source.csv`: RFC 4180 quoting (quote doubled inside quotes), quoted fields may
 *     hold delimiters and newlines, LF or CRLF line ends, no length limit on fields. Values stay
 *     exactly as in the file (no trimming); empty handling is done in SQL (see compile.ts).
 *   - Parquet (format "parquet"; in format "dms", a file whose bytes start with the PAR1 magic):
 *     columns by name, case-insensitively, as above; each value is rendered to its canonical
 *     bronze string (engine/duckdb/read-parquet.ts; integers as digits, float/double as the
 *     double's shortest round-trip text, decimals plain with their scale, "true"/"false",
 *     dates YYYY-MM-DD, timestamps (ms or us, with or without zone) as the UTC wall time
 *     "YYYY-MM-DD HH:MM:SS.ffffff", binary as upper-case hex); `_row_number` = row position in
 *     the file. Reasons: "not_parquet" (format parquet, no PAR1 magic), "malformed_parquet:no
 *     footer" | ":unreadable" | ":duplicate column <name>", "unreadable_parquet_type:time" |
 *     ":timestamp_nanos" | ":uuid", "unreadable_parquet_codec:brotli" | ":lzo" (Spark cannot read
 *     such a file at all), all counted as 0 rows;
 *     "unsupported_parquet_type:<column>" (a spec column in a nested or other type) and
 *     "missing_column:a,b", counted as the file's rows.
 *   - JSON lines (format "jsonl"): one object per line, rules in engine/jsonl-rules.ts (keys by
 *     name case-insensitively; numbers keep their text as written; true/false; null -> NULL;
 *     blank lines skipped and not counted; `_row_number` counts data lines). Reasons:
 *     gzip read as a CSV file's is, "not_jsonl:parquet" and the byte classification's
 *     reasons (0 rows), "not_utf8", "malformed_jsonl:line <n>: <why>" (invalid
 *     JSON, not a JSON object, duplicate key <k>, <column> holds an object or array) and
 *     "missing_column:a,b" (a required column no line holds), counted as the non-blank lines.
 * `output` relation: spec columns (all string, spec order) + BRONZE_LINEAGE (raw `_op`).
 * `filesOutput` relation: one FILES_COLUMNS row per accepted file (each has at least one row),
 * i.e. exactly the rows the `files` ledger gets on publish.
 */
export interface ReadFilesStep {
  kind: "read_files";
  output: string;
  filesOutput: string;
  /** Ledger table consulted for ALREADY_LOADED. */
  ledger: "files";
  when?: RunMode;
}

/**
 * IO step: register the PUBLISHED content of a table as `output` (the state's current version,
 * every committed row of bronze, of the files ledger or of rejects). When the table does not exist yet, `output` is an empty
 * relation with the table's columns.
 */
export interface ReadTableStep {
  kind: "read_table";
  table: "state" | "bronze" | "files" | "rejects";
  output: string;
  when?: RunMode;
}

/** A SELECT registered as a relation (temp view, or a materialized temp table). */
export interface SqlStep {
  kind: "sql";
  name: string;
  sql: string;
  /** "table": compute once (used several times or expensive); "view": inline. */
  materialize: "table" | "view";
  /** Why this relation exists (for humans and logs). */
  description: string;
  when?: RunMode;
}

/**
 * IO step: write relation `from` to the table's NOT YET VISIBLE location (DuckDB: a staging
 * version directory; Glue: the table's WAP branch), then register `output` as a relation that
 * reads back exactly what was written (append: this run's new rows; replace: the whole new
 * version). Audits read these `staged_*` relations, so they check what will be published.
 */
export interface StageStep {
  kind: "stage";
  table: TableRole;
  from: string;
  output: string;
  /**
   * State, silver and quarantine: also register this name (`written_<role>`) for the rows the
   * run wrote to the table, here all of them (row-level audits read it; see MergeStep).
   */
  written?: string;
  when?: RunMode;
}

/**
 * IO step: row-level changes to a table (incremental runs), written where `stage` writes (DuckDB:
 * a new staging version; Glue: MERGE INTO the WAP branch), so a batch touches only the rows of
 * its keys. `from` holds at most one row per key, with the table's columns by name (plus any key
 * or flag columns): every table row whose key matches a `from` row is replaced by it, or removed
 * when the `delete` column of that row is TRUE; `from` rows matching no table row are inserted
 * unless `delete`. `on` pairs an expression over the table row, aliased `t` (in the plan's
 * dialect), with a column of `from` (aliased `s`). `output` reads back the whole new version.
 */
export interface MergeStep {
  kind: "merge";
  table: "state" | "silver" | "quarantine";
  from: string;
  on: { target: string; source: string }[];
  /** Boolean column of `from`: TRUE removes the key's row. Absent: rows are only upserted. */
  delete?: string;
  output: string;
  /**
   * Also registered: the rows this step wrote, with the table's columns (row-level audits read
   * it instead of `output`). Those are the `from` rows that are not removals, as the table holds
   * them (DuckDB: the new segment's files; Glue: the MERGE's source rows it inserts or updates
   * with), or the whole new version when the executor wrote the table whole (DuckDB: the first
   * version, or a compaction; Glue: a merge into a table without rows, run as an INSERT, or a
   * compaction, run as an INSERT OVERWRITE). Every
   * other row of `output` is a row of the previous version, audited when it was published,
   * whose key no `from` row names. For rows written over the previous version (a segment, a
   * MERGE, a compaction's upserts) the executor also checks that each one's key matches a
   * `from` key by `on` (engine/audits.ts writtenKeysCheck), else an older row of that key would
   * stay visible beside it.
   */
  written: string;
  when?: RunMode;
}

/**
 * IO step (only in plans of datasets with `pii: hash` columns): register `output` as a one-row
 * relation with BINARY columns `ipad` and `opad`, HMAC-SHA256's padded keys derived from the
 * stack's (workspace's) PII hash key (engine/pii-key.ts hmacPads). The key is read by the
 * executor at run time (Glue: the Secrets Manager secret named by --pii_key_secret); it is never
 * in the plan. Executors also append the key's id to `fingerprint` (pii-key.ts keyedFingerprint),
 * so tables hashed under another key are rebuilt.
 */
export interface PiiKeyStep {
  kind: "pii_key";
  output: string;
  when?: RunMode;
}

/**
 * Incremental runs only: `sql` is a SELECT over the relations defined so far; when it returns a
 * row, the incremental shortcut would be wrong for this batch, and the run goes on as a full
 * refresh: the executor runs the plan's steps after this one for "full_refresh" (stepsAfterSwitch)
 * and reports `reason` in its progress and log. Every step before it runs in both modes
 * (no `when`), so the run so far is what a full refresh would have done. Used by dms datasets: a
 * reload that reorders files already loaded (compile.ts regenerationCheck).
 */
export interface RefreshCheckStep {
  kind: "refresh_check";
  sql: string;
  reason: string;
  when: "incremental";
}

export type PlanStep = ReadFilesStep | ReadTableStep | SqlStep | StageStep | MergeStep | PiiKeyStep | RefreshCheckStep;

/** One write-audit-publish check: `sql` returns one row with one BIGINT column `violations`. */
export interface AuditQuery {
  name: string;
  description: string;
  sql: string;
}

/**
 * Queries for the run summary, run after the audits (also when one fails). Table totals come
 * from the `table_totals` step (engine/audits.ts compileTotals), counted once per run.
 * - counts: one row with BIGINT columns rows_read (rows of accepted files), bronze_rows,
 *   rejected_rows (row-level rejects; rows of files quarantined whole are the executor's
 *   quarantinedFileRows),
 *   changes_applied, state_keys, current_rows, silver_rows, quarantine_rows, and the STRING
 *   column latest_sequence (max of the first sequence column over current rows, ISO text; a
 *   double's is the shortest round-trip text, 1e+20, which the Spark runner re-renders from Java's).
 * - files: one row per accepted file: _file_id, rows_read, rows_rejected, rows_quarantined
 *   (BIGINT). The executor derives rowsLoaded = rows_read - rows_rejected - rows_quarantined.
 */
export interface SummaryQueries {
  counts: string;
  files: string;
}

/**
 * Publish: only after every audit passed. Commit the staged tables in this order (later
 * commits only after earlier ones succeeded). The order makes a crash between commits safe:
 * the `files` ledger is committed LAST, so a re-run of an interrupted load reads the files again;
 * the state merge is idempotent for a change it already holds (same key, sequence, object key
 * and row number collapse to one row).
 */
export interface PublishStep {
  order: TableRole[];
}

export interface LoadPlan {
  planVersion: typeof PLAN_VERSION;
  dataset: string;
  dialect: Dialect;
  /**
   * Hash of everything that decides state, silver and quarantine from bronze (their columns and
   * the SQL that types, orders and labels rows), the same for both dialects. Incremental runs
   * change only the rows of the keys a batch touches, so published tables built under another
   * fingerprint (a rule, a type or the compiler changed) are rebuilt: the executor runs such a
   * load as a full refresh, then records the new fingerprint with the state it publishes.
   */
  fingerprint: string;
  /** Modes whose steps the plan holds: both unless compiled for one. */
  modes: RunMode[];
  source: PlanSource;
  tables: Record<TableRole, TableDef>;
  steps: PlanStep[];
  audits: AuditQuery[];
  summary: SummaryQueries;
  publish: PublishStep;
}

/** Steps an executor runs for one mode, in order. */
export function stepsFor(plan: LoadPlan, mode: RunMode): PlanStep[] {
  if (!plan.modes.includes(mode)) {
    throw new Error(`plan for ${plan.dataset} was compiled for ${plan.modes.join("+")}, not ${mode}`);
  }
  return plan.steps.filter((s) => s.when === undefined || s.when === mode);
}

/**
 * The steps of a run that a refresh_check switched to a full refresh: those it ran, up to and
 * including `check`, then the plan's full-refresh steps after it.
 */
export function stepsAfterSwitch(plan: LoadPlan, ran: readonly PlanStep[], check: RefreshCheckStep): PlanStep[] {
  const at = plan.steps.indexOf(check);
  if (at < 0 || !ran.includes(check)) throw new Error(`refresh_check of ${plan.dataset} is not a step of its plan`);
  const rest = plan.steps.slice(at + 1).filter((s) => s.when === undefined || s.when === "full_refresh");
  return [...ran.slice(0, ran.indexOf(check) + 1), ...rest];
}
