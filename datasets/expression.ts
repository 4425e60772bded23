// Expression rules are SQL fragments that both DuckDB and Spark must read the same way, so they
// are limited to a small, checked grammar: column names, literals, operators and a few functions.
import type { NormalizedColumn } from "./define";

const KEYWORDS = new Set(["and", "or", "not", "is", "null", "between", "in", "true", "false", "like"]);
/** Functions that mean the same in DuckDB and Spark SQL. */
export const PORTABLE_FUNCTIONS = new Set(["coalesce", "abs", "lower", "upper", "length", "trim", "round"]);
const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_]*)|(<=|>=|<>|!=|=|<|>|\+|-|\*|\/|\(|\)|,|%))/y;

/** Throws (through `fail`) unless `sql` uses only declared columns and the portable grammar. */
export function checkExpression(
  sql: unknown,
  field: string,
  requireColumn: (field: string, name: unknown) => NormalizedColumn,
  fail: (field: string, problem: string) => never,
): string[] {
  if (typeof sql !== "string" || sql.trim() === "") fail(field, "must be a non-empty SQL expression");
  const text = sql as string;
  const columns: string[] = [];
  let depth = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) fail(field, `unexpected text at ${JSON.stringify(text.slice(start, start + 12))}`);
    const [, , , ident, op] = m as RegExpExecArray;
    if (ident) {
      const lower = ident.toLowerCase();
      const next = text.slice(TOKEN.lastIndex).trimStart();
      if (next.startsWith("(") && !KEYWORDS.has(lower)) {
        if (!PORTABLE_FUNCTIONS.has(lower)) {
          fail(field, `function ${ident} is not portable (allowed: ${[...PORTABLE_FUNCTIONS].join(", ")})`);
        }
      } else if (!KEYWORDS.has(lower)) {
        requireColumn(field, ident);
        columns.push(ident);
      }
    }
    if (op === "(") depth++;
    if (op === ")" && --depth < 0) fail(field, "has an unbalanced )");
  }
  if (depth !== 0) fail(field, "has an unbalanced (");
  if (columns.length === 0) fail(field, "does not reference any column");
  return columns;
}
