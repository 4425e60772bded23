// The fact compiler: a FactSpec -> a ModelPlan (engine/models/plan.ts) for one dialect.
// One fact row per silver row of the source (quarantined and deleted keys are not facts);
// lookups are LEFT joins on the lookup dataset's primary key, so a missing row leaves NULLs and
// never drops a fact. Each dimension key is the version of the same natural key whose window
// holds the as-of time (valid_from <= t < valid_to), else -1; the table is recomputed from
// current silver and the published dimensions on every build, so a late change that split a
// dimension's history re-keys the facts it affects. Date keys are YYYYMMDD (UTC date), -1 for NULL.
import { dialectFor, type SqlDialect } from "../dialects";
import type { PlanColumn } from "../plan";
import type { FactSpec, ResolvedRef } from "../../models/define";
import { factAudits } from "./fact-audits";
import { resolveFact, silverRelation, tableAlias, type FactContext, type ResolvedFact } from "./fact-context";
import type { ModelInput, ModelPlan, ModelStep } from "./plan";

export type { FactContext } from "./fact-context";

/** Column names of the dimension tables a fact reads (the dimension compiler's contract). */
export const VALID_FROM = "valid_from";
export const VALID_TO = "valid_to";
/** The unknown member's key in every dimension, dim_date included. */
export const UNKNOWN_KEY = -1;
/** dim_date's key column (INT YYYYMMDD). */
export const DATE_KEY = "date_key";

export function compileFact(spec: FactSpec, ctx: FactContext): ModelPlan {
  const r = resolveFact(spec, ctx);
  const d = dialectFor(ctx.dialect);
  const rows: ModelStep = {
    name: `${spec.name}__rows`,
    sql: factBaseSelect(r, d),
    materialize: "view",
    description: "one row per silver row of the source, lookups joined: grain, degenerate columns, natural keys, as-of times, dates, measures",
  };
  const build: ModelStep = {
    name: `${spec.name}__build`,
    sql: keyedSelect(r, d, rows.name),
    materialize: "table",
    description: "dimension keys as of the event time, date keys: the complete new fact table",
  };
  return {
    model: spec.name,
    kind: "fact",
    dialect: ctx.dialect,
    inputs: factInputs(r),
    steps: [rows, build],
    output: build.name,
    columns: factColumns(r),
    audits: factAudits(r, d),
    partitionBy: spec.partitionBy ? { column: spec.partitionBy.dateRole } : null,
  };
}

/** Silver of the source and of each lookup dataset (once each), the dimensions, dim_date. */
function factInputs(r: ResolvedFact): ModelInput[] {
  const datasets = [r.source.name, ...[...r.lookups.values()].map((l) => l.name)];
  const inputs: ModelInput[] = [...new Set(datasets)].map((dataset) => ({ relation: silverRelation(dataset), zone: "silver", dataset }));
  for (const dim of r.dimensions.values()) inputs.push({ relation: dim.name, zone: "semantic", model: dim.name });
  if (r.dateDimension) inputs.push({ relation: r.dateDimension.name, zone: "semantic", model: r.dateDimension.name });
  return inputs;
}

/** Grain and degenerate columns, dimension keys, date keys, measures, then the partition date. */
export function factColumns(r: ResolvedFact): PlanColumn[] {
  const { spec } = r;
  const columns: PlanColumn[] = [
    ...descriptive(spec).map((c) => ({ name: c.name, type: r.typeOf(c.ref) })),
    ...spec.dimensions.map((k) => ({ name: k.keyColumn, type: "bigint" as const })),
    ...spec.dates.map((k) => ({ name: k.keyColumn, type: "int" as const })),
    ...spec.measures.map((m) => ({ name: m.name, type: "column" in m ? r.typeOf(m.column) : ("int" as const) })),
    ...(spec.partitionBy ? [{ name: spec.partitionBy.dateRole, type: "date" as const }] : []),
  ];
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new Error(`fact ${spec.name} (${spec.sourceFile}): two columns named ${c.name}`);
    seen.add(c.name);
  }
  return columns;
}

/** The grain columns, then the degenerate columns not already in the grain. */
function descriptive(spec: FactSpec): Array<{ name: string; ref: ResolvedRef }> {
  const grain = spec.grain.map((g) => ({ name: g, ref: { lookup: null, column: g } }));
  const rest = spec.degenerate.filter((g) => !(g.column.lookup === null && spec.grain.includes(g.column.column)));
  return [...grain, ...rest.map((g) => ({ name: g.name, ref: g.column }))];
}

/** Hidden columns of the base rows: natural key / as-of time of dimension i, date of date role i. */
const naturalKeyCol = (i: number) => `_nk_${i}`;
const asOfCol = (i: number) => `_as_of_${i}`;
const dateCol = (i: number) => `_date_${i}`;

/**
 * The source's silver rows with their lookups joined: everything a fact row is computed from.
 * The key audits recompute the expected keys from this same select, so it is exported.
 */
export function factBaseSelect(r: ResolvedFact, d: SqlDialect): string {
  const { spec } = r;
  const ref = (x: ResolvedRef) => `${tableAlias(x.lookup)}.${d.ident(x.column)}`;
  const asDate = (x: ResolvedRef) => (r.typeOf(x) === "date" ? ref(x) : d.cast(ref(x), "date"));
  const select = [
    ...descriptive(spec).map((c) => `${ref(c.ref)} AS ${d.ident(c.name)}`),
    ...spec.dimensions.map((k, i) => `${ref(k.naturalKey)} AS ${naturalKeyCol(i)}`),
    // A date as-of time is that day's midnight.
    ...spec.dimensions.map((k, i) => `${r.typeOf(k.asOf) === "timestamp" ? ref(k.asOf) : d.cast(ref(k.asOf), "timestamp")} AS ${asOfCol(i)}`),
    ...spec.dates.map((k, i) => `${asDate(k.column)} AS ${dateCol(i)}`),
    ...spec.measures.map((m) =>
      "column" in m ? `${ref(m.column)} AS ${d.ident(m.name)}` : `${d.daysBetween(asDate(m.daysBetween[0]), asDate(m.daysBetween[1]))} AS ${d.ident(m.name)}`,
    ),
  ];
  const joins = spec.lookups.map((l) => {
    const target = r.lookups.get(l.name)!;
    return `LEFT JOIN ${silverRelation(target.name)} AS ${tableAlias(l.name)} ON ${tableAlias(l.name)}.${d.ident(target.primaryKey[0])} = ${ref(l.on)}`;
  });
  return [`SELECT ${select.join(", ")}`, `FROM ${silverRelation(r.source.name)} AS ${tableAlias(null)}`, ...joins].join("\n");
}

/** Alias of dimension role i's join. */
const dimAlias = (i: number) => `dim_${i}`;

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

/** YYYYMMDD of a DATE expression as INT, -1 for NULL. */
export function dateKey(d: SqlDialect, date: string): string {
  return `CASE WHEN ${date} IS NULL THEN ${UNKNOWN_KEY} ELSE ${d.cast(`year(${date}) * 10000 + month(${date}) * 100 + dayofmonth(${date})`, "int")} END`;
}

function keyedSelect(r: ResolvedFact, d: SqlDialect, rowsRelation: string): string {
  const { spec } = r;
  const select = [
    ...descriptive(spec).map((c) => `b.${d.ident(c.name)}`),
    ...spec.dimensions.map((k, i) => {
      const dim = r.dimensions.get(k.dimension)!;
      return `COALESCE(${dimAlias(i)}.${d.ident(dim.surrogateKey)}, ${d.cast(String(UNKNOWN_KEY), "bigint")}) AS ${d.ident(k.keyColumn)}`;
    }),
    ...spec.dates.map((k, i) => `${dateKey(d, `b.${dateCol(i)}`)} AS ${d.ident(k.keyColumn)}`),
    ...spec.measures.map((m) => `b.${d.ident(m.name)}`),
    ...(spec.partitionBy ? [`b.${dateCol(spec.dates.findIndex((k) => k.role === spec.partitionBy!.dateRole))} AS ${d.ident(spec.partitionBy.dateRole)}`] : []),
  ];
  const joins = spec.dimensions.map((_, i) => asOfJoin(r, d, i, "b"));
  return [`SELECT ${select.join(", ")}`, `FROM ${rowsRelation} AS b`, ...joins].join("\n");
}

export { naturalKeyCol, asOfCol, dateCol };
