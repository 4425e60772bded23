// DatasetSpec -> LoadPlan. Pure (no engine imports): the Pulumi program calls it to upload the
// spark plan, the DuckDB executor calls it before every run. Every SQL statement is built from
// one description through the dialect table (dialects.ts), so both engines run the same logic.
//
// Relations the plan defines (besides the IO outputs `incoming`, `incoming_files`,
// `state_prev`, `bronze_prev` and the `staged_<role>` read-backs):
//   incoming_parsed    incoming + `_op_norm` + typed `_pk_<i>` / `_seq_<i>` + `_reasons` (reject
//                      labels: bad_key/null_key, bad_sequence/null_sequence, bad_op)
//   rejects_new        incoming rows with reject labels (bronze columns + _reasons)
//   fresh_keyed        valid new changes with typed key columns `_pk_<i>` and sequence `_seq_<i>`
//   prior_keyed        incremental: key + ordering columns of the published state (stored typed);
//                      full refresh: every valid bronze row, typed
//   fresh_latest       incremental: per key, the ordering columns of its latest new change (narrow)
//   fresh_winners      incremental: the fresh_keyed row of each fresh_latest (one per key)
//   state_delta        incremental: the winners that order after their key's state row (or whose
//                      key is new): merged into state by key
//   delta_typed        incremental: the current ones among them, typed (+ raw copies `_raw_<col>`)
//   delta_labeled      delta_typed + `_reasons` (bad_type and rule labels)
//   silver_changes     per changed key: its silver row, or `_delete` (deleted or now labeled)
//   quarantine_changes per changed key: its quarantine row, or `_delete` (deleted or now clean)
//   changes            full refresh: every valid change (all of bronze + new rows), to rank
//   state_next         full refresh: latest change per key (tombstones kept)
//   current_typed      full refresh (or a unique rule): non-deleted rows of staged_state, typed
//   labeled            current_typed + `_reasons`
//   silver             rows without labels: typed columns (PII hashed) + partitions + lineage
//   quarantine         rows with labels: raw columns (PII hashed) + lineage + _reasons
import { createHash } from "crypto";
import type { DatasetSpec } from "../datasets/define";
import { dialectFor, type SqlDialect } from "./dialects";
import { compileAudits, compileSummary } from "./audits";
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
  type RunMode,
  type TableDef,
  type TableRole,
} from "./plan";
import { nullIfEmpty } from "./typing";

export interface CompileOptions {
  dialect: Dialect;
  /** true: only full-refresh steps; false: only incremental; omitted: both (chosen per run). */
  fullRefresh?: boolean;
}

/** Order in which staged tables are committed (see PublishStep). */
export const PUBLISH_ORDER: TableRole[] = ["silver", "quarantine", "state", "rejects", "bronze", "files"];

/**
 * LoadPlan.fingerprint: the state, silver and quarantine columns and every step (rendered for
 * DuckDB, so both dialects share it). A change to a rule, a type, the key or the compiler's SQL
 * changes it; audits and summaries do not.
 */
export function planFingerprint(spec: DatasetSpec): string {
  const tables = tableDefs(spec);
  const steps = new Compiler(spec, dialectFor("duckdb")).steps();
  const decisive = { tables: [tables.state, tables.silver, tables.quarantine], steps };
  return createHash("sha256").update(JSON.stringify(decisive)).digest("hex").slice(0, 16);
}

/** Lineage kept in silver, so every published row points at the file row it came from. */
export const SILVER_LINEAGE = ["_source_key", "_source_version", "_file_id", "_row_number", "_run_id"];

export function compilePlan(spec: DatasetSpec, opts: CompileOptions): LoadPlan {
  const d = dialectFor(opts.dialect);
  const modes: RunMode[] =
    opts.fullRefresh === undefined ? ["incremental", "full_refresh"] : [opts.fullRefresh ? "full_refresh" : "incremental"];
  const tables = tableDefs(spec);
  const c = new Compiler(spec, d);
  const steps = c.steps().filter((s) => s.when === undefined || modes.includes(s.when));
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

/** The typed key and sequence columns state keeps besides bronze's (`_pk_<i>`, `_seq_<i>`). */
export function orderingColumns(spec: DatasetSpec): PlanColumn[] {
  const typeOf = (name: string) => spec.columns.find((c) => c.name === name)!.type;
  return [
    ...spec.primaryKey.map((k, i) => ({ name: `_pk_${i + 1}`, type: typeOf(k) })),
    ...(spec.cdc?.sequenceColumns ?? []).map((q, i) => ({ name: `_seq_${i + 1}`, type: typeOf(q) })),
  ];
}

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
    state: def("state", `state_${spec.name}`, [...bronzeCols, ...orderingColumns(spec)], [], "replace"),
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
  constructor(spec: DatasetSpec, d: SqlDialect) {
    super(spec, d);
    this.bronzeCols = [...spec.columns.map((c) => c.name), ...BRONZE_LINEAGE.map((l) => l.name)];
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
      this.sql("incoming_parsed", "table", "new rows with normalized Op and reject labels", this.incomingParsed()),
      this.sql("rejects_new", "view", "rows whose key, sequence or Op cannot be parsed", this.rejectsNew()),
      this.sql("fresh_keyed", "view", "valid new changes with typed key/sequence", this.freshKeyed()),
      { kind: "read_table", table: "state", output: "state_prev", when: "incremental" },
      this.sql("prior_keyed", "view", "key and ordering columns of the published state", this.stateOrdering(), "incremental"),
      this.sql("fresh_latest", "view", "ordering columns of the latest new change per key", this.freshLatest(), "incremental"),
      this.sql("fresh_winners", "view", "the latest new change per key", this.freshWinners(), "incremental"),
      this.sql("state_delta", "table", "new changes that become their key's state row", this.stateDelta(), "incremental"),
      { kind: "merge", table: "state", from: "state_delta", on: this.onKeys("_pk"), output: "staged_state", when: "incremental" },
      { kind: "read_table", table: "bronze", output: "bronze_prev", when: "full_refresh" },
      this.sql("prior_keyed", "view", "all valid bronze rows with typed key/sequence", this.bronzeKeyed(), "full_refresh"),
      this.sql("changes", "view", "every valid change: all of bronze + new rows", this.allChanges(), "full_refresh"),
      this.sql("state_next", "view", "latest change per key, tombstones kept", this.rankAll(), "full_refresh"),
      { kind: "stage", table: "state", from: "state_next", output: "staged_state", when: "full_refresh" },
      ...(perKeyLabels ? this.mergeCurrent() : []),
      ...this.replaceCurrent(perKeyLabels ? "full_refresh" : undefined),
      { kind: "stage", table: "bronze", from: "incoming", output: "staged_bronze" },
      { kind: "stage", table: "rejects", from: "rejects_new", output: "staged_rejects" },
      { kind: "stage", table: "files", from: "incoming_files", output: "staged_files" },
    ];
  }

  /** Incremental silver and quarantine: type and label the changed keys, merge them per key. */
  private mergeCurrent(): PlanStep[] {
    const when = "incremental";
    return [
      this.sql("delta_typed", "view", "changed keys that are current, typed", this.currentTyped("state_delta"), when),
      this.sql("delta_labeled", "table", "changed current rows with reason labels", this.labeled("delta_typed"), when),
      this.sql("silver_changes", "view", "silver row, or its removal, per changed key", this.silverChanges(), when),
      this.sql("quarantine_changes", "view", "quarantine row, or its removal, per changed key", this.quarantineChanges(), when),
      { kind: "merge", table: "silver", from: "silver_changes", on: this.onSilverKeys(), delete: "_delete", output: "staged_silver", when },
      { kind: "merge", table: "quarantine", from: "quarantine_changes", on: this.onRawKeys(), delete: "_delete", output: "staged_quarantine", when },
    ];
  }

  /** Silver and quarantine rebuilt from the whole staged state (full refresh, or unique rules). */
  private replaceCurrent(when?: RunMode): PlanStep[] {
    const step = <T extends PlanStep>(x: T): T => (when ? { ...x, when } : x);
    return [
      step(this.sql("current_typed", "view", "non-deleted keys, typed", this.currentTyped("staged_state"))),
      step(this.sql("labeled", "table", "current rows with reason labels", this.labeled("current_typed"))),
      step(this.sql("silver", "view", "current rows without labels", this.silver())),
      step(this.sql("quarantine", "view", "current rows with labels", this.quarantine())),
      step({ kind: "stage", table: "silver", from: "silver", output: "staged_silver" }),
      step({ kind: "stage", table: "quarantine", from: "quarantine", output: "staged_quarantine" }),
    ];
  }

  private sql(name: string, materialize: "table" | "view", description: string, sql: string, when?: RunMode): PlanStep {
    return when ? { kind: "sql", name, sql, materialize, description, when } : { kind: "sql", name, sql, materialize, description };
  }

  /** Op: absent/empty -> I; I/U/D in any case, spaces ignored; anything else -> NULL (bad_op). */
  private opNorm(): string {
    const op = `upper(trim(${this.id("_op")}))`;
    return `CASE WHEN ${this.id("_op")} IS NULL OR trim(${this.id("_op")}) = '' THEN 'I' WHEN ${op} IN ('I', 'U', 'D') THEN ${op} ELSE NULL END`;
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
    const parsed = `SELECT ${this.list(this.bronzeCols)}, ${this.opNorm()} AS _op_norm, ${this.ordering().join(", ")} FROM incoming`;
    return `SELECT *, ${this.rejectLabels()} AS ${REASONS_COLUMN} FROM (${parsed}) p`;
  }

  private rejectsNew(): string {
    return `SELECT ${this.list(this.bronzeCols)}, ${REASONS_COLUMN} FROM incoming_parsed WHERE ${REASONS_COLUMN} <> ''`;
  }

  /** Typed ordering columns `_pk_<i>` / `_seq_<i>` parsed from the raw strings. */
  private ordering(): string[] {
    return [
      ...this.spec.primaryKey.map((k, i) => `${this.typed(k)} AS _pk_${i + 1}`),
      ...(this.spec.cdc?.sequenceColumns ?? []).map((s, i) => `${this.typed(s)} AS _seq_${i + 1}`),
    ];
  }

  private orderingNames(): string[] {
    return [...this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`), ...(this.spec.cdc?.sequenceColumns ?? []).map((_, i) => `_seq_${i + 1}`)];
  }

  private keyedColumns(op: string): string[] {
    const data = this.spec.columns.map((c) => this.id(c.name));
    const lineage = BRONZE_LINEAGE.filter((l) => l.name !== "_op").map((l) => this.id(l.name));
    return [...data, `${op} AS ${this.id("_op")}`, ...lineage, ...this.ordering()];
  }

  /** New rows that passed the reject checks, with normalized Op and the typed key/sequence. */
  private freshKeyed(): string {
    const data = this.spec.columns.map((c) => this.id(c.name));
    const lineage = BRONZE_LINEAGE.filter((l) => l.name !== "_op").map((l) => this.id(l.name));
    const cols = [...data, `_op_norm AS ${this.id("_op")}`, ...lineage, ...this.orderingNames()];
    return `SELECT ${cols.join(", ")} FROM incoming_parsed WHERE ${REASONS_COLUMN} = ''`;
  }

  /** Incremental: the published state's key and ordering columns (stored typed: no parsing). */
  private stateOrdering(): string {
    return `SELECT ${this.orderingNames().join(", ")}, _source_key, _row_number, _source_version FROM state_prev`;
  }

  /** Full refresh: every valid change in bronze, typed (old rejects drop out here again). */
  private bronzeKeyed(): string {
    const valid = [
      ...this.spec.primaryKey.map((_, i) => `_pk_${i + 1} IS NOT NULL`),
      ...(this.spec.cdc?.sequenceColumns ?? []).map((_, i) => `_seq_${i + 1} IS NOT NULL`),
      `${this.id("_op")} IS NOT NULL`,
    ].join(" AND ");
    return `SELECT * FROM (SELECT ${this.keyedColumns(this.opNorm()).join(", ")} FROM bronze_prev) p WHERE ${valid}`;
  }

  private allChanges(): string {
    return "SELECT * FROM prior_keyed UNION ALL SELECT * FROM fresh_keyed";
  }

  /** Ordering of one key's changes: sequence, then object key, then row number (all latest first). */
  private orderColumns(): string[] {
    return [...(this.spec.cdc?.sequenceColumns ?? []).map((_, i) => `_seq_${i + 1}`), "_source_key", "_row_number", "_source_version"];
  }

  private rankedLatest(from: string, cols: string): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`).join(", ");
    const order = this.orderColumns().map((c) => `${c} DESC`).join(", ");
    const ranked = `SELECT ${cols}, ROW_NUMBER() OVER (PARTITION BY ${keys} ORDER BY ${order}) AS _rn FROM ${from}`;
    return `SELECT ${cols} FROM (${ranked}) c WHERE _rn = 1`;
  }

  /** Full refresh: rank every change of every key (bronze may hold a file twice: ties collapse). */
  private rankAll(): string {
    return this.rankedLatest("changes", [...this.bronzeCols.map(this.id), ...this.orderingNames()].join(", "));
  }

  /**
   * Incremental, step 1: rank only the new changes, and only their narrow key + ordering columns
   * (ranking full rows cost twice as much). Object key, version and row number identify one new
   * row: read_files reads an object version at most once per run.
   */
  private freshLatest(): string {
    const keys = this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`);
    return this.rankedLatest("fresh_keyed", [...keys, ...this.orderColumns()].join(", "));
  }

  private freshWinners(): string {
    const on = [...this.spec.primaryKey.map((_, i) => `_pk_${i + 1}`), "_source_key", "_row_number", "_source_version"]
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
    const after = (cols: string[]): string => {
      const [c, ...rest] = cols;
      return rest.length === 0 ? `f.${c} > p.${c}` : `f.${c} > p.${c} OR (f.${c} = p.${c} AND (${after(rest)}))`;
    };
    const cols = [...this.bronzeCols.map((c) => `f.${this.id(c)}`), ...this.orderingNames().map((c) => `f.${c}`)];
    return `SELECT ${cols.join(", ")} FROM fresh_winners f LEFT JOIN prior_keyed p ON ${match} WHERE p._pk_1 IS NULL OR COALESCE(${after(this.orderColumns())}, FALSE)`;
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
      return keys.has(name) ? `d._pk_${this.spec.primaryKey.indexOf(name) + 1} AS ${this.id(name)}` : expr;
    });
    return `SELECT ${cols.join(", ")}, (l.${REASONS_COLUMN} IS NULL OR l.${REASONS_COLUMN} <> '') AS _delete FROM state_delta d LEFT JOIN delta_labeled l ON ${this.deltaJoin()}`;
  }

  /** One quarantine row per changed key: the labeled row when it carries labels, else a removal. */
  private quarantineChanges(): string {
    const pk = this.spec.primaryKey.map((_, i) => `d._pk_${i + 1} AS _pk_${i + 1}`);
    return `SELECT ${[...this.quarantineColumns("l"), ...pk].join(", ")}, COALESCE(l.${REASONS_COLUMN} = '', TRUE) AS _delete FROM state_delta d LEFT JOIN delta_labeled l ON ${this.deltaJoin()}`;
  }

  private deltaJoin(): string {
    return this.spec.primaryKey.map((k, i) => `l.${this.id(k)} = d._pk_${i + 1}`).join(" AND ");
  }

  /** Non-deleted rows of `from` (state rows): typed spec columns + raw copies `_raw_<col>` + lineage. */
  private currentTyped(from: "staged_state" | "state_delta"): string {
    const typed = this.spec.columns.map((c) => `${this.typed(c.name)} AS ${this.id(c.name)}`);
    const raw = this.spec.columns.map((c) => `${this.id(c.name)} AS ${this.id(`_raw_${c.name}`)}`);
    const lineage = BRONZE_LINEAGE.map((l) => this.id(l.name));
    return `SELECT ${[...typed, ...raw, ...lineage].join(", ")} FROM ${from} WHERE ${this.id("_op")} <> 'D'`;
  }

  private labeled(from: "current_typed" | "delta_typed"): string {
    const d = this.d;
    const badTypes = this.spec.columns
      .filter((c) => c.type !== "string")
      .map((c) => {
        const present = nullIfEmpty(d, this.id(`_raw_${c.name}`), this.spec.csv.nullValue);
        return `CASE WHEN (${present}) IS NOT NULL AND ${this.id(c.name)} IS NULL THEN ${d.str(`bad_type:${c.name}`)} ELSE NULL END`;
      });
    const rules = this.spec.rules.map((r) => ruleLabelExpr(d, this.spec, r));
    return `SELECT *, ${d.concatLabels(REASON_SEPARATOR, [...badTypes, ...rules])} AS ${REASONS_COLUMN} FROM ${from}`;
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
      const text = c.type === "string" ? col(c.name) : this.d.cast(col(c.name), "string");
      return `${this.d.hmacSha256(text)} AS ${this.id(c.name)}`;
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
