// The fact compiler: a FactSpec -> a ModelPlan (engine/models/plan.ts) for one dialect.
// One fact row per silver row of the source (quarantined and deleted keys are not facts);
// lookups are LEFT joins on the lookup dataset's primary key, so a missing row leaves NULLs and
// never drops a fact. Each dimension key is the version of the same natural key whose window
// holds the as-of time (valid_from <= t < valid_to), else -1; a build recomputes from current
// silver and the published dimensions the rows a batch touched (fact-incremental.ts), so a late
// change that split a dimension's history re-keys the facts it affects. Date keys are YYYYMMDD
// (UTC date), -1 for NULL or outside the date dimension's range.
import { dialectFor, type SqlDialect } from "../dialects";
import type { PlanColumn } from "../plan";
import type { FactSpec } from "../../models/define";
import { factAudits, factTotals } from "./fact-audits";
import { incrementalFactInputs, incrementalFactSteps, isIncrementalFact } from "./fact-incremental";
import { resolveFact, silverRelation, type FactContext, type ResolvedFact } from "./fact-context";
import { asOfJoin, dateCol, dateKey, descriptive, dimAlias, factBaseSelect, UNKNOWN_KEY } from "./fact-sql";
import type { ModelInput, ModelPlan, ModelStep } from "./plan";

export type { FactContext } from "./fact-context";
export { DATE_KEY, UNKNOWN_KEY, VALID_FROM, VALID_TO } from "./fact-sql";

export function compileFact(spec: FactSpec, ctx: FactContext): ModelPlan {
  const r = resolveFact(spec, ctx);
  const d = dialectFor(ctx.dialect);
  const rows: ModelStep = {
    name: `${spec.name}__rows`,
    sql: factBaseSelect(r, d),
    materialize: "view",
    description: "one row per silver row of the source, lookups joined: grain, degenerate columns, natural keys, as-of times, dates, measures",
  };
  const columns = factColumns(r);
  const incremental = isIncrementalFact(r) ? incrementalFactSteps(r, d, ctx.dialect, columns.map((c) => c.name), (from) => keyedSelect(r, d, from)) : null;
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
    inputs: [...factInputs(r), ...(incremental ? incrementalFactInputs(r) : [])],
    steps: incremental ? incremental.steps : [rows, build],
    output: incremental ? incremental.output : build.name,
    ...(incremental ? { recomputed: incremental.recomputed, delta: incremental.delta } : {}),
    columns,
    audits: factAudits(r, d),
    totals: factTotals(r, d),
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

function keyedSelect(r: ResolvedFact, d: SqlDialect, rowsRelation: string): string {
  const { spec } = r;
  const select = [
    ...descriptive(spec).map((c) => `b.${d.ident(c.name)}`),
    ...spec.dimensions.map((k, i) => {
      const dim = r.dimensions.get(k.dimension)!;
      return `COALESCE(${dimAlias(i)}.${d.ident(dim.surrogateKey)}, ${d.cast(String(UNKNOWN_KEY), "bigint")}) AS ${d.ident(k.keyColumn)}`;
    }),
    ...spec.dates.map((k, i) => `${dateKey(d, `b.${dateCol(i)}`, r.dateDimension!.range)} AS ${d.ident(k.keyColumn)}`),
    ...spec.measures.map((m) => `b.${d.ident(m.name)}`),
    ...(spec.partitionBy ? [`b.${dateCol(spec.dates.findIndex((k) => k.role === spec.partitionBy!.dateRole))} AS ${d.ident(spec.partitionBy.dateRole)}`] : []),
  ];
  const joins = spec.dimensions.map((_, i) => asOfJoin(r, d, i, "b"));
  return [`SELECT ${select.join(", ")}`, `FROM ${rowsRelation} AS b`, ...joins].join("\n");
}

