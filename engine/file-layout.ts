// Which field of a headerless record is what, decided once per file and shared by both executors
// (glue-scripts/datalake_glue/file_layout.py is the twin; test/fixtures/layout-vectors.json
// holds the cases both are tested against). Pure: no IO, no engine.
//
// AWS DMS writes an S3 target's CSV without a header by default (AddColumnName=false): the
// source table's columns in its column order, `Op` (I/U/D) first in CDC files only (full-load
// files LOAD<hex>.csv carry it only with IncludeOpForFullLoad=true), and a change timestamp only
// when TimestampColumnName is set. The DMS user guide does not say where that column goes, so
// every place DMS can put it is accepted: right after Op (before the data columns) or last.
// https://docs.aws.amazon.com/dms/latest/userguide/CHAP_Target.S3.html
// https://docs.aws.amazon.com/dms/latest/APIReference/API_S3Settings.html

/** Field positions (0-based) of one file's records. */
export interface FileLayout {
  /** The Op field, or null when the file has none. */
  op: number | null;
  /** The timestamp column's field, or null when the file has none. */
  timestamp: number | null;
  /**
   * One field per source column, in the order of LayoutInput.columns; null for a trailing
   * optional column the file does not carry (read as NULL).
   */
  data: (number | null)[];
}

export interface LayoutInput {
  /** The object key or file name; only its last path segment is looked at. */
  fileName: string;
  /** Fields of the file's first record. */
  first: readonly string[];
  /** The source table's columns in order (declared columns minus the timestamp column). */
  columns: readonly string[];
  opColumn: string | null;
  timestampColumn: string | null;
  /**
   * The spec types of `columns` (same order), when known: two layouts that fit the record's shape
   * are told apart by which one gives every data column a value of its type (fitsTypes).
   */
  types?: readonly string[];
  /** Values that fit any type, as "" does: the dataset's null marker and DMS's unlogged-column marker. */
  markers?: readonly string[];
  /**
   * Which of `columns` are optional (same order), when known. The optional columns that end the
   * list may be absent: DMS adds a column the source table gains at the end of its records, so
   * files written before it lack it.
   */
  optional?: readonly boolean[];
}

/** DMS full-load file names: LOAD + a hex counter of 5 or more digits (LOAD00000001.csv, LOAD0000000A.csv.gz; LOADED.csv is none). */
const LOAD_FILE = /^LOAD[0-9A-F]{5,}\.(csv|parquet)(\.gz)?$/i;
/** DMS writes the timestamp column as yyyy-MM-dd HH:mm:ss.SSSSSS (fraction optional here). */
const TIMESTAMP_SHAPE = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/;
const OP_VALUES = new Set(["I", "U", "D"]);
/**
 * The timestamp column last in a record must be exactly as DMS writes it, yyyy-MM-dd
 * HH:mm:ss.SSSSSS (S3Settings TimestampColumnName): a column the source table gains is added
 * last too, and a source timestamp taken there for the change time reorders the changes
 * silently. Right after Op no source column can appear, so the looser shape holds there.
 */
const DMS_TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{6}$/;

export const isLoadFile = (fileName: string): boolean => LOAD_FILE.test(fileName.slice(fileName.lastIndexOf("/") + 1));
/** An Op value as the plan's SQL reads it: I, U or D in any case, ASCII spaces ignored (as the twin strips them). */
const opValue = (v: string | undefined): string | undefined => v?.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, "").toUpperCase();
const isTimestamp = (v: string | undefined): boolean => v !== undefined && TIMESTAMP_SHAPE.test(v);

/**
 * The layout of a headerless file, or the one-line reason no layout DMS can write fits its first
 * record. Candidates are tried in a fixed order:
 *   - Op first before no Op: a first field I, U or D is an Op (DMS writes it first in every CDC
 *     file); in a LOAD file only "I" is (IncludeOpForFullLoad writes I for every row);
 *   - no timestamp column, then the timestamp right after Op, then last (last only in DMS's own
 *     format, DMS_TIMESTAMP).
 * A first record that two of them fit (a first data column holding "I", a last one holding a
 * timestamp: Op + no timestamp, or no Op + timestamp last) gets the first candidate whose data
 * fields all read as their columns' types, so the columns are not shifted by one (an amount
 * column given the timestamp text); when none or several do, the first that fits, always the same.
 *
 * Trailing optional columns (LayoutInput.optional) may be absent, the latest added first: each
 * candidate above is tried with all columns, then with one fewer, and so on. A file written
 * before the source table gained a column, with the timestamp, has as many fields as a newer
 * file without it: a field in DMS's own timestamp format (DMS_TIMESTAMP) where the timestamp
 * column goes (last, or right after Op) is then that column, never a data column while a gained
 * one is absent (which would shift the values and leave the change without its time). In a LOAD
 * file, whose Op is optional too, a reading that carries more columns comes first: `I,paid,X`
 * is a row whose first column holds I, as before columns could be absent, not Op I and a row
 * lacking its last column.
 */
export function headerlessLayout(input: LayoutInput): FileLayout | { reason: string } {
  const { first, columns, opColumn, timestampColumn } = input;
  const load = isLoadFile(input.fileName);
  const width = first.length;
  const opChoices = opColumn === null ? [false] : [true, false];
  const tsChoices: Array<"none" | "first" | "last"> = timestampColumn === null ? ["none"] : ["none", "first", "last"];
  const optional = input.optional ?? [];
  let fewest = columns.length;
  while (fewest > 0 && optional[fewest - 1] === true) fewest--;
  const dmsTimestampAt = (field: number) => timestampColumn !== null && field < width && DMS_TIMESTAMP.test(first[field]);
  const fitting: FileLayout[] = [];
  for (const withOp of opChoices) {
    for (const ts of tsChoices) {
      const carried = width - (withOp ? 1 : 0) - (ts === "none" ? 0 : 1);
      if (carried < fewest || carried > columns.length) continue;
      if (withOp && !(load ? opValue(first[0]) === "I" : OP_VALUES.has(opValue(first[0]) ?? ""))) continue;
      const start = withOp ? 1 : 0;
      const timestamp = ts === "none" ? null : ts === "first" ? start : width - 1;
      if (timestamp !== null && !(ts === "last" ? DMS_TIMESTAMP.test(first[timestamp]) : isTimestamp(first[timestamp]))) continue;
      // DMS's timestamp where the timestamp column goes, while a column files may lack is read: the timestamp.
      if (ts === "none" && carried > fewest && (dmsTimestampAt(width - 1) || dmsTimestampAt(start))) continue;
      const dataStart = ts === "first" ? start + 1 : start;
      fitting.push({ op: withOp ? 0 : null, timestamp, data: columns.map((_, i) => (i < carried ? dataStart + i : null)) });
    }
  }
  const carried = (l: FileLayout) => l.data.filter((f) => f !== null).length;
  const ordered = load ? [...fitting].sort((a, b) => carried(b) - carried(a)) : fitting; // stable: ties keep the order above
  if (ordered.length > 0) return ordered.find((l) => fitsTypes(l, input)) ?? ordered[0];
  const shape = [...(opColumn === null ? [] : [`${opColumn}?`]), ...columns, ...(timestampColumn === null ? [] : [`${timestampColumn}?`])];
  return { reason: `column_count:${width} ${width === 1 ? "field fits" : "fields fit"} no layout of ${shape.join(",")}` };
}

/**
 * Whether every data field of the first record could be a value of its column's type: a loose
 * shape (what the typed parse could accept), not the parse itself, so that a value the parse
 * refuses (a row-level bad_type) never decides the layout of the file. Without types, true.
 */
function fitsTypes(layout: FileLayout, input: LayoutInput): boolean {
  const { types, first, markers = [] } = input;
  if (!types) return true;
  return layout.data.every((field, i) => {
    if (field === null) return true;
    const value = first[field].replace(/^[ \t]+|[ \t]+$/g, "");
    return value === "" || markers.includes(value) || looksLikeType(types[i], value);
  });
}

const TYPE_SHAPES: Record<string, RegExp> = {
  int: /^[+-]?[0-9]+([.]0*)?$/,
  bigint: /^[+-]?[0-9]+([.]0*)?$/,
  decimal: /^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$/,
  double: /^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$/,
  boolean: /^(true|t|1|yes|y|false|f|0|no|n)$/i,
  date: /^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][^\n\r\u2028\u2029]*)?$/,
  timestamp: /^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]/,
};

function looksLikeType(type: string, value: string): boolean {
  const shape = TYPE_SHAPES[type.startsWith("decimal") ? "decimal" : type];
  return shape === undefined || shape.test(value);
}

/**
 * Header mode "auto": the first record is a header when every field names a declared column or
 * the Op column, or when it names every required column (a header with drift: an extra column,
 * e.g. one the source table gained), or when most of its fields name declared columns (drift
 * both ways: a column renamed, or one dropped and another added; read by position, such a header
 * was a rejected row and every value after the change landed in the wrong column, where by name
 * the file is missing_column). A data record does none of these: its values are not the column
 * names. `resolved` is the first record after resolveHeader (names matched case-insensitively).
 */
export function looksLikeHeader(resolved: readonly string[], known: readonly string[], required: readonly string[]): boolean {
  const names = new Set(resolved);
  const named = resolved.filter((f) => known.includes(f)).length;
  return named === resolved.length || (required.length > 0 && required.every((r) => names.has(r))) || named * 2 > resolved.length;
}

/** Delimiters producers commonly write: a spreadsheet export in many locales writes ';'. */
const COMMON_DELIMITERS = [",", ";", "\t", "|"];

/**
 * For a first record that names no column (a header) or fits no layout (headerless) under the
 * dataset's delimiter: the other common delimiter under which it does, or null. A spec whose
 * delimiter is not the producer's is the usual cause, and the reason alone counts fields
 * ("column_count:1 field fits no layout ...") without saying why. `recordWith(d)` is the first
 * record split by `d` (null when it cannot be read), `fits` whether such fields would do.
 */
export function fittingDelimiter(
  declared: string,
  recordWith: (delimiter: string) => readonly string[] | null,
  fits: (fields: readonly string[]) => boolean,
): string | null {
  return (
    COMMON_DELIMITERS.find((d) => {
      if (d === declared) return false;
      const fields = recordWith(d);
      return fields !== null && fields.length > 1 && fits(fields);
    }) ?? null
  );
}

/** The note a reason carries for fittingDelimiter's find (a tab shown as \t). */
export function delimiterNote(found: string, declared: string): string {
  const shown = (d: string) => (d === "\t" ? "'\\t'" : `'${d}'`);
  return `read with delimiter ${shown(found)} it fits (csv.delimiter is ${shown(declared)})`;
}
