// The audits of a fact's staged table (write-audit-publish): each one row, BIGINT `violations`,
// reading `staged` or `audited` and the plan's inputs only (never a step: an executor may audit a
// table it did not build in this session). A key audit recomputes the fact's natural key and
// as-of time from silver (the same base select the build uses) and checks the written key against
// the published dimension, so a stale key (a version whose window no longer holds the time)
// fails. Key audits are row-level: they read `audited`, the rows this build wrote (plan.ts, step
// 4); grain is table-level and reads `staged`; counts and sums compare `audit_totals` (factTotals:
// the plan's `totals`, one pass over `staged` and one over silver for all of them).
import type { SqlDialect } from "../dialects";
import { AUDIT_TOTALS_RELATION, AUDITED_RELATION, STAGED_RELATION, type ModelAudit } from "./plan";
import { silverRelation, type ResolvedFact } from "./fact-context";
import { asOfJoin, DATE_KEY, factBaseSelect, UNKNOWN_KEY } from "./fact-sql";

export function factAudits(r: ResolvedFact, d: SqlDialect): ModelAudit[] {
  return [grainUnique(r, d), rowCount(r), ...r.spec.dimensions.map((_, i) => keyResolves(r, d, i)), ...measureSums(r), ...dateKeys(r, d)];
}

const count = (from: string) => `SELECT CAST(COUNT(*) AS BIGINT) AS violations FROM ${from}`;

/**
 * A grain that holds the source's primary key is audited over the written rows: an incremental
 * build keeps only previous rows whose key it did not write (fact-incremental.ts `kept`, the
 * DuckDB segment read), and the previous version was unique, so the table is unique when the
 * written rows are. Any other grain can collide with a kept row: the whole table is audited.
 */
function grainUnique(r: ResolvedFact, d: SqlDialect): ModelAudit {
  const grain = r.spec.grain.map((g) => d.ident(g)).join(", ");
  const holdsKey = r.source.primaryKey.every((k) => r.spec.grain.includes(k));
  return {
    name: "grain_unique",
    sql: count(`(SELECT ${grain} FROM ${holdsKey ? AUDITED_RELATION : STAGED_RELATION} GROUP BY ${grain} HAVING COUNT(*) > 1) AS dup`),
    description: `one row per grain (${r.spec.grain.join(", ")}): violations = grain values on more than one row`,
  };
}

function rowCount(r: ResolvedFact): ModelAudit {
  const silver = silverRelation(r.source.name);
  return {
    name: "row_count",
    sql: `SELECT CAST(ABS(staged_rows - silver_rows) AS BIGINT) AS violations FROM ${AUDIT_TOTALS_RELATION}`,
    description: `one fact row per row of ${silver}: violations = the difference of the row counts`,
  };
}

function keyResolves(r: ResolvedFact, d: SqlDialect, i: number): ModelAudit {
  const role = r.spec.dimensions[i];
  const dim = r.dimensions.get(role.dimension)!;
  const key = `f.${d.ident(role.keyColumn)}`;
  // A fact row finds its base row by the source's primary key, which the grain holds: never
  // NULL in silver. The grain's other columns may be NULL, and `=` never matches NULL, so joining
  // on them found no base row for such a fact row and failed its resolved key as stale.
  const pk = r.source.primaryKey.map((k) => d.ident(k));
  const on = pk.map((k) => `b.${k} = f.${k}`).join(" AND ");
  // Only the base rows of the audited rows: a semi-join on the written rows first (Spark
  // broadcasts them; it cannot broadcast the side an outer join keeps, so joining silver whole
  // shuffled all of it to check an incremental build's few rows). IN for one key column:
  // DuckDB runs a correlated EXISTS four times slower. A table written whole is audited whole
  // (`sqlWhole`): the semi-join would keep every base row, after joining silver with all of it.
  const written =
    pk.length === 1
      ? `base.${pk[0]} IN (SELECT ${pk[0]} FROM ${AUDITED_RELATION})`
      : `EXISTS (SELECT 1 FROM ${AUDITED_RELATION} a WHERE ${pk.map((k) => `a.${k} = base.${k}`).join(" AND ")})`;
  // The version of the fact's natural key whose window holds its time: the key must name it, or
  // be -1 when there is none. One join: a published dimension's windows of a natural key do not
  // overlap (its windows audit), so at most one version covers the time. Were there two, each
  // joined row must name its own version and one cannot: the audit fails closed. (Two joins, the
  // named version and any covering one, read the dimension twice: Spark shuffled it twice.)
  const covering = `covering.${d.ident(dim.surrogateKey)}`;
  const sql = (base: string) =>
    [
      `SELECT CAST(COUNT(*) AS BIGINT) AS violations FROM ${AUDITED_RELATION} AS f`,
      `LEFT JOIN (${base}) AS b ON ${on}`,
      asOfJoin(r, d, i, "b", "covering"),
      `WHERE ${key} IS NULL OR (${key} <> ${UNKNOWN_KEY} AND (${covering} IS NULL OR ${covering} <> ${key}))` +
        ` OR (${key} = ${UNKNOWN_KEY} AND ${covering} IS NOT NULL)`,
    ].join("\n");
  return {
    name: `${role.keyColumn}_resolves`,
    sql: sql(`SELECT * FROM (${factBaseSelect(r, d)}) AS base WHERE ${written}`),
    sqlWhole: sql(factBaseSelect(r, d)),
    description: `${role.keyColumn} is the ${dim.name} version of the fact's natural key whose window holds its as-of time, or -1 when there is none: violations = rows where it is not`,
  };
}

/** Column measures of the source itself (a lookup's column repeats per fact row: no silver sum to match). */
function summedMeasures(r: ResolvedFact): Array<{ name: string; column: string; double: boolean }> {
  return r.spec.measures.flatMap((m) =>
    "column" in m && m.column.lookup === null ? [{ name: m.name, column: m.column.column, double: r.typeOf(m.column) === "double" }] : [],
  );
}

/** The plan's `totals` (plan.ts): the row count and measure sums of `staged` and of silver. */
export function factTotals(r: ResolvedFact, d: SqlDialect): string {
  const sums = summedMeasures(r);
  const staged = ["COUNT(*) AS staged_rows", ...sums.map((m, i) => `SUM(${d.ident(m.name)}) AS staged_sum_${i}`)];
  const silver = ["COUNT(*) AS silver_rows", ...sums.map((m, i) => `SUM(${d.ident(m.column)}) AS silver_sum_${i}`)];
  return `SELECT s.*, x.* FROM (SELECT ${staged.join(", ")} FROM ${STAGED_RELATION}) s CROSS JOIN (SELECT ${silver.join(", ")} FROM ${silverRelation(r.source.name)}) x`;
}

function measureSums(r: ResolvedFact): ModelAudit[] {
  const silver = silverRelation(r.source.name);
  return summedMeasures(r).map((m, i) => {
    const [staged, source] = [`staged_sum_${i}`, `silver_sum_${i}`];
    // A double's sum depends on the order of addition: compare it within a relative 1e-9. Equal
    // sums pass first: a sum can be infinite (finite values near the double range overflow when
    // added), and inf - inf is NaN, which both engines order above every number, so equal
    // infinite sums failed.
    const differs = m.double
      ? `${staged} IS DISTINCT FROM ${source} AND ((${staged} IS NULL) <> (${source} IS NULL) OR ABS(${staged} - ${source}) > 1e-9 * GREATEST(1.0, ABS(${source})))`
      : `${staged} IS DISTINCT FROM ${source}`;
    return {
      name: `${m.name}_sum`,
      sql: `SELECT CAST(CASE WHEN ${differs} THEN 1 ELSE 0 END AS BIGINT) AS violations FROM ${AUDIT_TOTALS_RELATION}`,
      description: `SUM(${m.name}) equals SUM(${m.column}) of ${silver}: violations = 1 when it does not`,
    };
  });
}

function dateKeys(r: ResolvedFact, d: SqlDialect): ModelAudit[] {
  if (!r.dateDimension) return [];
  const dim = r.dateDimension.name;
  return r.spec.dates.map((k) => {
    const key = `f.${d.ident(k.keyColumn)}`;
    return {
      name: `${k.keyColumn}_in_${dim}`,
      sql: count(`${AUDITED_RELATION} AS f LEFT JOIN ${dim} AS dd ON dd.${d.ident(DATE_KEY)} = ${key} WHERE ${key} IS NULL OR (${key} <> ${UNKNOWN_KEY} AND dd.${d.ident(DATE_KEY)} IS NULL)`),
      description: `${k.keyColumn} is -1 or a ${DATE_KEY} of ${dim}: violations = rows where it is neither`,
    };
  });
}
