// Renders a parsed expression rule (datasets/expression.ts) for one dialect: identifiers and
// string literals through the dialect table, every operator parenthesized (precedence is the
// AST's, not the engine's), and arithmetic made to mean the same on both engines.
import type { NormalizedColumn } from "../datasets/define";
import type { Expr } from "../datasets/expression";
import type { SqlDialect } from "./dialects";

/** SQL for `expr` over the typed columns of the relation in scope. */
export function renderExpression(d: SqlDialect, expr: Expr, columns: readonly NormalizedColumn[]): string {
  const r = (e: Expr): string => renderExpression(d, e, columns);
  // Integer arithmetic overflows differently (DuckDB raises, Spark wraps around): integers are
  // exact DECIMAL(38,0) operands instead, which hold any product of two BIGINTs.
  const operand = (e: Expr): string => (isInteger(e, columns) ? d.cast(r(e), "decimal(38,0)") : r(e));
  switch (expr.kind) {
    case "column":
      return d.ident(expr.name);
    case "number":
      return expr.text;
    case "string":
      return d.str(expr.value);
    case "boolean":
      return expr.value ? "TRUE" : "FALSE";
    case "null":
      return "NULL";
    case "date":
      return `DATE ${d.str(expr.value)}`;
    case "timestamp":
      return `TIMESTAMP ${d.str(expr.value)}`;
    case "compare":
      return `(${r(expr.left)} ${expr.op} ${r(expr.right)})`;
    case "and":
    case "or":
      return `(${r(expr.left)} ${expr.kind.toUpperCase()} ${r(expr.right)})`;
    case "not":
      return `(NOT ${r(expr.arg)})`;
    case "is_null":
      return `(${r(expr.arg)} IS ${expr.negated ? "NOT " : ""}NULL)`;
    case "between":
      return `(${r(expr.arg)} ${expr.negated ? "NOT " : ""}BETWEEN ${r(expr.low)} AND ${r(expr.high)})`;
    case "in":
      return `(${r(expr.arg)} ${expr.negated ? "NOT " : ""}IN (${expr.list.map(r).join(", ")}))`;
    case "arith":
      if (expr.op === "/") {
        // DuckDB divides DECIMALs as DOUBLE and gives Infinity for x/0; Spark keeps DECIMAL and
        // gives NULL. Both engines: DOUBLE division, NULL for a zero divisor.
        return `(${d.cast(r(expr.left), "double")} / NULLIF(${d.cast(r(expr.right), "double")}, 0))`;
      }
      return `(${operand(expr.left)} ${expr.op} ${operand(expr.right)})`;
    case "negate":
      return `(- ${operand(expr.arg)})`;
    case "call":
      if (expr.fn === "trim") return d.trim(r(expr.args[0]));
      // abs of the smallest integer overflows like arithmetic does: exact operands here too.
      return `${expr.fn}(${expr.args.map(expr.fn === "abs" ? operand : r).join(", ")})`;
  }
}

function isInteger(e: Expr, columns: readonly NormalizedColumn[]): boolean {
  if (e.kind === "number") return !e.text.includes(".");
  if (e.kind === "column") return ["int", "bigint"].includes(columns.find((c) => c.name === e.name)?.type ?? "");
  return false;
}
