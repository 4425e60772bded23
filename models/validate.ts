// Runtime validation of model specs: every message names the model file and the field, because a
// wrong model must fail at `pulumi preview` / `datalake build` time, not inside a job.
// References resolve against the dataset registry (or the one a test passes).
import { DATASETS, type DatasetSpec } from "../datasets";
import type {
  DateDimensionInput,
  DateDimensionSpec,
  DimensionInput,
  DimensionSpec,
  FactInput,
  FactSpec,
  ModelSpec,
  ResolvedRef,
} from "./define";
import { ModelSpecError } from "./errors";

const NAME = /^[a-z][a-z0-9_]*$/;

export function validateModel(
  kind: ModelSpec["kind"],
  input: DateDimensionInput | DimensionInput | FactInput,
  file: () => string,
  datasets: readonly DatasetSpec[] = DATASETS,
): ModelSpec {
  const fail = (field: string, problem: string): never => {
    throw new ModelSpecError(file(), field, problem);
  };
  if (typeof input !== "object" || input === null) fail("(spec)", "a model needs an object");
  if (typeof input.name !== "string" || !NAME.test(input.name)) fail("name", `must match ${NAME} (got ${JSON.stringify(input.name)})`);
  if (kind === "date") return dateDimension(input as DateDimensionInput, file(), fail);
  const dataset = (name: unknown, field: string): DatasetSpec =>
    datasets.find((d) => d.name === name) ?? fail(field, `unknown dataset ${JSON.stringify(name)} (known: ${datasets.map((d) => d.name).join(", ")})`);
  if (kind === "dimension") return dimension(input as DimensionInput, file(), fail, dataset);
  return fact(input as FactInput, file(), fail, dataset);
}

type Fail = (field: string, problem: string) => never;

function dateDimension(input: DateDimensionInput, sourceFile: string, fail: Fail): DateDimensionSpec {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(input.range?.from ?? "")) fail("range.from", "must be a date YYYY-MM-DD");
  if (!day.test(input.range?.to ?? "")) fail("range.to", "must be a date YYYY-MM-DD");
  if (input.range.from > input.range.to) fail("range", `from ${input.range.from} is after to ${input.range.to}`);
  const fiscal = input.fiscalYearStartMonth ?? 1;
  if (!Number.isInteger(fiscal) || fiscal < 1 || fiscal > 12) fail("fiscalYearStartMonth", `must be a month 1-12 (got ${fiscal})`);
  return {
    kind: "date",
    name: input.name,
    description: input.description,
    range: { ...input.range },
    fiscalYearStartMonth: fiscal,
    holidaysFile: input.holidaysFile ?? null,
    sourceFile,
  };
}

function dimension(input: DimensionInput, sourceFile: string, fail: Fail, dataset: (n: unknown, f: string) => DatasetSpec): DimensionSpec {
  const source = dataset(input.source, "source");
  if (source.primaryKey.length !== 1 || source.primaryKey[0] !== input.naturalKey) {
    fail("naturalKey", `must be the primary key of ${source.name} (${source.primaryKey.join(", ")})`);
  }
  const names = new Set(source.columns.map((c) => c.name));
  for (const [column, scd] of Object.entries(input.attributes ?? {})) {
    if (!names.has(column)) fail(`attributes.${column}`, `not a column of ${source.name}`);
    if (column === input.naturalKey) fail(`attributes.${column}`, "is the natural key");
    if (scd !== 1 && scd !== 2) fail(`attributes.${column}`, `SCD type must be 1 or 2 (got ${JSON.stringify(scd)})`);
  }
  const entity = input.name.replace(/^dim_/, "");
  return {
    kind: "dimension",
    name: input.name,
    description: input.description,
    source: source.name,
    naturalKey: input.naturalKey,
    surrogateKey: input.surrogateKey ?? `${entity}_key`,
    attributes: source.columns.filter((c) => c.name in (input.attributes ?? {})).map((c) => ({ name: c.name, scd: input.attributes[c.name] })),
    deletes: input.deletes ?? "close",
    inferredMembers: input.inferredMembers ?? false,
    sourceFile,
  };
}

function fact(input: FactInput, sourceFile: string, fail: Fail, dataset: (n: unknown, f: string) => DatasetSpec): FactSpec {
  const source = dataset(input.source, "source");
  const lookups = Object.entries(input.lookups ?? {}).map(([name, l]) => ({ name, spec: dataset(l.dataset, `lookups.${name}.dataset`), on: l.on }));
  const resolve = (ref: unknown, field: string): ResolvedRef => {
    if (typeof ref !== "string") return fail(field, "must be a column name or <lookup>.<column>");
    const [head, tail] = ref.includes(".") ? ref.split(".", 2) : [null, ref];
    const spec = head === null ? source : lookups.find((l) => l.name === head)?.spec;
    if (!spec) return fail(field, `unknown lookup ${JSON.stringify(head)}`);
    if (!spec.columns.some((c) => c.name === tail)) return fail(field, `${tail} is not a column of ${spec.name}`);
    return { lookup: head, column: tail };
  };
  const resolvedLookups = lookups.map((l) => ({ name: l.name, dataset: l.spec.name, on: resolve(l.on, `lookups.${l.name}.on`) }));
  return {
    kind: "fact",
    name: input.name,
    description: input.description,
    source: source.name,
    grain: (input.grain ?? []).map((g, i) => resolve(g, `grain[${i}]`).column),
    lookups: resolvedLookups,
    dimensions: (input.dimensions ?? []).map((d, i) => {
      const role = d.role ?? d.dimension.replace(/^dim_/, "");
      return { dimension: d.dimension, role, keyColumn: `${role}_key`, naturalKey: resolve(d.naturalKey, `dimensions[${i}].naturalKey`), asOf: resolve(d.asOf, `dimensions[${i}].asOf`) };
    }),
    dates: (input.dates ?? []).map((d, i) => ({ role: d.role, keyColumn: `${d.role}_key`, column: resolve(d.column, `dates[${i}].column`) })),
    measures: (input.measures ?? []).map((m, i) => {
      if (typeof m === "string") return { name: m, column: resolve(m, `measures[${i}]`) };
      if ("daysBetween" in m) return { name: m.name, daysBetween: [resolve(m.daysBetween[0], `measures[${i}].daysBetween[0]`), resolve(m.daysBetween[1], `measures[${i}].daysBetween[1]`)] as [ResolvedRef, ResolvedRef] };
      return { name: m.name, column: resolve(m.column, `measures[${i}].column`) };
    }),
    degenerate: (input.degenerate ?? []).map((d, i) => {
      const ref = resolve(d, `degenerate[${i}]`);
      return { name: ref.column, column: ref };
    }),
    partitionBy: input.partitionBy ? { ...input.partitionBy } : null,
    sourceFile,
  };
}
