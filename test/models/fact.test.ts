// The fact compiler (engine/models/fact.ts) against a plain TypeScript oracle: silver rows and
// dimension versions are written by hand here (not by another compiler), the oracle computes the
// expected fact rows from them, and every case runs on DuckDB; the "@spark" suite runs all of
// them once more on Spark and compares with DuckDB. Audits: each fails on a crafted bad staged
// table and passes on the good one.
import { expect } from "chai";
import { DATASETS, defineDataset, type DatasetSpec } from "../../datasets";
import { DIALECTS } from "../../engine/dialects";
import { compileFact } from "../../engine/models/fact";
import type { ModelPlan } from "../../engine/models/plan";
import type { PlanColumnType } from "../../engine/plan";
import { MODELS, getModel, type DateDimensionSpec, type DimensionSpec, type FactSpec, type ModelSpec, type ResolvedRef } from "../../models";
import { sparkForTests } from "../support/spark";
import { duckdbAudits, ModelHarness, sparkAudits, type ModelInputs, type ModelRun } from "./harness";
import { factVisits as visitsFact, memberDimension } from "./visits";

type Row = Record<string, string | null>;

/** A scenario: a reference fact over hand-written silver rows and dimension versions. */
interface Scenario {
  name: string;
  fact: string;
  silver: Record<string, Row[]>;
  /** Dimension model -> versions (surrogate key, natural key, valid_from, valid_to as text). */
  dims: Record<string, Row[]>;
  /** Registries other than the reference ones (a custom fact). */
  datasets?: readonly DatasetSpec[];
  models?: readonly ModelSpec[];
}

let registry: { datasets: readonly DatasetSpec[]; models: readonly ModelSpec[] } = { datasets: DATASETS, models: MODELS };
const dataset = (name: string): DatasetSpec => registry.datasets.find((d) => d.name === name)!;
const factSpec = (name: string) => getModel(name, registry.models) as FactSpec;
const OPEN = "9999-12-31 00:00:00";

// -- inputs as DuckDB SELECTs ---------------------------------------------------------------------

function select(columns: Array<{ name: string; type: PlanColumnType }>, rows: Row[]): string {
  const d = DIALECTS.duckdb;
  const cast = (v: string | null, type: PlanColumnType) => `CAST(${v === null ? "NULL" : d.str(v)} AS ${d.sqlType(type)})`;
  if (rows.length === 0) return `SELECT ${columns.map((c) => `${cast(null, c.type)} AS ${d.ident(c.name)}`).join(", ")} WHERE FALSE`;
  return rows.map((r) => `SELECT ${columns.map((c) => `${cast(r[c.name] ?? null, c.type)} AS ${d.ident(c.name)}`).join(", ")}`).join("\nUNION ALL ");
}

/** Silver as the load publishes it: the spec's typed columns plus lineage (unused by facts, present). */
function silverSelect(name: string, rows: Row[]): string {
  const lineage = ["_source_key", "_source_version", "_file_id", "_run_id"].map((n) => ({ name: n, type: "string" as const }));
  return select([...dataset(name).columns, ...lineage], rows.map((r) => ({ _source_key: `${name}/x.csv`, _file_id: "f1", _run_id: "r1", ...r })));
}

/** A dimension table of the contract: key, natural key, attributes (NULL here), window, is_current, and the unknown member. */
function dimSelect(dim: DimensionSpec, versions: Row[]): string {
  const source = dataset(dim.source);
  const typeOf = (c: string) => source.columns.find((x) => x.name === c)!.type;
  const columns = [
    { name: dim.surrogateKey, type: "bigint" as const },
    { name: dim.naturalKey, type: typeOf(dim.naturalKey) },
    ...dim.attributes.map((a) => ({ name: a.name, type: typeOf(a.name) })),
    { name: "valid_from", type: "timestamp" as const },
    { name: "valid_to", type: "timestamp" as const },
    { name: "is_current", type: "boolean" as const },
  ];
  const unknown: Row = { [dim.surrogateKey]: "-1", valid_from: "1900-01-01 00:00:00", valid_to: OPEN, is_current: "true" };
  return select(columns, [unknown, ...versions.map((v) => ({ ...v, is_current: String(v.valid_to === OPEN) }))]);
}

/** dim_date over the reference range, 2020..2030 (date_key, full_date), and its unknown member. */
const DIM_DATE =
  "SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER) AS date_key, CAST(d AS DATE) AS full_date FROM range(TIMESTAMP '2020-01-01', TIMESTAMP '2031-01-01', INTERVAL 1 DAY) AS t(d)" +
  " UNION ALL SELECT -1, CAST(NULL AS DATE)";

function inputsOf(s: Scenario): ModelInputs {
  const inputs: ModelInputs = { dim_date: DIM_DATE };
  for (const [name, rows] of Object.entries(s.silver)) inputs[`silver_${name}`] = silverSelect(name, rows);
  for (const m of registry.models) if (m.kind === "dimension") inputs[m.name] = dimSelect(m, s.dims[m.name] ?? []);
  return inputs;
}

// -- the oracle --------------------------------------------------------------------------------

const dayNumber = (date: string) => Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / 86_400_000;

function oracle(spec: FactSpec, s: Scenario): Row[] {
  const pk = (name: string) => dataset(name).primaryKey[0];
  return (s.silver[spec.source] ?? []).map((src) => {
    const looked: Record<string, Row | undefined> = {};
    const get = (ref: ResolvedRef): string | null => (ref.lookup === null ? src : looked[ref.lookup])?.[ref.column] ?? null;
    for (const l of spec.lookups) {
      const on = get(l.on);
      looked[l.name] = on === null ? undefined : s.silver[l.dataset]?.find((r) => r[pk(l.dataset)] === on);
    }
    const row: Row = {};
    for (const g of spec.grain) row[g] = src[g] ?? null;
    for (const g of spec.degenerate) row[g.name] = get(g.column);
    for (const k of spec.dimensions) {
      const dim = getModel(k.dimension, registry.models) as DimensionSpec;
      const nk = get(k.naturalKey);
      const at = get(k.asOf);
      const t = at !== null && at.length === 10 ? `${at} 00:00:00` : at; // a date's midnight
      const version = (s.dims[dim.name] ?? []).find((v) => nk !== null && t !== null && v[dim.naturalKey] === nk && v.valid_from! <= t && t < v.valid_to!);
      row[k.keyColumn] = version ? version[dim.surrogateKey] : "-1";
    }
    const range = (registry.models.find((m) => m.kind === "date") as DateDimensionSpec | undefined)?.range;
    for (const k of spec.dates) {
      const day = get(k.column)?.slice(0, 10) ?? null;
      const outside = day !== null && range !== undefined && (day < range.from || day > range.to);
      row[k.keyColumn] = day === null || outside ? "-1" : day.replace(/-/g, "");
    }
    for (const m of spec.measures) {
      if ("column" in m) row[m.name] = get(m.column);
      else {
        const [a, b] = m.daysBetween.map(get);
        row[m.name] = a === null || b === null ? null : String(dayNumber(b) - dayNumber(a));
      }
    }
    if (spec.partitionBy) {
      const v = get(spec.dates.find((k) => k.role === spec.partitionBy!.dateRole)!.column);
      row[spec.partitionBy.dateRole] = v === null ? null : v.slice(0, 10);
    }
    return row;
  });
}

/** Rows in grain order (both sides), column order as the plan declares it. */
function ordered(rows: Row[], plan: ModelPlan): Row[] {
  const grain = factSpec(plan.model).grain;
  const keyed = rows.map((r) => Object.fromEntries(plan.columns.map((c) => [c.name, r[c.name] ?? null])) as Row);
  return keyed.sort((a, b) => {
    for (const g of grain) if (a[g] !== b[g]) return Number(a[g]) - Number(b[g]);
    return 0;
  });
}

// -- scenarios ---------------------------------------------------------------------------------

const customers: Row[] = [
  // customer 1: two versions split at 2024-02-01 00:00:00
  { customer_key: "11", customer_id: "1", valid_from: "2024-01-01 00:00:00", valid_to: "2024-02-01 00:00:00" },
  { customer_key: "12", customer_id: "1", valid_from: "2024-02-01 00:00:00", valid_to: OPEN },
  // customer 2: first version only from March
  { customer_key: "21", customer_id: "2", valid_from: "2024-03-01 00:00:00", valid_to: OPEN },
];
const products: Row[] = [
  { product_key: "501", product_id: "50", valid_from: "2024-01-01 00:00:00", valid_to: "2024-01-20 12:00:00" },
  { product_key: "502", product_id: "50", valid_from: "2024-01-20 12:00:00", valid_to: OPEN },
];
const orders: Row[] = [
  { order_id: "100", customer_id: "1", order_ts: "2024-02-01 00:00:00", status: "paid", total_amount: "10.50" }, // t == valid_from of 12, == valid_to of 11
  { order_id: "101", customer_id: "1", order_ts: "2024-01-31 23:59:59", status: "paid", total_amount: "20.00" }, // just before the edge
  { order_id: "102", customer_id: "2", order_ts: "2024-02-15 08:00:00", status: "pending", total_amount: "5.25" }, // no version yet
  { order_id: "103", customer_id: "3", order_ts: "2024-02-15 08:00:00", status: "pending", total_amount: "1.00" }, // never in the dimension
  { order_id: "104", customer_id: null, order_ts: "2024-03-02 10:00:00", status: "paid", total_amount: "2.00" }, // NULL natural key
  { order_id: "105", customer_id: "1", order_ts: null, status: "paid", total_amount: "3.00" }, // NULL time: key, date -1
  { order_id: "106", customer_id: "1", order_ts: "2024-01-01 00:00:00", status: "shipped", total_amount: "4.75" }, // first instant
  { order_id: "107", customer_id: "2", order_ts: "2024-03-01 00:00:00", status: "paid", total_amount: "6.00" }, // t == first valid_from
];

const SCENARIOS: Scenario[] = [
  { name: "fact_orders: as-of edges, no version yet, NULL key and time", fact: "fact_orders", silver: { orders }, dims: { dim_customer: customers } },
  {
    name: "fact_order_items: product as of the order, customer and date through orders, a missing order",
    fact: "fact_order_items",
    silver: {
      orders,
      order_items: [
        { order_item_id: "1000", order_id: "101", product_id: "50", quantity: "2", unit_price: "3.50", line_total: "7.00", created_at: "2024-03-05 00:00:00" },
        { order_item_id: "1001", order_id: "100", product_id: "50", quantity: "1", unit_price: "9.99", line_total: "9.99", created_at: "2024-01-01 00:00:00" },
        { order_item_id: "1002", order_id: "999", product_id: "50", quantity: "4", unit_price: "1.25", line_total: "5.00", created_at: "2024-01-10 00:00:00" }, // order missing
        { order_item_id: "1003", order_id: "106", product_id: "51", quantity: "1", unit_price: "2.00", line_total: "2.00", created_at: "2024-01-10 00:00:00" }, // product never loaded
      ],
    },
    dims: { dim_customer: customers, dim_product: products },
  },
  {
    name: "fact_payments: customer through the order as of paid_at, a missing order",
    fact: "fact_payments",
    silver: {
      orders,
      payments: [
        { payment_id: "7", order_id: "101", amount: "20.00", method: "card", paid_at: "2024-02-03 09:00:00" }, // order in Jan, paid in Feb: version 12
        { payment_id: "8", order_id: "102", amount: "5.25", method: "paypal", paid_at: "2024-03-01 00:00:00" }, // edge of customer 2's first version
        { payment_id: "9", order_id: "555", amount: "1.10", method: "card", paid_at: "2024-02-03 09:00:00" }, // order missing
      ],
    },
    dims: { dim_customer: customers },
  },
  {
    name: "fact_shipments: two date roles, NULL delivered_at, days between across month ends",
    fact: "fact_shipments",
    silver: {
      shipments: [
        { shipment_id: "1", order_id: "100", carrier: "ups", shipped_at: "2024-01-31 23:00:00", delivered_at: "2024-02-01 01:00:00" }, // 1 day
        { shipment_id: "2", order_id: "101", carrier: "dhl", shipped_at: "2024-02-28 10:00:00", delivered_at: "2024-03-01 09:00:00" }, // leap day: 2
        { shipment_id: "3", order_id: "102", carrier: "ups", shipped_at: "2024-03-03 12:00:00", delivered_at: null }, // not delivered
        { shipment_id: "4", order_id: "103", carrier: "fedex", shipped_at: "2024-12-31 23:59:59", delivered_at: "2024-12-31 23:59:59" }, // same day: 0
      ],
    },
    dims: {},
  },
  {
    // dim_date holds 2020-01-01..2030-12-31 only: a day outside it has no row to key to.
    name: "fact_orders: dates just outside dim_date's range key to -1, its first and last day to themselves",
    fact: "fact_orders",
    silver: {
      orders: [
        { order_id: "300", customer_id: "1", order_ts: "2019-12-31 23:59:59", status: "paid", total_amount: "1.00" },
        { order_id: "301", customer_id: "1", order_ts: "2020-01-01 00:00:00", status: "paid", total_amount: "2.00" },
        { order_id: "302", customer_id: "1", order_ts: "2030-12-31 23:59:59", status: "paid", total_amount: "3.00" },
        { order_id: "303", customer_id: "1", order_ts: "2031-01-01 00:00:00", status: "paid", total_amount: "4.00" },
      ],
    },
    dims: { dim_customer: customers },
  },
];

// The re-keying case: the first build keys order 200 to version A; a late change then splits A's
// window, and the next build must point the fact at the version that now holds its time.
const lateOrders: Row[] = [{ order_id: "200", customer_id: "1", order_ts: "2024-01-20 10:00:00", status: "paid", total_amount: "8.00" }];
const BEFORE_SPLIT: Scenario = {
  name: "re-keying: before the late change",
  fact: "fact_orders",
  silver: { orders: lateOrders },
  dims: { dim_customer: [{ customer_key: "11", customer_id: "1", valid_from: "2024-01-01 00:00:00", valid_to: OPEN }] },
};
const AFTER_SPLIT: Scenario = {
  ...BEFORE_SPLIT,
  name: "re-keying: after a late change split the window",
  dims: {
    dim_customer: [
      { customer_key: "11", customer_id: "1", valid_from: "2024-01-01 00:00:00", valid_to: "2024-01-15 00:00:00" },
      { customer_key: "13", customer_id: "1", valid_from: "2024-01-15 00:00:00", valid_to: OPEN },
    ],
  },
};


// A custom fact beyond the reference star: a DATE as-of column (its midnight), a double measure,
// a PII hash column kept as a degenerate (its HMAC text), no date roles (no dim_date input).
const members = defineDataset({
  name: "members",
  prefix: "members/",
  format: "csv",
  columns: { member_id: "int", tier: "string" },
  primaryKey: ["member_id"],
  target: { table: "members" },
});
const visits = defineDataset({
  name: "visits",
  prefix: "visits/",
  format: "csv",
  columns: { visit_id: "int", member_id: "int", visit_day: "date", spend: "double", badge: "string" },
  primaryKey: ["visit_id"],
  pii: [{ column: "badge", mode: "hash" }],
  target: { table: "visits" },
});
const dimMember = memberDimension([{ name: "tier", scd: 2 }], false, "test/models/fact.test.ts");
const factVisits: FactSpec = { ...visitsFact("test/models/fact.test.ts"), degenerate: [{ name: "badge", column: { lookup: null, column: "badge" } }] };
const VISITS: Scenario = {
  name: "a custom fact: DATE as-of (midnight edge), double measure, hashed degenerate, no date roles",
  fact: "fact_visits",
  datasets: [members, visits],
  models: [dimMember, factVisits],
  silver: {
    members: [{ member_id: "1", tier: "gold" }],
    visits: [
      { visit_id: "1", member_id: "1", visit_day: "2024-05-01", spend: "0.1", badge: "ab12" }, // midnight == valid_from of 32
      { visit_id: "2", member_id: "1", visit_day: "2024-04-30", spend: "0.2", badge: "cd34" }, // version 31
      { visit_id: "3", member_id: "1", visit_day: "2024-01-01", spend: "0.3", badge: null }, // before any version
    ],
  },
  dims: {
    dim_member: [
      { member_key: "31", member_id: "1", valid_from: "2024-04-30 12:00:00", valid_to: "2024-05-01 00:00:00" },
      { member_key: "32", member_id: "1", valid_from: "2024-05-01 00:00:00", valid_to: OPEN },
    ],
  },
};

// A grain may hold columns beyond the source's primary key, and those may be NULL: the key audits
// must still find such a row's base row (by the primary key), or they call its resolved keys stale.
const WIDE_GRAIN: Scenario = {
  name: "a grain beyond the primary key with a NULL in it: keys resolve and audit clean",
  fact: "fact_order_items",
  models: MODELS.map((m) => (m.name === "fact_order_items" ? { ...(m as FactSpec), grain: ["order_item_id", "product_id"] } : m)),
  silver: {
    orders,
    order_items: [
      { order_item_id: "1000", order_id: "101", product_id: null, quantity: "2", unit_price: "3.50", line_total: "7.00", created_at: "2024-03-05 00:00:00" }, // customer resolves
      { order_item_id: "1001", order_id: "100", product_id: "50", quantity: "1", unit_price: "9.99", line_total: "9.99", created_at: "2024-01-01 00:00:00" },
    ],
  },
  dims: { dim_customer: customers, dim_product: products },
};

// A silver double that is infinite (a load refuses "1e309" as bad_type, but the audit must not
// rely on it): the fact's sum equals silver's (both infinite), which the sum audit must pass, not
// read as NaN apart.
const INFINITE_SPEND: Scenario = {
  ...VISITS,
  name: "a double measure with an infinite value: its sum equals silver's",
  silver: {
    ...VISITS.silver,
    visits: [
      { visit_id: "1", member_id: "1", visit_day: "2024-05-01", spend: "inf", badge: "ab12" },
      { visit_id: "2", member_id: "1", visit_day: "2024-04-30", spend: "0.2", badge: "cd34" },
    ],
  },
};

const ALL = [...SCENARIOS, BEFORE_SPLIT, AFTER_SPLIT, VISITS, WIDE_GRAIN, INFINITE_SPEND];
/** Compiles a scenario's fact, and makes its registries the ones the helpers above read. */
function plan(s: Scenario, dialect: "duckdb" | "spark"): ModelPlan {
  registry = { datasets: s.datasets ?? DATASETS, models: s.models ?? MODELS };
  return compileFact(factSpec(s.fact), { dialect, ...registry });
}
const noViolations = (run: ModelRun) => Object.fromEntries(Object.keys(run.audits).map((a) => [a, 0]));

describe("fact compiler (DuckDB) against a TypeScript oracle", function () {
  let h: ModelHarness;
  before(async () => (h = await ModelHarness.open()));
  after(() => h.close());

  for (const s of ALL) {
    it(s.name, async () => {
      const p = plan(s, "duckdb");
      const run = await h.runDuckDB(p, inputsOf(s));
      expect(ordered(run.rows, p)).to.deep.equal(ordered(oracle(factSpec(s.fact), s), p));
      expect(run.audits).to.deep.equal(noViolations(run));
    });
  }

  it("re-keys a fact when a late change splits the version it pointed at", async () => {
    const p = plan(BEFORE_SPLIT, "duckdb");
    const before = await h.runDuckDB(p, inputsOf(BEFORE_SPLIT));
    const after = await h.runDuckDB(p, inputsOf(AFTER_SPLIT));
    expect(before.rows.map((r) => r.customer_key)).to.deep.equal(["11"]);
    expect(after.rows.map((r) => r.customer_key)).to.deep.equal(["13"]);
  });

  it("gives each reference fact its columns, inputs and partitioning on both dialects", () => {
    for (const name of ["fact_orders", "fact_order_items", "fact_payments", "fact_shipments"]) {
      const spec = getModel(name) as FactSpec;
      const [duck, spark] = (["duckdb", "spark"] as const).map((dialect) => compileFact(spec, { dialect, datasets: DATASETS, models: MODELS }));
      expect(spark.columns, name).to.deep.equal(duck.columns);
      expect(spark.inputs, name).to.deep.equal(duck.inputs);
      expect(spark.audits.map((a) => a.name), name).to.deep.equal(duck.audits.map((a) => a.name));
      expect(duck.partitionBy, name).to.deep.equal({ column: spec.partitionBy!.dateRole });
    }
    const items = compileFact(getModel("fact_order_items") as FactSpec, { dialect: "duckdb", datasets: DATASETS, models: MODELS });
    expect(items.columns.map((c) => `${c.name} ${c.type}`)).to.deep.equal([
      "order_item_id bigint",
      "order_id bigint",
      "product_key bigint",
      "customer_key bigint",
      "order_date_key int",
      "quantity int",
      "unit_price decimal(12,2)",
      "line_total decimal(12,2)",
      "order_date date",
    ]);
    expect(items.inputs).to.deep.equal([
      { relation: "silver_order_items", zone: "silver", dataset: "order_items" },
      { relation: "silver_orders", zone: "silver", dataset: "orders" },
      { relation: "dim_product", zone: "semantic", model: "dim_product" },
      { relation: "dim_customer", zone: "semantic", model: "dim_customer" },
      { relation: "dim_date", zone: "semantic", model: "dim_date" },
      // Incremental builds (fact-incremental.ts): new bronze runs, the dimensions as last read and
      // as read now (the pair compared), its own previous version.
      { relation: "bronze_order_items", zone: "bronze", dataset: "order_items" },
      { relation: "bronze_orders", zone: "bronze", dataset: "orders" },
      { relation: "before_dim_product", zone: "semantic_before", model: "dim_product" },
      { relation: "after_dim_product", zone: "semantic_after", model: "dim_product" },
      { relation: "before_dim_customer", zone: "semantic_before", model: "dim_customer" },
      { relation: "after_dim_customer", zone: "semantic_after", model: "dim_customer" },
      { relation: "previous", zone: "semantic", model: "fact_order_items" },
      { relation: "consumed", zone: "consumed" },
      { relation: "runs", zone: "runs" },
    ]);
    const shipments = compileFact(getModel("fact_shipments") as FactSpec, { dialect: "duckdb", datasets: DATASETS, models: MODELS });
    expect(shipments.columns.map((c) => c.name)).to.deep.equal(["shipment_id", "order_id", "carrier", "shipped_date_key", "delivered_date_key", "days_to_deliver", "shipped_date"]);
  });

  it("refuses a fact whose dimension or date dimension is not among the models, in one line", () => {
    const orders = getModel("fact_orders") as FactSpec;
    const noDim = () => compileFact(orders, { dialect: "duckdb", datasets: DATASETS, models: MODELS.filter((m) => m.name !== "dim_customer") });
    expect(noDim).to.throw(/^fact fact_orders \(.*fact_orders\.ts\): dimensions: dim_customer is not a dimension model$/);
    const noDate = () => compileFact(orders, { dialect: "duckdb", datasets: DATASETS, models: MODELS.filter((m) => m.kind !== "date") });
    expect(noDate).to.throw(/: has date roles, so the models need exactly one date dimension \(found 0\)$/);
  });

  it("refuses columns of the wrong kind, in one line naming the field", () => {
    const orders = getModel("fact_orders") as FactSpec;
    const ctx = { dialect: "duckdb" as const, datasets: DATASETS, models: MODELS };
    const col = (column: string): ResolvedRef => ({ lookup: null, column });
    const cases: Array<[Partial<FactSpec>, RegExp]> = [
      [{ measures: [{ name: "status", column: col("status") }] }, /: measure status: status is string, not a number$/],
      [{ dimensions: [{ ...orders.dimensions[0], asOf: col("status") }] }, /: dimension customer: asOf status is string, not a date or timestamp$/],
      [{ dimensions: [{ ...orders.dimensions[0], naturalKey: col("status") }] }, /: dimension customer: status is string, dim_customer.customer_id is bigint$/],
      [{ dates: [{ role: "order_date", keyColumn: "order_date_key", column: col("total_amount") }] }, /: date order_date: total_amount is decimal\(12,2\), not a date or timestamp$/],
      [{ partitionBy: { dateRole: "ship_date" } }, /: partitionBy.dateRole: ship_date is not a date role \(order_date\)$/],
      [{ degenerate: [{ name: "order_date", column: col("status") }] }, /: two columns named order_date$/],
      [{ lookups: [{ name: "o", dataset: "orders", on: col("status") }] }, /: lookup o: status is string, orders.order_id is bigint$/],
    ];
    for (const [change, message] of cases) {
      expect(() => compileFact({ ...orders, ...change }, ctx), message.source).to.throw(message);
    }
  });

  describe("audits fail on a crafted bad staged table", () => {
    /** Runs the good build, then every audit again over `bad` (a SELECT over the good table `good`). */
    async function auditBad(s: Scenario, bad: string, auditInputs: Scenario = s): Promise<Record<string, number>> {
      const p = plan(s, "duckdb");
      const good = await h.runDuckDB(p, inputsOf(s));
      expect(good.audits).to.deep.equal(noViolations(good));
      await h.session.run(`CREATE OR REPLACE TEMP TABLE good AS SELECT * FROM staged`);
      await h.session.run(`CREATE OR REPLACE TEMP TABLE bad AS ${bad}`);
      if (auditInputs !== s) {
        // Register the other scenario's inputs: the staged table is then stale against them.
        const files = await h.writeInputs(p, inputsOf(auditInputs));
        for (const [relation, file] of Object.entries(files)) await h.session.run(`CREATE OR REPLACE TEMP VIEW ${relation} AS SELECT * FROM read_parquet('${file}')`);
      }
      await h.session.run(`CREATE OR REPLACE TEMP VIEW staged AS SELECT * FROM bad`);
      const audits = await duckdbAudits(h.session, p);
      return Object.fromEntries(Object.entries(audits).filter(([, v]) => v !== 0));
    }
    const orders = SCENARIOS[0];

    it("a duplicated grain row: grain_unique, row_count, the measure sum", async () => {
      expect(await auditBad(orders, "SELECT * FROM good UNION ALL SELECT * FROM good WHERE order_id = 100")).to.deep.equal({ grain_unique: 1, row_count: 1, total_amount_sum: 1 });
    });
    it("a missing row: row_count and the measure sum", async () => {
      expect(await auditBad(orders, "SELECT * FROM good WHERE order_id <> 101")).to.deep.equal({ row_count: 1, total_amount_sum: 1 });
    });
    it("a changed measure: its sum", async () => {
      expect(await auditBad(orders, "SELECT * REPLACE (CASE WHEN order_id = 102 THEN total_amount + 0.01 ELSE total_amount END AS total_amount) FROM good")).to.deep.equal({ total_amount_sum: 1 });
    });
    it("a key of no dimension row, another version's key, -1 where a version holds the time", async () => {
      const keys = "CASE order_id WHEN 100 THEN 999 WHEN 101 THEN 12 WHEN 106 THEN -1 ELSE customer_key END";
      expect(await auditBad(orders, `SELECT * REPLACE (${keys} AS customer_key) FROM good`)).to.deep.equal({ customer_key_resolves: 3 });
    });
    it("a stale key: the version it names no longer holds the fact's time after a late change", async () => {
      expect(await auditBad(BEFORE_SPLIT, "SELECT * FROM good", AFTER_SPLIT)).to.deep.equal({ customer_key_resolves: 1 });
    });
    it("a dimension whose windows overlap at the fact's time: the key audit fails closed", async () => {
      // Not a publishable dimension (its windows audit fails), but a fact must not pass against it.
      const overlapping: Scenario = {
        ...BEFORE_SPLIT,
        dims: { dim_customer: [...BEFORE_SPLIT.dims.dim_customer, { customer_key: "13", customer_id: "1", valid_from: "2024-01-15 00:00:00", valid_to: OPEN }] },
      };
      expect(await auditBad(BEFORE_SPLIT, "SELECT * FROM good", overlapping)).to.deep.equal({ customer_key_resolves: 1 });
    });
    it("a date key not in dim_date (and NULL instead of -1)", async () => {
      const keys = "CASE order_id WHEN 100 THEN 20241399 WHEN 105 THEN NULL ELSE order_date_key END";
      expect(await auditBad(orders, `SELECT * REPLACE (${keys} AS order_date_key) FROM good`)).to.deep.equal({ order_date_key_in_dim_date: 2 });
    });
    it("a double measure's sum: within 1e-9 relative passes (order of addition), a real difference fails", async () => {
      expect(await auditBad(VISITS, "SELECT * REPLACE (CASE WHEN visit_id = 1 THEN spend + 1e-13 ELSE spend END AS spend) FROM good")).to.deep.equal({});
      expect(await auditBad(VISITS, "SELECT * REPLACE (CASE WHEN visit_id = 1 THEN spend + 1e-6 ELSE spend END AS spend) FROM good")).to.deep.equal({ spend_sum: 1 });
    });
    it("a second dimension role of fact_order_items: product_key", async () => {
      expect(await auditBad(SCENARIOS[1], "SELECT * REPLACE (CASE WHEN order_item_id = 1000 THEN 501 ELSE product_key END AS product_key) FROM good")).to.deep.equal({
        product_key_resolves: 1,
      });
    });
  });
});

describe("@spark fact compiler: Spark gives DuckDB's fact tables and audits", function () {
  // Nine plans and a crafted audit run on a shared Spark server: minutes on a loaded 2-core machine.
  this.timeout(20 * 60_000);
  let h: ModelHarness;
  before(async () => (h = await ModelHarness.open()));
  after(() => h.close());

  it("every scenario, one Spark session", async () => {
    const server = await sparkForTests();
    for (const s of ALL) {
      const duck = await h.runDuckDB(plan(s, "duckdb"), inputsOf(s));
      const spark = await h.runSpark(server, plan(s, "spark"), inputsOf(s));
      expect(spark, s.name).to.deep.equal(duck);
      expect(duck.rows.length, s.name).to.be.greaterThan(0);
    }
  });

  it("every fact_orders audit fails on Spark as on DuckDB, on one crafted staged table", async () => {
    const server = await sparkForTests();
    const s = SCENARIOS[0];
    // Plain SQL both engines read: a key of no version, a date key not in dim_date, a changed
    // measure, a duplicated grain row.
    const crafted = (build: string) =>
      `SELECT order_id, status, CASE WHEN order_id = 100 THEN CAST(999 AS BIGINT) ELSE customer_key END AS customer_key,` +
      ` CASE WHEN order_id = 101 THEN 20241399 ELSE order_date_key END AS order_date_key,` +
      ` CASE WHEN order_id = 102 THEN total_amount + 1 ELSE total_amount END AS total_amount, order_date FROM ${build}` +
      ` UNION ALL SELECT order_id, status, customer_key, order_date_key, total_amount, order_date FROM ${build} WHERE order_id = 106`;
    const expected = { grain_unique: 1, row_count: 1, customer_key_resolves: 1, total_amount_sum: 1, order_date_key_in_dim_date: 1 };

    const duckPlan = plan(s, "duckdb");
    await h.runDuckDB(duckPlan, inputsOf(s));
    await h.session.run(`CREATE OR REPLACE TEMP TABLE crafted AS ${crafted(duckPlan.output)}`);
    await h.session.run("CREATE OR REPLACE TEMP VIEW staged AS SELECT * FROM crafted");
    const duck = await duckdbAudits(h.session, duckPlan);

    const sparkPlan = plan(s, "spark");
    await h.runSpark(server, sparkPlan, inputsOf(s));
    await server.sql(`CREATE OR REPLACE TEMP VIEW staged AS ${crafted(`\`${sparkPlan.output}\``)}`);
    await server.sql("CREATE OR REPLACE TEMP VIEW audited AS SELECT * FROM staged"); // Spark binds a view when it is created
    const spark = await sparkAudits(server, sparkPlan);

    expect(duck).to.deep.equal(expected);
    expect(spark).to.deep.equal(expected);
  });
});
