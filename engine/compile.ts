// DatasetSpec -> LoadPlan. Pure (no engine imports): the Pulumi program calls it to upload the
// spark plan, the DuckDB executor calls it before every run. Every SQL statement is built from
// one description through the dialect table (dialects.ts), so both engines run the same logic.
//
// Relations the plan defines (besides the IO outputs `incoming`, `incoming_files`,
// `state_prev`, `bronze_prev` and the `staged_<role>` read-backs):
//   file_order         per file version: `_version_at` (arrival, then S3 sequencer) and for
//                      format dms the load generation `_dms_gen` and file sequence (ledger
//                      `files_prev` + batch), then incoming_file_columns (per file of the batch:
//                      lineage + those columns) / bronze_ordered = rows + those columns
//   (dms, incremental) a refresh_check: a full refresh instead when the batch changes the load
//                      generation of a file version already loaded (regenerationCheck)
//   incoming_parsed    incoming + `_op_norm` + typed `_pk_<i>` / `_seq_<i>` + `_reasons` (reject
//                      labels: bad_key/null_key, bad_sequence/null_sequence (not for the dms
//                      timestamp column: NULL there is ordered by file), bad_op), without the
//                      per-file columns; incoming_rows = it + incoming_file_columns by `_file_id`
//   rejects_new        incoming rows with reject labels (bronze columns + _reasons)
//   fresh_keyed        valid new changes with typed key columns `_pk_<i>` and sequence `_seq_<i>`
//   incoming_counts    one row: `fresh_rows`, the count of fresh_keyed (audits and the summary read
//                      it, not incoming_parsed)
//   prior_keyed        incremental: key + ordering columns of the published state (stored typed);
//                      full refresh: every valid bronze row, typed
//   fresh_files        incremental: the batch's files with dense ranks of their ordering columns
//   fresh_latest       incremental: per key, the ordering columns of its latest new change (narrow)
//   fresh_winners      incremental: the fresh_keyed row of each fresh_latest (one per key)
//   state_delta        incremental: the winners that order after their key's state row (or whose
//                      key is new), the per-file columns kept only on rows of earlier runs' files
//                      (slimDelta). dms keep_previous: computed as
//                      state_winners, then an update's unlogged columns are filled from
//                      fill_chain (the key's state row + its new changes after it, in order);
//                      the keys of refill_keys (a new change orders before their state row, an
//                      update) are recomputed instead from refill_changes (their bronze rows, read
//                      through bronze_keyed, + new rows), filled in order as a full refresh fills
//   state_rows         incremental: state_delta with its batch rows' per-file columns from
//                      incoming_file_columns: merged into state by key
//   delta_typed        incremental: state_rows typed (+ raw copies `_raw_<col>`, typed keys
//                      `_pk_<i>`, `_removed` for a deleted key), so silver_changes and
//                      quarantine_changes read it alone and state_delta is freed before they run
//   delta_labeled      delta_typed + `_reasons` (bad_type and rule labels)
//   silver_changes     per changed key: its silver row, or `_delete` (deleted or now labeled)
//   quarantine_changes per changed key: its quarantine row, or `_delete` (deleted or now clean)
//   bronze_unparsed    one row: `unparsed_rows`, full refresh: bronze rows that no longer parse
//                      (a spec edit of a key or sequence column) and were not rejected when read
//                      (rejects_prev); the bronze_rows_accounted audit reads it (0 incrementally)
//   changes            full refresh: every valid change (all of bronze + new rows), to rank
//   changes_filled     full refresh, dms keep_previous: updates' unlogged columns filled in order
//   state_next         full refresh: latest change per key (tombstones kept)
//   current_typed      full refresh (or a unique rule): non-deleted rows of staged_state, typed
//   labeled            current_typed + `_reasons`
//   silver             rows without labels: typed columns (PII hashed) + partitions + lineage
//   quarantine         rows with labels: raw columns (PII hashed) + lineage + _reasons
//   table_totals       one row: the staged tables' totals, counted once (audits.ts compileTotals)
// Stage and merge steps of state, silver and quarantine also register `written_<role>`, the rows
// the run wrote to the table, which row-level audits read (audits.ts, plan.ts MergeStep).
import { createHash } from "crypto";
import type { DatasetSpec } from "../datasets/define";
import { COMPILER_SEMANTICS, decisiveSpec, stableJson } from "./compiler-semantics";
import { dialectFor, type SqlDialect } from "./dialects";
import { compileAudits, compileSummary, compileTotals, TOTALS_RELATION, UNPARSED_RELATION, writtenRelation } from "./audits";
import { ruleLabelExpr } from "./labels";
import { PII_KEY_RELATION } from "./pii-key";
import { SqlContext } from "./sql-context";
import {
  BRONZE_LINEAGE,
  FILES_COLUMNS,
  PLAN_VERSION,
  REASONS_COLUMN,
  REASON_SEPARATOR,
  type Dialect,
  type LoadPlan,
  type PlanColumn,
  type PlanStep,
  type ReadTableStep,
  type RefreshCheckStep,
  type RunMode,
  type SqlStep,
  type TableDef,
  type TableRole,
} from "./plan";
import { nullIfEmpty } from "./typing";
import type { ModelStep } from "./models/plan";

export interface CompileOptions {
  dialect: Dialect;
  /** true: only full-refresh steps; false: only incremental; omitted: both (chosen per run). */
  fullRefresh?: boolean;
}

/** Order in which staged tables are committed (see PublishStep). */
export const PUBLISH_ORDER: TableRole[] = ["silver", "quarantine", "state", "rejects", "bronze", "files"];

/**
 * LoadPlan.fingerprint: the state, silver and quarantine columns, the spec's fields that decide
 * rows and the compiler's semantics version (compiler-semantics.ts: why not the SQL text). A
 * change to a rule, a type, the key, the silver table's name or the compiler's results changes
 * it; a description, the landing prefix, Glue sizing and a compiler change that computes the
 * same rows do not.
 */
export function planFingerprint(spec: DatasetSpec): string {
  const tables = tableDefs(spec);
  const decisive = { tables: [tables.state, tables.silver, tables.quarantine], spec: decisiveSpec(spec), semantics: COMPILER_SEMANTICS };
  return createHash("sha256").update(stableJson(decisive)).digest("hex").slice(0, 16);
}

/** Relations historySteps reads (ModelInputs of zone bronze and files) and the one it defines. */
export const HISTORY_BRONZE_RELATION = "bronze";
export const HISTORY_FILES_RELATION = "files_ledger";
export const HISTORY_RELATION = "history";

/**
 * Steps turning a dataset's bronze table (relation `bronze`; dms datasets also its files ledger,
 * `files_ledger`) into `history`: every valid change of the load contract, typed as silver types
 * it, with its reason labels and its position `_pos` in its key's change order.
 */
export function historySteps(spec: DatasetSpec, dialect: Dialect): ModelStep[] {
  return new Compiler(spec, dialectFor(dialect)).historySteps();
}

/**
 * The typed primary-key columns of a dataset's raw bronze row (as the load types `_pk_<i>`):
 * incremental models find the keys of new bronze rows with them, before any window work.
 */
export function bronzeKeyExprs(spec: DatasetSpec, dialect: Dialect): string[] {
  const c = new Compiler(spec, dialectFor(dialect));
  return spec.primaryKey.map((k) => c.bronzeKey(k));
}

/**
 * dms: the load generations (reload files' `_received_at`, as fileOrder dates them) that the
 * files ledger `files` holds only because of its files where `isNew(alias)` holds: a new reload
 * file, or an earlier version of a full-load key received late, which makes the version already
 * loaded a reload. Rows of those generations changed order although none of them is new.
 */
export function newDmsGenerations(spec: DatasetSpec, dialect: Dialect, files: string, isNew: (alias: string) => string): string {
  return new Compiler(spec, dialectFor(dialect)).newGenerations(files, isNew);
}

/** The first of bronzeKeyExprs (a dimension's natural key is its dataset's single key column). */
export function bronzeKeyExpr(spec: DatasetSpec, dialect: Dialect): string {
  return bronzeKeyExprs(spec, dialect)[0];
}

/** The lineage columns read_files writes once per file (all of BRONZE_LINEAGE but `_op`, `_file_id` and `_row_number`). */
const FILE_LINEAGE = BRONZE_LINEAGE.map((l) => l.name).filter((n) => !["_op", "_file_id", "_row_number"].includes(n));

/** Lineage kept in silver, so every published row points at the file row it came from. */
export const SILVER_LINEAGE = ["_source_key", "_source_version", "_file_id", "_row_number", "_run_id"];

export function compilePlan(spec: DatasetSpec, opts: CompileOptions): LoadPlan {
  const d = dialectFor(opts.dialect);
  const modes: RunMode[] =
    opts.fullRefresh === undefined ? ["incremental", "full_refresh"] : [opts.fullRefresh ? "full_refresh" : "incremental"];
  const tables = tableDefs(spec);
  const c = new Compiler(spec, d);
  const steps = [...c.steps(), c.totalsStep()].filter((s) => s.when === undefined || modes.includes(s.when));
  return {
    planVersion: PLAN_VERSION,
    dataset: spec.name,
    dialect: opts.dialect,
    modes,
    source: {
      format: spec.format,
      csv: { ...spec.csv },
      dms: spec.dms ? { ...spec.dms } : null,
      columns: spec.columns.map((col) => ({ name: col.name, type: col.type, optional: col.optional })),
      opColumn: spec.cdc?.opColumn ?? null,
      primaryKey: [...spec.primaryKey],
      sequenceColumns: [...(spec.cdc?.sequenceColumns ?? [])],
    },
    fingerprint: planFingerprint(spec),
    tables,
    steps,
    audits: compileAudits(c),
    summary: compileSummary(c),
    publish: { order: [...PUBLISH_ORDER] },
  };
}

/**
 * The ordering columns state keeps besides bronze's: typed key `_pk_<i>` and sequence `_seq_<i>`,
 * and for format "dms" the DMS file sequence (`_dms_gen`, `_dms_phase`, `_dms_file`: see
 * Compiler.dmsOrdering).
 */
export function orderingColumns(spec: DatasetSpec): PlanColumn[] {
  const typeOf = (name: string) => spec.columns.find((c) => c.name === name)!.type;
  return [
    ...spec.primaryKey.map((k, i) => ({ name: `_pk_${i + 1}`, type: typeOf(k) })),
    ...(spec.cdc?.sequenceColumns ?? []).map((q, i) => ({ name: `_seq_${i + 1}`, type: typeOf(q) })),
    ...(spec.format === "dms" ? DMS_ORDERING : []),
    VERSION_AT,
  ];
}

/**
 * When the row's object version arrived: the files ledger's `_received_at` of (object key,
 * version), "" for a version recorded before the ledger had it. It orders the versions of one
 * object key by arrival: a corrected file uploaded again under its key must win over the version
 * it corrects, and version ids (opaque in S3, content hashes for `datalake load`, a counter whose
 * text order breaks at 10 in local mode) say nothing about which came later.
 */
const VERSION_AT: PlanColumn = { name: "_version_at", type: "string" };

/**
 * Width sequencers are padded to in `_version_at`: S3's are 16 to 18 hex digits, `datalake
 * local`'s 18, `datalake load`'s (the file's mtime) 16 decimal digits.
 */
export const SEQUENCER_WIDTH = 32;

/**
 * State of a dms keep_previous dataset: whether the row, as written, is an update that left a
 * fill column unlogged (its stored values were filled from the key's earlier changes). Only such
 * a row can change when a late change orders before it, so refillKeys reads bronze for those keys
 * alone: DMS logs most updates in full, and refilling any key whose state row was an update read
 * all of bronze in most batches, so a batch's cost grew with history (`npm run bench -- engine`,
 * batches that do not compact state: last/first 1.61, 1.06 with it). NULL counts as partial.
 */
const PARTIAL_IMAGE: PlanColumn = { name: "_partial_image", type: "boolean" };

/** State's PARTIAL_IMAGE column: only a dataset with columns to fill has it. */
const partialImageColumn = (spec: DatasetSpec): PlanColumn[] => (fillColumnsOf(spec).length > 0 ? [PARTIAL_IMAGE] : []);

/** Columns an update may leave unlogged (dms keep_previous): neither key nor sequence. */
function fillColumnsOf(spec: DatasetSpec): string[] {
  if (spec.dms?.partialImages !== "keep_previous") return [];
  const fixed = new Set([...spec.primaryKey, ...(spec.cdc?.sequenceColumns ?? [])]);
  return spec.columns.map((c) => c.name).filter((c) => !fixed.has(c));
}

/**
 * DMS file sequence columns of a dms dataset's changes (all derived, stored in state):
 * - _dms_gen: the load generation, the `_received_at` of the latest reload file (a later
 *   version of a LOAD object key) received at or before the row's file ("" when none).
 * - _dms_phase: 0 for a full-load file (base name LOAD + hex digits), 1 for any other (CDC).
 * - _dms_file: the upper-cased base name of a file DMS named: LOAD files by hex counter, CDC
 *   files by their timestamp name (fixed width per task, so text order is file order); "" for
 *   any other name (such files are ordered by timestamp, object key and row as a csv dataset's).
 *   It orders after the timestamp: with TimestampColumnName, commit times decide (a late file
 *   never wins), without it (NULL) the file sequence does.
 */
const DMS_ORDERING: PlanColumn[] = [
  { name: "_dms_gen", type: "string" },
  { name: "_dms_phase", type: "int" },
  { name: "_dms_file", type: "string" },
];

/**
 * A DMS full-load file's base name, upper-cased: LOAD + a hex counter, then any extensions. DMS
 * writes 8 digits, its guide's prose spells LOAD00001.csv: 5 or more, as file-layout.ts reads a
 * full-load file (LOADED.csv is none). One task writes one width: text order is counter order.
 */
const DMS_LOAD_NAME = "^LOAD[0-9A-F]{5,}([.][A-Z0-9]+)*$";
/** A DMS CDC file's base name: its creation time, yyyymmdd-hhmmss + fraction digits. */
const DMS_CDC_NAME = "^[0-9]{8}-[0-9]{6,}([.][A-Z0-9]+)*$";

export function tableDefs(spec: DatasetSpec): Record<TableRole, TableDef> {
  const raw: PlanColumn[] = spec.columns.map((c) => ({ name: c.name, type: "string" }));
  const bronzeCols = [...raw, ...BRONZE_LINEAGE];
  const reasons: PlanColumn = { name: REASONS_COLUMN, type: "string" };
  const hashed = new Set(spec.pii.filter((p) => p.mode === "hash").map((p) => p.column));
  const lineage = BRONZE_LINEAGE.filter((l) => SILVER_LINEAGE.includes(l.name));
  const silverCols: PlanColumn[] = [
    ...spec.columns.map((c) => ({ name: c.name, type: hashed.has(c.name) ? ("string" as const) : c.type })),
    ...(spec.partitionBy
      ? [
          { name: spec.partitionBy.yearColumn, type: "int" as const },
          { name: spec.partitionBy.monthColumn, type: "int" as const },
        ]
      : []),
    ...lineage,
  ];
  const def = (role: TableRole, name: string, columns: PlanColumn[], partitionBy: string[], writeMode: TableDef["writeMode"]): TableDef => ({
    role,
    name,
    columns,
    partitionBy,
    writeMode,
  });
  return {
    bronze: def("bronze", `bronze_${spec.name}`, bronzeCols, ["_data_date"], "append"),
    files: def("files", `files_${spec.name}`, [...FILES_COLUMNS], [], "append"),
    state: def("state", `state_${spec.name}`, [...bronzeCols, ...orderingColumns(spec), ...partialImageColumn(spec)], [], "replace"),
    silver: def(
      "silver",
      spec.target.table,
      silverCols,
      spec.partitionBy ? [spec.partitionBy.yearColumn, spec.partitionBy.monthColumn] : [],
      "replace",
    ),
    quarantine: def("quarantine", `quarantine_${spec.name}`, [...bronzeCols, reasons], [], "replace"),
    rejects: def("rejects", `rejects_${spec.name}`, [...bronzeCols, reasons], [], "append"),
  };
}

class Compiler extends SqlContext {
  private readonly bronzeCols: string[];
  /** Format "dms": changes ordered by load generation and DMS file sequence (orderColumns). */
  private readonly dms: boolean;
  /** Columns an update may leave unlogged (dms keep_previous): neither key nor sequence. */
  private readonly fillColumns: string[];
  constructor(spec: DatasetSpec, d: SqlDialect) {
    super(spec, d);
    this.bronzeCols = [...spec.columns.map((c) => c.name), ...BRONZE_LINEAGE.map((l) => l.name)];
    this.dms = spec.format === "dms";
    this.fillColumns = fillColumnsOf(spec);
  }

  steps(): PlanStep[] {
    // With a unique rule, one key's change can relabel other keys (those sharing the value): such
    // a spec labels every current row each run and replaces silver and quarantine. Every other
    // label depends on the row alone, so only the keys a batch changed are typed and labeled.
    const perKeyLabels = !this.spec.rules.some((r) => r.kind === "unique");
    // The key of hashed PII columns: registered by the executor, never part of the plan.
    const piiKey: PlanStep[] = this.hashedColumns().size > 0 ? [{ kind: "pii_key", output: PII_KEY_RELATION }] : [];
    return [
      ...piiKey,
      { kind: "read_files", output: "incoming", filesOutput: "incoming_files", ledger: "files" },
      ...this.fileOrderSteps(),
      this.sql("incoming_parsed", "table", "new rows with normalized Op and reject labels, per-file columns left out", this.incomingParsed()),
      this.sql("incoming_rows", "view", "incoming_parsed with its per-file columns", this.incomingRows()),
      this.sql("rejects_new", "view", "rows whose key, sequence or Op cannot be parsed", this.rejectsNew()),
      this.sql("fresh_keyed", "view", "valid new changes with typed key/sequence", this.freshKeyed()),
      // Rejects and the count of new changes are taken now, so the state steps are incoming_parsed's
      // last readers: an executor can free the run's widest relation before silver is written.
      { kind: "stage", table: "rejects", from: "rejects_new", output: "staged_rejects" },
      this.sql("incoming_counts", "table", "count of valid new changes (for audits and the summary)", this.incomingCounts()),
      // keep_previous: both modes read bronze (incremental runs re-fill the refill_keys from it).
      ...(this.fillColumns.length > 0
        ? [...this.bronzeSteps(), this.sql("bronze_keyed", "view", "all valid bronze rows with typed key/sequence", this.bronzeKeyed())]
        : []),
      { kind: "read_table", table: "state", output: "state_prev", when: "incremental" },
      this.sql("prior_keyed", "view", "key and ordering columns of the published state", this.stateOrdering(), "incremental"),
      this.sql("fresh_files", "table", "the batch's files, ranked by their ordering columns", this.freshFiles(), "incremental"),
      this.sql("fresh_latest", "view", "ordering columns of the latest new change per key", this.freshLatest(), "incremental"),
      this.sql("fresh_winners", "view", "the latest new change per key", this.freshWinners(), "incremental"),
      ...this.stateDeltaSteps(),
      this.sql("state_rows", "view", "state_delta with its batch rows' per-file columns", this.stateRows(), "incremental"),
      { kind: "merge", table: "state", from: "state_rows", on: this.onKeys("_pk"), output: "staged_state", written: writtenRelation("state"), when: "incremental" },
      ...(this.fillColumns.length > 0 ? [] : this.bronzeSteps("full_refresh")),
      this.sql("prior_keyed", "view", "all valid bronze rows with typed key/sequence", this.fillColumns.length > 0 ? "SELECT * FROM bronze_keyed" : this.bronzeKeyed(), "full_refresh"),
      ...this.unparsedSteps(),
      this.sql("changes", "view", "every valid change: all of bronze + new rows", this.allChanges(), "full_refresh"),
      ...(this.fillColumns.length > 0
        ? [this.sql("changes_filled", "view", "updates' unlogged columns from the key's previous change", this.fillAll(), "full_refresh")]
        : []),
      this.sql("state_next", "view", "latest change per key, tombstones kept", this.rankAll(), "full_refresh"),
      { kind: "stage", table: "state", from: "state_next", output: "staged_state", written: writtenRelation("state"), when: "full_refresh" },
      ...(perKeyLabels ? this.mergeCurrent() : []),
      ...this.replaceCurrent(perKeyLabels ? "full_refresh" : undefined),
      { kind: "stage", table: "bronze", from: "incoming", output: "staged_bronze" },
      { kind: "stage", table: "files", from: "incoming_files", output: "staged_files" },
    ];
  }

  /** Bronze as published (`bronze_prev`), and its rows with their files' ordering columns (`bronze_ordered`). */
  private bronzeSteps(when?: RunMode): PlanStep[] {
    const read: PlanStep = { kind: "read_table", table: "bronze", output: "bronze_prev", ...(when ? { when } : {}) };
    return [read, this.sql("bronze_ordered", "view", "bronze rows with their files' ordering columns", this.withFileOrder("bronze_prev"), when)];
  }

  /** Incremental silver and quarantine: type and label the changed keys, merge them per key. */
  private mergeCurrent(): PlanStep[] {
    const when = "incremental";
    return [
      this.sql("delta_typed", "view", "changed keys, typed, deleted ones flagged", this.deltaTyped(), when),
      this.sql("delta_labeled", "table", "changed keys' rows with reason labels", this.labeled("delta_typed"), when),
      this.sql("silver_changes", "view", "silver row, or its removal, per changed key", this.silverChanges(), when),
      this.sql("quarantine_changes", "view", "quarantine row, or its removal, per changed key", this.quarantineChanges(), when),
      { kind: "merge", table: "silver", from: "silver_changes", on: this.onSilverKeys(), delete: "_delete", output: "staged_silver", written: writtenRelation("silver"), when },
      { kind: "merge", table: "quarantine", from: "quarantine_changes", on: this.onRawKeys(), delete: "_delete", output: "staged_quarantine", written: writtenRelation("quarantine"), when },
    ];
  }

  /** Silver and quarantine rebuilt from the whole staged state (full refresh, or unique rules). */
  private replaceCurrent(when?: RunMode): PlanStep[] {
    const step = <T extends PlanStep>(x: T): T => (when ? { ...x, when } : x);
    return [
      step(this.sql("current_typed", "view", "non-deleted keys, typed", this.currentTyped())),
      step(this.sql("labeled", "table", "current rows with reason labels", this.labeled("current_typed"))),
      step(this.sql("silver", "view", "current rows without labels", this.silver())),
      step(this.sql("quarantine", "view", "current rows with labels", this.quarantine())),
      step({ kind: "stage", table: "silver", from: "silver", output: "staged_silver", written: writtenRelation("silver") }),
      step({ kind: "stage", table: "quarantine", from: "quarantine", output: "staged_quarantine", written: writtenRelation("quarantine") }),
    ];
  }

  /** After every table is staged: their totals, for the conservation audit and the summary. */
  totalsStep(): PlanStep {
    return this.sql(TOTALS_RELATION, "table", "totals of the staged tables, counted once per run", compileTotals(this));
  }

  private sql(name: string, materialize: "table" | "view", description: string, sql: string, when?: RunMode): SqlStep {
    return when ? { kind: "sql", name, sql, materialize, description, when } : { kind: "sql", name, sql, materialize, description };
  }

  /**
   * Op: absent/empty -> I; I/U/D in either ASCII case, spaces ignored; anything else -> NULL
   * (bad_op). Matched before upper-casing: upper('ı'), the dotless i, is 'I' on both engines, so
   * that letter loaded as an insert.
   */
  private opNorm(): string {
    const trimmed = this.d.trim(this.id("_op"));
    return `CASE WHEN ${this.id("_op")} IS NULL OR ${trimmed} = '' THEN 'I' WHEN ${trimmed} IN ('I', 'U', 'D', 'i', 'u', 'd') THEN upper(${trimmed}) ELSE NULL END`;
  }

  /**
   * Reject labels over the typed `_pk_<i>` / `_seq_<i>` of the row (parsed once, in the inner
   * select of incoming_parsed): key and sequence columns must be present and parse; Op must be
   * I/U/D.
   */
  private rejectLabels(): string {
    const d = this.d;
    const labels: string[] = [];
    const check = (col: string, typed: string, kind: string) => {
      const present = nullIfEmpty(d, this.id(col), this.spec.csv.nullValue);
      // The DMS timestamp column is absent from files written without TimestampColumnName: a
      // NULL there is ordered by the file sequence, only an unparseable value is a reject.
      if (this.nullableSequence(col)) {
        labels.push(`CASE WHEN (${present}) IS NOT NULL AND ${typed} IS NULL THEN ${d.str(`bad_${kind}:${col}`)} ELSE NULL END`);
        return;
      }
      labels.push(`CASE WHEN (${present}) IS NULL THEN ${d.str(`null_${kind}:${col}`)} WHEN ${typed} IS NULL THEN ${d.str(`bad_${kind}:${col}`)} ELSE NULL END`);
    };
    this.spec.primaryKey.forEach((k, i) => check(k, `_pk_${i + 1}`, "key"));
    (this.spec.cdc?.sequenceColumns ?? []).forEach((s, i) => check(s, `_seq_${i + 1}`, "sequence"));
    labels.push(`CASE WHEN _op_norm IS NULL THEN 'bad_op' ELSE NULL END`);
    return d.concatLabels(REASON_SEPARATOR, labels);
  }

  /**
   * New rows + normalized Op + typed key/sequence + reject labels. The key and sequence are
   * parsed here once (regex-guarded casts are the costly part); fresh_keyed reuses them.
   */
  private incomingParsed(): string {
    const perFile = new Set(this.perFileColumns());
    const rowCols = this.bronzeCols.filter((c) => !perFile.has(c));
    const typed = this.ordering().filter((o) => !perFile.has(o));
    const parsed = `SELECT ${this.list(rowCols)}, ${this.opNorm()} AS _op_norm, ${typed.join(", ")} FROM incoming`;
    return `SELECT *, ${this.rejectLabels()} AS ${REASONS_COLUMN} FROM (${parsed}) p`;
  }

  /**
   * Lineage and file ordering columns hold one value per file (read_files writes the object key,
   * version, run and data date of each file as constants; file_order has one row per file
   * version). Materialized per row, these strings (eight for a dms dataset) were a third of
   * incoming_parsed's time and much of its memory (1,000,000 rows in 10 files: a CREATE TABLE of
   * 560 ms, 370 without them): they are kept once per file here, keyed by `_file_id` (one object
   * version: a run reads one file per id, since the Glue runner refuses a manifest giving two
   * objects one id and DuckDB skips a repeated id as already loaded), and joined back where whole
   * rows are read (incoming_rows). Taken from the rows themselves (DISTINCT), not the
   * files ledger, so every row finds its file by construction.
   */
  private incomingFileColumns(): string {
    const files = `(SELECT DISTINCT _file_id, ${FILE_LINEAGE.join(", ")} FROM incoming)`;
    return `SELECT _file_id, ${this.perFileColumns().join(", ")} FROM (${this.withFileOrder(files)}) o`;
  }

  /** Columns of a batch row that are its file's (incomingFileColumns), besides `_file_id`. */
  private perFileColumns(): string[] {
    return [...FILE_LINEAGE, ...(this.dms ? this.dmsOrdering() : []), VERSION_AT.name];
  }

  private incomingRows(): string {
    const perFile = this.perFileColumns().map((c) => `f.${c}`);
    return `SELECT ${this.d.broadcast("f")}p.*, ${perFile.join(", ")} FROM incoming_parsed p JOIN incoming_file_columns f ON p._file_id = f._file_id`;
  }

  private rejectsNew(): string {
    return `SELECT ${this.list(this.bronzeCols)}, ${REASONS_COLUMN} FROM incoming_rows WHERE ${REASONS_COLUMN} <> ''`;
  }

  /**
   * Typed ordering columns `_pk_<i>` / `_seq_<i>` parsed from the raw strings, and the ordering
   * columns of the row's file version (the DMS file sequence, `_version_at`), which its relation
   * carries (withFileOrder).
   */
  private ordering(): string[] {
    return [...this.typedKeyAndSequence(), ...(this.dms ? this.dmsOrdering() : []), VERSION_AT.name];
  }

  /** `_pk_<i>` / `_seq_<i>` parsed from the row's raw key and sequence strings. */
  private typedKeyAndSequence(): string[] {
    return [
      ...this.spec.primaryKey.map((k, i) => `${this.typed(k)} AS _pk_${i + 1}`),
      ...(this.spec.cdc?.sequenceColumns ?? []).map((s, i) => `${this.typed(s)} AS _seq_${i + 1}`),
    ];
  }

  bronzeKey(column: string): string {
    return this.typed(column);
  }

  private orderingNames(): string[] {
    return orderingColumns(this.spec).map((c) => c.name);
  }

  /** True for the DMS timestamp column: NULL in files written without TimestampColumnName. */
  private nullableSequence(col: string): boolean {
    return this.dms && col === this.spec.dms?.timestampColumn;
  }

  /** Upper-cased base name of an object key (any folder depth). */
  private baseName(key: string): string {
    return `upper(${this.d.regexExtract(key, "[^/]*$")})`;
  }

  private isLoadFile(key: string): string {
    return this.d.regexMatch(this.baseName(key), DMS_LOAD_NAME);
  }

  /** `_dms_gen` (from withFileOrder), `_dms_phase` and `_dms_file` of a row, from its object key. */
  private dmsOrdering(): string[] {
    return ["_dms_gen", "_dms_phase", "_dms_file"];
  }

  /** `_dms_phase` and `_dms_file` of the object key `key` (see orderingColumns). */
  private dmsFileOrder(key: string): { phase: string; file: string } {
    const named = `${this.isLoadFile(key)} OR ${this.d.regexMatch(this.baseName(key), DMS_CDC_NAME)}`;
    return { phase: `CASE WHEN ${this.isLoadFile(key)} THEN 0 ELSE 1 END`, file: `CASE WHEN ${named} THEN ${this.baseName(key)} ELSE '' END` };
  }

  /**
   * The ordering columns of every file version a run orders (`file_order`, one row per object key
   * and version), joined to the batch's files (`incoming_file_columns`): `_version_at` for every
   * dataset, and for a dms dataset its load generation and file sequence. A full refresh orders
   * bronze too, so it reads the whole ledger; an incremental run of another format orders only
   * the batch (the state stores its rows' columns), so the batch's ledger rows suffice. A dms
   * dataset reads the whole ledger in both: a new reload file dates the generation of files
   * already loaded.
   *
   * Load generations of dms datasets: DMS writes no end-of-load marker, so a generation is
   * dated by arrival (ledger `_received_at`, the manifest's receivedAt: replays give the same
   * generations). A reload is a full-load file VERSION whose object key already had an earlier
   * one: reload-target writes LOAD00000001... again under the same keys. Every file belongs to
   * the generation of the latest reload file received at or before it ("" before any reload), and
   * a newer generation orders after all older ones. Arrival alone does not make a reload: a
   * folder of DMS output copied in bulk (`aws s3 sync`, `cp -r`) lands its CDC files before its
   * LOAD files (names sort "2026..." < "LOAD..."), and must still be ordered by the file sequence.
   */
  private fileOrderSteps(): PlanStep[] {
    const description = "ordering columns of every file version (ledger + batch)";
    const ordered = this.sql("incoming_file_columns", "table", "per file of the batch: its lineage and ordering columns", this.incomingFileColumns());
    const whole: Array<ReadTableStep | SqlStep> = [
      { kind: "read_table", table: "files", output: "files_prev" },
      this.sql("file_order", "table", description, this.fileOrder(["files_prev", "incoming_files"])),
    ];
    if (this.dms) return [...whole, ordered, this.regenerationCheck()];
    const full: RunMode = "full_refresh";
    return [
      ...whole.map((s): PlanStep => ({ ...s, when: full })),
      this.sql("file_order", "table", "ordering columns of the batch's file versions", this.fileOrder(["incoming_files"]), "incremental"),
      ordered,
    ];
  }

  /**
   * dms, incremental: switch to a full refresh when the batch moves a file version already loaded
   * into another load generation than the one its rows were ordered with. That happens when files
   * are loaded out of arrival order: a reload loaded after a CDC file received later than it (its
   * event lost and re-driven, or `datalake load` of a folder in another order), or an earlier
   * version of a LOAD key loaded after the later one (which that makes a reload). The state's
   * rows keep the generation of their load, and the rows that lost to them in that order may win
   * now, so no per-key shortcut is right: every key is reordered from bronze. Files loaded in
   * arrival order never trigger it (a reload dates only files received at or after it), so a
   * normal reload stays incremental.
   */
  private regenerationCheck(): RefreshCheckStep {
    const on = ["_source_key", "_source_version"].map((c) => `o.${c} = n.${c}`).join(" AND ");
    const sql = `SELECT 1 AS regenerated FROM (${this.fileOrder(["files_prev"])}) o JOIN file_order n ON ${on} WHERE o._dms_gen <> n._dms_gen LIMIT 1`;
    const reason = "this batch moves files loaded before it into another reload generation (docs/dms.md, Full reload)";
    return { kind: "refresh_check", sql, reason, when: "incremental" };
  }

  /** newDmsGenerations: reloads of all of `files`, less those its old files alone make. */
  newGenerations(files: string, isNew: (alias: string) => string): string {
    const reloads = (where: string) =>
      `SELECT a._received_at FROM ${files} a JOIN ${files} b ON a._source_key = b._source_key ` +
      `AND b._received_at < a._received_at WHERE ${this.isLoadFile("a._source_key")}${where}`;
    return `${reloads("")} EXCEPT ${reloads(` AND NOT (${isNew("a")}) AND NOT (${isNew("b")})`)}`;
  }

  /**
   * The ordering columns of every file version of the ledgers `sources` (FILES_COLUMNS
   * relations): `_version_at` (the version's first arrival: a ledger may list a version twice
   * only if it was read twice), and for a dms dataset `_dms_gen`, `_dms_phase`, `_dms_file`.
   */
  private fileOrder(sources: string[]): string {
    const cols = "_source_key, _source_version, _received_at, _sequencer";
    const files = sources.map((r) => `SELECT ${cols} FROM ${r}`).join(" UNION ALL ");
    const versionAt = `COALESCE(MIN(f._received_at || ${this.sequencerOrder("f._sequencer")}), '') AS ${VERSION_AT.name}`;
    const group = "GROUP BY f._source_key, f._source_version";
    if (!this.dms) return `WITH files AS (${files}) SELECT f._source_key, f._source_version, ${versionAt} FROM files f ${group}`;
    // A reload: a later version of a full-load file's key (the first full load is not one).
    const loads =
      `SELECT DISTINCT a._received_at FROM files a JOIN files b ON a._source_key = b._source_key ` +
      `AND b._received_at < a._received_at WHERE ${this.isLoadFile("a._source_key")}`;
    const order = this.dmsFileOrder("f._source_key");
    return (
      `WITH files AS (${files}), loads AS (${loads}) ` +
      `SELECT f._source_key, f._source_version, COALESCE(MAX(l._received_at), '') AS _dms_gen, ` +
      `${order.phase} AS _dms_phase, ${order.file} AS _dms_file, ${versionAt} ` +
      `FROM files f LEFT JOIN loads l ON l._received_at <= f._received_at ${group}`
    );
  }

  /**
   * An S3 sequencer as text whose order is the order of the PUTs of one key: S3 documents that
   * sequencers of different lengths compare after the shorter is padded with zeros on the right
   * (handlers/core/s3-event.ts compareSequencers does the same), so every one is padded to one
   * width (longer ones kept whole). Appended to `_received_at`, it orders two versions of a key
   * that arrived within the same second (EventBridge times are whole seconds), which otherwise
   * fell to row number and version id, interleaving the rows of both versions. Ledger rows
   * written before the column existed read NULL: "" (the bare time orders before any sequencer).
   */
  private sequencerOrder(sequencer: string): string {
    const s = `upper(COALESCE(${sequencer}, ''))`;
    return `rpad(${s}, ${this.d.cast(`greatest(length(${s}), ${SEQUENCER_WIDTH})`, "int")}, '0')`;
  }

  /**
   * Rows of `from` with their file version's ordering columns (fileOrder). They are computed
   * once per file in file_order, not per row (the dms file sequence's regexes cost a tenth of a
   * load's time when run on every row); a row whose file is not in the ledger (never, the ledger
   * lists every file) still gets its dms file sequence from its own key, and "" as `_version_at`.
   */
  private withFileOrder(from: string): string {
    const on = ["_source_key", "_source_version"].map((c) => `r.${c} = g.${c}`).join(" AND ");
    const versionAt = `COALESCE(g.${VERSION_AT.name}, '') AS ${VERSION_AT.name}`;
    if (!this.dms) return `SELECT r.*, ${versionAt} FROM ${from} r LEFT JOIN file_order g ON ${on}`;
    const own = this.dmsFileOrder(`r.${this.id("_source_key")}`);
    return (
      `SELECT r.*, COALESCE(g._dms_gen, '') AS _dms_gen, COALESCE(g._dms_phase, ${own.phase}) AS _dms_phase, ` +
      `COALESCE(g._dms_file, ${own.file}) AS _dms_file, ${versionAt} FROM ${from} r LEFT JOIN file_order g ON ${on}`
    );
  }

  private keyedColumns(op: string): string[] {
    const data = this.spec.columns.map((c) => this.id(c.name));
    const lineage = BRONZE_LINEAGE.filter((l) => l.name !== "_op").map((l) => this.id(l.name));
    return [...data, `${op} AS ${this.id("_op")}`, ...lineage, ...this.ordering()];
  }

  /** One row: `fresh_rows`, the number of new rows that passed the reject checks. */
  private incomingCounts(): string {
    return `SELECT COUNT(*) AS fresh_rows FROM incoming_parsed WHERE ${REASONS_COLUMN} = ''`;
  }

  /** New rows that passed the reject checks, with normalized Op and the typed key/sequence. */
  private freshKeyed(): string {
    const data = this.spec.columns.map((c) => this.id(c.name));
    const lineage = BRONZE_LINEAGE.filter((l) => l.name !== "_op").map((l) => this.id(l.name));
    const cols = [...data, `_op_norm AS ${this.id("_op")}`, ...lineage, ...this.orderingNames()];
    return `SELECT ${cols.join(", ")} FROM incoming_rows WHERE ${REASONS_COLUMN} = ''`;
  }

  /** Incremental: the published state's key and ordering columns (stored typed: no parsing). */
  private stateOrdering(): string {
    return `SELECT ${this.orderingNames().join(", ")}, _source_key, _row_number, _source_version FROM state_prev`;
  }

  /**
   * Full refresh: every valid change in bronze, typed (old rejects drop out here again). `from`
   * has bronze's columns and its files' ordering columns (withFileOrder).
   */
  private bronzeKeyed(from = "bronze_ordered"): string {
    // The raw sequence strings stay in scope (p.*), so the NULL-or-parsed test can read them.
    return `SELECT * FROM (SELECT ${this.keyedColumns(this.opNorm()).join(", ")} FROM ${from}) p WHERE ${this.parses()}`;
  }

  /**
   * Whether a row with typed `_pk_<i>` / `_seq_<i>`, normalized `_op` and its raw sequence strings
   * is a change: the complement of rejectLabels. Never NULL (only IS [NOT] NULL tests).
   */
  private parses(): string {
    const seq = (s: string, i: number) =>
      this.nullableSequence(s)
        ? `(_seq_${i + 1} IS NOT NULL OR (${nullIfEmpty(this.d, this.id(s), this.spec.csv.nullValue)}) IS NULL)`
        : `_seq_${i + 1} IS NOT NULL`;
    return [
      ...this.spec.primaryKey.map((_, i) => `_pk_${i + 1} IS NOT NULL`),
      ...(this.spec.cdc?.sequenceColumns ?? []).map(seq),
      `${this.id("_op")} IS NOT NULL`,
    ].join(" AND ");
  }

  /**
   * `bronze_unparsed`, one row: `unparsed_rows`, for the bronze_rows_accounted audit. A full
   * refresh keeps the bronze rows that parse under today's spec (bronzeKeyed), so a spec edit of
   * a key or sequence column (a type narrowed, the key moved to a column older rows leave empty)
   * would drop rows that loaded as changes from state and silver, counted nowhere: each run's
   * files said those rows loaded. Such rows are counted here: bronze rows that do not parse and
   * are not rows the rejects table already holds (rejected when they were read, by
   * `_file_id` + `_row_number`), and the audit refuses the publish: the spec edit is undone,
   * nothing is lost. An incremental run types new rows only, under the plan the tables were
   * published with (another plan is a full refresh): nothing to count.
   */
  private unparsedSteps(): PlanStep[] {
    const description = "bronze rows that loaded as changes and no longer parse under the spec";
    return [
      { kind: "read_table", table: "rejects", output: "rejects_prev", when: "full_refresh" },
      this.sql(UNPARSED_RELATION, "table", description, this.bronzeUnparsed(), "full_refresh"),
      this.sql(UNPARSED_RELATION, "table", description + " (none: an incremental run reads no old row)", "SELECT CAST(0 AS BIGINT) AS unparsed_rows", "incremental"),
    ];
  }

  private bronzeUnparsed(): string {
    const rawSequences = [...new Set(this.spec.cdc?.sequenceColumns ?? [])].map((s) => this.id(s));
    const parsed = ["_file_id", "_row_number", ...this.typedKeyAndSequence(), ...rawSequences, `${this.opNorm()} AS ${this.id("_op")}`];
    const rejected = "SELECT 1 FROM rejects_prev r WHERE r._file_id = p._file_id AND r._row_number = p._row_number";
    return `SELECT COUNT(*) AS unparsed_rows FROM (SELECT ${parsed.join(", ")} FROM bronze_prev) p WHERE NOT (${this.parses()}) AND NOT EXISTS (${rejected})`;
  }

  /**
   * A dataset's change history for the model compilers (historySteps): the full refresh's own
   * steps from bronze to changes(_filled), then `history`. Same validity, same order, same
   * partial-image filling as the load, so a dimension's versions follow the load contract.
   */
  historySteps(): ModelStep[] {
    const step = (name: string, materialize: ModelStep["materialize"], description: string, sql: string): ModelStep => ({ name, sql, materialize, description });
    return [
      step("file_order", "table", "ordering columns of every file version of the ledger", this.fileOrder([HISTORY_FILES_RELATION])),
      step("bronze_ordered", "view", "bronze rows with their files' ordering columns", this.withFileOrder(HISTORY_BRONZE_RELATION)),
      step("changes", "view", "every valid change in bronze, typed key/sequence", this.bronzeKeyed()),
      ...(this.fillColumns.length > 0 ? [step("changes_filled", "view", "updates' unlogged columns from the key's previous change", this.fillAll("changes", true))] : []),
      step(HISTORY_RELATION, "table", "every valid change, typed, labeled, in contract order (_pos)", this.history()),
    ];
  }

  /**
   * Every valid change: typed spec columns (PII not hashed yet), `_op`, ordering columns, lineage,
   * `_reasons` (bad_type and row-level rule labels; `unique` rules are about the current state,
   * not about one change) and `_pos`, the change's rank in its key's contract order (1 = first).
   */
  private history(): string {
    // changes_filled ranked the chain already (fillAll `withPos`): the same order, one sort.
    const filled = this.fillColumns.length > 0;
    const names = this.spec.columns.map((c) => this.id(c.name));
    const typed = this.spec.columns.map((c) => `${this.typedOfKeyed(c.name)} AS ${this.id(c.name)}`);
    const raw = this.spec.columns.map((c) => `${this.id(c.name)} AS ${this.id(`_raw_${c.name}`)}`);
    const keep = [this.id("_op"), ...this.orderingNames(), "_source_key", "_row_number", "_source_version"];
    const rules = this.spec.rules.filter((r) => r.kind !== "unique");
    const from = filled ? "changes_filled" : "changes";
    const labeled = `SELECT *, ${this.labels(rules)} AS ${REASONS_COLUMN} FROM (SELECT ${[...typed, ...raw, ...keep, ...(filled ? ["_pos"] : [])].join(", ")} FROM ${from}) t`;
    const positioned = filled ? labeled : this.chainPositions(`(${labeled}) l`);
    return `SELECT ${[...names, ...keep, REASONS_COLUMN, "_pos"].join(", ")} FROM (${positioned}) h`;
  }

  private allChanges(): string {
    return "SELECT * FROM prior_keyed UNION ALL SELECT * FROM fresh_keyed";
  }

  /**
   * Ordering of one key's changes: sequence, then object key, then the object version's arrival
   * (`_version_at`: a version uploaded later orders after the one it replaces; within one second,
   * by S3 sequencer), then row number,
   * then version id (two versions that arrived in the same millisecond). Format "dms": load
   * generation, phase (full load before CDC, so a key's changes follow its full-load row even
   * when the timestamp column holds a later transfer time), timestamp (NULL first: files written
   * without TimestampColumnName), DMS file sequence (LOAD counter / CDC name), then as above.
   */
  private orderColumns(): string[] {
    const seq = (this.spec.cdc?.sequenceColumns ?? []).map((_, i) => `_seq_${i + 1}`);
    const tail = ["_source_key", VERSION_AT.name, "_row_number", "_source_version"];
    return this.dms ? ["_dms_gen", "_dms_phase", ...seq, "_dms_file", ...tail] : [...seq, ...tail];
  }

  /** Latest first; dms: NULL (no timestamp) orders first, stated because engines differ by default. */
  private descending(): string {
    return this.orderColumns().map(this.latestFirst).join(", ");
  }

  /** One ordering column, latest first (descending()'s term). */
  private readonly latestFirst = (c: string): string => (this.dms ? `${c} DESC NULLS LAST` : `${c} DESC`);

  private rankedLatest(from: string, cols: string): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`).join(", ");
    const order = this.descending();
    const ranked = `SELECT ${cols}, ROW_NUMBER() OVER (PARTITION BY ${keys} ORDER BY ${order}) AS _rn FROM ${from}`;
    return `SELECT ${cols} FROM (${ranked}) c WHERE _rn = 1`;
  }

  /** Full refresh: rank every change of every key (bronze may hold a file twice: ties collapse). */
  private rankAll(): string {
    const from = this.fillColumns.length > 0 ? "changes_filled" : "changes";
    return this.rankedLatest(from, this.stateNames().join(", "));
  }

  /**
   * Incremental, step 1: rank only the new changes, and only their key, sequence, file and row
   * number (ranking full rows cost twice as much; the file's own ordering columns, strings held
   * once per file, are its ranks in fresh_files). `_file_id` and row number identify one new row:
   * read_files reads an object version at most once per run.
   */
  private freshLatest(): string {
    const keys = this.spec.primaryKey.map((_, i) => `f._pk_${i + 1}`);
    const seq = (this.spec.cdc?.sequenceColumns ?? []).map((_, i) => this.latestFirst(`f._seq_${i + 1}`));
    // The order of descending(), with each run of per-file columns replaced by its rank.
    const order = [...(this.dms ? ["r._r_gen"] : []), ...seq, "r._r_file", this.latestFirst("f._row_number"), "r._r_version"];
    const cols = [...keys, "f._file_id", "f._row_number"];
    const ranked =
      `SELECT ${cols.join(", ")}, ROW_NUMBER() OVER (PARTITION BY ${keys.join(", ")} ORDER BY ${order.join(", ")}) AS _rn ` +
      `FROM fresh_keyed f JOIN fresh_files r ON f._file_id = r._file_id`;
    return `SELECT ${cols.map((c) => c.slice(2)).join(", ")} FROM (${ranked}) c WHERE _rn = 1`;
  }

  /**
   * Incremental: one row per file of the batch (`_file_id`: object key + version; the dms
   * generation, phase and file sequence are the file's too) with dense ranks of its ordering
   * columns, latest first, so freshLatest sorts a key's changes by integers where descending()
   * has long strings (dms generation and file names, object keys, versions): that sort was most
   * of a load's state step (1,000,000 changes in 10 files: 440 -> 130 ms).
   */
  private freshFiles(): string {
    const desc = (cols: string[]) => cols.map(this.latestFirst).join(", ");
    const ranks = [
      ...(this.dms ? [`DENSE_RANK() OVER (ORDER BY ${desc(["_dms_gen", "_dms_phase"])}) AS _r_gen`] : []),
      `DENSE_RANK() OVER (ORDER BY ${desc([...(this.dms ? ["_dms_file"] : []), "_source_key", VERSION_AT.name])}) AS _r_file`,
      `DENSE_RANK() OVER (ORDER BY ${desc(["_source_version"])}) AS _r_version`,
    ];
    // Every file of the batch (incoming_file_columns: one row per `_file_id`), also one whose
    // rows were all rejected: ranks only order the files that have rows, and a rank more changes
    // no order among them.
    return `SELECT _file_id, ${ranks.join(", ")} FROM incoming_file_columns`;
  }

  private freshWinners(): string {
    const on = [...this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`), "_file_id", "_row_number"]
      .map((c) => `f.${c} = w.${c}`)
      .join(" AND ");
    return `SELECT f.* FROM fresh_keyed f JOIN fresh_latest w ON ${on}`;
  }

  /**
   * Incremental, step 2: each key's latest new change against the key's state row (narrow: key and
   * ordering columns): it becomes the state row when it orders after it, or when the key is new.
   * A late change, or a change the state already holds (read again after a crash), does not.
   * The result is small (at most one row per changed key) and is merged into state by key.
   */
  private stateDelta(): string {
    const match = this.spec.primaryKey.map((_, i) => `f._pk_${i + 1} = p._pk_${i + 1}`).join(" AND ");
    const cols = [...this.bronzeCols.map((c) => `f.${this.id(c)}`), ...this.orderingNames().map((c) => `f.${c}`)];
    return `SELECT ${cols.join(", ")} FROM fresh_winners f LEFT JOIN prior_keyed p ON ${match} WHERE p._pk_1 IS NULL OR COALESCE(${this.after("f", "p")}, FALSE)`;
  }

  /** Row `f` orders after row `p` (orderColumns, lexicographic; dms: a NULL sequence is lowest). */
  private after(f: string, p: string): string {
    const nullable = new Set(
      (this.spec.cdc?.sequenceColumns ?? []).map((s, i) => (this.nullableSequence(s) ? `_seq_${i + 1}` : "")).filter((c) => c !== ""),
    );
    const gt = (c: string) =>
      nullable.has(c) ? `COALESCE(${f}.${c} > ${p}.${c}, ${f}.${c} IS NOT NULL AND ${p}.${c} IS NULL)` : `${f}.${c} > ${p}.${c}`;
    const eq = (c: string) =>
      nullable.has(c) ? `COALESCE(${f}.${c} = ${p}.${c}, ${f}.${c} IS NULL AND ${p}.${c} IS NULL)` : `${f}.${c} = ${p}.${c}`;
    const chain = (cols: string[]): string => {
      const [c, ...rest] = cols;
      return rest.length === 0 ? gt(c) : `${gt(c)} OR (${eq(c)} AND (${chain(rest)}))`;
    };
    return chain(this.orderColumns());
  }

  /**
   * Incremental state changes. With partial images kept (dms keep_previous), the winners'
   * unlogged columns are filled first: state_winners -> fill_chain -> state_delta.
   */
  private stateDeltaSteps(): PlanStep[] {
    const description = "new changes that become their key's state row";
    if (this.fillColumns.length === 0) return [this.sql("state_delta", "table", description, this.slimDelta(this.stateDelta()), "incremental")];
    const when = "incremental";
    // state_delta reads state_winners three times (itself and twice in fill_chain's keys): a step
    // read again (dialects.ts rereadStep). As a view, Spark ran its window and planned the chain
    // under it three times: a 2-row load's state_delta took 2.0 s; now 0.7 s, after 0.7 s for
    // state_winners. On DuckDB a table was not consistently faster and held the winners in memory
    // (`npm run bench -- peer`'s load, 7 runs each: peak RSS 820-950 MB as a view, 920-1,030 MB
    // as a table).
    return [
      this.sql("state_winners", this.d.rereadStep, description + " (as written)", this.stateDelta(), when),
      this.sql("fill_chain", "view", "the winners' keys: state row, then the new changes after it", this.fillChain(), when),
      this.sql("refill_keys", "table", "keys whose state row is an update and a new change orders before it", this.refillKeys(), when),
      this.sql("refill_bronze", "view", "bronze rows of the refill keys, as stored", this.refillBronze(), when),
      this.sql("refill_changes", "view", "every valid change of the refill keys: bronze + new rows", this.refillChanges(), when),
      this.sql("refill_filled", "view", "the refill keys' changes, unlogged columns filled in order", this.fillAll("refill_changes"), when),
      this.sql("state_delta", "table", description + ", unlogged columns filled", this.slimDelta(this.filledDelta()), when),
    ];
  }

  /**
   * state_delta as materialized: the per-file columns (perFileColumns: the same on every row of a
   * file) only on rows of earlier runs' files (a refilled key's bronze rows), NULL on rows of the
   * batch's files, which state_rows takes from incoming_file_columns again, as fresh_keyed took
   * them. Those strings (eight for a dms dataset) were over a third of state_delta: a 1,000,000-
   * change first load's ~530,000 changed keys held 249 MB, now 156 MB (its peak RSS ~0.1 GB less).
   */
  private slimDelta(sql: string): string {
    return this.batchFileColumns(`(${sql})`, "NULL");
  }

  /**
   * The changed keys' state rows: state_delta, with its batch rows' per-file columns (which
   * slimDelta left out) from incoming_file_columns.
   */
  private stateRows(): string {
    return this.batchFileColumns("state_delta", "f");
  }

  /**
   * State's columns of `from`, whose per-file columns on a row of a batch file (one in
   * incoming_file_columns, `f`) are `batch`: NULL (slimDelta) or the file's own (`f`, stateRows).
   */
  private batchFileColumns(from: string, batch: "NULL" | "f"): string {
    const perFile = new Set(this.perFileColumns());
    const value = (c: string) => (batch === "NULL" ? "NULL" : `f.${this.id(c)}`);
    const cols = this.stateColumns().map((c) => (perFile.has(c) ? `CASE WHEN f._file_id IS NULL THEN d.${this.id(c)} ELSE ${value(c)} END AS ${this.id(c)}` : `d.${this.id(c)}`));
    return `SELECT ${cols.join(", ")} FROM ${from} d LEFT JOIN incoming_file_columns f ON d._file_id = f._file_id`;
  }

  /**
   * Incremental, keep_previous: keys with a new change that orders BEFORE their state row (a late
   * CDC file, a full load landing after CDC files) while that row is an update. The update may
   * have left columns unlogged, filled from the changes before it, and the late change may now be
   * the one to fill them from: such a key's state is recomputed from its whole history
   * (refill_changes), so the tables do not depend on how files were split into runs. Only an
   * update that left a fill column unlogged (`_partial_image`, recorded when the row was written)
   * can change: one that logged every column, an insert or a delete is its own values whatever
   * came before it, so a late change before it changes nothing.
   */
  private refillKeys(): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`);
    const on = keys.map((k) => `f.${k} = s.${k}`).join(" AND ");
    const partial = `COALESCE(s.${PARTIAL_IMAGE.name}, TRUE)`;
    return `SELECT DISTINCT ${keys.map((k) => `f.${k}`).join(", ")} FROM fresh_keyed f JOIN state_prev s ON ${on} WHERE s.${this.id("_op")} = 'U' AND ${partial} AND COALESCE(${this.after("s", "f")}, FALSE)`;
  }

  /**
   * The bronze rows of the refill keys, filtered on the key alone before any other column is
   * typed: a batch with a late change (generated DMS data has some in most batches) otherwise
   * typed and ordered every bronze row to keep a handful, so a run's cost grew with history
   * (batch 30 of `npm run bench -- engine` cost 2.8x batch 1). What is left per bronze row is
   * one key parse.
   */
  private refillBronze(): string {
    const from = "bronze_ordered";
    const typed = this.spec.primaryKey.map((k) => this.typed(k));
    if (typed.length === 1) return `SELECT * FROM ${from} WHERE ${typed[0]} IN (SELECT _pk_1 FROM refill_keys)`;
    return `SELECT * FROM ${from} WHERE EXISTS (SELECT 1 FROM refill_keys r WHERE ${typed.map((t, i) => `r._pk_${i + 1} = ${t}`).join(" AND ")})`;
  }

  /**
   * Every valid change of the refill keys, from bronze and the batch (the full refresh's
   * `changes`, for those keys only).
   */
  private refillChanges(): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`);
    const on = (a: string) => keys.map((k) => `${a}.${k} = r.${k}`).join(" AND ");
    return `SELECT b.* FROM (${this.bronzeKeyed("refill_bronze")}) b UNION ALL SELECT ${this.d.broadcast("r")}f.* FROM fresh_keyed f JOIN refill_keys r ON ${on("f")}`;
  }

  /** Incremental, keep_previous: the filled winners of the other keys, and each refill key's latest change. */
  private filledDelta(): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`);
    const on = keys.map((k) => `w.${k} = r.${k}`).join(" AND ");
    const refilled = this.rankedLatest("refill_filled", this.stateNames().join(", "));
    return `SELECT w.* FROM (${this.fillWinners()}) w LEFT JOIN refill_keys r ON ${on} WHERE r._pk_1 IS NULL UNION ALL ${refilled}`;
  }

  /**
   * A column an update (Op U) did not log: the noSupValue marker when the spec sets one, else
   * NULL / empty / nullValue (then a real update to NULL cannot be told apart: docs/dms.md "Ordering, full-load race, reload, partial images").
   */
  private unlogged(col: string): string {
    const marker = this.spec.dms?.noSupValue;
    return marker ? `COALESCE(${col} = ${this.d.str(marker)}, FALSE)` : `(${nullIfEmpty(this.d, col, this.spec.csv.nullValue)}) IS NULL`;
  }

  /**
   * Fill value of one column over a key's ordered chain (`_pos`): the latest row that is not an
   * update, or whose value was logged, or the state row (`_chain_src` 0: already filled). As an
   * aggregate per key (fillWinners), encoded as position (20 digits) + 'n' (NULL) or 'v' + value,
   * so MAX picks the latest in both engines.
   */
  private fillAnchor(col: string): string {
    const c = this.id(col);
    const pos = `lpad(${this.d.cast("_pos", "string")}, 20, '0')`;
    return `MAX(CASE WHEN ${this.anchors(col)} THEN CASE WHEN ${c} IS NULL THEN concat(${pos}, 'n') ELSE concat(${pos}, 'v', ${c}) END ELSE NULL END)`;
  }

  /**
   * fillAnchor as a running window (fillAll: every change of a key filled in order): the last
   * anchor row's value, boxed so that a logged NULL is still an anchor. Half the time of the MAX
   * over position-prefixed strings, which builds a 20-digit string per row and column and compares
   * them (1 M changes, 3 fill columns: 720 -> 340 ms on DuckDB).
   */
  private fillAnchorWindow(col: string): string {
    return this.d.lastNonNull(`CASE WHEN ${this.anchors(col)} THEN ${this.d.box(this.id(col))} ELSE NULL END`);
  }

  /** Whether a chain row anchors a column's fill value (fillAnchor). */
  private anchors(col: string): string {
    return `_chain_src = 0 OR ${this.id("_op")} <> 'U' OR NOT (${this.unlogged(this.id(col))})`;
  }

  /** The value of an update's column after filling: the anchor's, or as written when it has none. */
  private filled(op: string, raw: string, anchor: string): string {
    return `CASE WHEN ${op} <> 'U' OR ${anchor} IS NULL THEN ${raw} WHEN substr(${anchor}, 21, 1) = 'v' THEN substr(${anchor}, 22) ELSE NULL END`;
  }

  /** filled() for a boxed window anchor (fillAnchorWindow). */
  private filledBoxed(op: string, raw: string, anchor: string): string {
    return `CASE WHEN ${op} <> 'U' OR ${anchor} IS NULL THEN ${raw} ELSE ${anchor}.v END`;
  }

  /**
   * Incremental: per key whose winner has a column to fill, its state row (position 0) and the new
   * changes ordered after it. Only those keys: a winner that is not an update, or logged every
   * fill column, is its chain's latest anchor for each of them, so it keeps its values as written
   * (fillWinners' LEFT JOIN finds no chain). Why: the chain is a sort of the new changes per key,
   * the load's most expensive step when taken for every key, and DMS logs most updates in full.
   */
  private fillChain(): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`);
    const on = (a: string, b: string) => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(" AND ");
    const cols = (a: string) => [...keys, ...this.orderColumns(), this.id("_op"), ...this.fillColumns.map(this.id)].map((c) => `${a}.${c}`);
    // The winners that are partial images (the flag state keeps, on the row as written).
    const needs = `(SELECT ${keys.join(", ")} FROM state_winners WHERE ${this.partialImage("")})`;
    const fresh =
      `SELECT ${cols("f").join(", ")}, 1 AS _chain_src FROM fresh_keyed f JOIN ${needs} w ON ${on("f", "w")} ` +
      `LEFT JOIN prior_keyed p ON ${on("f", "p")} WHERE p._pk_1 IS NULL OR COALESCE(${this.after("f", "p")}, FALSE)`;
    const state = `SELECT ${cols("s").join(", ")}, 0 AS _chain_src FROM state_prev s JOIN ${needs} w ON ${on("s", "w")}`;
    return `${fresh} UNION ALL ${state}`;
  }

  private chainPositions(from: string): string {
    return `SELECT *, ROW_NUMBER() OVER (${this.chainWindow(from === "fill_chain")}) AS _pos FROM ${from}`;
  }

  /** A key's chain in contract order, oldest first (the state row first: `stateFirst`). */
  private chainWindow(stateFirst = false): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`).join(", ");
    const order = this.orderColumns().map((c) => (this.dms ? `${c} ASC NULLS FIRST` : c)).join(", ");
    return `PARTITION BY ${keys} ORDER BY ${stateFirst ? "_chain_src, " : ""}${order}`;
  }

  /** Incremental: the winners with each update's unlogged columns taken from its chain. */
  private fillWinners(): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`);
    const anchors = this.fillColumns.map((c, i) => `${this.fillAnchor(c)} AS _fill_${i + 1}`);
    const values = `SELECT ${keys.join(", ")}, ${anchors.join(", ")} FROM (${this.chainPositions("fill_chain")}) c GROUP BY ${keys.join(", ")}`;
    const fill = new Map(this.fillColumns.map((c, i) => [c, `v._fill_${i + 1}`]));
    const op = `w.${this.id("_op")}`;
    const cols = this.bronzeCols.map((c) => {
      const raw = `w.${this.id(c)}`;
      return fill.has(c) ? `${this.filled(op, raw, fill.get(c)!)} AS ${this.id(c)}` : raw;
    });
    const on = keys.map((k) => `w.${k} = v.${k}`).join(" AND ");
    const partial = `${this.partialImage("w.")} AS ${PARTIAL_IMAGE.name}`;
    return `SELECT ${[...cols, ...this.orderingNames().map((c) => `w.${c}`), partial].join(", ")} FROM state_winners w LEFT JOIN (${values}) v ON ${on}`;
  }

  /**
   * Full refresh (and refill_keys): every update's unlogged columns from the key's earlier changes,
   * in order. `withPos` keeps each change's chain position `_pos` (the model history's order);
   * without it the rows are state candidates and keep `_partial_image`, taken before filling.
   */
  private fillAll(from = "changes", withPos = false): string {
    // The running fills and `_pos` share one window, so both engines sort each key's chain once
    // (ordering the fills by a `_pos` ranked in a subquery sorted it twice: the model history of
    // 48,755 changes, 167 -> 145 ms on DuckDB). The order is total up to identical rows (bronze
    // may hold a file twice), whose fills are the same in either order.
    const chain = this.chainWindow();
    const anchors = this.fillColumns.map((c, i) => `${this.fillAnchorWindow(c)} OVER (${chain} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS _fill_${i + 1}`);
    const pos = withPos ? [`ROW_NUMBER() OVER (${chain}) AS _pos`] : [];
    const fill = new Map(this.fillColumns.map((c, i) => [c, `_fill_${i + 1}`]));
    const op = this.id("_op");
    const cols = this.bronzeCols.map((c) => (fill.has(c) ? `${this.filledBoxed(op, this.id(c), fill.get(c)!)} AS ${this.id(c)}` : this.id(c)));
    const kept = withPos ? ["_pos"] : [`${this.partialImage("")} AS ${PARTIAL_IMAGE.name}`];
    return `SELECT ${[...cols, ...this.orderingNames(), ...kept].join(", ")} FROM (SELECT *, ${[...pos, ...anchors].join(", ")} FROM (SELECT *, 1 AS _chain_src FROM ${from}) x) c`;
  }

  /** State's columns, in its table's order (tableDefs). */
  private stateNames(): string[] {
    return this.stateColumns().map((c) => (this.bronzeCols.includes(c) ? this.id(c) : c));
  }

  /** State's column names, unquoted, in order. */
  private stateColumns(): string[] {
    return [...this.bronzeCols, ...this.orderingNames(), ...partialImageColumn(this.spec).map((c) => c.name)];
  }

  /**
   * Whether a change as written (columns of `alias`, before filling) left a fill column unlogged
   * (PARTIAL_IMAGE). Unknown counts as partial: that only costs a refill.
   */
  private partialImage(alias: string): string {
    const unlogged = this.fillColumns.map((c) => this.unlogged(`${alias}${this.id(c)}`)).join(" OR ");
    return `COALESCE(${alias}${this.id("_op")} = 'U' AND (${unlogged}), TRUE)`;
  }

  /** Merge keys of state: its stored typed key columns. */
  private onKeys(prefix: "_pk"): { target: string; source: string }[] {
    return this.spec.primaryKey.map((_, i) => ({ target: `t.${prefix}_${i + 1}`, source: `${prefix}_${i + 1}` }));
  }

  /** Merge keys of silver: its typed key columns (a key column is never hashed). */
  private onSilverKeys(): { target: string; source: string }[] {
    return this.spec.primaryKey.map((k) => ({ target: `t.${this.id(k)}`, source: k }));
  }

  /** Merge keys of quarantine: its raw key strings, parsed as the state parses them. */
  private onRawKeys(): { target: string; source: string }[] {
    return this.spec.primaryKey.map((k, i) => ({ target: this.typed(k, `t.${this.id(k)}`), source: `_pk_${i + 1}` }));
  }

  /**
   * One silver row per changed key: the labeled row when it is current and clean, else a removal
   * (the key was deleted, or its row now carries labels). Key columns come from the change, so a
   * removal names its key.
   */
  private silverChanges(): string {
    const keys = new Set(this.spec.primaryKey);
    const cols = this.silverColumns("l").map((expr, i) => {
      const name = this.silverNames()[i];
      return keys.has(name) ? `l._pk_${this.spec.primaryKey.indexOf(name) + 1} AS ${this.id(name)}` : expr;
    });
    return `SELECT ${cols.join(", ")}, (l._removed OR l.${REASONS_COLUMN} <> '') AS _delete FROM delta_labeled l`;
  }

  /** One quarantine row per changed key: the labeled row when it carries labels, else a removal. */
  private quarantineChanges(): string {
    const pk = this.spec.primaryKey.map((_, i) => `l._pk_${i + 1} AS _pk_${i + 1}`);
    return `SELECT ${[...this.quarantineColumns("l"), ...pk].join(", ")}, (l._removed OR l.${REASONS_COLUMN} = '') AS _delete FROM delta_labeled l`;
  }

  /**
   * A spec column, typed, of a row that carries its typed key `_pk_<i>` and sequence `_seq_<i>`
   * (a state row, a change of `changes`): those two were parsed from this row's own raw strings
   * (a fill never touches them), so they are reused, not parsed again. The sequence is mostly a
   * timestamp, whose regex-guarded cast was a fifth of typing and labeling 529,105 changed keys.
   */
  private typedOfKeyed(name: string): string {
    const key = this.spec.primaryKey.indexOf(name);
    if (key >= 0) return `_pk_${key + 1}`;
    const seq = (this.spec.cdc?.sequenceColumns ?? []).indexOf(name);
    return seq >= 0 ? `_seq_${seq + 1}` : this.typed(name);
  }

  /** Typed spec columns + raw copies `_raw_<col>` + lineage of a state row. */
  private typedColumns(): string[] {
    const typed = this.spec.columns.map((c) => `${this.typedOfKeyed(c.name)} AS ${this.id(c.name)}`);
    const raw = this.spec.columns.map((c) => `${this.id(c.name)} AS ${this.id(`_raw_${c.name}`)}`);
    return [...typed, ...raw, ...BRONZE_LINEAGE.map((l) => this.id(l.name))];
  }

  /** Non-deleted rows of staged_state, typed (a full refresh, or a spec with a unique rule). */
  private currentTyped(): string {
    return `SELECT ${this.typedColumns().join(", ")} FROM staged_state WHERE ${this.id("_op")} <> 'D'`;
  }

  /**
   * Every row of state_delta, typed, with its state key `_pk_<i>` and `_removed` (a deleted key:
   * its silver and quarantine rows go). One row per changed key, so silver_changes and
   * quarantine_changes project it instead of joining state_delta again: the run frees
   * state_delta once this is materialized (delta_labeled), and a 1,000,000-change first load
   * no longer holds both while silver is written.
   */
  private deltaTyped(): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`);
    return `SELECT ${[...this.typedColumns(), ...keys, `${this.id("_op")} = 'D' AS _removed`].join(", ")} FROM state_rows`;
  }

  private labeled(from: "current_typed" | "delta_typed"): string {
    return `SELECT *, ${this.labels(this.spec.rules)} AS ${REASONS_COLUMN} FROM ${from}`;
  }

  /** Reason labels of a typed row (raw copies `_raw_<col>` in scope): bad_type, then `rules`. */
  private labels(rules: DatasetSpec["rules"]): string {
    const d = this.d;
    const badTypes = this.spec.columns
      .filter((c) => c.type !== "string")
      .map((c) => {
        const present = nullIfEmpty(d, this.id(`_raw_${c.name}`), this.spec.csv.nullValue);
        return `CASE WHEN (${present}) IS NOT NULL AND ${this.id(c.name)} IS NULL THEN ${d.str(`bad_type:${c.name}`)} ELSE NULL END`;
      });
    const ruleLabels = rules.map((r) => ruleLabelExpr(d, this.spec, r));
    return d.concatLabels(REASON_SEPARATOR, [...badTypes, ...ruleLabels]);
  }

  /** Names of silver's columns, in order. */
  private silverNames(): string[] {
    const p = this.spec.partitionBy;
    return [...this.spec.columns.map((c) => c.name), ...(p ? [p.yearColumn, p.monthColumn] : []), ...SILVER_LINEAGE];
  }

  /** Silver's columns computed from a labeled row (alias `a`): typed values, PII hashed, partitions, lineage. */
  private silverColumns(a: string): string[] {
    const hashed = this.hashedColumns();
    const col = (name: string) => `${a}.${this.id(name)}`;
    const cols = this.spec.columns.map((c) => {
      if (!hashed.has(c.name)) return `${col(c.name)} AS ${this.id(c.name)}`;
      return `${this.d.hmacSha256(this.d.textOf(col(c.name), c.type))} AS ${this.id(c.name)}`;
    });
    const p = this.spec.partitionBy;
    if (p) {
      cols.push(`${this.d.year(col(p.column))} AS ${this.id(p.yearColumn)}`);
      cols.push(`${this.d.month(col(p.column))} AS ${this.id(p.monthColumn)}`);
    }
    cols.push(...SILVER_LINEAGE.map((l) => `${col(l)} AS ${this.id(l)}`));
    return cols;
  }

  /** Quarantine's columns from a labeled row (alias `a`): raw values (PII hashed), lineage, reasons. */
  private quarantineColumns(a: string): string[] {
    const hashed = this.hashedColumns();
    const cols = this.spec.columns.map((c) => {
      const raw = `${a}.${this.id(`_raw_${c.name}`)}`;
      return `${hashed.has(c.name) ? this.d.hmacSha256(raw) : raw} AS ${this.id(c.name)}`;
    });
    cols.push(...BRONZE_LINEAGE.map((l) => `${a}.${this.id(l.name)} AS ${this.id(l.name)}`), `${a}.${REASONS_COLUMN} AS ${REASONS_COLUMN}`);
    return cols;
  }

  private silver(): string {
    return `SELECT ${this.silverColumns("l").join(", ")} FROM labeled l WHERE l.${REASONS_COLUMN} = ''`;
  }

  private quarantine(): string {
    return `SELECT ${this.quarantineColumns("l").join(", ")} FROM labeled l WHERE l.${REASONS_COLUMN} <> ''`;
  }
}
