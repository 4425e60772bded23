// Runtime validation of dataset specs. Every message names the file and the field, because a
// wrong spec must fail at `pulumi preview` / `datalake load` time, not inside a Glue job.
import type { ColumnDef, ColumnType, DatasetInput, DatasetSpec, DmsOptions, NormalizedColumn, Rule } from "./define";
import { DEFAULT_CSV } from "./define";
import { DatasetSpecError } from "./errors";
import { decimalOf, MAX_DECIMAL_DIGITS } from "./decimal-type";
import { checkExpression } from "./expression";
import { regexPortabilityProblem } from "./regex-portability";

const NAME = /^[a-z][a-z0-9_]*$/;
/**
 * Longest dataset or model name: it names AWS resources that Pulumi names `<logical name>-<7
 * hex>` within 64 characters (the Glue job role `<name>-role`, the EventBridge target
 * `<name>-arrival-target`, whose 64-character limit only AWS checks, at deploy).
 */
export const MAX_NAME_LENGTH = 40;

/** Why a dataset or model name is not one, or undefined. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || !NAME.test(name)) return `must match ${NAME} (got ${JSON.stringify(name)})`;
  if (name.length > MAX_NAME_LENGTH) {
    return `is ${name.length} characters, at most ${MAX_NAME_LENGTH}: it names AWS resources of at most 64 (got ${JSON.stringify(name)})`;
  }
  return undefined;
}
// Semantic tables (models/) share the query namespace with silver: a silver `fact_orders` would
// read as a Kimball fact it is not (ARCHITECTURE, Zones and names).
const SEMANTIC_PREFIX = /^(dim|fact)_/;
const COLUMN = /^[A-Za-z][A-Za-z0-9_]*$/;
/**
 * A table column: lower case, because Glue, Athena and Lake Formation match columns by their
 * lower-case name (a PII exclusion of "EMAIL" would not name the column readers see). A file's
 * header and Parquet columns are matched to it whatever their case (Oracle through DMS: EMAIL).
 */
const TABLE_COLUMN = /^[a-z][a-z0-9_]*$/;
// Any letter case: DMS writes `<schema>/<table>/` as the source names them (routing.ts).
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_\-/]*\/$/;
const SUFFIX = /^[A-Za-z0-9._-]+$/;
const SCALARS = new Set(["string", "int", "bigint", "double", "boolean", "date", "timestamp"]);
const WORKER_TYPES = new Set(["G.025X", "G.1X", "G.2X", "G.4X", "G.8X"]);
const NUMERIC = /^(int|bigint|double|decimal\(\d+,\d+\))$/;

export function parseColumnType(type: unknown): ColumnType | undefined {
  if (typeof type !== "string") return undefined;
  if (SCALARS.has(type)) return type as ColumnType;
  const decimal = decimalOf(type);
  if (decimal && decimal.precision >= 1 && decimal.precision <= MAX_DECIMAL_DIGITS && decimal.scale >= 0 && decimal.scale <= decimal.precision) return type as ColumnType;
  return undefined;
}

export function isNumericType(type: ColumnType): boolean {
  return NUMERIC.test(type);
}

type Fail = (field: string, problem: string) => never;

/** Field names of each part of a dataset spec (define.ts DatasetInput), for knownFieldsOnly. */
const FIELDS = {
  spec: ["name", "prefix", "suffix", "format", "csv", "dms", "columns", "primaryKey", "cdc", "partitionBy", "rules", "pii", "target", "description"],
  csv: ["delimiter", "quote", "nullValue", "header"],
  dms: ["timestampColumn", "noSupValue", "partialImages"],
  cdc: ["opColumn", "sequenceColumns"],
  partitionBy: ["column", "prefix"],
  target: ["table", "glue"],
  glue: ["workerType", "workers", "timeoutMinutes", "flex"],
  column: ["type", "optional", "description"],
  pii: ["column", "mode"],
} as const;
const RULE_FIELDS: Record<Rule["kind"], readonly string[]> = {
  not_null: ["kind", "column", "label"],
  unique: ["kind", "columns", "label"],
  accepted_values: ["kind", "column", "values", "label"],
  range: ["kind", "column", "min", "max", "minExclusive", "maxExclusive", "label"],
  regex: ["kind", "column", "pattern", "label"],
  expression: ["kind", "label", "sql"],
};

/**
 * Fails on a field the spec format does not have, at any depth: a misspelt optional field would
 * otherwise be ignored without a word, and some cannot be: `pi:` for `pii:` left an email column
 * in clear text in silver. (TypeScript catches it in a typed spec file; a spec run as JavaScript,
 * or through a cast, is checked here.)
 */
function knownFieldsOnly(input: DatasetInput, fail: Fail): void {
  const check = (value: unknown, field: string, known: readonly string[]) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) fail(field ? `${field}.${key}` : key, `unknown field (known: ${known.join(", ")})`);
    }
  };
  const each = (list: unknown, field: string, known: (item: unknown) => readonly string[] | undefined) => {
    if (!Array.isArray(list)) return;
    list.forEach((item, i) => {
      const fields = known(item);
      if (fields) check(item, `${field}[${i}]`, fields);
    });
  };
  check(input, "", FIELDS.spec);
  check(input.csv, "csv", FIELDS.csv);
  check(input.dms, "dms", FIELDS.dms);
  check(input.cdc, "cdc", FIELDS.cdc);
  check(input.partitionBy, "partitionBy", FIELDS.partitionBy);
  check(input.target, "target", FIELDS.target);
  check(input.target?.glue, "target.glue", FIELDS.glue);
  if (typeof input.columns === "object" && input.columns !== null) {
    for (const [name, def] of Object.entries(input.columns)) check(def, `columns.${name}`, FIELDS.column);
  }
  each(input.pii, "pii", () => FIELDS.pii);
  // A rule of an unknown kind is refused by name below (validateRule).
  each(input.rules, "rules", (rule) => {
    const kind = (rule as { kind?: unknown } | null)?.kind;
    return typeof kind === "string" && Object.hasOwn(RULE_FIELDS, kind) ? RULE_FIELDS[kind as Rule["kind"]] : undefined;
  });
}

/** `file` names the spec's file in messages; a function when finding it costs (read on demand). */
export function validateSpec(input: DatasetInput, file: string | (() => string)): DatasetSpec {
  const fileName = typeof file === "string" ? () => file : file;
  const fail = (field: string, problem: string): never => {
    throw new DatasetSpecError(fileName(), field, problem);
  };
  if (typeof input !== "object" || input === null) fail("(spec)", "defineDataset needs an object");
  knownFieldsOnly(input, fail);
  const badName = nameProblem(input.name);
  if (badName) fail("name", badName);
  if (typeof input.prefix !== "string" || !PREFIX.test(input.prefix)) {
    fail("prefix", `must be letters, digits, _ - / and end with "/" (got ${JSON.stringify(input.prefix)})`);
  }
  if (input.suffix !== undefined && !SUFFIX.test(input.suffix)) {
    fail("suffix", `must be letters, digits, . _ - (got ${JSON.stringify(input.suffix)})`);
  }
  if (!["csv", "jsonl", "parquet", "dms"].includes(input.format)) {
    fail("format", `must be csv, jsonl, parquet or dms (got ${JSON.stringify(input.format)})`);
  }
  const isDms = input.format === "dms";
  const csv = { ...DEFAULT_CSV, header: isDms ? ("auto" as const) : ("present" as const), ...(input.csv ?? {}) };
  if (typeof csv.delimiter !== "string" || csv.delimiter.length !== 1) fail("csv.delimiter", "must be one character");
  if (typeof csv.quote !== "string" || csv.quote.length !== 1) fail("csv.quote", "must be one character");
  if (typeof csv.nullValue !== "string") fail("csv.nullValue", "must be a string");
  if (!["present", "absent", "auto"].includes(csv.header)) {
    fail("csv.header", `must be present, absent or auto (got ${JSON.stringify(csv.header)})`);
  }
  if (input.dms !== undefined && !isDms) fail("dms", `dms options need format "dms" (format is ${input.format})`);

  const columns = normalizeColumns(input.columns, fail);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const requireColumn = (field: string, name: unknown): NormalizedColumn => {
    const col = typeof name === "string" ? byName.get(name) : undefined;
    return col ?? fail(field, `unknown column ${JSON.stringify(name)} (columns: ${[...byName.keys()].join(", ")})`);
  };

  const dms = isDms ? validateDms(input.dms ?? {}, requireColumn, fail) : undefined;
  // DMS defaults: Op is its operation column; its timestamp column (when declared) orders changes.
  const cdcInput = isDms && !input.cdc ? { opColumn: "Op", sequenceColumns: dms!.timestampColumn ? [dms!.timestampColumn] : [] } : input.cdc;

  if (!Array.isArray(input.primaryKey) || input.primaryKey.length === 0) {
    fail("primaryKey", "needs at least one column");
  }
  input.primaryKey.forEach((k, i) => {
    const col = requireColumn(`primaryKey[${i}]`, k);
    if (col.optional) fail(`primaryKey[${i}]`, `key column ${k} cannot be optional`);
  });
  if (new Set(input.primaryKey).size !== input.primaryKey.length) fail("primaryKey", "repeats a column");

  if (cdcInput) {
    if (typeof cdcInput.opColumn !== "string" || !COLUMN.test(cdcInput.opColumn)) {
      fail("cdc.opColumn", "must be a column name");
    }
    // Case-insensitively: file headers match declared names that way (engine/csv-rules.ts).
    const opColumn = cdcInput.opColumn.toLowerCase();
    const clash = [...byName.keys()].find((name) => name.toLowerCase() === opColumn);
    if (clash !== undefined) {
      fail("cdc.opColumn", `${cdcInput.opColumn} is the change-operation column; do not also declare it in columns (as ${clash})`);
    }
    // DMS files may carry no sequence at all: the DMS file sequence and row position order them.
    if (!Array.isArray(cdcInput.sequenceColumns) || (cdcInput.sequenceColumns.length === 0 && !isDms)) {
      fail("cdc.sequenceColumns", "needs at least one column");
    }
    cdcInput.sequenceColumns.forEach((c, i) => {
      const col = requireColumn(`cdc.sequenceColumns[${i}]`, c);
      // Only the DMS timestamp column may be missing from a file (the file sequence orders then).
      if (col.optional && !(isDms && c === dms!.timestampColumn)) {
        fail(`cdc.sequenceColumns[${i}]`, `sequence column ${c} cannot be optional`);
      }
    });
  }

  let partitionBy: DatasetSpec["partitionBy"];
  if (input.partitionBy) {
    const col = requireColumn("partitionBy.column", input.partitionBy.column);
    if (col.type !== "date" && col.type !== "timestamp") {
      fail("partitionBy.column", `${col.name} is ${col.type}; partitions need a date or timestamp column`);
    }
    const prefix = input.partitionBy.prefix ?? col.name.replace(/_(at|ts|date)$/, "");
    if (!TABLE_COLUMN.test(prefix)) fail("partitionBy.prefix", `must be a lower-case column-name prefix (got ${JSON.stringify(prefix)})`);
    partitionBy = { column: col.name, yearColumn: `${prefix}_year`, monthColumn: `${prefix}_month` };
    for (const derived of [partitionBy.yearColumn, partitionBy.monthColumn]) {
      if (byName.has(derived)) fail("partitionBy.prefix", `derived column ${derived} clashes with a declared column`);
    }
  }

  const rules = input.rules ?? [];
  if (!Array.isArray(rules)) fail("rules", "must be an array");
  const labels = new Set<string>();
  rules.forEach((rule, i) => {
    const label = validateRule(rule, `rules[${i}]`, columns, requireColumn, fail);
    if (labels.has(label)) fail(`rules[${i}]`, `label ${label} is used by another rule`);
    labels.add(label);
  });

  const pii = input.pii ?? [];
  pii.forEach((p, i) => {
    const column = requireColumn(`pii[${i}].column`, p.column);
    if (p.mode !== "exclude" && p.mode !== "hash") fail(`pii[${i}].mode`, "must be exclude or hash");
    // The hash is the HMAC of the value's text (engine/compile.ts), and a double's text differs
    // between the engines: silver held other hashes on Spark for 0.0001 (1.0E-4) and 12345678.5.
    if (p.mode === "hash" && column.type === "double") {
      fail(`pii[${i}].mode`, `${p.column} is a double, whose text differs between DuckDB and Spark (1.0E-4 / 0.0001): declare it decimal(p,s) to hash it, or exclude it`);
    }
    if (p.mode === "hash" && input.primaryKey.includes(p.column)) {
      fail(`pii[${i}].mode`, "a primary key column cannot be hashed (keys must stay joinable)");
    }
  });

  const target = input.target ?? {};
  if (typeof target !== "object" || target === null) fail("target", "must be an object ({ table?, glue? })");
  const table = target.table ?? input.name;
  // A defaulted table is the dataset's name: the error then names the field the user wrote.
  const tableField = target.table === undefined ? "name" : "target.table";
  if (typeof table !== "string" || !NAME.test(table)) {
    fail("target.table", `must match ${NAME} (got ${JSON.stringify(table)})`);
  }
  if (SEMANTIC_PREFIX.test(table)) {
    fail(
      tableField,
      `silver table ${table}: dim_* and fact_* names belong to the semantic layer (models/); ` +
        `name the dataset after its entity or set target.table`,
    );
  }
  const glue = target.glue ?? {};
  if (glue.workerType !== undefined && !WORKER_TYPES.has(glue.workerType)) {
    fail("target.glue.workerType", `must be one of ${[...WORKER_TYPES].join(", ")} (got ${glue.workerType})`);
  }
  if (glue.workers !== undefined && (!Number.isInteger(glue.workers) || glue.workers < 2 || glue.workers > 299)) {
    fail("target.glue.workers", "must be an integer from 2 to 299");
  }
  if (glue.timeoutMinutes !== undefined && (!Number.isInteger(glue.timeoutMinutes) || glue.timeoutMinutes < 1 || glue.timeoutMinutes > 2880)) {
    fail("target.glue.timeoutMinutes", "must be an integer from 1 to 2880");
  }

  const spec: Omit<DatasetSpec, "sourceFile"> = {
    name: input.name,
    prefix: input.prefix,
    suffix: input.suffix,
    format: input.format,
    csv,
    columns,
    primaryKey: [...input.primaryKey],
    dms,
    cdc: cdcInput ? { opColumn: cdcInput.opColumn, sequenceColumns: [...cdcInput.sequenceColumns] } : undefined,
    partitionBy,
    rules,
    pii,
    target: { table, glue },
    description: input.description,
  };
  // Read on demand (and then kept): a getter, still enumerable so copies and JSON carry it.
  return Object.defineProperty(spec, "sourceFile", { get: fileName, enumerable: true }) as DatasetSpec;
}

function validateDms(
  input: DmsOptions,
  requireColumn: (field: string, name: unknown) => NormalizedColumn,
  fail: (field: string, problem: string) => never,
): NonNullable<DatasetSpec["dms"]> {
  if (typeof input !== "object" || input === null) fail("dms", "must be an object");
  let timestampColumn: string | null = null;
  if (input.timestampColumn !== undefined) {
    const col = requireColumn("dms.timestampColumn", input.timestampColumn);
    if (col.type !== "timestamp") fail("dms.timestampColumn", `${col.name} is ${col.type}; DMS writes a timestamp`);
    if (!col.optional) fail("dms.timestampColumn", `declare ${col.name} optional: DMS writes it only when the endpoint sets TimestampColumnName`);
    timestampColumn = col.name;
  }
  if (input.noSupValue !== undefined && (typeof input.noSupValue !== "string" || input.noSupValue === "")) {
    fail("dms.noSupValue", "must be a non-empty string (the endpoint's CsvNoSupValue)");
  }
  const partialImages = input.partialImages ?? "keep_previous";
  if (partialImages !== "keep_previous" && partialImages !== "as_written") {
    fail("dms.partialImages", `must be keep_previous or as_written (got ${JSON.stringify(input.partialImages)})`);
  }
  return { timestampColumn, noSupValue: input.noSupValue ?? null, partialImages };
}

function normalizeColumns(
  columns: DatasetInput["columns"],
  fail: (field: string, problem: string) => never,
): NormalizedColumn[] {
  if (typeof columns !== "object" || columns === null || Object.keys(columns).length === 0) {
    fail("columns", "needs at least one column");
  }
  const seen = new Set<string>();
  return Object.entries(columns).map(([name, def]) => {
    if (!COLUMN.test(name)) fail(`columns.${name}`, `column names must match ${TABLE_COLUMN} (leading _ is reserved for lineage)`);
    if (!TABLE_COLUMN.test(name)) {
      fail(`columns.${name}`, `must be lower case (${name.toLowerCase()}): Glue, Athena and Lake Formation name columns in lower case; files' headers match it in any case`);
    }
    const lower = name.toLowerCase();
    if (seen.has(lower)) fail(`columns.${name}`, "differs from another column only by case");
    seen.add(lower);
    const d: ColumnDef = typeof def === "string" ? { type: def } : def;
    const type = parseColumnType(d?.type);
    if (!type) {
      fail(`columns.${name}.type`, `unknown type ${JSON.stringify(d?.type)} (string, int, bigint, double, decimal(p,s), boolean, date, timestamp)`);
    }
    return { name, type: type as ColumnType, optional: d.optional === true };
  });
}

/** A reason label: `_reasons` joins a row's labels with ";", so no label may hold one (or a space). */
const LABEL = /^[a-z][a-z0-9_:+-]*$/;
/** A rule's own label: as LABEL, upper case allowed too (it never was refused, and is harmless). */
const OWN_LABEL = /^[A-Za-z][A-Za-z0-9_:+-]*$/;

function validateRule(
  rule: Rule,
  field: string,
  columns: readonly NormalizedColumn[],
  requireColumn: (field: string, name: unknown) => NormalizedColumn,
  fail: (field: string, problem: string) => never,
): string {
  const label = (rule as { label?: unknown } | null)?.label;
  if (rule?.kind !== "expression" && label !== undefined && (typeof label !== "string" || !OWN_LABEL.test(label))) {
    fail(`${field}.label`, `must be a label like missing_customer (${OWN_LABEL}; got ${JSON.stringify(label)})`);
  }
  switch (rule?.kind) {
    case "not_null":
      requireColumn(`${field}.column`, rule.column);
      return rule.label ?? `not_null:${rule.column}`;
    case "unique":
      if (!Array.isArray(rule.columns) || rule.columns.length === 0) fail(`${field}.columns`, "needs at least one column");
      rule.columns.forEach((c, i) => requireColumn(`${field}.columns[${i}]`, c));
      return rule.label ?? `unique:${rule.columns.join("+")}`;
    case "accepted_values": {
      const col = requireColumn(`${field}.column`, rule.column);
      if (!Array.isArray(rule.values) || rule.values.length === 0) fail(`${field}.values`, "needs at least one value");
      // A numeric column's values are compared as numbers (engine/labels.ts), so each must be one
      // the column holds: "x" or a fraction finer than the scale would never match.
      if (isNumericType(col.type)) {
        rule.values.forEach((v, i) => {
          if (!holdsNumber(col.type, v)) fail(`${field}.values[${i}]`, `${JSON.stringify(v)} is not a ${col.type} value`);
        });
      }
      return rule.label ?? `accepted_values:${rule.column}`;
    }
    case "range": {
      const col = requireColumn(`${field}.column`, rule.column);
      if (!isNumericType(col.type)) fail(`${field}.column`, `${col.name} is ${col.type}; range rules need a numeric column`);
      if (rule.min === undefined && rule.max === undefined) fail(field, "needs min or max");
      for (const bound of ["min", "max"] as const) {
        const v = rule[bound];
        if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v))) fail(`${field}.${bound}`, "must be a finite number");
      }
      if (rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) fail(field, "min is greater than max");
      return rule.label ?? `range:${rule.column}`;
    }
    case "regex": {
      // A regex matches the value's text, and a double's differs between the engines: DuckDB
      // writes 12345678.5 and 0.0001, Spark 1.23456785E7 and 1.0E-4 (one engine quarantined them).
      if (requireColumn(`${field}.column`, rule.column).type === "double") {
        fail(`${field}.column`, `${rule.column} is a double, whose text differs between DuckDB and Spark (1.0E-4 / 0.0001): use a range rule, or declare it decimal(p,s)`);
      }
      const problem = regexPortabilityProblem(rule.pattern);
      if (problem) fail(`${field}.pattern`, problem);
      return rule.label ?? `regex:${rule.column}`;
    }
    case "expression":
      if (typeof rule.label !== "string" || !LABEL.test(rule.label)) {
        fail(`${field}.label`, "an expression rule needs a label like delivered_after_shipped");
      }
      // Parsed now, so a bad rule fails at `pulumi preview` / `datalake load` with its position;
      // the compiler parses it again from the spec and renders it per dialect.
      checkExpression(rule.sql, `${field}.sql`, columns, fail);
      return rule.label;
    default:
      return fail(`${field}.kind`, `unknown rule kind ${JSON.stringify((rule as { kind?: unknown })?.kind)}`);
  }
}

const INTEGER_RANGE: Record<string, [bigint, bigint]> = {
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
};

/** Whether `text` is a number a column of numeric `type` holds exactly (plain notation; double: any finite number). */
function holdsNumber(type: ColumnType, text: unknown): boolean {
  if (typeof text !== "string") return false;
  if (type === "double") return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) && Number.isFinite(Number(text));
  const m = text.match(/^([-+]?)(\d+)(?:\.(\d+))?$/);
  if (!m) return false;
  const range = INTEGER_RANGE[type];
  if (range) return m[3] === undefined && BigInt(text) >= range[0] && BigInt(text) <= range[1];
  const [p, s] = type.match(/\d+/g)!.map(Number);
  const fraction = (m[3] ?? "").replace(/0+$/, "");
  return fraction.length <= s && m[2].replace(/^0+/, "").length <= p - s;
}
