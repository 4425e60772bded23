// Runtime validation of model specs: every message names the model file and the field, because a
// wrong model must fail at `pulumi preview` / `datalake build` time, not inside a job.
// References resolve against the dataset registry (or the one a test passes). Checks across
// models (unique names, declared dimensions, one date dimension) are checkModels' (registry.ts).
import { DATASETS, type DatasetSpec, type NormalizedColumn } from "../datasets";
import { isNumericType, nameProblem } from "../datasets/validate";
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
import { isCalendarDate, readHolidays } from "./holidays";

const NAME = /^[a-z][a-z0-9_]*$/;
/** A date dimension may not span more: a typo (2000 for 2200) would generate millions of days. */
export const MAX_DATE_RANGE_YEARS = 200;
/** Columns every dimension adds; an attribute or key named like one would be ambiguous. */
export const DIMENSION_COLUMNS = ["valid_from", "valid_to", "is_current", "is_inferred"] as const;

const FIELDS: Record<ModelSpec["kind"], readonly string[]> = {
  date: ["name", "description", "range", "fiscalYearStartMonth", "holidaysFile"],
  dimension: ["name", "description", "source", "naturalKey", "surrogateKey", "attributes", "deletes", "inferredMembers"],
  fact: ["name", "description", "source", "grain", "lookups", "dimensions", "dates", "measures", "degenerate", "partitionBy"],
};

/** Fields of the objects inside a fact (define.ts FactInput), for factFieldsOnly. */
const FACT_PART_FIELDS = {
  lookup: ["dataset", "on"],
  dimension: ["dimension", "role", "naturalKey", "asOf"],
  date: ["role", "column"],
  measure: ["name", "column", "daysBetween"],
  partitionBy: ["dateRole"],
} as const;

type Fail = (field: string, problem: string) => never;

/**
 * Fails on a field a fact's inner objects do not have, as the top level does: a misspelt
 * optional one (`rol:` for `role:`) would otherwise be ignored, and the role's key column named
 * after the dimension instead.
 */
function factFieldsOnly(input: FactInput, fail: Fail): void {
  const check = (value: unknown, field: string, known: readonly string[]) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const key of Object.keys(value)) if (!known.includes(key)) fail(`${field}.${key}`, `unknown field (known: ${known.join(", ")})`);
  };
  const each = (list: unknown, field: string, known: readonly string[]) => {
    if (Array.isArray(list)) list.forEach((item, i) => check(item, `${field}[${i}]`, known));
  };
  if (typeof input.lookups === "object" && input.lookups !== null) {
    for (const [name, lookup] of Object.entries(input.lookups)) check(lookup, `lookups.${name}`, FACT_PART_FIELDS.lookup);
  }
  each(input.dimensions, "dimensions", FACT_PART_FIELDS.dimension);
  each(input.dates, "dates", FACT_PART_FIELDS.date);
  each(input.measures, "measures", FACT_PART_FIELDS.measure);
  check(input.partitionBy, "partitionBy", FACT_PART_FIELDS.partitionBy);
}

export function validateModel(
  kind: ModelSpec["kind"],
  input: DateDimensionInput | DimensionInput | FactInput,
  file: () => string,
  datasets: readonly DatasetSpec[] = DATASETS,
): ModelSpec {
  const fail: Fail = (field, problem) => {
    throw new ModelSpecError(file(), field, problem);
  };
  if (typeof input !== "object" || input === null || Array.isArray(input)) fail("(spec)", "a model needs an object");
  // A misspelt optional field (partitonBy) would otherwise be silently ignored.
  for (const key of Object.keys(input)) {
    if (!FIELDS[kind].includes(key)) fail(key, `unknown field (known: ${FIELDS[kind].join(", ")})`);
  }
  if (kind === "fact") factFieldsOnly(input as FactInput, fail);
  const badName = nameProblem(input.name);
  if (badName) fail("name", badName);
  if (kind === "dimension" && !input.name.startsWith("dim_")) fail("name", `a dimension's name starts with dim_ (got ${input.name})`);
  if (kind === "fact" && !input.name.startsWith("fact_")) fail("name", `a fact's name starts with fact_ (got ${input.name})`);
  if (input.description !== undefined && typeof input.description !== "string") fail("description", "must be a string");
  if (kind === "date") return dateDimension(input as DateDimensionInput, file(), fail);
  const dataset = (name: unknown, field: string): DatasetSpec =>
    datasets.find((d) => d.name === name) ?? fail(field, `unknown dataset ${JSON.stringify(name)} (known: ${datasets.map((d) => d.name).join(", ")})`);
  if (kind === "dimension") return dimension(input as DimensionInput, file(), fail, dataset);
  return fact(input as FactInput, file(), fail, dataset);
}

function dateDimension(input: DateDimensionInput, sourceFile: string, fail: Fail): DateDimensionSpec {
  if (typeof input.range !== "object" || input.range === null) fail("range", "needs { from, to } dates YYYY-MM-DD");
  const { from, to } = input.range;
  if (!isCalendarDate(from)) fail("range.from", `must be a date YYYY-MM-DD (got ${JSON.stringify(from)})`);
  if (!isCalendarDate(to)) fail("range.to", `must be a date YYYY-MM-DD (got ${JSON.stringify(to)})`);
  if (from > to) fail("range", `from ${from} is after to ${to}`);
  const limit = `${String(Number(from.slice(0, 4)) + MAX_DATE_RANGE_YEARS).padStart(4, "0")}${from.slice(4)}`;
  if (to >= limit) fail("range", `${from}..${to} spans more than ${MAX_DATE_RANGE_YEARS} years`);
  const fiscal = input.fiscalYearStartMonth ?? 1;
  if (!Number.isInteger(fiscal) || fiscal < 1 || fiscal > 12) fail("fiscalYearStartMonth", `must be a month 1-12 (got ${JSON.stringify(fiscal)})`);
  const holidaysFile = input.holidaysFile ?? null;
  if (holidaysFile !== null) {
    if (typeof holidaysFile !== "string" || holidaysFile === "") fail("holidaysFile", "must be a path relative to the repository root");
    const read = readHolidays(holidaysFile, { from, to });
    if (typeof read === "string") fail("holidaysFile", read);
  }
  return {
    kind: "date",
    name: input.name,
    description: input.description,
    range: { from, to },
    fiscalYearStartMonth: fiscal,
    holidaysFile,
    sourceFile,
  };
}

function dimension(input: DimensionInput, sourceFile: string, fail: Fail, dataset: (n: unknown, f: string) => DatasetSpec): DimensionSpec {
  const source = dataset(input.source, "source");
  // valid_from is the change's sequence time: a source ordered only by a number, or by the DMS
  // file sequence, gives no time a version could start at.
  const sequence = source.cdc?.sequenceColumns[0];
  const sequenceType = source.columns.find((c) => c.name === sequence)?.type;
  if (sequenceType !== "timestamp" && sequenceType !== "date") {
    const has = sequence === undefined ? "has no CDC sequence column" : `is sequenced by ${sequence} (${sequenceType})`;
    fail("source", `${source.name} ${has}; a dimension's valid_from needs a CDC sequence whose first column is a timestamp or date`);
  }
  if (source.primaryKey.length !== 1 || source.primaryKey[0] !== input.naturalKey) {
    fail("naturalKey", `must be the single-column primary key of ${source.name} (${source.primaryKey.join(", ")}; got ${JSON.stringify(input.naturalKey)})`);
  }
  // Surrogate keys hash the natural key's text, and a double's text differs between the engines
  // (DuckDB 1e+20, Spark 1.0E20): the same version would get two keys.
  if (source.columns.find((c) => c.name === input.naturalKey)?.type === "double") {
    fail("naturalKey", `${input.naturalKey} is a double, which cannot key versions the same way on both engines: declare it decimal(p,s), bigint or string in ${source.name}`);
  }
  const entity = input.name.replace(/^dim_/, "");
  const surrogateKey = input.surrogateKey ?? `${entity}_key`;
  if (typeof surrogateKey !== "string" || !NAME.test(surrogateKey)) fail("surrogateKey", `must match ${NAME} (got ${JSON.stringify(surrogateKey)})`);
  if (source.columns.some((c) => c.name === surrogateKey)) fail("surrogateKey", `${surrogateKey} is already a column of ${source.name}`);
  if ((DIMENSION_COLUMNS as readonly string[]).includes(surrogateKey)) fail("surrogateKey", `${surrogateKey} is a column every dimension adds`);
  if (typeof input.attributes !== "object" || input.attributes === null || Array.isArray(input.attributes)) {
    fail("attributes", "needs an object { column: 1 | 2 }");
  }
  const attributes = Object.entries(input.attributes);
  if (attributes.length === 0) fail("attributes", "needs at least one attribute (a dimension of keys alone describes nothing)");
  const names = new Set(source.columns.map((c) => c.name));
  for (const [column, scd] of attributes) {
    if (column.includes(".")) fail(`attributes.${column}`, "a dimension has no lookups: attributes are columns of its source");
    if (!names.has(column)) fail(`attributes.${column}`, `not a column of ${source.name}`);
    if (column === input.naturalKey) fail(`attributes.${column}`, "is the natural key");
    if ((DIMENSION_COLUMNS as readonly string[]).includes(column)) fail(`attributes.${column}`, `${column} is a column every dimension adds`);
    if (scd !== 1 && scd !== 2) fail(`attributes.${column}`, `SCD type must be 1 or 2 (got ${JSON.stringify(scd)})`);
  }
  const deletes = input.deletes ?? "close";
  if (deletes !== "close" && deletes !== "ignore") fail("deletes", `must be "close" or "ignore" (got ${JSON.stringify(deletes)})`);
  const inferredMembers = input.inferredMembers ?? false;
  if (typeof inferredMembers !== "boolean") fail("inferredMembers", `must be true or false (got ${JSON.stringify(inferredMembers)})`);
  return {
    kind: "dimension",
    name: input.name,
    description: input.description,
    source: source.name,
    naturalKey: input.naturalKey,
    surrogateKey,
    attributes: source.columns.filter((c) => c.name in input.attributes).map((c) => ({ name: c.name, scd: input.attributes[c.name] })),
    deletes,
    inferredMembers,
    sourceFile,
  };
}

const isTime = (c: NormalizedColumn) => c.type === "date" || c.type === "timestamp";

function fact(input: FactInput, sourceFile: string, fail: Fail, dataset: (n: unknown, f: string) => DatasetSpec): FactSpec {
  const source = dataset(input.source, "source");
  const sourceColumn = (name: unknown, field: string): NormalizedColumn => {
    if (typeof name !== "string") return fail(field, "must be a column name");
    return source.columns.find((c) => c.name === name) ?? fail(field, `${name} is not a column of ${source.name}`);
  };

  if (!Array.isArray(input.grain) || input.grain.length === 0) fail("grain", `needs the columns of ${source.name} that identify a fact row`);
  input.grain.forEach((g, i) => {
    if (typeof g === "string" && g.includes(".")) fail(`grain[${i}]`, "the grain is columns of the source, not of a lookup");
    sourceColumn(g, `grain[${i}]`);
    if (input.grain.indexOf(g) !== i) fail(`grain[${i}]`, `${g} is listed twice`);
  });
  // One fact row per silver row: a grain without the whole primary key would merge source rows.
  const missing = source.primaryKey.filter((k) => !input.grain.includes(k));
  if (missing.length > 0) fail("grain", `must include the primary key of ${source.name} (missing ${missing.join(", ")}): one fact row per silver row`);

  if (input.lookups !== undefined && (typeof input.lookups !== "object" || input.lookups === null || Array.isArray(input.lookups))) {
    fail("lookups", "needs an object { name: { dataset, on } }");
  }
  const lookups = Object.entries(input.lookups ?? {}).map(([name, l]) => {
    const field = `lookups.${name}`;
    if (!NAME.test(name)) fail(field, `a lookup name must match ${NAME}`);
    if (source.columns.some((c) => c.name === name)) fail(field, `${name} is also a column of ${source.name}; name the lookup differently`);
    if (typeof l !== "object" || l === null) fail(field, "needs { dataset, on }");
    const spec = dataset(l.dataset, `${field}.dataset`);
    if (typeof l.on === "string" && l.on.includes(".")) fail(`${field}.on`, `a lookup joins from a column of ${source.name}; a lookup of a lookup (${l.on}) is not supported`);
    const on = sourceColumn(l.on, `${field}.on`);
    if (spec.primaryKey.length !== 1) fail(`${field}.dataset`, `${spec.name} has a composite primary key (${spec.primaryKey.join(", ")}); a lookup joins one column`);
    const key = spec.columns.find((c) => c.name === spec.primaryKey[0])!;
    if (key.type !== on.type) fail(`${field}.on`, `${on.name} is ${on.type} but ${spec.name}.${key.name} is ${key.type}`);
    return { name, spec, on: { lookup: null, column: on.name } as ResolvedRef };
  });

  const resolve = (ref: unknown, field: string): { ref: ResolvedRef; column: NormalizedColumn } => {
    if (typeof ref !== "string" || ref === "") return fail(field, "must be a column name or <lookup>.<column>");
    const parts = ref.split(".");
    if (parts.length > 2) return fail(field, `${ref}: a lookup of a lookup is not supported (declare a lookup from the source instead)`);
    if (parts.length === 1) return { ref: { lookup: null, column: ref }, column: sourceColumn(ref, field) };
    const [head, tail] = parts;
    const lookup = lookups.find((l) => l.name === head);
    if (!lookup) return fail(field, `unknown lookup ${JSON.stringify(head)} (declared: ${lookups.map((l) => l.name).join(", ") || "none"})`);
    const column = lookup.spec.columns.find((c) => c.name === tail) ?? fail(field, `${tail} is not a column of ${lookup.spec.name} (lookup ${head})`);
    return { ref: { lookup: head, column: tail }, column };
  };
  const timeRef = (ref: unknown, field: string): ResolvedRef => {
    const { ref: resolved, column } = resolve(ref, field);
    if (!isTime(column)) fail(field, `${String(ref)} is ${column.type}; it must be a date or timestamp column`);
    return resolved;
  };
  const list = <T>(value: T[] | undefined, field: string): T[] => {
    if (value !== undefined && !Array.isArray(value)) fail(field, "must be a list");
    return value ?? [];
  };

  // Every output column name, to refuse two with one name wherever they come from.
  const outputs = new Map<string, string>();
  const output = (name: string, field: string) => {
    if (!NAME.test(name)) fail(field, `output column ${JSON.stringify(name)} must match ${NAME}`);
    const first = outputs.get(name);
    if (first !== undefined) fail(field, `output column ${name} is also ${first}`);
    outputs.set(name, field);
  };
  // The grain columns are the fact's first columns (engine/models/fact.ts): a partition role
  // or a measure named like one failed every build ("two columns named order"), on both engines.
  input.grain.forEach((g, i) => output(g, `grain[${i}]`));

  const roles = new Set<string>();
  const dimensions = list(input.dimensions, "dimensions").map((d, i) => {
    const field = `dimensions[${i}]`;
    if (typeof d?.dimension !== "string" || !d.dimension.startsWith("dim_")) fail(`${field}.dimension`, `must name a dimension model dim_... (got ${JSON.stringify(d?.dimension)})`);
    const role = d.role ?? d.dimension.replace(/^dim_/, "");
    if (typeof role !== "string" || !NAME.test(role)) fail(`${field}.role`, `must match ${NAME} (got ${JSON.stringify(role)})`);
    if (roles.has(role)) fail(`${field}.role`, `role ${role} is declared twice (give each use of ${d.dimension} its own role)`);
    roles.add(role);
    output(`${role}_key`, `${field}.role`);
    return { dimension: d.dimension, role, keyColumn: `${role}_key`, naturalKey: resolve(d.naturalKey, `${field}.naturalKey`).ref, asOf: timeRef(d.asOf, `${field}.asOf`) };
  });

  const dateRoles = new Set<string>();
  const dates = list(input.dates, "dates").map((d, i) => {
    const field = `dates[${i}]`;
    if (typeof d?.role !== "string" || !NAME.test(d.role)) fail(`${field}.role`, `must match ${NAME} (got ${JSON.stringify(d?.role)})`);
    if (dateRoles.has(d.role)) fail(`${field}.role`, `date role ${d.role} is declared twice`);
    dateRoles.add(d.role);
    output(`${d.role}_key`, `${field}.role`);
    return { role: d.role, keyColumn: `${d.role}_key`, column: timeRef(d.column, `${field}.column`) };
  });

  if (!Array.isArray(input.measures)) fail("measures", "must be a list (empty for a factless fact)");
  const measures = input.measures.map((m, i) => {
    const field = `measures[${i}]`;
    if (typeof m === "string" || (typeof m === "object" && m !== null && "column" in m)) {
      const [ref, refField] = typeof m === "string" ? [m, field] : [m.column, `${field}.column`];
      const { ref: resolved, column } = resolve(ref, refField);
      if (!isNumericType(column.type)) fail(refField, `${ref} is ${column.type}; a measure must be numeric`);
      // A bare column keeps its name (a lookup's column too: `order.total_amount` -> total_amount).
      const name = typeof m === "string" ? resolved.column : m.name;
      output(name, field);
      return { name, column: resolved };
    }
    if (typeof m === "object" && m !== null && "daysBetween" in m) {
      if (!Array.isArray(m.daysBetween) || m.daysBetween.length !== 2) fail(`${field}.daysBetween`, "needs two date or timestamp columns [from, to]");
      const between: [ResolvedRef, ResolvedRef] = [timeRef(m.daysBetween[0], `${field}.daysBetween[0]`), timeRef(m.daysBetween[1], `${field}.daysBetween[1]`)];
      output(m.name, field);
      return { name: m.name, daysBetween: between };
    }
    return fail(field, "must be a column, { name, column } or { name, daysBetween: [from, to] }");
  });

  const degenerate = list(input.degenerate, "degenerate").map((d, i) => {
    const { ref } = resolve(d, `degenerate[${i}]`);
    // A grain column named again as degenerate is that column once (fact-sql.ts descriptive).
    if (!(ref.lookup === null && input.grain.includes(ref.column))) output(ref.column, `degenerate[${i}]`);
    return { name: ref.column, column: ref };
  });

  let partitionBy: FactSpec["partitionBy"] = null;
  if (input.partitionBy !== undefined) {
    const role = input.partitionBy?.dateRole;
    if (!dateRoles.has(role)) fail("partitionBy.dateRole", `must name a date role (declared: ${[...dateRoles].join(", ") || "none"}; got ${JSON.stringify(role)})`);
    // The table holds the partition date as a column named after the role (engine/models/fact.ts):
    // a measure or degenerate of that name would only fail in the build, as two columns named so.
    output(role, "partitionBy.dateRole");
    partitionBy = { dateRole: role };
  }

  return {
    kind: "fact",
    name: input.name,
    description: input.description,
    source: source.name,
    grain: [...input.grain],
    lookups: lookups.map((l) => ({ name: l.name, dataset: l.spec.name, on: l.on })),
    dimensions,
    dates,
    measures,
    degenerate,
    partitionBy,
    sourceFile,
  };
}
