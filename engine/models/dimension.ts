// DimensionSpec -> ModelPlan: an SCD type 2 dimension rebuilt from its dataset's change history
// (ARCHITECTURE.md "Semantic layer"). Pure: no engine import, both dialects from one description.
//
// Relations (after historySteps' `history`: every valid change, typed, labeled, `_pos` in contract order):
//   dim_changes   the changes that count: valid inserts/updates (no reason label) and, with
//                 deletes "close", deletes; `_t` = the change's effective time (validFrom below)
//   dim_points    per key and `_t`, the last change in contract order (same-time changes: the
//                 later wins, the earlier's empty window never exists)
//   dim_bounds    the points where the key's state changes: alive/deleted, or a type-2 attribute
//   dim_versions  every boundary with its window end (the next boundary's `_t`); deleted ones close
//   dim_latest    type-1 attributes: the key's latest valid non-delete change
// With inferred members (inferred-members.ts):
//   dim_fact_keys natural key and as-of time of every fact row of every fact role on the dimension
//   dim_inferred  per natural key, the earliest such time
//   dim_members   dim_versions with each key's first version stretched back to that time, plus
//                 inferred rows for keys without a first version that covers it
//   dim_recomputed alive versions of the touched keys with surrogate keys + the unknown member
//   <model name>  the previous version's rows of untouched keys + dim_recomputed
// Incremental (plan.ts header, docs/models.md "Incremental builds"): the bronze input is
// registered as `bronze_log`; dim_touched holds the typed natural keys of its rows whose
// `_run_id` the previous version had not consumed, and `bronze` (what historySteps read) is
// bronze_log semi-joined to them, so every window above runs over the touched keys' whole
// history only. Surrogate keys hash (natural key, valid_from): recomputed rows equal a full
// rebuild's. With `previous` and `consumed` empty (first build, full refresh, changed plan)
// dim_touched is not computed and `bronze` is all of bronze_log: the full rebuild. A dimension with inferred members is rebuilt whole
// on every build: its members depend on every fact row, not only on its own new changes.
import type { DatasetSpec } from "../../datasets/define";
import type { DimensionSpec } from "../../models/define";
import { bronzeKeyExpr, HISTORY_BRONZE_RELATION, HISTORY_FILES_RELATION, HISTORY_RELATION, historySteps, newDmsGenerations } from "../compile";
import { dialectFor, type SqlDialect } from "../dialects";
import { PII_KEY_RELATION } from "../pii-key";
import { REASONS_COLUMN, type Dialect, type PlanColumn } from "../plan";
import { dimensionAudits } from "./dimension-audits";
import { factKeys, type InferredMembersContext } from "./inferred-members";
import { newRunsOf, newRunsStep, NOTHING_CONSUMED, RUN_INPUTS } from "./incremental";
import { PREVIOUS_RELATION, type ModelDelta, type ModelInput, type ModelPlan, type ModelStep } from "./plan";

/** The bronze input's relation in an incremental dimension plan (`bronze` is its touched part). */
export const BRONZE_LOG_RELATION = "bronze_log";

/** valid_from of a key's changes that carry no time, and of the unknown member. */
export const BEGINNING_OF_TIME = "1900-01-01 00:00:00";
/** valid_to of an open version. */
export const END_OF_TIME = "9999-12-31 00:00:00";
/** Surrogate key of the unknown member. */
export const UNKNOWN_MEMBER_KEY = -1;

/** Inferred members need the registries: the facts naming the dimension and their datasets. */
export type DimensionCompileOptions = { dialect: Dialect } & Partial<InferredMembersContext>;

export function compileDimension(spec: DimensionSpec, dataset: DatasetSpec, opts: DimensionCompileOptions): ModelPlan {
  if (dataset.name !== spec.source) throw new Error(`model ${spec.name}: compiled with dataset ${dataset.name}, its source is ${spec.source}`);
  const d = dialectFor(opts.dialect);
  let facts: { inputs: ModelInput[]; sql: string } | null = null;
  if (spec.inferredMembers) {
    if (!opts.models || !opts.datasets) throw new Error(`model ${spec.name}: inferredMembers needs the model and dataset registries to find the facts naming it`);
    facts = factKeys(spec, { models: opts.models, datasets: opts.datasets }, opts.dialect, d);
  }
  const b = new DimensionSql(spec, dataset, d);
  const incremental = !spec.inferredMembers;
  const inputs: ModelInput[] = [
    { relation: incremental ? BRONZE_LOG_RELATION : HISTORY_BRONZE_RELATION, zone: "bronze", dataset: dataset.name },
    // The files ledger: when each object version arrived (its versions' order) and dms load generations.
    { relation: HISTORY_FILES_RELATION, zone: "files" as const, dataset: dataset.name },
    ...(b.hashed.size > 0 ? [{ relation: PII_KEY_RELATION, zone: "pii_key" as const }] : []),
    ...(facts?.inputs ?? []),
    ...(incremental ? [{ relation: PREVIOUS_RELATION, zone: "semantic" as const, model: spec.name }, ...RUN_INPUTS] : []),
  ];
  const step = (name: string, materialize: ModelStep["materialize"], description: string, sql: string): ModelStep => ({ name, sql, materialize, description });
  const type1 = spec.attributes.some((a) => a.scd === 1);
  return {
    model: spec.name,
    kind: "dimension",
    dialect: opts.dialect,
    inputs,
    steps: [
      ...(incremental ? touchedHistorySteps(b, dataset, opts.dialect, d) : historySteps(dataset, opts.dialect)),
      step("dim_changes", "view", "changes that count, with their effective time", b.changes()),
      step("dim_points", "view", "per key and time, the last change", b.points()),
      step("dim_bounds", "view", "points where the key's state changes", b.bounds()),
      step("dim_versions", "table", "state changes with their window end", b.versions()),
      ...(type1 ? [step("dim_latest", "view", "type-1 attributes: the key's latest valid change", b.latest())] : []),
      ...(facts
        ? [
            step("dim_fact_keys", "view", "natural key and as-of time of every fact row naming the dimension", facts.sql),
            step("dim_inferred", "view", "per natural key, the earliest time a fact names it", b.inferredFrom()),
            step("dim_members", "table", "versions, first ones stretched back to their earliest fact, and inferred rows", b.members()),
          ]
        : []),
      ...(incremental
        ? [
            step("dim_recomputed", "table", "versions of the touched keys with surrogate keys, and the unknown member", b.output()),
            step(spec.name, "view", "the previous version's rows of untouched keys, and the recomputed ones", b.merged()),
          ]
        : [step(spec.name, "table", "versions with surrogate keys, and the unknown member", b.output())]),
    ],
    output: spec.name,
    ...(incremental ? { recomputed: "dim_recomputed", delta: b.delta() } : {}),
    columns: dimensionColumns(spec, dataset),
    audits: dimensionAudits(spec, d),
    partitionBy: null,
  };
}

/**
 * historySteps over the touched keys only: dim_touched, then `bronze` = bronze_log of those keys
 * (before every window). A dms dataset's generations come from the whole ledger, so dim_touched
 * follows file_order (it needs them: see DimensionSql.touched).
 */
function touchedHistorySteps(b: DimensionSql, dataset: DatasetSpec, dialect: Dialect, d: SqlDialect): ModelStep[] {
  const key = bronzeKeyExpr(dataset, dialect);
  const history = historySteps(dataset, dialect);
  const at = history.findIndex((s) => s.name === "file_order") + 1;
  const touched: ModelStep[] = [
    newRunsStep(BRONZE_LOG_RELATION, d, dataset.format === "dms" ? [HISTORY_FILES_RELATION] : []),
    { name: "dim_touched", materialize: "table", description: "natural keys whose history changed since the previous version", sql: b.touched(key) },
    {
      name: HISTORY_BRONZE_RELATION,
      materialize: "view",
      description: "bronze rows of the touched keys",
      sql: `SELECT * FROM ${BRONZE_LOG_RELATION} WHERE ${NOTHING_CONSUMED} OR ${key} IN (SELECT _nk FROM dim_touched)`,
    },
  ];
  return [...history.slice(0, at), ...touched, ...history.slice(at)];
}

/** The dimension's columns: surrogate key, natural key, attributes (as silver stores them), window. */
export function dimensionColumns(spec: DimensionSpec, dataset: DatasetSpec): PlanColumn[] {
  const hashed = hashedColumns(dataset);
  const typeOf = (name: string) => dataset.columns.find((c) => c.name === name)!.type;
  return [
    { name: spec.surrogateKey, type: "bigint" },
    { name: spec.naturalKey, type: typeOf(spec.naturalKey) },
    ...spec.attributes.map((a) => ({ name: a.name, type: hashed.has(a.name) ? ("string" as const) : typeOf(a.name) })),
    { name: "valid_from", type: "timestamp" },
    { name: "valid_to", type: "timestamp" },
    { name: "is_current", type: "boolean" },
    ...(spec.inferredMembers ? [{ name: "is_inferred", type: "boolean" as const }] : []),
  ];
}

function hashedColumns(dataset: DatasetSpec): Set<string> {
  return new Set(dataset.pii.filter((p) => p.mode === "hash").map((p) => p.column));
}

class DimensionSql {
  readonly hashed: Set<string>;
  private readonly type2: string[];
  private readonly type1: string[];
  constructor(
    private readonly spec: DimensionSpec,
    private readonly dataset: DatasetSpec,
    private readonly d: SqlDialect,
  ) {
    this.hashed = hashedColumns(dataset);
    this.type2 = spec.attributes.filter((a) => a.scd === 2).map((a) => a.name);
    this.type1 = spec.attributes.filter((a) => a.scd === 1).map((a) => a.name);
  }

  private id = (name: string) => this.d.ident(name);
  private ts = (text: string) => `TIMESTAMP ${this.d.str(text)}`;

  /**
   * The change's time: the dataset's first sequence column (a date counts from midnight). A
   * dataset without one (no cdc block) gives every change NULL, as does DMS written without
   * TimestampColumnName.
   */
  private sequenceTime(): string {
    const seq = this.dataset.cdc?.sequenceColumns?.[0];
    if (!seq) return this.d.cast("NULL", "timestamp");
    const type = this.dataset.columns.find((c) => c.name === seq)!.type;
    if (type === "timestamp") return "_seq_1";
    if (type === "date") return this.d.cast("_seq_1", "timestamp");
    throw new Error(
      `model ${this.spec.name}: the first sequence column of ${this.dataset.name} (${seq}) is ${type}; versions need a timestamp or date to date them`,
    );
  }

  /**
   * Valid changes (a change with any reason label opens no version and sets no type-1 value; a
   * delete needs no valid values to delete) and their effective time `_t`: the latest sequence
   * time among the change and the key's earlier changes in contract order, 1900-01-01 when none
   * has one. Why: the contract's order decides which change follows which, and a window cannot
   * end before it starts. A change without time (DMS without TimestampColumnName: NULL) thus
   * takes the time of the change it follows: its window starts where that one's did and the
   * earlier, now empty, window is dropped (same-time rule, dim_points); a key's first change
   * without time is valid from 1900-01-01. A DMS full-load row stamped with its transfer time,
   * later than CDC changes ordered after it, likewise makes those changes take its time.
   *
   * Initial load (format "dms"): a key whose first valid change is a full-load row is valid from
   * 1900-01-01. A full load says the row existed when DMS copied it, not since when: dating its
   * first version at the copy time would send every older fact (historic orders of a customer
   * loaded today) to the unknown member. Kimball's initial-load convention; the copy time still
   * bounds the changes after it (the running maximum above), and a key first seen in a CDC
   * insert keeps its insert time (older facts naming it are unknown or inferred members).
   */
  changes(): string {
    const deletes = this.spec.deletes === "close" ? `_op = 'D'` : "FALSE";
    const attrs = this.spec.attributes.map((a) => this.id(a.name));
    const window = "PARTITION BY _pk_1 ORDER BY _pos ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW";
    const beginning = this.ts(BEGINNING_OF_TIME);
    const running = `COALESCE(MAX(${this.sequenceTime()}) OVER (${window}), ${beginning})`;
    const first = (value: string) => `FIRST_VALUE(${value}) OVER (${window})`;
    const initialLoad = `_dms_phase = 0 AND ROW_NUMBER() OVER (PARTITION BY _pk_1 ORDER BY _pos) = 1`;
    // A key whose first change was dated 1900-01-01 (no time, or a full-load row) bounds the
    // changes after it there too: one timed earlier (a source's placeholder such as 0001-01-01)
    // would otherwise sort before that version and leave it current over a later change.
    const fromBeginning = [`${first(this.sequenceTime())} IS NULL`, ...(this.dataset.format === "dms" ? [`${first("_dms_phase")} = 0`] : [])].join(" OR ");
    const bounded = `CASE WHEN ${fromBeginning} THEN GREATEST(${running}, ${beginning}) ELSE ${running} END`;
    const t = this.dataset.format === "dms" ? `CASE WHEN ${initialLoad} THEN ${beginning} ELSE ${bounded} END` : bounded;
    const timed =
      `SELECT _pk_1 AS _nk, _pos, _op <> 'D' AS _alive, ${[...attrs, `${t} AS _t`].join(", ")} ` +
      `FROM ${HISTORY_RELATION} WHERE ${deletes} OR (_op <> 'D' AND ${REASONS_COLUMN} = '')`;
    // A change at or after the end of time opens, closes and sets nothing: every window ends
    // there, so its version would be empty and its predecessor would stay current beside it, which
    // fails the audits on every later build (the change stays in bronze) and freezes the whole
    // dimension. Filtered after the running time above, so a change without time that follows it
    // is dropped too.
    return `SELECT * FROM (${timed}) c WHERE _t < ${this.ts(END_OF_TIME)}`;
  }

  points(): string {
    const ranked = `SELECT c.*, ROW_NUMBER() OVER (PARTITION BY _nk, _t ORDER BY _pos DESC) AS _last FROM dim_changes c`;
    return `SELECT * FROM (${ranked}) r WHERE _last = 1`;
  }

  /**
   * A point starts a new state when it is the key's first, when it deletes or revives, or when a
   * living key's type-2 attribute differs from the previous point's (NULL vs value differs, NULL
   * vs NULL does not). No-op and type-1-only changes are no boundary: they open no version.
   */
  bounds(): string {
    const over = "OVER (PARTITION BY _nk ORDER BY _t)";
    const prev = this.type2.map((a, i) => `LAG(${this.id(a)}) ${over} AS _prev_${i + 1}`);
    const lagged = `SELECT p.*, LAG(_alive) ${over} AS _prev_alive${prev.map((x) => `, ${x}`).join("")} FROM dim_points p`;
    const differs = this.type2.map((a, i) => {
      const [x, y] = [this.id(a), `_prev_${i + 1}`];
      return `NOT COALESCE(${x} = ${y}, ${x} IS NULL AND ${y} IS NULL)`;
    });
    const changed = differs.length > 0 ? ` OR (_alive AND (${differs.join(" OR ")}))` : "";
    return `SELECT * FROM (${lagged}) l WHERE _prev_alive IS NULL OR _alive <> _prev_alive${changed}`;
  }

  /** Every boundary's window ends at the key's next boundary (a delete closes, a revival reopens). */
  versions(): string {
    const end = `COALESCE(LEAD(_t) OVER (PARTITION BY _nk ORDER BY _t), ${this.ts(END_OF_TIME)})`;
    return `SELECT _nk, _alive, ${[...this.type2.map(this.id), `_t AS valid_from`, `${end} AS valid_to`].join(", ")} FROM dim_bounds`;
  }

  latest(): string {
    const ranked = `SELECT _nk, ${this.type1.map(this.id).join(", ")}, ROW_NUMBER() OVER (PARTITION BY _nk ORDER BY _pos DESC) AS _rn FROM dim_changes WHERE _alive`;
    return `SELECT * FROM (${ranked}) r WHERE _rn = 1`;
  }

  /**
   * Keys of bronze rows from runs the previous version had not consumed. dms: also the keys of
   * every row whose file belongs to a load generation that new files started (a reload file
   * received before files loaded earlier moves them into its generation, reordering their keys'
   * changes although none of their rows is new: docs/dms.md "Full reload"). New files start one
   * by being a reload, or by being an earlier version of a full-load key that arrived late: the
   * version loaded before then becomes a reload, dated by its own arrival.
   */
  touched(key: string): string {
    const fresh = `SELECT ${key} AS _nk FROM ${BRONZE_LOG_RELATION} WHERE NOT ${NOTHING_CONSUMED} AND ${newRunsOf(BRONZE_LOG_RELATION)}`;
    const started = newDmsGenerations(this.dataset, this.d.name, HISTORY_FILES_RELATION, (alias) => newRunsOf(BRONZE_LOG_RELATION, alias));
    const regenerated =
      `SELECT ${key} AS _nk FROM ${BRONZE_LOG_RELATION} r JOIN file_order g ` +
      `ON r._source_key = g._source_key AND r._source_version = g._source_version ` +
      `WHERE NOT ${NOTHING_CONSUMED} AND g._dms_gen IN (${started})`;
    const all = this.dataset.format === "dms" ? `${fresh} UNION ALL ${regenerated}` : fresh;
    return `SELECT DISTINCT _nk FROM (${all}) t WHERE _nk IS NOT NULL`;
  }

  /** Untouched keys keep their previous rows (the unknown member comes from dim_recomputed). */
  merged(): string {
    const cols = dimensionColumns(this.spec, this.dataset).map((c) => this.id(c.name));
    const nk = this.id(this.spec.naturalKey);
    const kept =
      `SELECT ${cols.map((c) => `p.${c}`).join(", ")} FROM ${PREVIOUS_RELATION} p ` +
      `WHERE NOT ${NOTHING_CONSUMED} AND p.${this.id(this.spec.surrogateKey)} <> ${UNKNOWN_MEMBER_KEY} AND NOT EXISTS (SELECT 1 FROM dim_touched t WHERE t._nk = p.${nk})`;
    return `${kept} UNION ALL SELECT ${cols.join(", ")} FROM dim_recomputed`;
  }

  /**
   * merged() as a change of `previous`: the touched keys' rows are replaced. The unknown member
   * (no natural key, so never replaced) is the same constant row in every version: the
   * previous one stays and the delta leaves it out.
   */
  delta(): ModelDelta {
    const cols = dimensionColumns(this.spec, this.dataset).map((c) => this.id(c.name));
    const nk = this.id(this.spec.naturalKey);
    return {
      rows: `SELECT ${cols.join(", ")} FROM dim_recomputed WHERE ${this.id(this.spec.surrogateKey)} <> ${UNKNOWN_MEMBER_KEY}`,
      keys: `SELECT _nk AS ${nk} FROM dim_touched`,
      keyColumns: [this.spec.naturalKey],
    };
  }

  /**
   * Per key, the earliest fact time t0. Times at or after the end of time are left out: windows
   * end there (exclusive), so no row can hold such a fact (it is -1, as without the option), and
   * a member from it would be an empty window that fails valid_from < valid_to on every build.
   */
  inferredFrom(): string {
    return `SELECT _nk, MIN(_t) AS _t0 FROM dim_fact_keys WHERE _nk IS NOT NULL AND _t < ${this.ts(END_OF_TIME)} GROUP BY _nk`;
  }

  /**
   * dim_versions plus `_inferred`: a key's first version (the real row, completing the member) is
   * stretched back to the earliest time a fact names the key when that is earlier; a key whose
   * history has no first version that could be stretched (no row at all, or one that starts with
   * a delete) gets an inferred row from that time to its first change (open when there is none).
   * A fact in a later gap (after a delete) still resolves to -1: the key was seen, and deleted.
   */
  members(): string {
    const typeOf = (name: string) => this.dataset.columns.find((c) => c.name === name)!.type;
    const ranked = `(SELECT v.*, ROW_NUMBER() OVER (PARTITION BY _nk ORDER BY valid_from) AS _rn FROM dim_versions v)`;
    const type2 = this.type2.map((a) => `f.${this.id(a)}`);
    const stretched = `CASE WHEN f._rn = 1 AND f._alive AND i._t0 < f.valid_from THEN i._t0 ELSE f.valid_from END`;
    const versions =
      `SELECT ${["f._nk", "f._alive", ...type2, `${stretched} AS valid_from`, "f.valid_to", "FALSE AS _inferred"].join(", ")} ` +
      `FROM ${ranked} f LEFT JOIN dim_inferred i ON i._nk = f._nk`;
    const nulls = this.type2.map((a) => `${this.d.cast("NULL", typeOf(a))} AS ${this.id(a)}`);
    const inferred =
      `SELECT ${["i._nk", "TRUE AS _alive", ...nulls, "i._t0 AS valid_from", `COALESCE(f.valid_from, ${this.ts(END_OF_TIME)}) AS valid_to`, "TRUE AS _inferred"].join(", ")} ` +
      `FROM dim_inferred i LEFT JOIN ${ranked} f ON f._nk = i._nk AND f._rn = 1 ` +
      `WHERE f._nk IS NULL OR (NOT f._alive AND i._t0 < f.valid_from)`;
    return `${versions} UNION ALL ${inferred}`;
  }

  /** An attribute as silver stores it: a `hash` PII column HMAC'd as compile.ts does. */
  private stored(name: string, expr: string): string {
    if (!this.hashed.has(name)) return expr;
    const type = this.dataset.columns.find((c) => c.name === name)!.type;
    return this.d.hmacSha256(this.d.textOf(expr, type));
  }

  /**
   * Surrogate key: the first 15 hex digits of md5(natural key text | valid_from text). A hash, not
   * a counter: stable across runs and engines without a key registry, never renumbered (a full
   * rebuild gives incremental builds' keys), and a version that disappears (a late change made it
   * a no-op) cannot hand its key to another. A collision (2^-60 a pair) fails the unique audit.
   */
  private surrogateKey(): string {
    const type = this.dataset.columns.find((c) => c.name === this.spec.naturalKey)!.type;
    const key = type === "timestamp" ? this.d.timestampText("v._nk") : this.d.textOf("v._nk", type);
    const versionKey = this.d.md5Bigint(`concat(${key}, '|', ${this.d.timestampText("v.valid_from")})`);
    if (!this.spec.inferredMembers) return versionKey;
    // With inferred members the key's earliest row is keyed by the natural key alone: the
    // inferred row and the real version completing it (whose valid_from may differ) share it.
    const first = `ROW_NUMBER() OVER (PARTITION BY v._nk ORDER BY v.valid_from) = 1`;
    return `CASE WHEN ${first} THEN ${this.d.md5Bigint(`concat(${key}, '|')`)} ELSE ${versionKey} END`;
  }

  output(): string {
    const typeOf = (name: string) => this.dataset.columns.find((c) => c.name === name)!.type;
    const inferred = this.spec.inferredMembers;
    const attrs = this.spec.attributes.map((a) => {
      // An inferred row knows no attribute, type 1 included (the key's later changes may set one).
      const source = a.scd === 2 ? `v.${this.id(a.name)}` : inferred ? `CASE WHEN v._inferred THEN NULL ELSE l.${this.id(a.name)} END` : `l.${this.id(a.name)}`;
      return `${this.stored(a.name, source)} AS ${this.id(a.name)}`;
    });
    const join = this.type1.length > 0 ? " LEFT JOIN dim_latest l ON l._nk = v._nk" : "";
    const flags = [`v.valid_to = ${this.ts(END_OF_TIME)} AS is_current`, ...(inferred ? ["v._inferred AS is_inferred"] : [])];
    const rows =
      `SELECT ${this.surrogateKey()} AS ${this.id(this.spec.surrogateKey)}, v._nk AS ${this.id(this.spec.naturalKey)}, ` +
      `${[...attrs, "v.valid_from", "v.valid_to", ...flags].join(", ")} ` +
      `FROM ${inferred ? "dim_members" : "dim_versions"} v${join} WHERE v._alive`;
    const nullOf = (name: string) => this.d.cast("NULL", this.hashed.has(name) ? "string" : typeOf(name));
    const unknown =
      `SELECT ${this.d.cast(String(UNKNOWN_MEMBER_KEY), "bigint")}, ${nullOf(this.spec.naturalKey)}, ` +
      `${[...this.spec.attributes.map((a) => nullOf(a.name)), this.ts(BEGINNING_OF_TIME), this.ts(END_OF_TIME), "TRUE", ...(inferred ? ["FALSE"] : [])].join(", ")}`;
    return `${rows} UNION ALL ${unknown}`;
  }
}
