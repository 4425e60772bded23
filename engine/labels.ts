// Reason labels for current rows: bad_type:<col> for values that do not parse, then one label
// per failed rule, named as datasets/validate.ts names them. Each label is a CASE expression that
// is NULL when the row passes, so concat_ws() joins only the failures.
import type { DatasetSpec, Rule } from "../datasets/define";
import { parseExpression } from "../datasets/expression";
import { decimalOf } from "../datasets/decimal-type";
import { isNumericType } from "../datasets/validate";
import type { SqlDialect } from "./dialects";
import { renderExpression } from "./expression-sql";
import { decimalBound, type Comparison } from "./range-bounds";

/** Label a rule produces (same naming as datasets/validate.ts). */
export function ruleLabel(rule: Rule): string {
  switch (rule.kind) {
    case "not_null":
      return rule.label ?? `not_null:${rule.column}`;
    case "unique":
      return rule.label ?? `unique:${rule.columns.join("+")}`;
    case "accepted_values":
      return rule.label ?? `accepted_values:${rule.column}`;
    case "range":
      return rule.label ?? `range:${rule.column}`;
    case "regex":
      return rule.label ?? `regex:${rule.column}`;
    case "expression":
      return rule.label;
  }
}

const when = (d: SqlDialect, failing: string, label: string): string =>
  `CASE WHEN ${failing} THEN ${d.str(label)} ELSE NULL END`;

/**
 * Label expression for one rule over the typed columns (named as in the spec).
 * Rules other than not_null pass on NULL values: a NULL is only not_null's business.
 * An expression rule must be TRUE; NULL counts as failing.
 */
export function ruleLabelExpr(d: SqlDialect, spec: DatasetSpec, rule: Rule): string {
  const col = (name: string) => d.ident(name);
  const label = ruleLabel(rule);
  switch (rule.kind) {
    case "not_null":
      return when(d, `${col(rule.column)} IS NULL`, label);
    case "accepted_values": {
      const type = spec.columns.find((c) => c.name === rule.column)?.type ?? "string";
      if (isNumericType(type)) {
        // As numbers: compared as text, a decimal(5,2) 0.00 missed the accepted "0" (and a
        // double's text differs between the engines). Validation made every value fit the type.
        const numbers = rule.values.map((v) => d.cast(d.str(v), type)).join(", ");
        return when(d, `${col(rule.column)} IS NOT NULL AND ${col(rule.column)} NOT IN (${numbers})`, label);
      }
      const asText = type === "string" ? col(rule.column) : d.cast(col(rule.column), "string");
      const values = rule.values.map((v) => d.str(v)).join(", ");
      return when(d, `${asText} IS NOT NULL AND ${asText} NOT IN (${values})`, label);
    }
    case "range": {
      const c = col(rule.column);
      const type = spec.columns.find((x) => x.name === rule.column)?.type ?? "";
      // Integers are decimals of scale 0 here: a bound is rounded to a whole number exactly.
      const decimal = decimalOf(type) ?? INTEGER_DIGITS[type];
      const compare = (op: Comparison, bound: number) =>
        decimal ? decimalBound(c, op, bound, decimal.precision, decimal.scale) : `${c} ${op} ${doubleLiteral(bound)}`;
      const bounds: string[] = [];
      if (rule.min !== undefined) bounds.push(compare(rule.minExclusive ? "<=" : "<", rule.min));
      if (rule.max !== undefined) bounds.push(compare(rule.maxExclusive ? ">=" : ">", rule.max));
      return when(d, `${c} IS NOT NULL AND (${bounds.join(" OR ")})`, label);
    }
    case "regex": {
      const type = spec.columns.find((c) => c.name === rule.column)?.type ?? "string";
      const asText = d.textOf(col(rule.column), type);
      return when(d, `${asText} IS NOT NULL AND NOT ${d.regexMatch(asText, rule.pattern)}`, label);
    }
    case "unique": {
      const cols = rule.columns.map(col);
      const allSet = cols.map((c) => `${c} IS NOT NULL`).join(" AND ");
      return when(d, `${allSet} AND COUNT(*) OVER (PARTITION BY ${cols.join(", ")}) > 1`, label);
    }
    case "expression": {
      // Parsed again from the spec (validation parsed it once already), never pasted.
      const expr = parseExpression(rule.sql, spec.columns);
      // An overflow (a product past decimal(38)) is NULL, so the rule fails for that row on both
      // engines; it failed the whole DuckDB load where Spark (no ANSI mode) gives NULL.
      return when(d, `NOT COALESCE(${d.nullOnError(renderExpression(d, expr, spec.columns))}, FALSE)`, label);
    }
  }
}

/** Digits of the integer types, as the decimal(p,0) whose range holds them. */
const INTEGER_DIGITS: Record<string, { precision: number; scale: number }> = { int: { precision: 10, scale: 0 }, bigint: { precision: 19, scale: 0 } };

/**
 * A bound compared with a double column. Written with an exponent when JavaScript writes it so,
 * which both engines read as a double: a plain decimal text cut at 20 places made 1e-25 a 0.
 */
function doubleLiteral(n: number): string {
  return String(n).replace("e+", "e");
}
