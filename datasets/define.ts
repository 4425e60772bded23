// The dataset spec: the single source of truth read by the Pulumi program (rules, jobs, tables,
// grants), the handlers (routing), the engine (load plans) and local mode.
import { DatasetSpecError } from "./errors";
import { validateSpec } from "./validate";

export type ScalarType = "string" | "int" | "bigint" | "double" | "boolean" | "date" | "timestamp";
/** `decimal(p,s)` with 1 <= p <= 38 and 0 <= s <= p. */
export type DecimalType = `decimal(${number},${number})`;
export type ColumnType = ScalarType | DecimalType;

export interface ColumnDef {
  type: ColumnType;
  /** A file may omit this column from its header (values are then null). @default false */
  optional?: boolean;
  description?: string;
}

export interface CsvOptions {
  /** @default "," */
  delimiter?: string;
  /** @default '"' */
  quote?: string;
  /** Text that stands for null besides the empty field (DMS: CsvNullValue). @default "" (empty field only) */
  nullValue?: string;
  /**
   * Whether files start with a header row. "absent": columns by position in declared order;
   * "auto": a first record whose every field names a declared column or the Op column
   * (case-insensitively), or that names every required column (a header with drift), is a
   * header, else the file is headerless. @default "present" for csv, "auto" for dms
   */
  header?: "present" | "absent" | "auto";
}

/**
 * Files as an AWS DMS S3 target endpoint writes them (format "dms"): CSV (with or without a
 * header, Op first in CDC files only, gzip) or Parquet, classified by their bytes. Declared
 * columns are the source table's, in its column order (headerless files map by position).
 */
export interface DmsOptions {
  /**
   * The endpoint's TimestampColumnName, declared among the columns as an optional timestamp:
   * files may carry it or not (changes are then ordered by the DMS file sequence).
   */
  timestampColumn?: string;
  /** The endpoint's CsvNoSupValue: the marker DMS writes for a column the source did not log. */
  noSupValue?: string;
  /**
   * Partial images (a source without full supplemental logging): "keep_previous" keeps a key's
   * previous value for a column an update did not log (NULL, or noSupValue when set);
   * "as_written" takes the values as they are. @default "keep_previous"
   */
  partialImages?: "keep_previous" | "as_written";
}

/** A reason label is attached to a current row for each rule it fails. */
export type Rule =
  | { kind: "not_null"; column: string; label?: string }
  | { kind: "unique"; columns: string[]; label?: string }
  | { kind: "accepted_values"; column: string; values: string[]; label?: string }
  | {
      kind: "range";
      column: string;
      /** Inclusive bounds unless the matching `exclusive` flag is set. */
      min?: number;
      max?: number;
      minExclusive?: boolean;
      maxExclusive?: boolean;
      label?: string;
    }
  | { kind: "regex"; column: string; pattern: string; label?: string }
  /**
   * A boolean condition over the typed columns, in the grammar of datasets/expression.ts: column
   * names (as declared), numbers, 'strings' ('' escapes a quote; no backslashes), TRUE/FALSE/NULL,
   * DATE '...' / TIMESTAMP '...', = <> != < <= > >=, AND/OR/NOT, IS [NOT] NULL, [NOT] BETWEEN,
   * [NOT] IN (...), + - * /, parentheses, and coalesce/abs/trim/length. It is parsed
   * and rendered per engine, never pasted. It must be TRUE (NULL fails), else the row gets `label`.
   */
  | { kind: "expression"; label: string; sql: string };

export interface CdcOptions {
  /** Column holding I/U/D. Files may omit it (full load): every row is then an insert. */
  opColumn: string;
  /**
   * Columns that order the changes of one key (then object key, then row number). Format "dms"
   * may leave it empty (the DMS file sequence orders) and defaults it to its timestampColumn.
   */
  sequenceColumns: string[];
}

export interface PartitionOptions {
  /** A date or timestamp column. */
  column: string;
  /** Derived integer columns are `<prefix>_year` and `<prefix>_month`. @default column minus _at/_ts/_date */
  prefix?: string;
}

export interface PiiColumn {
  column: string;
  /**
   * exclude: readers are not granted the column; hash: silver and quarantine hold HMAC-SHA256 of
   * the value, keyed by the stack's (workspace's) secret (engine/pii-key.ts).
   */
  mode: "exclude" | "hash";
}

export interface GlueSizing {
  workerType?: "G.1X" | "G.2X" | "G.4X" | "G.8X" | "G.025X";
  workers?: number;
  timeoutMinutes?: number;
  flex?: boolean;
}

export interface DatasetInput {
  name: string;
  /** Landing prefix, e.g. "orders/". Lowercase letters, digits, _ - / only, ends with "/". */
  prefix: string;
  /** Optional object-key suffix, e.g. ".csv". */
  suffix?: string;
  format: "csv" | "jsonl" | "parquet" | "dms";
  csv?: CsvOptions;
  /** Only with format "dms". */
  dms?: DmsOptions;
  columns: Record<string, ColumnType | ColumnDef>;
  primaryKey: string[];
  cdc?: CdcOptions;
  partitionBy?: PartitionOptions;
  rules?: Rule[];
  pii?: PiiColumn[];
  /**
   * The silver table: named after the dataset unless `table` says otherwise (`dim_*`/`fact_*`
   * names are the semantic layer's, models/).
   */
  target?: { table?: string; glue?: GlueSizing };
  description?: string;
}

export interface NormalizedColumn {
  name: string;
  type: ColumnType;
  optional: boolean;
}

/** A validated spec with defaults applied: what every consumer reads. */
export interface DatasetSpec {
  name: string;
  prefix: string;
  suffix?: string;
  format: "csv" | "jsonl" | "parquet" | "dms";
  csv: Required<CsvOptions>;
  /** Set exactly when format is "dms". */
  dms?: { timestampColumn: string | null; noSupValue: string | null; partialImages: "keep_previous" | "as_written" };
  columns: NormalizedColumn[];
  primaryKey: string[];
  cdc?: CdcOptions;
  partitionBy?: { column: string; yearColumn: string; monthColumn: string };
  rules: Rule[];
  pii: PiiColumn[];
  target: { table: string; glue: GlueSizing };
  description?: string;
  /** The file that declared the spec, for error messages. */
  sourceFile: string;
}

export const DEFAULT_CSV: Required<CsvOptions> = { delimiter: ",", quote: '"', nullValue: "", header: "present" };

/** Declare a dataset. Throws a DatasetSpecError naming the file and field when the spec is wrong. */
export function defineDataset(input: DatasetInput): DatasetSpec {
  // The call site is captured now but formatted only when something asks for the file name:
  // formatting a stack (through the CLI bundle's source map) costs more than the whole check.
  const site = new Error();
  let file: string | undefined;
  return validateSpec(input, () => (file ??= callerFile(site)));
}

// The first stack frame outside this file is the dataset file that called defineDataset.
function callerFile(site: Error): string {
  const stack = site.stack?.split("\n").slice(1) ?? [];
  for (const frame of stack) {
    const match = frame.match(/\(?((?:[A-Za-z]:)?[^():]+\.[cm]?[jt]s):\d+:\d+\)?$/);
    if (match && !match[1].endsWith("define.ts") && !match[1].endsWith("define.js")) {
      return match[1];
    }
  }
  return "<unknown dataset file>";
}

export { DatasetSpecError };
