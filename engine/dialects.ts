// The ONE place where DuckDB and Spark SQL differ. compile.ts builds every statement through
// these functions, so a new dialect (or a fix) is an edit here, not a hunt through strings.
// Spark notes: session time zone must be UTC (timestamps are zone-less in files); Spark string
// literals process backslash escapes (spark.sql.parser.escapedStringLiterals=false, the default).
import { decimalOf } from "../datasets/decimal-type";
import type { Dialect, PlanColumnType } from "./plan";
import { PII_KEY_RELATION } from "./pii-key";

// HMAC-SHA256(K, m) = sha256(opad || sha256(ipad || m)) over bytes, with the padded keys read
// from the pii_key relation (engine/pii-key.ts): plain SQL on both engines, no key in the text.
const pad = (name: "ipad" | "opad") => `(SELECT ${name} FROM ${PII_KEY_RELATION})`;

export interface SqlDialect {
  name: Dialect;
  /** Quoted identifier. */
  ident(name: string): string;
  /** String literal holding exactly `value`. */
  str(value: string): string;
  /** Engine type name for a spec type. */
  sqlType(type: PlanColumnType): string;
  /** NULL when the cast fails (never an error, whatever the ANSI settings). */
  tryCast(expr: string, type: PlanColumnType): string;
  /** The expression, NULL where evaluating it fails (an arithmetic overflow) instead of an error. */
  nullOnError(expr: string): string;
  /** Plain CAST for values known to fit (e.g. typed value to string). */
  cast(expr: string, type: PlanColumnType): string;
  /** A typed value of `type` as the same text on both engines (what rules match and PII hashes). */
  textOf(expr: string, type: PlanColumnType): string;
  /** True when `expr` (a string) contains a match of `pattern` (find semantics, not full match). */
  regexMatch(expr: string, pattern: string): string;
  /** Lowercase hex HMAC-SHA256 of a string expression's UTF-8 bytes, keyed by the pii_key relation. */
  hmacSha256(expr: string): string;
  /** Labels (each a string expression or NULL) joined with `sep`, NULLs skipped, "" when none. */
  concatLabels(sep: string, labels: string[]): string;
  /** The first match of `pattern` in a string expression ("" when none). */
  regexExtract(expr: string, pattern: string): string;
  /** Replace every occurrence of a literal substring. */
  replace(expr: string, from: string, to: string): string;
  /**
   * A string expression without its leading and trailing ASCII spaces (U+0020) only. DuckDB's
   * one-argument trim also strips Unicode spaces (no-break U+00A0, ideographic U+3000, ...),
   * Spark's only U+0020: "\u00a07" was 7 on DuckDB and bad_type on Spark, an Op "D\u00a0" a
   * delete on DuckDB and bad_op on Spark.
   */
  trim(expr: string): string;
  /** Integer year / month of a date or timestamp. */
  year(expr: string): string;
  month(expr: string): string;
  /** A timestamp as ISO text "YYYY-MM-DD HH:MM:SS[.ffffff]" (for summaries). */
  timestampText(expr: string): string;
  /** The first 15 hex digits of md5(string expr) as a positive BIGINT (surrogate keys: same number on both engines). */
  md5Bigint(expr: string): string;
  /** A relation (FROM item) of BIGINT column `n` holding 0 .. count-1 (dim_date's days). */
  integers(count: number): string;
  /** A DATE `days` (an integer expression) after a DATE expression. */
  addDays(date: string, days: string): string;
  /** Whole calendar days from one DATE expression to another (INT; negative when `to` is earlier). */
  daysBetween(from: string, to: string): string;
  /**
   * Hint after SELECT: broadcast the small relation aliased `alias` in a join (Spark: so an empty
   * one drops the join, and the other side's scan, before that side is read). "" for DuckDB.
   */
  broadcast(alias: string): string;
  /**
   * How to keep a step that one later statement reads several times. Spark inlines a view at each
   * read, running and planning it again each time, so it computes such a step once ("table": a
   * checkpoint); DuckDB plans the reads as one shared subplan, and a table would only hold the rows
   * in memory ("view").
   */
  rereadStep: "view" | "table";
  /** Window aggregate: the last non-NULL value of `expr` in the frame (the window follows it). */
  lastNonNull(expr: string): string;
  /** A one-field struct holding `expr` as field `v` (non-NULL even when `expr` is NULL). */
  box(expr: string): string;
}

const TYPE_NAMES: Record<Dialect, Record<string, string>> = {
  duckdb: { string: "VARCHAR", int: "INTEGER", bigint: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN", date: "DATE", timestamp: "TIMESTAMP" },
  spark: { string: "STRING", int: "INT", bigint: "BIGINT", double: "DOUBLE", boolean: "BOOLEAN", date: "DATE", timestamp: "TIMESTAMP" },
};

function typeName(dialect: Dialect, type: PlanColumnType): string {
  const decimal = decimalOf(type);
  if (decimal) return `DECIMAL(${decimal.precision},${decimal.scale})`;
  const name = TYPE_NAMES[dialect][type];
  if (!name) throw new Error(`no ${dialect} type for ${type}`);
  return name;
}

const duckdb: SqlDialect = {
  name: "duckdb",
  ident: (name) => `"${name.replace(/"/g, '""')}"`,
  str: (value) => `'${value.replace(/'/g, "''")}'`,
  sqlType: (type) => typeName("duckdb", type),
  tryCast: (expr, type) => `TRY_CAST(${expr} AS ${typeName("duckdb", type)})`,
  nullOnError: (expr) => `TRY(${expr})`,
  textOf: (expr, type) => (type === "string" ? expr : `CAST(${expr} AS VARCHAR)`),
  cast: (expr, type) => `CAST(${expr} AS ${typeName("duckdb", type)})`,
  regexMatch: (expr, pattern) => `regexp_matches(${expr}, ${duckdb.str(pattern)})`,
  hmacSha256: (expr) => `sha256(${pad("opad")} || unhex(sha256(${pad("ipad")} || encode(${expr}))))`,
  concatLabels: (sep, labels) => (labels.length === 0 ? "''" : `concat_ws(${duckdb.str(sep)}, ${labels.join(", ")})`),
  regexExtract: (expr, pattern) => `regexp_extract(${expr}, ${duckdb.str(pattern)}, 0)`,
  replace: (expr, from, to) => `replace(${expr}, ${duckdb.str(from)}, ${duckdb.str(to)})`,
  trim: (expr) => `trim(${expr}, ' ')`,
  year: (expr) => `CAST(year(${expr}) AS INTEGER)`,
  month: (expr) => `CAST(month(${expr}) AS INTEGER)`,
  timestampText: (expr) => `strftime(${expr}, '%Y-%m-%d %H:%M:%S.%f')`,
  md5Bigint: (expr) => `CAST('0x' || substr(md5(${expr}), 1, 15) AS BIGINT)`,
  integers: (count) => `(SELECT range AS n FROM range(0, ${Math.trunc(count)}))`,
  addDays: (date, days) => `CAST(${date} + CAST(${days} AS INTEGER) AS DATE)`,
  daysBetween: (from, to) => `CAST(date_diff('day', ${from}, ${to}) AS INTEGER)`,
  broadcast: () => "",
  rereadStep: "view",
  lastNonNull: (expr) => `last_value(${expr} IGNORE NULLS)`,
  box: (expr) => `struct_pack(v := ${expr})`,
};

/** RE2's POSIX bracket classes ([:digit:] inside [...]) as Java's: Java reads `[[:digit:]]` as the characters ":digt". */
const POSIX_CLASSES: Record<string, string> = {
  alnum: "\\p{Alnum}", alpha: "\\p{Alpha}", ascii: "\\p{ASCII}", blank: "\\p{Blank}", cntrl: "\\p{Cntrl}",
  digit: "\\p{Digit}", graph: "\\p{Graph}", lower: "\\p{Lower}", print: "\\p{Print}", punct: "\\p{Punct}",
  space: "\\p{Space}", upper: "\\p{Upper}", word: "\\w", xdigit: "\\p{XDigit}",
};

/** The Java form of the POSIX class `[:name:]` / `[:^name:]` at `pattern[i]`, and its length; null if none is there. */
function posixClassAt(pattern: string, i: number): { java: string; length: number } | null {
  const m = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
  const java = m ? POSIX_CLASSES[m[2]] : undefined;
  if (!m || !java) return null;
  // Negated: \p{X} -> \P{X}, \w -> \W.
  return { java: m[1] ? java.replace(/^\\p/, "\\P").replace(/^\\w$/, "\\W") : java, length: m[0].length };
}

// RE2's \s is [\t\n\f\r ]; Java's (and JavaScript's) also holds the vertical tab (U+000B).
export const RE2_SPACE = "\\t\\n\\f\\r ";
// RE2's \b and \B are ASCII (\w on either side or not); Java's count any letter or digit as a
// word character (Spark failed `\bx` on "éx"), so they are spelled out with Java's ASCII \w.
const RE2_ESCAPES: Record<string, string> = {
  s: `[${RE2_SPACE}]`,
  S: `[^${RE2_SPACE}]`,
  b: "(?:(?<=\\w)(?!\\w)|(?<!\\w)(?=\\w))",
  B: "(?:(?<=\\w)(?=\\w)|(?<!\\w)(?!\\w))",
};

/** The Java form of RE2's escape `\<letter>` (in a character class or not). */
function asciiEscape(letter: string, inClass: boolean): string {
  if (inClass) return letter === "s" ? RE2_SPACE : `\\${letter}`; // \S in a class: only U+000B differs
  return RE2_ESCAPES[letter] ?? `\\${letter}`;
}

/**
 * A pattern that means in Java what it means in RE2 (the dataset validation keeps patterns to
 * constructs both have; these are the ones they read differently):
 * - `$`: without MULTILINE, Java's also matches before a final line terminator (Spark passed
 *   "de\n" for `^[a-z]+$`, DuckDB did not): each `$` that is not escaped, quoted (\Q...\E) or in
 *   a character class becomes `\z`, the end of the text on both. (`^` means the start on both.)
 * - POSIX classes in brackets (`[[:digit:]]`): Java has no such syntax and reads the characters
 *   ":digt" (Spark quarantined "123" and passed "dig"); they become `\p{Digit}` and the like.
 * - `.`: RE2's matches every character but \n; Java's also stops at \r, \u0085, \u2028 and
 *   \u2029 unless UNIX_LINES (`(?d)`) is on, so a pattern using `.` gets that flag.
 * - `\s`, `\S`, `\b`, `\B` are ASCII in RE2, not in Java (RE2_ESCAPES).
 */
export function javaRegex(pattern: string): string {
  let out = "";
  let inClass = false;
  let dot = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\" && pattern[i + 1] === "Q") {
      const end = pattern.indexOf("\\E", i + 2);
      const stop = end < 0 ? pattern.length : end + 2;
      out += pattern.slice(i, stop);
      i = stop - 1;
    } else if (c === "\\") {
      out += asciiEscape(pattern[i + 1] ?? "", inClass);
      i++;
    } else if (inClass) {
      const posix = c === "[" ? posixClassAt(pattern, i) : null;
      if (posix) {
        out += posix.java;
        i += posix.length - 1;
        continue;
      }
      if (c === "]") inClass = false;
      out += c;
    } else if (c === "[") {
      inClass = true;
      // A "]" first in a class (after an optional "^") is a literal.
      const lead = pattern[i + 1] === "^" ? (pattern[i + 2] === "]" ? "^]" : "^") : pattern[i + 1] === "]" ? "]" : "";
      out += c + lead;
      i += lead.length;
    } else {
      dot ||= c === ".";
      out += c === "$" ? "\\z" : c;
    }
  }
  return dot ? `(?d)${out}` : out;
}

const spark: SqlDialect = {
  name: "spark",
  ident: (name) => `\`${name.replace(/`/g, "``")}\``,
  str: (value) => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`,
  sqlType: (type) => typeName("spark", type),
  tryCast: (expr, type) => `TRY_CAST(${expr} AS ${typeName("spark", type)})`,
  // Without ANSI mode (Spark 3.5's default, which Glue keeps) a decimal overflow is NULL already.
  nullOnError: (expr) => expr,
  // A decimal as plain text with its scale, as DuckDB prints it: Spark's CAST prints Java's
  // BigDecimal.toString, scientific below 1e-6 (0E-10, 1.000E-7), so a regex rule or a PII hash
  // of such a value differed between the engines. format_number is exact at the type's scale;
  // its grouping commas go.
  textOf: (expr, type) => {
    const decimal = decimalOf(type);
    if (decimal) return `replace(format_number(${expr}, ${decimal.scale}), ',', '')`;
    return type === "string" ? expr : `CAST(${expr} AS STRING)`;
  },
  cast: (expr, type) => `CAST(${expr} AS ${typeName("spark", type)})`,
  regexMatch: (expr, pattern) => `(${expr} RLIKE ${spark.str(javaRegex(pattern))})`,
  hmacSha256: (expr) => `sha2(concat(${pad("opad")}, unhex(sha2(concat(${pad("ipad")}, CAST(${expr} AS BINARY)), 256))), 256)`,
  concatLabels: (sep, labels) => (labels.length === 0 ? "''" : `concat_ws(${spark.str(sep)}, ${labels.join(", ")})`),
  regexExtract: (expr, pattern) => `regexp_extract(${expr}, ${spark.str(javaRegex(pattern))}, 0)`,
  replace: (expr, from, to) => `replace(${expr}, ${spark.str(from)}, ${spark.str(to)})`,
  trim: (expr) => `trim(${expr})`,
  year: (expr) => `CAST(year(${expr}) AS INT)`,
  month: (expr) => `CAST(month(${expr}) AS INT)`,
  timestampText: (expr) => `date_format(${expr}, 'yyyy-MM-dd HH:mm:ss.SSSSSS')`,
  md5Bigint: (expr) => `CAST(conv(substr(md5(${expr}), 1, 15), 16, 10) AS BIGINT)`,
  integers: (count) => `(SELECT id AS n FROM range(0, ${Math.trunc(count)}))`,
  addDays: (date, days) => `date_add(${date}, CAST(${days} AS INT))`,
  daysBetween: (from, to) => `datediff(${to}, ${from})`,
  broadcast: (alias) => `/*+ BROADCAST(${alias}) */ `,
  rereadStep: "table",
  lastNonNull: (expr) => `last_value(${expr}, true)`,
  box: (expr) => `named_struct('v', ${expr})`,
};

export const DIALECTS: Record<Dialect, SqlDialect> = { duckdb, spark };

export function dialectFor(name: Dialect): SqlDialect {
  const d = DIALECTS[name];
  if (!d) throw new Error(`unknown SQL dialect ${JSON.stringify(name)} (duckdb, spark)`);
  return d;
}
