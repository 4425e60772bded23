// Semantic model specs (ARCHITECTURE.md "Semantic layer"): one file per model in models/, each
// exporting a defineDateDimension / defineDimension / defineFact call. The input types are what
// a model file writes; the normalized types (defaults applied, references resolved) are what the
// model compiler, infra and docs read. Validation (validate.ts) fails with one line naming the
// file and field, like dataset specs.
import type { DatasetSpec } from "../datasets/define";
import { validateModel } from "./validate";

/** SCD type of a dimension attribute: 2 = history tracked (new version), 1 = overwritten in every version. */
export type ScdType = 1 | 2;

export interface DateDimensionInput {
  name: string; // "dim_date"
  description?: string;
  /** Inclusive calendar range of generated days, "YYYY-MM-DD". */
  range: { from: string; to: string };
  /** Month (1-12) the fiscal year starts in; fiscal_year is the calendar year it ends in. @default 1 */
  fiscalYearStartMonth?: number;
  /** Optional CSV (path relative to the repository root) with a `date` column (YYYY-MM-DD) and an optional `name` column. */
  holidaysFile?: string;
}

export interface DimensionInput {
  name: string; // "dim_customer"
  description?: string;
  /** The dataset whose change history (bronze) the versions are built from. */
  source: string;
  /** The dataset's primary key column (one column). */
  naturalKey: string;
  /** Surrogate key column. @default `<name without dim_>_key` (customer_key) */
  surrogateKey?: string;
  /** Attribute columns of the dataset and their SCD type. */
  attributes: Record<string, ScdType>;
  /** A delete closes the open version (default), or is ignored (the last version stays open). */
  deletes?: "close" | "ignore";
  /**
   * Facts whose natural key has no dimension row yet get an inferred member (attributes NULL,
   * `is_inferred` TRUE) instead of -1; the real row completes it when it arrives. @default false
   */
  inferredMembers?: boolean;
}

/** A column of a fact: a column of the fact's source dataset, or `<lookup>.<column>`. */
export type ColumnRef = string;

export interface FactInput {
  name: string; // "fact_orders"
  description?: string;
  /** The dataset whose silver rows are the fact rows. */
  source: string;
  /** Columns of the source that identify one fact row (its primary key in the reference star). */
  grain: string[];
  /**
   * Joins to other datasets' silver rows by their primary key, named for use in ColumnRefs:
   * `{ order: { dataset: "orders", on: "order_id" } }` joins source.order_id = orders.order_id.
   */
  lookups?: Record<string, { dataset: string; on: ColumnRef }>;
  /** Dimension roles: surrogate key column `<role>_key` (role defaults to the dimension's entity). */
  dimensions?: Array<{ dimension: string; role?: string; naturalKey: ColumnRef; asOf: ColumnRef }>;
  /** Date roles: `<role>_key` INT YYYYMMDD into dim_date, from a date or timestamp column. */
  dates?: Array<{ role: string; column: ColumnRef }>;
  /** Additive measures: source columns, or whole days between two date/timestamp columns. */
  measures: Array<ColumnRef | { name: string; column: ColumnRef } | { name: string; daysBetween: [ColumnRef, ColumnRef] }>;
  /** Degenerate dimensions: descriptive columns kept on the fact row (status, method). */
  degenerate?: ColumnRef[];
  /** Partition by year and month of a date role (`<role>_year`, `<role>_month` are not added: partition transform). */
  partitionBy?: { dateRole: string };
}

// -- normalized -------------------------------------------------------------------------------

export interface DateDimensionSpec {
  kind: "date";
  name: string;
  description?: string;
  range: { from: string; to: string };
  fiscalYearStartMonth: number;
  holidaysFile: string | null;
  sourceFile: string;
}

export interface DimensionSpec {
  kind: "dimension";
  name: string;
  description?: string;
  source: string;
  naturalKey: string;
  surrogateKey: string;
  /** In the dataset's column order. */
  attributes: Array<{ name: string; scd: ScdType }>;
  deletes: "close" | "ignore";
  inferredMembers: boolean;
  sourceFile: string;
}

/** A resolved column reference: `lookup` null = the fact's own source dataset. */
export interface ResolvedRef {
  lookup: string | null;
  column: string;
}

export interface FactSpec {
  kind: "fact";
  name: string;
  description?: string;
  source: string;
  grain: string[];
  lookups: Array<{ name: string; dataset: string; on: ResolvedRef }>;
  dimensions: Array<{ dimension: string; role: string; keyColumn: string; naturalKey: ResolvedRef; asOf: ResolvedRef }>;
  dates: Array<{ role: string; keyColumn: string; column: ResolvedRef }>;
  measures: Array<{ name: string; column: ResolvedRef } | { name: string; daysBetween: [ResolvedRef, ResolvedRef] }>;
  degenerate: Array<{ name: string; column: ResolvedRef }>;
  partitionBy: { dateRole: string } | null;
  sourceFile: string;
}

export type ModelSpec = DateDimensionSpec | DimensionSpec | FactSpec;

/** `datasets`: the registry the model's references resolve in (tests pass their own). */
export function defineDateDimension(input: DateDimensionInput, datasets?: readonly DatasetSpec[]): DateDimensionSpec {
  return validateModel("date", input, siteFile(new Error()), datasets) as DateDimensionSpec;
}

/** `datasets`: the registry the model's references resolve in (tests pass their own). */
export function defineDimension(input: DimensionInput, datasets?: readonly DatasetSpec[]): DimensionSpec {
  return validateModel("dimension", input, siteFile(new Error()), datasets) as DimensionSpec;
}

/** `datasets`: the registry the model's references resolve in (tests pass their own). */
export function defineFact(input: FactInput, datasets?: readonly DatasetSpec[]): FactSpec {
  return validateModel("fact", input, siteFile(new Error()), datasets) as FactSpec;
}

/** The model file that called define*: read only when a message needs it (a stack costs). */
function siteFile(site: Error): () => string {
  let file: string | undefined;
  return () => (file ??= callerFile(site));
}

function callerFile(site: Error): string {
  for (const frame of site.stack?.split("\n").slice(1) ?? []) {
    // "at fn (/x/m.ts:1:2)" or, from an anonymous function, "at /x/m.ts:1:2".
    const match = frame.match(/(?:\(|at )((?:[A-Za-z]:)?[^():]+\.[cm]?[jt]s):\d+:\d+\)?$/);
    if (match && !/[\\/]models[\\/]define\.[jt]s$/.test(match[1])) return match[1];
  }
  return "<unknown model file>";
}
