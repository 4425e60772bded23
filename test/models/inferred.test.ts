// Inferred members (engine/models/inferred-members.ts) over three builds of one change log: the
// reference customers (DMS bronze) and orders / payments (silver), dim_customer with and without
// `inferredMembers`, compiled and run on DuckDB, then fact_orders and fact_payments built on the
// dimension each run produced. Expectations come from a plain TypeScript oracle that replays the
// customers' changes and applies the inferred-member rule itself; the "@spark" suite runs the
// last build once more on Spark and compares with DuckDB.
import { createHash, createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect } from "chai";
import { DATASETS, defineDataset, getDataset, type DatasetSpec } from "../../datasets";
import { DIALECTS } from "../../engine/dialects";
import { compileModel } from "../../engine/models";
import type { ModelPlan } from "../../engine/models/plan";
import type { PlanColumnType } from "../../engine/plan";
import { hmacPads } from "../../engine/pii-key";
import { MODELS, getModel, type DimensionSpec, type ModelSpec } from "../../models";
import { buildModels } from "../../engine/duckdb";
import { cli, queryJson, tempDir } from "../cli/helpers";
import { ModelHarness, type ModelInputs, type ModelRun } from "./harness";
import { factVisits as visitsFact, memberDimension, visits } from "./visits";

type Row = Record<string, string | null>;
const END = "9999-12-31 00:00:00";
const BEGINNING = "1900-01-01 00:00:00";

// -- the change log -------------------------------------------------------------------------------

/** A customer change: the build (run) whose bronze first holds it, op, id, country, cdc_ts. */
interface CustomerChange {
  run: number;
  op: "I" | "U" | "D";
  id: string;
  country: string;
  at: string;
}
const CUSTOMERS: CustomerChange[] = [
  { run: 1, op: "I", id: "1", country: "PT", at: "2026-01-01 10:00:00" },
  // 9 arrives in run 2, valid from before the facts that named it (its row was late, not its life).
  { run: 2, op: "I", id: "9", country: "ES", at: "2026-02-10 00:00:00" },
  // 8 arrives in run 2, valid from after its order: the member is stretched back to the order.
  { run: 2, op: "I", id: "8", country: "FR", at: "2026-03-10 00:00:00" },
  // run 3: 9 changes (a normal new version); 8 is deleted; 7's history starts with a delete.
  { run: 3, op: "U", id: "9", country: "BR", at: "2026-04-01 00:00:00" },
  { run: 3, op: "D", id: "8", country: "FR", at: "2026-04-05 00:00:00" },
  { run: 3, op: "D", id: "7", country: "IT", at: "2026-03-20 00:00:00" },
];

interface Order {
  run: number;
  order_id: string;
  customer_id: string;
  order_ts: string;
}
const ORDERS: Order[] = [
  { run: 1, order_id: "100", customer_id: "1", order_ts: "2026-02-01 00:00:00" }, // a known customer
  { run: 1, order_id: "101", customer_id: "9", order_ts: "2026-03-01 09:00:00" }, // never loaded
  { run: 1, order_id: "102", customer_id: "9", order_ts: "2026-03-05 00:00:00" },
  { run: 1, order_id: "103", customer_id: "8", order_ts: "2026-03-02 00:00:00" }, // never loaded
  { run: 1, order_id: "104", customer_id: "1", order_ts: "2025-12-01 00:00:00" }, // before customer 1's first change
  { run: 3, order_id: "106", customer_id: "9", order_ts: "2026-04-10 00:00:00" }, // 9's second version
  { run: 3, order_id: "107", customer_id: "8", order_ts: "2026-04-06 00:00:00" }, // 8 deleted: -1
  { run: 3, order_id: "108", customer_id: "7", order_ts: "2026-03-15 00:00:00" }, // before 7's delete
  { run: 3, order_id: "109", customer_id: "7", order_ts: "2026-03-25 00:00:00" }, // after it: -1
];

interface Payment {
  run: number;
  payment_id: string;
  order_id: string;
  paid_at: string;
}
const PAYMENTS: Payment[] = [
  // Through orders: customer 9 at 02-28, earlier than any of 9's orders (the member starts here).
  { run: 1, payment_id: "500", order_id: "101", paid_at: "2026-02-28 12:00:00" },
  // An order not in silver: no natural key, no member.
  { run: 1, payment_id: "501", order_id: "999", paid_at: "2026-01-15 00:00:00" },
];

const CUSTOMER_FILE = (c: CustomerChange) => `customers/2026010${c.run}-000000000.csv`;

// -- inputs as DuckDB SELECTs ---------------------------------------------------------------------

const d = DIALECTS.duckdb;
const text = (v: string | null) => (v === null ? "CAST(NULL AS VARCHAR)" : d.str(v));

function typed(columns: Array<{ name: string; type: PlanColumnType }>, rows: Row[]): string {
  const cast = (v: string | null, type: PlanColumnType) => `CAST(${v === null ? "NULL" : d.str(v)} AS ${d.sqlType(type)})`;
  if (rows.length === 0) return `SELECT ${columns.map((c) => `${cast(null, c.type)} AS ${d.ident(c.name)}`).join(", ")} WHERE FALSE`;
  return rows.map((r) => `SELECT ${columns.map((c) => `${cast(r[c.name] ?? null, c.type)} AS ${d.ident(c.name)}`).join(", ")}`).join("\nUNION ALL ");
}

/** Bronze rows: spec columns as strings ("" = empty field) + `_op` + lineage, in the given order. */
function bronze(spec: DatasetSpec, rows: Array<{ file: string; op: string; values: Record<string, string> }>): string {
  const cols = [...spec.columns.map((c) => c.name), "_op", "_source_key", "_source_version", "_file_id", "_row_number", "_run_id", "_data_date"];
  const tuples = rows.map((r, i) => {
    const data = spec.columns.map((col) => text(r.values[col.name] ?? ""));
    return `(${[...data, text(r.op), text(r.file), "'v1'", text(`id-${r.file}`), `CAST(${i + 1} AS BIGINT)`, "'run-1'", "'2026-11-30'"].join(", ")})`;
  });
  return `SELECT * FROM (VALUES ${tuples.join(", ")}) t(${cols.map((c) => d.ident(c)).join(", ")})`;
}

/** Bronze of the customers' changes up to `run`, one CDC file per run. */
function customerBronze(run: number): string {
  const rows = CUSTOMERS.filter((c) => c.run <= run).map((c) => ({
    file: CUSTOMER_FILE(c),
    op: c.op,
    values: { customer_id: c.id, email: `c${c.id}@x`, country: c.country, signup_date: "2025-06-01", cdc_ts: c.at },
  }));
  return bronze(getDataset("customers"), rows);
}

function filesLedger(run: number): string {
  return ledgerOf([...new Set(CUSTOMERS.filter((c) => c.run <= run).map(CUSTOMER_FILE))]);
}

/** The files ledger of `files` (version v1, received in list order). */
function ledgerOf(files: string[]): string {
  const tuples = files.map((f, i) => `(${[text(`id-${f}`), text(f), "'v1'", "'run'", "'2026-11-30'", "CAST(1 AS BIGINT)", text(`2026-11-30T10:00:0${i}.000Z`), "''"].join(", ")})`);
  return `SELECT * FROM (VALUES ${tuples.join(", ")}) t(_file_id, _source_key, _source_version, _run_id, _data_date, _rows_read, _received_at, _sequencer)`;
}

function silver(dataset: string | DatasetSpec, rows: Row[]): string {
  const spec = typeof dataset === "string" ? getDataset(dataset) : dataset;
  const lineage = ["_source_key", "_source_version", "_file_id", "_run_id"].map((n) => ({ name: n, type: "string" as const }));
  return typed([...spec.columns, ...lineage], rows.map((r) => ({ _source_key: `${spec.name}/x.csv`, _file_id: "f1", _run_id: "r1", ...r })));
}

const ordersAt = (run: number): Row[] =>
  ORDERS.filter((o) => o.run <= run).map((o) => ({ order_id: o.order_id, customer_id: o.customer_id, order_ts: o.order_ts, status: "paid", total_amount: "1.00" }));
const paymentsAt = (run: number): Row[] =>
  PAYMENTS.filter((p) => p.run <= run).map((p) => ({ payment_id: p.payment_id, order_id: p.order_id, amount: "1.00", method: "card", paid_at: p.paid_at }));

function silverInputs(run: number): ModelInputs {
  return { silver_orders: silver("orders", ordersAt(run)), silver_payments: silver("payments", paymentsAt(run)), silver_order_items: silver("order_items", []) };
}

/** dim_date over 2025-2026 (date_key, full_date) and its unknown member. */
const DIM_DATE =
  "SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER) AS date_key, CAST(d AS DATE) AS full_date FROM range(TIMESTAMP '2025-01-01', TIMESTAMP '2027-01-01', INTERVAL 1 DAY) AS t(d)" +
  " UNION ALL SELECT -1, CAST(NULL AS DATE)";

// -- the registries ----------------------------------------------------------------------------

const reference = getModel("dim_customer") as DimensionSpec;
const inferredCustomer: DimensionSpec = { ...reference, inferredMembers: true };
const withInferred: readonly ModelSpec[] = MODELS.map((m) => (m.name === "dim_customer" ? inferredCustomer : m));

const compile = (name: string, models: readonly ModelSpec[], dialect: "duckdb" | "spark" = "duckdb"): ModelPlan =>
  compileModel(getModel(name, models), { dialect, datasets: DATASETS, models });

// -- the oracle --------------------------------------------------------------------------------

const md5Key = (text: string) => BigInt(`0x${createHash("md5").update(text).digest("hex").slice(0, 15)}`).toString();

/** Where each fact names a customer: (natural key, as-of time) of every order and payment row. */
function factRefs(run: number): Array<{ id: string | null; t: string }> {
  const orders = ordersAt(run);
  return [
    ...orders.map((o) => ({ id: o.customer_id, t: o.order_ts! })),
    ...paymentsAt(run).map((p) => ({ id: orders.find((o) => o.order_id === p.order_id)?.customer_id ?? null, t: p.paid_at! })),
  ];
}

/**
 * dim_customer after `run`: per key, the changes replayed in time order (every attribute is type
 * 2; a delete closes; a change opens a window only when it changes the state). With inferred
 * members, the earliest time any fact names the key (t0), when before the key's first window:
 * stretches that window back to t0 when it is a living version, else becomes an inferred row
 * [t0, first change) (open when the key has none). The key's earliest row is keyed md5(`key|`).
 */
function oracle(run: number, inferred: boolean): Row[] {
  const changes = CUSTOMERS.filter((c) => c.run <= run);
  const refs = factRefs(run);
  const ids = [...new Set([...changes.map((c) => c.id), ...(inferred ? refs.flatMap((r) => (r.id === null ? [] : [r.id])) : [])])];
  const rows: Row[] = [];
  for (const id of ids) {
    type Window = { from: string; to: string; alive: boolean; country: string | null; inferred: boolean };
    const windows: Window[] = [];
    for (const c of changes.filter((x) => x.id === id).sort((a, b) => (a.at < b.at ? -1 : 1))) {
      const alive = c.op !== "D";
      const last = windows[windows.length - 1];
      if (last && last.alive === alive && (!alive || last.country === c.country)) continue;
      if (last) last.to = c.at;
      windows.push({ from: c.at, to: END, alive, country: c.country, inferred: false });
    }
    const t0 = refs.filter((r) => r.id === id).map((r) => r.t).sort()[0];
    if (inferred && t0 !== undefined && (windows.length === 0 || t0 < windows[0].from)) {
      if (windows[0]?.alive) windows[0].from = t0;
      else windows.unshift({ from: t0, to: windows[0]?.from ?? END, alive: true, country: null, inferred: true });
    }
    windows
      .filter((w) => w.alive)
      .forEach((w, i) => {
        const row: Row = {
          customer_key: inferred && i === 0 ? md5Key(`${id}|`) : md5Key(`${id}|${w.from}.000000`),
          customer_id: id,
          email: w.inferred ? null : `c${id}@x`,
          country: w.country,
          signup_date: w.inferred ? null : "2025-06-01",
          valid_from: w.from,
          valid_to: w.to,
          is_current: String(w.to === END),
        };
        if (inferred) row.is_inferred = String(w.inferred);
        rows.push(row);
      });
  }
  const unknown: Row = { customer_key: "-1", customer_id: null, email: null, country: null, signup_date: null, valid_from: BEGINNING, valid_to: END, is_current: "true" };
  if (inferred) unknown.is_inferred = "false";
  return sorted([...rows, unknown]);
}

/** The key whose window holds each fact's time, -1 when none: by order_id and payment_id. */
function factKeys(dim: Row[], run: number): { orders: Record<string, string>; payments: Record<string, string> } {
  const keyOf = (id: string | null, t: string) => dim.find((r) => id !== null && r.customer_id === id && r.valid_from! <= t && t < r.valid_to!)?.customer_key ?? "-1";
  const orders = ordersAt(run);
  return {
    orders: Object.fromEntries(orders.map((o) => [o.order_id!, keyOf(o.customer_id, o.order_ts!)])),
    payments: Object.fromEntries(paymentsAt(run).map((p) => [p.payment_id!, keyOf(orders.find((o) => o.order_id === p.order_id)?.customer_id ?? null, p.paid_at!)])),
  };
}

const sorted = (rows: Row[]): Row[] => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
const keysBy = (rows: Row[], id: string, key: string) => Object.fromEntries(rows.map((r) => [r[id]!, r[key]!]));

// -- a custom pair: string natural key, type-1 and hashed attributes, a DATE as-of, a delete first --

const members = defineDataset({
  name: "members",
  prefix: "members/",
  format: "csv",
  columns: { member_id: "string", city: "string", tier: "string", email: "string", updated_at: "timestamp" },
  primaryKey: ["member_id"],
  cdc: { opColumn: "op", sequenceColumns: ["updated_at"] },
  pii: [{ column: "email", mode: "hash" }],
  target: { table: "members" },
});
const dimMember = memberDimension([{ name: "city", scd: 2 }, { name: "tier", scd: 1 }, { name: "email", scd: 2 }], true, "test/models/inferred.test.ts");
const factVisits = visitsFact("test/models/inferred.test.ts");
const MEMBER_REGISTRY = { datasets: [members, visits], models: [dimMember, factVisits] };
const MEMBER_BRONZE = [
  { op: "D", member_id: "a", at: "2026-01-05 00:00:00", city: "", tier: "", email: "" }, // a's history starts with a delete
  { op: "I", member_id: "a", at: "2026-01-10 00:00:00", city: "Oslo", tier: "gold", email: "a@x" },
  { op: "U", member_id: "a", at: "2026-01-20 00:00:00", city: "Oslo", tier: "silver", email: "a@x" }, // type 1 only
  { op: "I", member_id: "b", at: "2026-01-10 00:00:00", city: "Rome", tier: "gold", email: "b@x" },
].map(({ op, at, ...values }) => ({ file: "members/a.csv", op, values: { ...values, updated_at: at } }));
const VISITS: Row[] = [
  { visit_id: "1", member_id: "a", visit_day: "2026-01-03", spend: "1.5" }, // before a's delete: inferred
  { visit_id: "2", member_id: "a", visit_day: "2026-01-12", spend: "2.5" }, // a's version
  { visit_id: "3", member_id: "b", visit_day: "2026-01-08", spend: "3.5" }, // before b's insert: stretched
  { visit_id: "4", member_id: "c", visit_day: "2026-01-15", spend: "4.5" }, // never loaded
  { visit_id: "5", member_id: "a", visit_day: "2026-01-06", spend: "5.5" }, // a deleted: -1
  { visit_id: "6", member_id: null, visit_day: "2026-01-06", spend: "6.5" }, // no key: -1
];
const PII_KEY = Buffer.from("inferred-test-key");
function memberInputs(): ModelInputs {
  const { ipad, opad } = hmacPads(PII_KEY);
  return {
    bronze: bronze(members, MEMBER_BRONZE),
    files_ledger: ledgerOf([...new Set(MEMBER_BRONZE.map((r) => r.file))]),
    pii_key: `SELECT unhex('${ipad.toString("hex")}') AS ipad, unhex('${opad.toString("hex")}') AS opad`,
    silver_visits: silver(visits, VISITS),
  };
}
const compileMember = (name: string, dialect: "duckdb" | "spark" = "duckdb") => compileModel(getModel(name, MEMBER_REGISTRY.models), { dialect, ...MEMBER_REGISTRY });

// -- building ----------------------------------------------------------------------------------

interface Build {
  dim: ModelRun;
  orders: ModelRun;
  payments: ModelRun;
}

/** One build after `run`: the dimension, then both facts on the dimension it produced. */
async function build(h: ModelHarness, run: number, models: readonly ModelSpec[]): Promise<Build> {
  const dimPlan = compile("dim_customer", models);
  const dim = await h.runDuckDB(dimPlan, { bronze: customerBronze(run), files_ledger: filesLedger(run), ...silverInputs(run) });
  const facts: ModelInputs = { ...silverInputs(run), dim_customer: typed(dimPlan.columns, dim.rows), dim_date: DIM_DATE };
  const orders = await h.runDuckDB(compile("fact_orders", models), facts);
  const payments = await h.runDuckDB(compile("fact_payments", models), facts);
  return { dim, orders, payments };
}

const clean = (run: ModelRun) => expect(Object.entries(run.audits).filter(([, v]) => v !== 0), JSON.stringify(run.audits)).to.deep.equal([]);

describe("models: inferred members (DuckDB) against a TypeScript oracle", function () {
  let h: ModelHarness;
  before(async () => (h = await ModelHarness.open()));
  after(() => h.close());

  it("without the option, facts for customers never loaded get -1", async () => {
    const b = await build(h, 1, MODELS);
    expect(sorted(b.dim.rows)).to.deep.equal(oracle(1, false));
    const expected = factKeys(oracle(1, false), 1);
    expect(keysBy(b.orders.rows, "order_id", "customer_key")).to.deep.equal(expected.orders);
    expect(expected.orders).to.include({ "101": "-1", "102": "-1", "103": "-1", "104": "-1" });
    [b.dim, b.orders, b.payments].forEach(clean);
  });

  it("infers a member for a customer never loaded, completes it in place when the customer arrives, versions later changes", async () => {
    const builds: Build[] = [];
    for (const run of [1, 2, 3]) {
      const b = await build(h, run, withInferred);
      const dim = oracle(run, true);
      expect(sorted(b.dim.rows), `dim_customer after run ${run}`).to.deep.equal(dim);
      const expected = factKeys(dim, run);
      expect(keysBy(b.orders.rows, "order_id", "customer_key"), `fact_orders after run ${run}`).to.deep.equal(expected.orders);
      expect(keysBy(b.payments.rows, "payment_id", "customer_key"), `fact_payments after run ${run}`).to.deep.equal(expected.payments);
      [b.dim, b.orders, b.payments].forEach(clean);
      builds.push(b);
    }
    // The cases as stated, so a wrong oracle cannot hide them.
    const member9 = md5Key("9|");
    const member8 = md5Key("8|");
    const rowsOf = (b: Build, id: string) =>
      b.dim.rows.filter((r) => r.customer_id === id).map((r) => [r.customer_key, r.country, r.valid_from, r.valid_to, r.is_inferred]);
    const orderKeys = (b: Build) => keysBy(b.orders.rows, "order_id", "customer_key");
    // Run 1: inferred rows from the earliest fact (9: its payment at 02-28 through orders), facts keyed to them.
    expect(rowsOf(builds[0], "9")).to.deep.equal([[member9, null, "2026-02-28 12:00:00", END, "true"]]);
    expect(rowsOf(builds[0], "8")).to.deep.equal([[member8, null, "2026-03-02 00:00:00", END, "true"]]);
    expect(orderKeys(builds[0])).to.include({ "101": member9, "102": member9, "103": member8 });
    expect(keysBy(builds[0].payments.rows, "payment_id", "customer_key")).to.deep.equal({ "500": member9, "501": "-1" });
    // Customer 1 was known, but after order 104: its first version is stretched back to it.
    expect(rowsOf(builds[0], "1")).to.deep.equal([[md5Key("1|"), "PT", "2025-12-01 00:00:00", END, "false"]]);
    // Run 2: the same keys, now with the real attributes (9 valid from its own earlier time).
    expect(rowsOf(builds[1], "9")).to.deep.equal([[member9, "ES", "2026-02-10 00:00:00", END, "false"]]);
    expect(rowsOf(builds[1], "8")).to.deep.equal([[member8, "FR", "2026-03-02 00:00:00", END, "false"]]);
    expect(orderKeys(builds[1])).to.deep.equal(orderKeys(builds[0]));
    // Run 3: 9's change is a new version; older facts keep the member key, the new order gets the new one.
    const version9 = md5Key("9|2026-04-01 00:00:00.000000");
    expect(sorted(rowsOf(builds[2], "9") as never)).to.deep.equal(
      sorted([
        [member9, "ES", "2026-02-10 00:00:00", "2026-04-01 00:00:00", "false"],
        [version9, "BR", "2026-04-01 00:00:00", END, "false"],
      ] as never),
    );
    expect(orderKeys(builds[2])).to.include({ "101": member9, "102": member9, "103": member8, "106": version9, "107": "-1", "109": "-1" });
    // 7's history starts with a delete: an inferred row up to it, closed; after it, -1.
    expect(rowsOf(builds[2], "7")).to.deep.equal([[md5Key("7|"), null, "2026-03-15 00:00:00", "2026-03-20 00:00:00", "true"]]);
    expect(orderKeys(builds[2])["108"]).to.equal(md5Key("7|"));
  });

  it("a string key, type-1 and hashed attributes, a DATE as-of, a history starting with a delete (hand-computed rows)", async () => {
    const dimPlan = compileMember("dim_member");
    const dim = await h.runDuckDB(dimPlan, memberInputs());
    const hmac = (v: string) => createHmac("sha256", PII_KEY).update(v).digest("hex");
    const member = (key: string, id: string | null, city: string | null, tier: string | null, email: string | null, from: string, to: string, inferred: boolean): Row => ({
      member_key: key, member_id: id, city, tier, email, valid_from: from, valid_to: to, is_current: String(to === END), is_inferred: String(inferred),
    });
    expect(sorted(dim.rows)).to.deep.equal(
      sorted([
        // a: the inferred row ends at the delete and keeps NULLs (tier's latest value is not its);
        // a's real version is its second row, so it is keyed by its valid_from.
        member(md5Key("a|"), "a", null, null, null, "2026-01-03 00:00:00", "2026-01-05 00:00:00", true),
        member(md5Key("a|2026-01-10 00:00:00.000000"), "a", "Oslo", "silver", hmac("a@x"), "2026-01-10 00:00:00", END, false),
        member(md5Key("b|"), "b", "Rome", "gold", hmac("b@x"), "2026-01-08 00:00:00", END, false),
        member(md5Key("c|"), "c", null, null, null, "2026-01-15 00:00:00", END, true),
        member("-1", null, null, null, null, BEGINNING, END, false),
      ]),
    );
    clean(dim);
    const facts = await h.runDuckDB(compileMember("fact_visits"), { silver_visits: silver(visits, VISITS), dim_member: typed(dimPlan.columns, dim.rows) });
    expect(keysBy(facts.rows, "visit_id", "member_key")).to.deep.equal({
      "1": md5Key("a|"),
      "2": md5Key("a|2026-01-10 00:00:00.000000"),
      "3": md5Key("b|"),
      "4": md5Key("c|"),
      "5": "-1",
      "6": "-1",
    });
    clean(facts);
  });

  it("infers no member for a fact at or after 9999-12-31 (a sentinel date): no window can hold it, so it stays -1", async () => {
    // Windows end at 9999-12-31 00:00:00, exclusive: a member from such a time would be an
    // empty window, failing valid_from_before_valid_to on every build (nothing published again).
    const late = [...VISITS, { visit_id: "7", member_id: "d", visit_day: "9999-12-31", spend: "7.5" }];
    const dim = await h.runDuckDB(compileMember("dim_member"), { ...memberInputs(), silver_visits: silver(visits, late) });
    clean(dim);
    expect(dim.rows.filter((r) => r.member_id === "d")).to.deep.equal([]);
    const facts = await h.runDuckDB(compileMember("fact_visits"), { silver_visits: silver(visits, late), dim_member: typed(compileMember("dim_member").columns, dim.rows) });
    expect(keysBy(facts.rows, "visit_id", "member_key")).to.include({ "4": md5Key("c|"), "7": "-1" });
    clean(facts);
  });

  it("reads the facts' silver (through their lookups) and only with the option", () => {
    const zones = (models: readonly ModelSpec[]) => compile("dim_customer", models).inputs.map((i) => i.relation);
    expect(zones(MODELS)).to.deep.equal(["bronze_log", "files_ledger", "previous", "consumed", "runs"]);
    expect(zones(withInferred)).to.deep.equal(["bronze", "files_ledger", "silver_orders", "silver_order_items", "silver_payments"]);
    expect(compile("dim_customer", withInferred).columns.map((c) => c.name)).to.deep.equal([
      "customer_key", "customer_id", "email", "country", "signup_date", "valid_from", "valid_to", "is_current", "is_inferred",
    ]);
    const alone = [getModel("dim_date"), inferredCustomer];
    expect(() => compile("dim_customer", alone)).to.throw(/^model dim_customer: inferredMembers is set but no fact has a role on dim_customer/);
  });
});

describe("models: inferred members in a workspace (the DuckDB executor)", function () {
  this.timeout(120_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("inferred-members-")));
  afterEach(() => cleanup());

  const write = (name: string, lines: string[]) => {
    const file = join(dir, "files", name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${lines.join("\n")}\n`);
    return file;
  };
  const load = async (ws: string, dataset: string, file: string) => {
    const run = await cli("load", "--dataset", dataset, "--workspace", ws, file);
    expect(run.code, run.stderr).to.equal(0);
  };
  const dimRows = (ws: string) =>
    queryJson<Row>(ws, "SELECT customer_key::VARCHAR AS k, customer_id::VARCHAR AS id, country, strftime(valid_from, '%Y-%m-%d %H:%M:%S') AS valid_from, is_inferred::VARCHAR AS inferred FROM dim_customer WHERE customer_id IS NOT NULL ORDER BY id");
  const orderKeys = async (ws: string) => keysBy(await queryJson<Row>(ws, "SELECT order_id::VARCHAR AS id, customer_key::VARCHAR AS k FROM fact_orders"), "id", "k");

  it("orders loaded before their customers: inferred members published, completed by the customers' load, facts keyed to them throughout", async () => {
    const ws = join(dir, "ws");
    await load(ws, "orders", write("orders/LOAD00000001.csv", [
      "cdc_ts,order_id,customer_id,order_ts,status,total_amount",
      "2026-03-01 09:00:00.000000,101,9,2026-03-01 09:00:00,paid,10.00",
      "2026-03-02 00:00:00.000000,103,8,2026-03-02 00:00:00,paid,5.00",
    ]));
    // The load rebuilt the reference star; the registry with inferred members builds what orders changed.
    const first = await buildModels(ws, withInferred, { changed: ["orders"], datasets: DATASETS });
    expect(first.filter((m) => ["dim_customer", "fact_orders"].includes(m.model)).map((m) => [m.model, m.status, m.error ?? null])).to.deep.equal([
      ["dim_customer", "built", null],
      ["fact_orders", "built", null],
    ]);
    expect(await dimRows(ws)).to.deep.equal([
      { k: md5Key("8|"), id: "8", country: null, valid_from: "2026-03-02 00:00:00", inferred: "true" },
      { k: md5Key("9|"), id: "9", country: null, valid_from: "2026-03-01 09:00:00", inferred: "true" },
    ]);
    expect(await orderKeys(ws)).to.deep.equal({ "101": md5Key("9|"), "103": md5Key("8|") });

    await load(ws, "customers", write("customers/20260601-000000000.csv", ["Op,cdc_ts,customer_id,email,country,signup_date", "I,2026-02-10 00:00:00.000000,9,n@x,ES,2026-02-10"]));
    const second = await buildModels(ws, withInferred, { changed: ["customers"], datasets: DATASETS });
    expect(second.filter((m) => ["dim_customer", "fact_orders"].includes(m.model)).map((m) => [m.model, m.status, m.error ?? null])).to.deep.equal([
      ["dim_customer", "built", null],
      ["fact_orders", "built", null],
    ]);
    expect(await dimRows(ws)).to.deep.equal([
      { k: md5Key("8|"), id: "8", country: null, valid_from: "2026-03-02 00:00:00", inferred: "true" },
      { k: md5Key("9|"), id: "9", country: "ES", valid_from: "2026-02-10 00:00:00", inferred: "false" },
    ]);
    expect(await orderKeys(ws)).to.deep.equal({ "101": md5Key("9|"), "103": md5Key("8|") });
  });
});

describe("models: the inferred_members audit (DuckDB)", function () {
  let h: ModelHarness;
  before(async () => (h = await ModelHarness.open()));
  after(() => h.close());

  const plan = compile("dim_customer", withInferred);
  const row = (key: string, id: string | null, country: string | null, from: string, to: string, inferred: string | null): Row => ({
    customer_key: key,
    customer_id: id,
    email: country === null ? null : "e@x",
    country,
    signup_date: null,
    valid_from: from,
    valid_to: to,
    is_current: String(to === END),
    is_inferred: inferred,
  });
  const good: Row[] = [
    row("-1", null, null, BEGINNING, END, "false"),
    row("1", "1", null, "2026-01-01 00:00:00", "2026-02-01 00:00:00", "true"), // inferred, closed by a delete
    row("2", "1", "PT", "2026-03-01 00:00:00", END, "false"),
    row("3", "2", null, "2026-01-05 00:00:00", END, "true"),
  ];

  async function failing(rows: Row[]): Promise<string[]> {
    await h.session.run(`CREATE OR REPLACE TEMP TABLE staged AS ${typed(plan.columns, rows)}`);
    await h.session.run("CREATE OR REPLACE TEMP VIEW audited AS SELECT * FROM staged"); // a whole build: every row written
    const out: string[] = [];
    for (const a of plan.audits) if (Number((await h.session.rows(a.sql))[0].violations) > 0) out.push(a.name);
    return out;
  }

  it("passes a good table and fails on each crafted bad one", async () => {
    expect(await failing(good)).to.deep.equal([]);
    const edit = (i: number, r: Row) => good.map((x, j) => (j === i ? r : x));
    expect(await failing(edit(3, { ...good[3], is_inferred: null })), "flag not set").to.deep.equal(["inferred_members"]);
    expect(await failing(edit(3, { ...good[3], country: "ES" })), "an inferred row with an attribute").to.deep.equal(["inferred_members"]);
    expect(await failing(edit(2, { ...good[2], is_inferred: "true", country: null, email: null })), "an inferred row after a real one").to.deep.equal(["inferred_members"]);
    expect(await failing(edit(0, { ...good[0], is_inferred: "true" })), "the unknown member inferred").to.deep.equal(["inferred_members"]);
  });
});

describe("models: inferred members, DuckDB = Spark @spark", function () {
  this.timeout(15 * 60_000);
  let h: ModelHarness;
  before(async () => (h = await ModelHarness.open()));
  after(() => h.close());

  it("gives the same dimension (inferred, completed and closed members) and fact keys on both engines", async () => {
    const { sparkForTests } = await import("../support/spark");
    const spark = await sparkForTests();
    const duck = await build(h, 3, withInferred);
    const dimInputs = { bronze: customerBronze(3), files_ledger: filesLedger(3), ...silverInputs(3) };
    const dim = await h.runSpark(spark, compile("dim_customer", withInferred, "spark"), dimInputs);
    expect(dim).to.deep.equal(duck.dim);
    expect(dim.rows.filter((r) => r.is_inferred === "true")).to.have.length(1);
    const facts: ModelInputs = { ...silverInputs(3), dim_customer: typed(compile("dim_customer", withInferred).columns, dim.rows), dim_date: DIM_DATE };
    expect(await h.runSpark(spark, compile("fact_orders", withInferred, "spark"), facts)).to.deep.equal(duck.orders);
    // The custom pair: string key (its key text), type-1 and hashed attributes of inferred rows.
    const duckMember = await h.runDuckDB(compileMember("dim_member"), memberInputs());
    expect(await h.runSpark(spark, compileMember("dim_member", "spark"), memberInputs())).to.deep.equal(duckMember);
  });
});
