// What a fact compiler needs to know beyond the fact spec, resolved once: the dataset and column
// types behind every ColumnRef, the dimensions and the date dimension it keys into, the relation
// names of its inputs. Every inconsistency between the spec and the registries fails here with
// one line naming the model, so the SQL builders below never meet an unknown name.
import type { DatasetSpec } from "../../datasets/define";
import type { DateDimensionSpec, DimensionSpec, FactSpec, ModelSpec, ResolvedRef } from "../../models/define";
import type { Dialect, PlanColumnType } from "../plan";

export interface FactContext {
  dialect: Dialect;
  datasets: readonly DatasetSpec[];
  models: readonly ModelSpec[];
}

/** The published silver table of a dataset, as a fact plan registers it. */
export const silverRelation = (dataset: string): string => `silver_${dataset}`;

/** The SQL alias of a ResolvedRef's table inside a fact's base query. */
export const tableAlias = (lookup: string | null): string => (lookup === null ? "src" : `lk_${lookup}`);

export interface ResolvedFact {
  spec: FactSpec;
  source: DatasetSpec;
  /** Lookup name -> its dataset. */
  lookups: Map<string, DatasetSpec>;
  /** Dimension model name -> its spec. */
  dimensions: Map<string, DimensionSpec>;
  /** The date dimension (when the fact has date roles). */
  dateDimension: DateDimensionSpec | null;
  /** The silver type of a referenced column (a PII `hash` column holds its HMAC text). */
  typeOf(ref: ResolvedRef): PlanColumnType;
}

const NUMERIC = /^(int|bigint|double|decimal\(\d+,\d+\))$/;
const TEMPORAL = new Set<PlanColumnType>(["date", "timestamp"]);

export function resolveFact(spec: FactSpec, ctx: FactContext): ResolvedFact {
  const fail = (problem: string): never => {
    throw new Error(`fact ${spec.name} (${spec.sourceFile}): ${problem}`);
  };
  const dataset = (name: string): DatasetSpec => ctx.datasets.find((d) => d.name === name) ?? fail(`unknown dataset ${JSON.stringify(name)}`);
  const source = dataset(spec.source);
  const lookups = new Map(spec.lookups.map((l) => [l.name, dataset(l.dataset)] as const));
  const datasetOf = (ref: ResolvedRef): DatasetSpec => (ref.lookup === null ? source : (lookups.get(ref.lookup) ?? fail(`unknown lookup ${ref.lookup}`)));
  const typeOf = (ref: ResolvedRef): PlanColumnType => {
    const ds = datasetOf(ref);
    const column = ds.columns.find((c) => c.name === ref.column) ?? fail(`${ref.column} is not a column of ${ds.name}`);
    return ds.pii.some((p) => p.column === ref.column && p.mode === "hash") ? "string" : column.type;
  };
  const name = (ref: ResolvedRef) => (ref.lookup === null ? ref.column : `${ref.lookup}.${ref.column}`);

  spec.lookups.forEach((l, i) => {
    const target = lookups.get(l.name)!;
    // A lookup adds columns to a fact row, never rows: it must join on the whole primary key.
    if (target.primaryKey.length !== 1) fail(`lookup ${l.name}: ${target.name} has a composite primary key (${target.primaryKey.join(", ")}); a lookup joins on one key column`);
    // Joins run in spec order: a lookup may join through an earlier one, never a later one.
    if (l.on.lookup !== null && spec.lookups.findIndex((x) => x.name === l.on.lookup) >= i) fail(`lookup ${l.name}: joins on ${name(l.on)}, a lookup declared after it`);
    const keyType = target.columns.find((c) => c.name === target.primaryKey[0])!.type;
    if (typeOf(l.on) !== keyType) fail(`lookup ${l.name}: ${name(l.on)} is ${typeOf(l.on)}, ${target.name}.${target.primaryKey[0]} is ${keyType}`);
  });
  const dimensions = new Map<string, DimensionSpec>();
  for (const d of spec.dimensions) {
    const model = ctx.models.find((m) => m.name === d.dimension);
    if (!model || model.kind !== "dimension") fail(`dimensions: ${d.dimension} is not a dimension model`);
    const dim = model as DimensionSpec;
    dimensions.set(dim.name, dim);
    const keyType = dataset(dim.source).columns.find((c) => c.name === dim.naturalKey)!.type;
    if (typeOf(d.naturalKey) !== keyType) fail(`dimension ${d.role}: ${name(d.naturalKey)} is ${typeOf(d.naturalKey)}, ${dim.name}.${dim.naturalKey} is ${keyType}`);
    if (!TEMPORAL.has(typeOf(d.asOf))) fail(`dimension ${d.role}: asOf ${name(d.asOf)} is ${typeOf(d.asOf)}, not a date or timestamp`);
  }
  for (const d of spec.dates) {
    if (!TEMPORAL.has(typeOf(d.column))) fail(`date ${d.role}: ${name(d.column)} is ${typeOf(d.column)}, not a date or timestamp`);
  }
  for (const m of spec.measures) {
    if ("column" in m && !NUMERIC.test(typeOf(m.column))) fail(`measure ${m.name}: ${name(m.column)} is ${typeOf(m.column)}, not a number`);
    if ("daysBetween" in m) for (const ref of m.daysBetween) if (!TEMPORAL.has(typeOf(ref))) fail(`measure ${m.name}: ${name(ref)} is ${typeOf(ref)}, not a date or timestamp`);
  }
  for (const g of spec.grain) if (!source.columns.some((c) => c.name === g)) fail(`grain: ${g} is not a column of ${source.name}`);
  if (spec.partitionBy && !spec.dates.some((d) => d.role === spec.partitionBy!.dateRole)) {
    fail(`partitionBy.dateRole: ${spec.partitionBy.dateRole} is not a date role (${spec.dates.map((d) => d.role).join(", ") || "none"})`);
  }
  let dateDimension: DateDimensionSpec | null = null;
  if (spec.dates.length > 0) {
    const dates = ctx.models.filter((m): m is DateDimensionSpec => m.kind === "date");
    if (dates.length !== 1) fail(`has date roles, so the models need exactly one date dimension (found ${dates.length})`);
    dateDimension = dates[0];
  }
  return { spec, source, lookups, dimensions, dateDimension, typeOf };
}
