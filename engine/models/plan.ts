// The contract between the model compilers (a model spec -> SQL per dialect) and the executors
// that build semantic tables (DuckDB locally, Spark on Glue). Like LoadPlan: pure data, no engine
// import. How an executor runs a ModelPlan:
//   1. Register every input as a relation named `relation` (a published table of the zone; a
//      model's own previous version as `previous`: empty, with the plan's `columns`, on the first build).
//   2. Run `steps` in order: plain SELECTs registered under `name` (materialize "table": computed once).
//   3. The relation `output` is the complete new table, with exactly `columns` in that order.
//   4. Run every audit (one row, one BIGINT column `violations`; 0 = passed) with the new table
//      registered as `staged`; publish only when all pass (write-audit-publish, per table).
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
  | { relation: string; zone: "file"; path: string };

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
}

/** The relation name under which a model's own previous published version is registered. */
export const PREVIOUS_RELATION = "previous";
/** The relation name under which the new table is registered for the audits. */
export const STAGED_RELATION = "staged";
