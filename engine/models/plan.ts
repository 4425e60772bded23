// The contract between the model compilers (a model spec -> SQL per dialect) and the executors
// that build semantic tables (DuckDB locally, Spark on Glue). Like LoadPlan: pure data, no engine
// import. How an executor runs a ModelPlan:
//   1. Register every input as a relation named `relation` (a published table of the zone; a
//      model's own previous version as `previous`: empty, with the plan's `columns`, on the first build).
//   2. Run `steps` in order: plain SELECTs registered under `name` (materialize "table": computed once).
//   3. The relation `output` is the complete new table, with exactly `columns` in that order.
//   4. Run every audit (one row, one BIGINT column `violations`; 0 = passed) with the new table
//      registered as `staged` and the rows this build wrote as `audited`; publish only when all
//      pass (write-audit-publish, per table). `audited` is `staged` on a build written whole
//      (a full build, a compacting one), where an audit's `sqlWhole`, when it has one, runs
//      instead of its `sql`; on an incremental build it may be just the recomputed rows (plan
//      `recomputed`): a row-level audit (does this row's key resolve?) reads `audited`, so an
//      incremental build checks what it changed, not the whole table again, while table-level
//      audits (uniqueness, counts and sums against silver) read `staged`. Kept rows passed these
//      audits when they were written, and nothing they depend on changed (else they would have
//      been recomputed).
// With `totals`, the executor first materializes it as `audit_totals` (see the field).
// Incremental plans (docs/models.md "Incremental builds") also name the model's own previous
// version (zone "semantic", model = the plan's model, relation `previous`), inputs of zones
// "consumed" (relation `consumed`) and "runs" (relation `runs`) and, facts, inputs of zone
// "semantic_before" (the version of a dimension that the previous version was built against)
// and its counterpart "semantic_after" (the version this build reads). The two are compared only
// with each other, so an executor may leave out of both the natural keys whose rows are the same
// in both versions (DuckDB does when the later version is the earlier one plus merge segments,
// which list the keys they touched: a batch compares its few changed keys, not the dimension
// twice; Spark registers both versions whole).
// The executor:
//   a. fingerprints the plan (modelPlanFingerprint, engine/models/fingerprint.ts: sha256 of the
//      JSON of inputs, steps, output and columns) and stores it with each published version
//      (DuckDB: _version.json; Spark: the incremental state file, glue-scripts README);
//   b. builds in full when there is no previous version, on a full refresh, when the previous
//      version's fingerprint differs, or when a version its semantic_before inputs name is gone
//      (the summary's modeReason says which): `previous` and `consumed` EMPTY, every
//      semantic_before and semantic_after input = the model's current published table;
//   c. otherwise registers `previous` (the published table), `consumed`: two STRING columns
//      `relation`, `run_id`: for every bronze input of the plan, by its relation name,
//      the distinct `_run_id`s that input held when the previous version was built, and every
//      semantic_before input as the version of its model the previous version read, and every
//      semantic_after input as the version its model's semantic input reads;
//   d. reads, per bronze input relation, the distinct `_run_id`s it holds now and registers them
//      as `runs` (the same two columns; read after the bronze inputs are registered, before any
//      step: the SQL takes new runs from it instead of scanning bronze again); on publish, records
//      them (the new version's consumed set) and, per semantic input of another model, the
//      version it read (DuckDB: v000003; Spark: the snapshot id);
//   e. reports mode ("incremental" | "full"), modeReason and the row count of `recomputed`
//      (when set) in the build summary.
// The SQL then treats rows whose `_run_id` is not in `consumed` for their relation as new, and
// dimension rows that differ between a semantic_before input and its semantic_after twin as
// changed. With `previous` and `consumed` empty the same SQL computes the full rebuild.
// An executor may write an incremental build as its `delta`: the previous version without the
// rows whose key is in `delta.keys`, plus the `delta.rows` rows, which the compilers guarantee
// equals `output`. DuckDB stores it as a segment (engine/duckdb/segments.ts), Spark as a MERGE
// delete of those keys and an INSERT on the WAP branch of a merge-on-read table.
import type { Dialect, PlanColumn } from "../plan";

export type ModelKind = "date" | "dimension" | "fact";

export type ModelInput =
  /** Every change ever loaded for a dataset: its bronze table (strings + lineage). */
  | { relation: string; zone: "bronze"; dataset: string }
  /** The files ledger of a dataset (FILES_COLUMNS): dms datasets date their load generations by it. */
  | { relation: string; zone: "files"; dataset: string }
  /** The PII hashing key's pads (engine/pii-key.ts: one row, BINARY ipad/opad), for `hash` columns. */
  | { relation: string; zone: "pii_key" }
  /** The published silver (current state) table of a dataset. */
  | { relation: string; zone: "silver"; dataset: string }
  /** A published semantic table (a dimension a fact reads, or the model's own previous version). */
  | { relation: string; zone: "semantic"; model: string }
  /** A CSV file of the repository (dim_date holidays): header row, all columns strings. */
  | { relation: string; zone: "file"; path: string }
  /** (relation, run_id) pairs the previous version consumed (header above, step c). */
  | { relation: string; zone: "consumed" }
  /** (relation, run_id) pairs the bronze inputs hold now (header above, step d). */
  | { relation: string; zone: "runs" }
  /**
   * The version of `model` the previous version read (header above, steps b and c); an executor
   * may leave out the natural keys whose rows its semantic_after twin holds unchanged.
   */
  | { relation: string; zone: "semantic_before"; model: string }
  /** The version of `model` this build reads, compared with its semantic_before twin (header above). */
  | { relation: string; zone: "semantic_after"; model: string };

export interface ModelStep {
  name: string;
  sql: string;
  materialize: "view" | "table";
  description?: string;
}

export interface ModelAudit {
  name: string;
  /** Reads `staged` (the new table) and any input; returns one row with BIGINT `violations`. */
  sql: string;
  /**
   * The same check for a build written whole, where `audited` is all of `staged` (step 4): the
   * executor runs it instead of `sql` then. Absent: `sql` serves both.
   */
  sqlWhole?: string;
  description: string;
}

export interface ModelPlan {
  model: string;
  kind: ModelKind;
  dialect: Dialect;
  inputs: ModelInput[];
  steps: ModelStep[];
  output: string;
  columns: PlanColumn[];
  audits: ModelAudit[];
  /** Hidden partitioning of the published table (facts: year and month of a date column). */
  partitionBy?: { column: string } | null;
  /** Incremental plans: the relation of the rows this build recomputed (its count is reported). */
  recomputed?: string;
  /** Incremental plans: the new table as a change of `previous` (header above). */
  delta?: ModelDelta;
  /**
   * A SELECT of one row over `staged` and the inputs (never a step): the table-level aggregates
   * several audits compare, computed once after the write and registered as `audit_totals`
   * before the audits run. Its column `staged_rows` is COUNT(*) of `staged`, which the executor
   * reports as the version's rows. A fact's row count and measure sums against silver each read
   * the whole table and silver: one pass over each instead of one per audit (and per count).
   */
  totals?: string;
  /**
   * Every dataset the plan reads (bronze, files ledger or silver), with the load plan its spec
   * compiles to now (compile.ts planFingerprint). The plan types and labels those rows as that
   * spec says, so a build refuses while a dataset's published silver was built by another load
   * plan (source-specs.ts): its spec was edited and no load has applied (and audited) the edit.
   */
  sources?: ModelSource[];
}

/** A dataset a model reads: ModelPlan.sources. */
export interface ModelSource {
  dataset: string;
  /** Its silver table (the spec's target.table), where the load records its plan. */
  silverTable: string;
  /** planFingerprint of its spec now. */
  loadPlan: string;
}

/**
 * `output` = the rows of `previous` whose `keyColumns` are not in `keys`, plus `rows`: every
 * replaced row's key is in `keys` and every row of `rows` has its key there too.
 */
export interface ModelDelta {
  /** SELECT of the rows to add, with the plan's `columns`. */
  rows: string;
  /** SELECT of the replaced keys, columns named as `keyColumns`. */
  keys: string;
  /** Columns of the table that identify what a key replaces (a fact's grain, a dimension's natural key). */
  keyColumns: string[];
}

/** The relation name under which a model's own previous published version is registered. */
export const PREVIOUS_RELATION = "previous";
/** The relation name under which the new table is registered for the audits. */
export const STAGED_RELATION = "staged";
/** The relation name of the rows the build wrote, for row-level audits (header above, step 4). */
export const AUDITED_RELATION = "audited";
/** The relation name of the plan's `totals` row, for the audits. */
export const AUDIT_TOTALS_RELATION = "audit_totals";
/** The relation name of the consumed (relation, run_id) pairs of the previous version. */
export const CONSUMED_RELATION = "consumed";
/** The relation name of the (relation, run_id) pairs the bronze inputs hold now (header, step d). */
export const RUNS_RELATION = "runs";
