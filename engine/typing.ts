// How a raw string becomes a typed value, the same on both engines. Casts are guarded by
// format regexes first because DuckDB and Spark accept different extras (Spark casts
// "2024-01-15 10:00" to a DATE, DuckDB accepts "1e3" as a decimal...): with the guard, a value
// parses on one engine exactly when it parses on the other.
import type { PlanColumnType } from "./plan";
import type { SqlDialect } from "./dialects";

/**
 * End of text in the guards. Java's `$` (Spark's RLIKE) also matches before a final line
 * terminator, RE2's (DuckDB) does not, and Spark's cast then trims it: "5\n" was 5 on Spark and
 * bad_type on DuckDB. `\z` is the very end on both.
 */
const END = "\\z";
const INTEGER = `^[+-]?[0-9]+${END}`;
/**
 * An integer written with a zero fraction: Oracle NUMBER without precision, as DMS writes it to
 * Parquet (DECIMAL(38,10): "1.0000000000") and to CSV. Only zeros after the point, so no value
 * changes; "1.5" stays bad_type.
 */
const INTEGER_ZERO_FRACTION = `^[+-]?[0-9]+[.]0*${END}`;
const INTEGER_PART = "^[+-]?[0-9]+";
const DOUBLE = `^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?${END}`;
/** A digit other than 0 before the exponent: the text's value is not zero. */
const NONZERO_MANTISSA = "^[^eE]*[1-9]";
/** The largest finite double, as a literal both engines read as a DOUBLE. */
const MAX_DOUBLE = "1.7976931348623157e308";
// Field ranges in the guard, not only the shape: DuckDB casts hour 24 to the next day's 00:00 and
// Spark refuses it, so only values both engines read the same way pass.
const YMD = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
/**
 * A date, or a date at exactly midnight: DMS writes an Oracle DATE (a date-time type) as
 * "2024-01-15 00:00:00" even when the table only ever holds days, and JavaScript writes a day as
 * "2024-01-15T00:00:00.000Z" (a UTC designator, as timestamps below take). Any other time of day
 * would be dropped by reading the value as a date, so it stays bad_type.
 */
const DATE = `^${YMD}([ T]00:00:00([.]0*)?([Zz]|[+-]00(:?00)?)?)?${END}`;
/**
 * ISO date-time, space or T separator, no zone (DMS writes UTC), to the microsecond both engines
 * store. More fraction digits (SQL Server datetime2(7), nanosecond sources) are read only when
 * they are zeros: a non-zero digit below the microsecond would be cut off, so it is bad_type.
 */
const WALL_TIME = `${YMD}[ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6}0*)?`;
const TIMESTAMP = `^${WALL_TIME}${END}`;
/**
 * The same with a UTC designator (`Z`, `+00:00`, `+0000`, `+00`, or `-00...`), as JSON and APIs
 * write UTC (JavaScript's toISOString): the value is that wall time, the one every timestamp is
 * stored in. Another offset stays bad_type: shifting it would store a time no file holds.
 */
const TIMESTAMP_UTC = `^${WALL_TIME}([Zz]|[+-]00(:?00)?)${END}`;
/** The date and time of day of a TIMESTAMP_UTC text, before its designator. */
const TIMESTAMP_WALL = `^${YMD}[ T][0-9:]{8}([.][0-9]*)?`;
/** "YYYY-MM-DD HH:MM:SS.ffffff": the longest text the timestamp cast is given. */
const TIMESTAMP_MICROS_LENGTH = 26;
const TRUE_WORDS = ["true", "t", "1", "yes", "y"];
const FALSE_WORDS = ["false", "f", "0", "no", "n"];

/**
 * A decimal literal that fits the column's scale: more fraction digits than the scale (trailing
 * zeros aside) would be rounded by both engines' casts (`1.999` -> 2.00), so such a value is
 * bad_type instead. Too many integer digits make the cast itself fail (bad_type too).
 */
function decimalPattern(type: string): string {
  const scale = Number(/,(\d+)\)$/.exec(type)![1]);
  const fraction = scale === 0 ? "[.]0*" : `[.][0-9]{0,${scale}}0*`;
  const fractionOnly = scale === 0 ? "[.]0+" : `[.][0-9]{1,${scale}}0*`;
  return `^[+-]?([0-9]+(${fraction})?|${fractionOnly})${END}`;
}

/** The empty field and the spec's nullValue both mean NULL. */
export function nullIfEmpty(d: SqlDialect, raw: string, nullValue: string): string {
  const empties = nullValue === "" ? [""] : ["", nullValue];
  return `CASE WHEN ${raw} IN (${empties.map((v) => d.str(v)).join(", ")}) THEN NULL ELSE ${raw} END`;
}

/**
 * Typed value of a (null-normalized) string expression `v`; NULL when it does not parse. Types
 * with a canonical text (canonicalText) take a cheaper path for values already written that
 * way, the common case: the guarded parse below runs only for the others.
 */
export function parseTyped(d: SqlDialect, v: string, type: PlanColumnType): string {
  const exact = guardedParse(d, v, type);
  const canonical = canonicalText(d, v, type);
  return canonical === null ? exact : `CASE WHEN ${canonical} THEN ${d.tryCast(v, type)} ELSE ${exact} END`;
}

/**
 * A condition true only when `v` is exactly the engine's own text of the value TRY_CAST reads
 * from it (null for types without one). Such a text always passes the guard below and needs no
 * trim, so the cast alone gives what the guarded parse gives: the guards' regexes cost ~3x a cast
 * and a compare (2 M integer keys: 530 -> 180 ms on DuckDB). The length checks keep out the
 * texts an engine writes that the guards refuse: five-digit years ("10000-01-01", "+10000-01-01"
 * on Spark) and DuckDB's " (BC)" suffix; an E keeps out Spark's scientific decimals. Doubles have
 * none: "inf" and "nan" are their own text.
 */
function canonicalText(d: SqlDialect, v: string, type: PlanColumnType): string | null {
  const roundTrip = `${d.cast(d.tryCast(v, type), "string")} = ${v}`;
  switch (type) {
    case "int":
    case "bigint":
      return roundTrip;
    case "date":
      return `(length(${v}) = 10 AND ${roundTrip})`;
    case "timestamp":
      return `((length(${v}) = 19 OR (length(${v}) BETWEEN 21 AND 26 AND substr(${v}, 20, 1) = '.')) AND ${roundTrip})`;
    default:
      // Spark (ANSI off) writes a decimal of scale 7 or more as Java's toString: "0E-10", which
      // the guard refuses. No engine writes a decimal's own text with an E otherwise.
      return /^decimal\(\d+,\d+\)$/.test(type) ? `(instr(${v}, 'E') = 0 AND ${roundTrip})` : null;
  }
}

/** The guarded parse alone: parseTyped without its fast path (a test compares the two). */
export function guardedParse(d: SqlDialect, v: string, type: PlanColumnType): string {
  const guarded = (pattern: string, subject: string, cast: string): string =>
    `CASE WHEN ${d.regexMatch(subject, pattern)} THEN ${cast} ELSE NULL END`;
  switch (type) {
    case "string":
      return v;
    case "int":
    case "bigint": {
      const t = d.trim(v);
      // The plain form first: a second regex only for values that fail it.
      return `CASE WHEN ${d.regexMatch(t, INTEGER)} THEN ${d.tryCast(t, type)} ` +
        `WHEN ${d.regexMatch(t, INTEGER_ZERO_FRACTION)} THEN ${d.tryCast(d.regexExtract(t, INTEGER_PART), type)} ELSE NULL END`;
    }
    case "double": {
      // A text whose value a double cannot hold is refused, not rounded to a different value:
      // both engines read "1e309" as Infinity and "1e-400" as 0 (docs/datasets.md).
      const t = d.trim(v);
      const x = d.tryCast(t, type);
      const fits = `abs(${x}) <= ${MAX_DOUBLE} AND NOT (${x} = 0 AND ${d.regexMatch(t, NONZERO_MANTISSA)})`;
      return `CASE WHEN ${d.regexMatch(t, DOUBLE)} AND ${fits} THEN ${positiveZero(d, x)} ELSE NULL END`;
    }
    case "boolean": {
      const word = `lower(${d.trim(v)})`;
      const list = (words: string[]) => words.map((w) => d.str(w)).join(", ");
      return `CASE WHEN ${word} IN (${list(TRUE_WORDS)}) THEN TRUE WHEN ${word} IN (${list(FALSE_WORDS)}) THEN FALSE ELSE NULL END`;
    }
    // Spaces around a date or timestamp are ignored as around a number (`1, 2026-11-21` from a
    // file written with ", " between fields): they are not part of the value.
    case "date": {
      const t = d.trim(v);
      return guarded(DATE, t, d.tryCast(`substr(${t}, 1, 10)`, "date"));
    }
    case "timestamp": {
      const t = d.trim(v);
      // The guard has checked that whatever lies past the microsecond is zeros.
      const wall = (text: string) => d.tryCast(`substr(${d.replace(text, "T", " ")}, 1, ${TIMESTAMP_MICROS_LENGTH})`, "timestamp");
      // The form without a designator first: a second regex only for values that fail it.
      return `CASE WHEN ${d.regexMatch(t, TIMESTAMP)} THEN ${wall(t)} ` +
        `WHEN ${d.regexMatch(t, TIMESTAMP_UTC)} THEN ${wall(d.regexExtract(t, TIMESTAMP_WALL))} ELSE NULL END`;
    }
    default:
      if (/^decimal\(\d+,\d+\)$/.test(type)) return guarded(decimalPattern(type), d.trim(v), d.tryCast(d.trim(v), type));
      throw new Error(`no parser for column type ${type}`);
  }
}

/**
 * A double with -0.0 read as 0.0. The engines hold the two zeros equal but do not keep them
 * apart: on DuckDB, once a batch held a -0.0, values written "0" and "0.0" of other rows came
 * out of silver and state as -0.0 (its hashing and sorting operators hand back either zero for
 * equal values), while Spark kept them 0.0. One canonical zero is the only way both engines
 * store the same value; no number changes (-0.0 = 0.0 on both). Bronze keeps the text as written.
 */
function positiveZero(d: SqlDialect, x: string): string {
  return `CASE WHEN ${x} = 0 THEN ${d.cast("0", "double")} ELSE ${x} END`;
}
