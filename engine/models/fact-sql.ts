// The SQL pieces a fact's build and its audits share: the base rows (silver + lookups), the
// as-of join of a dimension role, the date key. The audits recompute expected keys from these,
// never from a build step.
import type { SqlDialect } from "../dialects";
import type { FactSpec, ResolvedRef } from "../../models/define";
import { silverRelation, tableAlias, type ResolvedFact } from "./fact-context";

/** Column names of the dimension tables a fact reads (the dimension compiler's contract). */
export const VALID_FROM = "valid_from";
export const VALID_TO = "valid_to";
/** The unknown member's key in every dimension, dim_date included. */
export const UNKNOWN_KEY = -1;
/** dim_date's key column (INT YYYYMMDD). */
export const DATE_KEY = "date_key";

/** The grain columns, then the degenerate columns not already in the grain. */
export function descriptive(spec: FactSpec): Array<{ name: string; ref: ResolvedRef }> {
  const grain = spec.grain.map((g) => ({ name: g, ref: { lookup: null, column: g } }));
  const rest = spec.degenerate.filter((g) => !(g.column.lookup === null && spec.grain.includes(g.column.column)));
  return [...grain, ...rest.map((g) => ({ name: g.name, ref: g.column }))];
}

/** Hidden columns of the base rows: natural key / as-of time of dimension i, date of date role i. */
export const naturalKeyCol = (i: number) => `_nk_${i}`;
export const asOfCol = (i: number) => `_as_of_${i}`;
export const dateCol = (i: number) => `_date_${i}`;

/**
 * The source's silver rows with their lookups joined: everything a fact row is computed from.
 * The key audits recompute the expected keys from this same select, so it is exported.
 */
export function factBaseSelect(r: ResolvedFact, d: SqlDialect, only?: { joins: string[]; where: string }): string {
  const { spec } = r;
  const asDate = (x: ResolvedRef) => (r.typeOf(x) === "date" ? ref(d, x) : d.cast(ref(d, x), "date"));
  const select = [
    ...descriptive(spec).map((c) => `${ref(d, c.ref)} AS ${d.ident(c.name)}`),
    ...spec.dimensions.map((k, i) => `${ref(d, k.naturalKey)} AS ${naturalKeyCol(i)}`),
    ...spec.dimensions.map((_, i) => `${asOfTime(r, d, i)} AS ${asOfCol(i)}`),
    ...spec.dates.map((k, i) => `${asDate(k.column)} AS ${dateCol(i)}`),
    ...spec.measures.map((m) =>
      "column" in m ? `${ref(d, m.column)} AS ${d.ident(m.name)}` : `${d.daysBetween(asDate(m.daysBetween[0]), asDate(m.daysBetween[1]))} AS ${d.ident(m.name)}`,
    ),
  ];
  return [`SELECT ${select.join(", ")}`, ...baseFrom(r, d), ...(only ? [...only.joins, `WHERE ${only.where}`] : [])].join("\n");
}

/**
 * Dimension role i's natural key `_nk` and as-of time `_t` of every fact row, read from the same
 * silver rows and lookups as the fact's base rows: what a dimension with inferred members
 * (engine/models/inferred-members.ts) must have a row for before the fact is built.
 */
export function roleKeysSelect(r: ResolvedFact, d: SqlDialect, i: number): string {
  return [`SELECT ${ref(d, r.spec.dimensions[i].naturalKey)} AS _nk, ${asOfTime(r, d, i)} AS _t`, ...baseFrom(r, d)].join("\n");
}

export const ref = (d: SqlDialect, x: ResolvedRef) => `${tableAlias(x.lookup)}.${d.ident(x.column)}`;

/** Dimension role i's as-of time as a TIMESTAMP: a date as-of time is that day's midnight. */
export function asOfTime(r: ResolvedFact, d: SqlDialect, i: number): string {
  const asOf = r.spec.dimensions[i].asOf;
  return r.typeOf(asOf) === "timestamp" ? ref(d, asOf) : d.cast(ref(d, asOf), "timestamp");
}

/** FROM the source's silver, every lookup LEFT joined on its primary key. */
function baseFrom(r: ResolvedFact, d: SqlDialect): string[] {
  const joins = r.spec.lookups.map((l) => {
    const target = r.lookups.get(l.name)!;
    return `LEFT JOIN ${silverRelation(target.name)} AS ${tableAlias(l.name)} ON ${tableAlias(l.name)}.${d.ident(target.primaryKey[0])} = ${ref(d, l.on)}`;
  });
  return [`FROM ${silverRelation(r.source.name)} AS ${tableAlias(null)}`, ...joins];
}

/** Alias of dimension role i's join. */
export const dimAlias = (i: number) => `dim_${i}`;

/** The as-of join of dimension role i onto base rows aliased `rows`. */
export function asOfJoin(r: ResolvedFact, d: SqlDialect, i: number, rows: string, alias = dimAlias(i)): string {
  const role = r.spec.dimensions[i];
  const dim = r.dimensions.get(role.dimension)!;
  const col = (c: string) => `${alias}.${d.ident(c)}`;
  return (
    `LEFT JOIN ${dim.name} AS ${alias} ON ${col(dim.naturalKey)} = ${rows}.${naturalKeyCol(i)}` +
    ` AND ${col(VALID_FROM)} <= ${rows}.${asOfCol(i)} AND ${rows}.${asOfCol(i)} < ${col(VALID_TO)}`
  );
}

/**
 * YYYYMMDD of a DATE expression as INT, -1 for NULL or outside the date dimension's `range`.
 * Why the range: dim_date holds only the range's days, so a key of a day outside it would name
 * no row (and fail the fact's date-key audit on every build, publishing nothing).
 */
export function dateKey(d: SqlDialect, date: string, range: { from: string; to: string }): string {
  const outside = `${date} < DATE ${d.str(range.from)} OR ${date} > DATE ${d.str(range.to)}`;
  return `CASE WHEN ${date} IS NULL OR ${outside} THEN ${UNKNOWN_KEY} ELSE ${d.cast(`year(${date}) * 10000 + month(${date}) * 100 + dayofmonth(${date})`, "int")} END`;
}
