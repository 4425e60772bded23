// The load plan's fingerprint follows the spec and the compiler's semantics version, not the SQL
// text (engine/compiler-semantics.ts), and a change to the compiled SQL cannot land without its
// author deciding whether it changes results: compiled-sql.lock.json beside this file holds the
// SQL's hash with the version it was written for.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { expect } from "chai";
import { DATASETS, defineDataset, getDataset, type DatasetInput, type DatasetSpec } from "../../datasets";
import { compilePlan, historySteps, planFingerprint } from "../../engine/compile";
import { COMPILER_SEMANTICS, stableJson } from "../../engine/compiler-semantics";

const LOCK = path.join(__dirname, "compiled-sql.lock.json");

/** Specs beside the reference ones, so every format and option reaches the hash. */
const VARIANTS: DatasetInput[] = [
  {
    name: "csv_things",
    prefix: "csv_things/",
    format: "csv",
    csv: { delimiter: ";", quote: "'", nullValue: "NULL", header: "present" },
    columns: { thing_id: "int", code: "string", price: "decimal(10,2)", score: "double", ok: "boolean", made: "date", at: "timestamp", note: { type: "string", optional: true } },
    primaryKey: ["thing_id", "code"],
    cdc: { opColumn: "op", sequenceColumns: ["at", "score"] },
    partitionBy: { column: "made" },
    rules: [
      { kind: "not_null", column: "price" },
      { kind: "unique", columns: ["note"] },
      { kind: "accepted_values", column: "code", values: ["a", "b"] },
      { kind: "range", column: "price", min: 0, maxExclusive: true, max: 100 },
      { kind: "regex", column: "code", pattern: "^[a-z]+$" },
      { kind: "expression", label: "cheap_or_short_code", sql: "price * 2 < 150 OR length(code) = 1" },
    ],
    pii: [
      { column: "note", mode: "hash" },
      { column: "score", mode: "exclude" },
    ],
  },
  { name: "json_things", prefix: "json_things/", format: "jsonl", columns: { id: "bigint", v: "string" }, primaryKey: ["id"] },
  { name: "parquet_things", prefix: "parquet_things/", format: "parquet", columns: { id: "bigint", v: "double" }, primaryKey: ["id"] },
  {
    name: "dms_as_written",
    prefix: "dms_as_written/",
    format: "dms",
    dms: { partialImages: "as_written" },
    columns: { id: "int", v: "string" },
    primaryKey: ["id"],
  },
  {
    name: "dms_marker",
    prefix: "dms_marker/",
    format: "dms",
    dms: { noSupValue: "__unlogged__" },
    columns: { id: "int", v: "string", w: "int", cdc_ts: "timestamp" },
    primaryKey: ["id"],
  },
];

/** Everything a load or a model's history computes, compiled for both engines. */
function compiledSql(specs: DatasetSpec[]): string {
  const compiled = specs.flatMap((spec) =>
    (["duckdb", "spark"] as const).map((dialect) => {
      const plan = compilePlan(spec, { dialect });
      return { dataset: spec.name, dialect, tables: plan.tables, steps: plan.steps, history: historySteps(spec, dialect) };
    }),
  );
  return createHash("sha256").update(stableJson(compiled)).digest("hex").slice(0, 16);
}

describe("engine: the load plan's fingerprint and the compiler's semantics version", () => {
  const orders = getDataset("orders");

  it("locks the compiled SQL's hash to COMPILER_SEMANTICS: a change to the SQL needs a decision", () => {
    const now = { semantics: COMPILER_SEMANTICS, sql: compiledSql([...DATASETS, ...VARIANTS.map(defineDataset)]) };
    const locked = JSON.parse(fs.readFileSync(LOCK, "utf8")) as typeof now;
    const fix =
      `the compiled load SQL changed (${JSON.stringify(locked)} -> ${JSON.stringify(now)}). If the same files can now give other ` +
      "state, silver or quarantine rows, labels or order, bump COMPILER_SEMANTICS in engine/compiler-semantics.ts (every dataset's next " +
      `load is then a full refresh); either way write ${JSON.stringify({ ...now, semantics: "<COMPILER_SEMANTICS>" })} to ${path.relative(process.cwd(), LOCK)}`;
    expect(now, fix).to.deep.equal(locked);
  });

  it("does not change with what decides no row: description, landing prefix and suffix, Glue sizing, declaring file", () => {
    const same: DatasetSpec = {
      ...orders,
      description: "another description",
      prefix: "elsewhere/orders/",
      suffix: ".csv.gz",
      sourceFile: "/somewhere/else.ts",
      target: { table: orders.target.table, glue: { workers: 40, workerType: "G.2X", timeoutMinutes: 5 } },
    };
    expect(planFingerprint(same)).to.equal(planFingerprint(orders));
    // Key order is not content: a spec built field by field in another order is the same spec.
    const reordered = Object.fromEntries(Object.entries(orders).reverse()) as unknown as DatasetSpec;
    expect(planFingerprint(reordered)).to.equal(planFingerprint(orders));
  });

  it("changes with what decides rows: a rule, a type, the key, a csv option, a dms option, the silver table", () => {
    const edits: Array<[string, DatasetSpec]> = [
      ["rule label", { ...orders, rules: orders.rules.map((r, i) => (i === 0 ? { ...r, label: "renamed" } : r)) }],
      ["column type", { ...orders, columns: orders.columns.map((c) => (c.name === "total_amount" ? { ...c, type: "double" } : c)) }],
      ["optional column", { ...orders, columns: orders.columns.map((c) => (c.name === "status" ? { ...c, optional: !c.optional } : c)) }],
      ["primary key", { ...orders, primaryKey: ["order_id", "customer_id"] }],
      ["null marker", { ...orders, csv: { ...orders.csv, nullValue: "NULL" } }],
      ["partial images", { ...orders, dms: { ...orders.dms!, partialImages: "as_written" } }],
      ["silver table", { ...orders, target: { ...orders.target, table: "orders_v2" } }],
    ];
    const fingerprints = new Set([planFingerprint(orders), ...edits.map(([, spec]) => planFingerprint(spec))]);
    expect(fingerprints.size, edits.map(([what]) => what).join(", ")).to.equal(edits.length + 1);
  });
});
