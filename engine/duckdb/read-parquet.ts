// Parquet files (datasets of format parquet, and Parquet files in dms datasets: DataFormat=parquet)
// for the read_files step. Columns map BY NAME, case-insensitively (resolveHeader, as CSV headers
// do); every value becomes ONE canonical bronze string, byte for byte what the Glue runner's
// parquet_reader.py renders, and what the plan's typed parsing (engine/typing.ts) reads back as
// the same value:
//   integers (any width, signed or not)  decimal digits             200, -7, 18446744073709551615
//   float, double                        shortest round-trip text   0.1, 1e+20, 1.5e-07, -0.0, nan
//                                        (a float is widened to double first: its exact value)
//   decimal(p,s)                         plain, with its scale      12.50, -0.50, 0.0000000000
//   boolean                              true / false
//   string                               as is ("" stays "", null stays NULL)
//   date                                 YYYY-MM-DD
//   timestamp (ms or us, no zone)        YYYY-MM-DD HH:MM:SS.ffffff (six digits, as DMS writes
//                                        its TimestampColumnName column)
//   timestamp adjusted to UTC            the UTC instant, same text
//   binary                               upper-case hex             AB00
// A spec column held in any other type (struct, list, map, ...) quarantines the file:
// unsupported_parquet_type:<column>. TIME, nanosecond timestamps and UUID anywhere in a file make
// it unreadable to Spark, so both engines quarantine such a file: unreadable_parquet_type:time|
// timestamp_nanos|uuid (and a decimal wider than 38 digits: decimal_precision); so does a page
// codec Spark has no class for: unreadable_parquet_codec:brotli|lzo. A file that is not Parquet
// under a parquet dataset is not_parquet; bytes that
// start like Parquet but cannot be read are malformed_parquet:<no footer|unreadable|duplicate
// column x>, counted as 0 rows (the row count of a broken file is not known).
import type { LoadPlan } from "../plan";
import { resolveHeader } from "../csv-rules";
import type { FormatChecked } from "./read-formats";
import { exactPath, ident, lit, type Session } from "./session";

const MAGIC = Buffer.from("PAR1");

/** Parquet's magic number opens the file (it also closes it, when the file is whole). */
export const isParquet = (bytes: Buffer): boolean => bytes.length >= 4 && bytes.subarray(0, 4).equals(MAGIC);

/** DuckDB reports bytes it cannot read as "Invalid Input Error" (or "IO Error"); others fail the run. */
export const isParquetError = (e: unknown): boolean => /^(Invalid Input|Invalid|IO) Error:/.test(String((e as Error).message ?? e));

export const MALFORMED_UNREADABLE = "malformed_parquet:unreadable";

const TIMESTAMP_TEXT = "'%Y-%m-%d %H:%M:%S.%f'";
const INTEGER_TYPES = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/;

/** The canonical bronze string of column `name` of DuckDB type `type`; null when none exists. */
export function renderParquet(name: string, type: string): string | null {
  const x = ident(name);
  if (type === "VARCHAR") return x;
  // A JSON-annotated string column is text to Spark: its text as written.
  if (type === "JSON") return `CAST(${x} AS VARCHAR)`;
  if (type === "BOOLEAN" || type === "DATE" || INTEGER_TYPES.test(type) || /^DECIMAL\(\d+,\d+\)$/.test(type)) return `CAST(${x} AS VARCHAR)`;
  if (type === "FLOAT" || type === "DOUBLE") return `CAST(CAST(${x} AS DOUBLE) AS VARCHAR)`;
  if (type === "TIMESTAMP" || type === "TIMESTAMP_MS" || type === "TIMESTAMP_S") return `strftime(${x}, ${TIMESTAMP_TEXT})`;
  if (type === "TIMESTAMP WITH TIME ZONE") return `strftime(timezone('UTC', ${x}), ${TIMESTAMP_TEXT})`;
  if (type === "BLOB") return `hex(${x})`;
  return null;
}

/**
 * Page codecs Spark's Parquet reader has classes for (parquet-mr, Hadoop): a file compressed with
 * another (Brotli, LZO: pyarrow and DuckDB can write them, DMS does not) is refused whole by
 * Spark, so DuckDB, which reads Brotli, refuses it too: unreadable_parquet_codec:<codec>.
 */
const SPARK_CODECS = new Set(["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD", "LZ4", "LZ4_RAW"]);

/** Types Spark cannot read at all (its reader refuses the whole file), by DuckDB type name. */
function unreadableType(type: string): string | undefined {
  if (type === "TIMESTAMP_NS") return "timestamp_nanos";
  if (type === "UUID") return "uuid";
  if (type.startsWith("TIME") && !type.startsWith("TIMESTAMP")) return "time";
  return undefined;
}

/** Spark's widest decimal (DecimalType.MAX_PRECISION), and DuckDB's. */
const MAX_DECIMAL_PRECISION = 38;

/** One row of the file's flattened Parquet schema (DuckDB's parquet_schema), in file order. */
type SchemaElement = Record<string, unknown>;

async function parquetSchema(session: Session, file: string): Promise<SchemaElement[]> {
  return session.rows(`SELECT name, num_children, converted_type, logical_type, precision FROM parquet_schema(${lit(exactPath(file))})`);
}

/**
 * "decimal_precision" when a column of the file is a decimal wider than 38 digits (pyarrow's
 * decimal256). DuckDB reads such a column as DOUBLE and, unless it is 32 bytes wide, decodes it
 * wrong (42.50 in a DECIMAL(50,2) read as 713031680.0: a value that then loaded silently); Spark
 * has no decimal type that wide. Like a TIME column anywhere in a file, it makes the file
 * unreadable, so it is found in the Parquet schema, which DESCRIBE (DOUBLE) does not show.
 */
function wideDecimal(elements: SchemaElement[]): string | undefined {
  const decimal = (e: SchemaElement) => e.converted_type === "DECIMAL" || String(e.logical_type ?? "").startsWith("DecimalType");
  return elements.some((e) => decimal(e) && Number(e.precision ?? 0) > MAX_DECIMAL_PRECISION) ? "decimal_precision" : undefined;
}

/**
 * "timestamp_nanos" when a column is a nanosecond timestamp adjusted to UTC (what pandas writes for
 * a tz-aware datetime): DuckDB reads it as TIMESTAMP WITH TIME ZONE, cutting the nanoseconds
 * silently (...59.123456789 as .123456), where Spark refuses the file. One without a zone is
 * TIMESTAMP_NS in DESCRIBE (unreadableType); this one only the Parquet schema shows.
 */
function nanosInstant(elements: SchemaElement[]): string | undefined {
  return elements.some((e) => /^TimestampType\(.*NANOS=NanoSeconds\(\)/.test(String(e.logical_type ?? ""))) ? "timestamp_nanos" : undefined;
}

/**
 * The file's top-level column names as written. DuckDB binds a repeated name (`status` and
 * `STATUS`, or `status` twice) as `status_1`: read from DESCRIBE, such a file passed the
 * duplicate check, the first column silently won and the other was reported as an extra column
 * under a name the file does not hold. The schema is flattened depth first: a nested column's
 * children follow it.
 */
function writtenNames(elements: SchemaElement[]): string[] {
  const names: string[] = [];
  const skip = (i: number): number => {
    let next = i + 1;
    for (let k = 0; k < Number(elements[i].num_children ?? 0); k++) next = skip(next);
    return next;
  };
  for (let i = 1, k = 0; k < Number(elements[0]?.num_children ?? 0) && i < elements.length; k++) {
    names.push(String(elements[i].name));
    i = skip(i);
  }
  return names;
}

export async function checkParquet(session: Session, plan: LoadPlan, file: string, bytes: Buffer): Promise<FormatChecked> {
  const { source } = plan;
  if (bytes.length < 12 || !bytes.subarray(bytes.length - 4).equals(MAGIC)) return { reason: "malformed_parquet:no footer", rows: 0 };
  let written: string[];
  let scan: string;
  let ownRowNumber: boolean;
  let schema: { name: string; type: string }[];
  let rows: number;
  try {
    const elements = await parquetSchema(session, file);
    written = writtenNames(elements);
    // A column of the file named file_row_number hides DuckDB's own (binding the option then
    // fails the whole run): such a file is numbered as a CSV is, by a streaming window.
    ownRowNumber = written.some((n) => n.toLowerCase() === "file_row_number");
    scan = ownRowNumber ? `read_parquet(${lit(exactPath(file))})` : `read_parquet(${lit(exactPath(file))}, file_row_number = true)`;
    const described = await session.rows(`DESCRIBE SELECT * ${ownRowNumber ? "" : "EXCLUDE (file_row_number) "}FROM ${scan}`);
    schema = described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const unreadable = schema.map((c) => unreadableType(c.type)).find((t) => t !== undefined) ?? wideDecimal(elements) ?? nanosInstant(elements);
    if (unreadable !== undefined) return { reason: `unreadable_parquet_type:${unreadable}`, rows: 0 };
    // A half-precision float column (pyarrow's float16), anywhere in the file: Spark's Parquet
    // reader cannot read the footer of such a file, so it is malformed there; DuckDB read it (0.1
    // as 0.0999755859375) and loaded the file, so it refuses it the same way.
    if (elements.some((e) => String(e.logical_type ?? "").startsWith("Float16Type"))) return { reason: MALFORMED_UNREADABLE, rows: 0 };
    const codecs = await session.rows(`SELECT DISTINCT compression AS c FROM parquet_metadata(${lit(exactPath(file))})`);
    const foreign = codecs.map((r) => String(r.c)).find((c) => !SPARK_CODECS.has(c));
    if (foreign !== undefined) return { reason: `unreadable_parquet_codec:${foreign.toLowerCase()}`, rows: 0 };
    const [count] = await session.rows(`SELECT COUNT(*) AS n FROM ${scan}`);
    rows = Number(count.n);
  } catch (e) {
    if (!isParquetError(e)) throw e;
    return { reason: MALFORMED_UNREADABLE, rows: 0 };
  }
  const known = [...source.columns.map((c) => c.name), ...(source.opColumn ? [source.opColumn] : [])];
  const header = resolveHeader(written.length === schema.length ? written : schema.map((c) => c.name), known);
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) return { reason: `malformed_parquet:duplicate column ${dup}`, rows: 0 };
  const missing = source.columns.filter((c) => !c.optional && !header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) return { reason: `missing_column:${missing.join(",")}`, rows };
  const pick = new Map<string, string>();
  for (const [i, name] of header.entries()) {
    if (!known.includes(name)) continue;
    const rendered = renderParquet(schema[i].name, schema[i].type);
    if (rendered === null) return { reason: `unsupported_parquet_type:${name}`, rows };
    pick.set(name, rendered);
  }
  return { header, extra: header.filter((h) => !known.includes(h)), scan: { from: scan, pick, rowNumber: ownRowNumber ? "row_number() OVER ()" : "file_row_number + 1" } };
}
