// Incremental model builds (docs/models.md "Incremental builds"): two workspaces get the same
// batches through runLoad; one builds the reference star incrementally after each batch, the other
// with --full-refresh; every table must be identical after every batch, and the incremental build
// must have recomputed only the rows the batch touched (counts worked out by hand below).
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { DATASETS } from "../../datasets";
import { buildModels, rollbackTable, type ModelSummary } from "../../engine/duckdb";
import { buildModel, modelDir, type ModelVersionMeta } from "../../engine/duckdb/build-model";
import { committedBronzeFiles } from "../../engine/duckdb/tables";
import { bronzeFilesDir, parquetFiles, readPointer, readVersionMeta, safeName, stagingDir, zoneDir } from "../../engine/duckdb/workspace";
import { compileModel } from "../../engine/models";
import { MODELS } from "../../models";
import { modelLine } from "../../local/commands/build";
import { TestWorkspace } from "../engine/helpers";

type Files = Record<string, Array<{ name: string; lines: string[]; receivedAt: string }>>;

const CUSTOMERS = "cdc_ts,customer_id,email,country,signup_date";
const PRODUCTS = "cdc_ts,product_id,brand,category,unit_price";
const ORDERS = "cdc_ts,order_id,customer_id,order_ts,status,total_amount";
const ITEMS = "cdc_ts,order_item_id,order_id,product_id,quantity,unit_price,line_total,created_at";
const PAYMENTS = "cdc_ts,payment_id,order_id,amount,method,paid_at";
const SHIPMENTS = "cdc_ts,shipment_id,order_id,carrier,shipped_at,delivered_at";
const cdc = (header: string) => `Op,${header}`;
const at = (day: string) => `${day}T00:00:00.000Z`;

/** The batches, in load order. Comments say what each change exercises. */
const BATCHES: Files[] = [
  {
    customers: [
      { name: "LOAD00000001.csv", receivedAt: at("2026-04-01"), lines: [CUSTOMERS, "2026-01-01 00:00:00,1,a@x,PT,2026-01-01", "2026-01-01 00:00:00,2,b@x,PT,2026-01-01", "2026-01-01 00:00:00,3,c@x,PT,2026-01-01", "2026-01-01 00:00:00,4,d@x,PT,2026-01-01"] },
      // A second full-load file: a partial reload of LOAD00000001 later leaves customer 5 out.
      { name: "LOAD00000002.csv", receivedAt: at("2026-04-01"), lines: [CUSTOMERS, "2026-01-01 00:00:00,5,e@x,PT,2026-01-01"] },
    ],
    products: [{ name: "LOAD00000001.csv", receivedAt: at("2026-04-01"), lines: [PRODUCTS, "2026-01-01 00:00:00,10,acme,tools,5.00", "2026-01-01 00:00:00,11,acme,toys,7.00"] }],
    orders: [
      {
        name: "LOAD00000001.csv",
        receivedAt: at("2026-04-01"),
        lines: [ORDERS, "2026-02-10 00:00:00,100,1,2026-02-10 00:00:00,paid,10.00", "2026-03-05 00:00:00,101,2,2026-03-05 00:00:00,paid,20.00", "2026-03-20 00:00:00,102,3,2026-03-20 00:00:00,paid,30.00", "2026-03-01 00:00:00,103,9,2026-03-01 00:00:00,paid,40.00", "2026-03-06 00:00:00,105,5,2026-03-29 00:00:00,paid,50.00"],
      },
    ],
    order_items: [
      { name: "LOAD00000001.csv", receivedAt: at("2026-04-01"), lines: [ITEMS, "2026-02-10 00:00:00,1000,100,10,1,5.00,5.00,2026-02-10 00:00:00", "2026-03-05 00:00:00,1001,101,11,2,7.00,14.00,2026-03-05 00:00:00", "2026-03-20 00:00:00,1002,102,10,1,5.00,5.00,2026-03-20 00:00:00"] },
    ],
    payments: [{ name: "LOAD00000001.csv", receivedAt: at("2026-04-01"), lines: [PAYMENTS, "2026-02-11 00:00:00,500,100,10.00,card,2026-02-11 00:00:00", "2026-03-06 00:00:00,501,101,20.00,card,2026-03-06 00:00:00"] }],
    shipments: [{ name: "LOAD00000001.csv", receivedAt: at("2026-04-01"), lines: [SHIPMENTS, "2026-02-12 00:00:00,700,100,ups,2026-02-12 00:00:00,2026-02-15 00:00:00"] }],
  },
  {
    customers: [
      {
        name: "20260402-000000000.csv",
        receivedAt: at("2026-04-02"),
        // 1 moves to ES (after order 100: no re-key); 2 a no-op update; 3 deleted before order 102.
        lines: [cdc(CUSTOMERS), "U,2026-03-01 00:00:00,1,a@x,ES,2026-01-01", "U,2026-03-02 00:00:00,2,b@x,PT,2026-01-01", "D,2026-03-10 00:00:00,3,c@x,PT,2026-01-01"],
      },
    ],
    // Product 10 changes category before order 102: item 1002 is re-keyed.
    products: [{ name: "20260402-000000000.csv", receivedAt: at("2026-04-02"), lines: [cdc(PRODUCTS), "U,2026-03-15 00:00:00,10,acme,garden,5.00"] }],
    orders: [{ name: "20260402-000000000.csv", receivedAt: at("2026-04-02"), lines: [cdc(ORDERS), "U,2026-03-06 00:00:00,101,2,2026-03-05 00:00:00,shipped,20.00", "I,2026-03-15 00:00:00,104,1,2026-03-15 00:00:00,paid,60.00"] }],
  },
  {
    customers: [
      {
        name: "20260403-000000000.csv",
        receivedAt: at("2026-04-03"),
        // A late change splitting 1's first window before order 100; 3 re-inserted; 9 arrives
        // (order 103 leaves -1); 5 moves to IT.
        lines: [cdc(CUSTOMERS), "U,2026-02-01 00:00:00,1,a@x,BR,2026-01-01", "I,2026-03-25 00:00:00,3,c@x,FR,2026-01-01", "I,2026-01-01 00:00:00,9,z@x,PT,2026-01-01", "U,2026-03-30 00:00:00,5,e@x,IT,2026-01-01"],
      },
    ],
    // Order 101 deleted (its fact row goes, payment 501 loses its customer through the lookup);
    // order 100 moves to customer 2 (a lookup change re-keys payment 500 and item 1000).
    orders: [{ name: "20260403-000000000.csv", receivedAt: at("2026-04-03"), lines: [cdc(ORDERS), "D,2026-03-07 00:00:00,101,2,2026-03-05 00:00:00,shipped,20.00", "U,2026-03-08 00:00:00,100,2,2026-02-10 00:00:00,paid,10.00"] }],
    // A re-insert of a deleted item? No: a new payment and a shipment update.
    payments: [{ name: "20260403-000000000.csv", receivedAt: at("2026-04-03"), lines: [cdc(PAYMENTS), "I,2026-03-16 00:00:00,502,104,60.00,paypal,2026-03-16 00:00:00"] }],
    shipments: [{ name: "20260403-000000000.csv", receivedAt: at("2026-04-03"), lines: [cdc(SHIPMENTS), "U,2026-02-16 00:00:00,700,100,ups,2026-02-12 00:00:00,2026-02-16 00:00:00"] }],
  },
  {
    // A late CDC file received after the reload below was (04-05 > 04-04) but loaded before it.
    customers: [{ name: "20260405-000000000.csv", receivedAt: at("2026-04-05"), lines: [cdc(CUSTOMERS), "U,2026-03-28 00:00:00,5,e@x,NL,2026-01-01"] }],
  },
  {
    // A DMS reload (a new version of LOAD00000001, a new generation) of customers 1-4, received
    // 04-04: the 04-05 file joins its generation, which reorders customer 5's changes although
    // customer 5 has no new row.
    customers: [
      {
        name: "LOAD00000001.csv",
        receivedAt: at("2026-04-04"),
        lines: [CUSTOMERS, "2026-04-04 00:00:00,1,a@x,BR,2026-01-01", "2026-04-04 00:00:00,2,b2@x,PT,2026-01-01", "2026-04-04 00:00:00,3,c@x,FR,2026-01-01", "2026-04-04 00:00:00,4,d@x,DE,2026-01-01"],
      },
    ],
  },
];

async function canonical(ws: TestWorkspace, model: string): Promise<string[]> {
  const plan = compileModel(MODELS.find((m) => m.name === model)!, { dialect: "duckdb", datasets: DATASETS, models: MODELS });
  const cols = plan.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(", ");
  const rows = await ws.query(`SELECT ${cols} FROM ${model}`);
  return rows.map((r) => JSON.stringify(plan.columns.map((c) => r[c.name] ?? null))).sort();
}

async function loadBatch(ws: TestWorkspace, batch: Files): Promise<void> {
  for (const [dataset, files] of Object.entries(batch)) {
    const manifest = files.map((f) => ws.file(dataset, f.name, `${f.lines.join("\n")}\n`, { receivedAt: f.receivedAt }));
    const summary = await ws.load(dataset, manifest);
    expect(summary.status, `${dataset}: ${JSON.stringify(summary.error ?? "")}`).to.equal("SUCCEEDED");
  }
}

const byModel = (summaries: ModelSummary[]) => Object.fromEntries(summaries.map((s) => [s.model, s]));

/** Two workspaces for the suite (one built incrementally, one with --full-refresh), made before it and removed after. */
function workspacePair(prefix: string): { inc: TestWorkspace; full: TestWorkspace } {
  const pair = {} as { inc: TestWorkspace; full: TestWorkspace };
  before(() => {
    pair.inc = new TestWorkspace(`${prefix}-inc-`);
    pair.full = new TestWorkspace(`${prefix}-full-`);
  });
  after(() => {
    pair.inc.cleanup();
    pair.full.cleanup();
  });
  return pair;
}

describe("models: incremental builds equal full refreshes (DuckDB)", function () {
  this.timeout(10 * 60_000);
  const ws = workspacePair("incremental");

  /** What each batch's incremental build recomputed, per model (worked out from BATCHES). */
  const RECOMPUTED: Array<Record<string, number>> = [
    // First build: everything. dim_customer: 5 keys x 1 version + the unknown member.
    { dim_customer: 6, dim_product: 3, fact_orders: 5, fact_order_items: 3, fact_payments: 2, fact_shipments: 1 },
    // Touched customers 1 (2 versions), 2 (no-op: 1), 3 (deleted: 1) + unknown; product 10 (2) +
    // unknown. A fact row is re-keyed only when its as-of time lies where the covering version
    // changed. Orders: 101 and 104 new; 102 (customer 3 deleted before it) re-keyed, not 100
    // (customer 1 moved after it). Items: 1002 (product 10 changed before it, not 1000: after);
    // 1001's order 101 changed (lookup). Payments: 501 (order 101); 500 is before customer 1's
    // move. Shipments: nothing new.
    { dim_customer: 5, dim_product: 3, fact_orders: 3, fact_order_items: 2, fact_payments: 1, fact_shipments: 0 },
    // Customers 1 (3 versions), 3 (2), 9 (1), 5 (2) + unknown. Orders: 100, 101 (deleted: not
    // recomputed) new; 103 (customer 9 arrived: no longer -1) re-keyed; not 104 (customer 1's
    // late change splits a window before it), 102 (customer 3 re-inserted after it), 105
    // (customer 5 moved after it). Items: 1000 (order 100), 1001 (order 101, gone: still a row,
    // its order now NULL). Payments: 502 new, 500 and 501 (orders changed). Shipments: 700.
    { dim_customer: 9, dim_product: 1, fact_orders: 2, fact_order_items: 2, fact_payments: 3, fact_shipments: 1 },
    // Customer 5 (3 versions) + unknown; its order 105 (03-29, in the new NL window) re-keyed.
    { dim_customer: 4, dim_product: 1, fact_orders: 1, fact_order_items: 0, fact_payments: 0, fact_shipments: 0 },
    // The reload: customers 1-4 (new rows) and 5 (regenerated): all but 9, + unknown. Versions
    // changed for 1 (BR again from 04-04), 2 (email), 4 (DE) and 5 (reordered), not 3 (FR again: a
    // no-op); only order 105 (customer 5 at 03-29) has its time in a changed span: the others'
    // times are before 04-04, where 1's and 2's versions are unchanged.
    { dim_customer: 13, dim_product: 1, fact_orders: 1, fact_order_items: 0, fact_payments: 0, fact_shipments: 0 },
  ];

  BATCHES.forEach((batch, i) => {
    it(`batch ${i + 1}: every table equals the full refresh, and only the touched rows were recomputed`, async () => {
      await loadBatch(ws.inc, batch);
      await loadBatch(ws.full, batch);
      const incremental = byModel(await buildModels(ws.inc.dir, MODELS, { datasets: DATASETS }));
      const refreshed = byModel(await buildModels(ws.full.dir, MODELS, { datasets: DATASETS, fullRefresh: true }));
      for (const model of MODELS) {
        expect(incremental[model.name].status, `${model.name}: ${incremental[model.name].error}`).to.equal("built");
        expect(refreshed[model.name].status, `${model.name}: ${refreshed[model.name].error}`).to.equal("built");
        expect(await canonical(ws.inc, model.name), model.name).to.deep.equal(await canonical(ws.full, model.name));
      }
      for (const [model, n] of Object.entries(RECOMPUTED[i])) {
        expect(incremental[model], model).to.include({ mode: i === 0 ? "full" : "incremental", recomputed: n });
        expect(refreshed[model], model).to.include({ mode: "full", modeReason: "full refresh requested" });
      }
    });
  });
});

describe("models: a fact after two dimension builds compares only the keys they touched (DuckDB)", function () {
  this.timeout(5 * 60_000);
  const ws = workspacePair("incremental-chain");

  // 40 customers, so two batches of 2 stay under the compaction share (segments.ts): each dimension
  // build adds a merge segment, and the fact's incremental build narrows the two versions it
  // compares to the keys those segments list (changedRowsScans) instead of reading them whole.
  const customers = Array.from({ length: 40 }, (_, i) => `2026-01-01 00:00:00,${i + 1},c${i + 1}@x,PT,2026-01-01`);
  const orders = Array.from({ length: 20 }, (_, i) => `2026-03-0${(i % 9) + 1} 00:00:00,${200 + i},${i + 1},2026-03-0${(i % 9) + 1} 00:00:00,paid,${i + 1}.00`);
  const star = MODELS.filter((m) => ["dim_date", "dim_customer", "fact_orders"].includes(m.name));
  const batches: Files[] = [
    {
      customers: [{ name: "LOAD00000001.csv", receivedAt: at("2026-04-01"), lines: [CUSTOMERS, ...customers] }],
      orders: [{ name: "LOAD00000001.csv", receivedAt: at("2026-04-01"), lines: [ORDERS, ...orders] }],
    },
    // Customer 1 (order 200 on 03-01) moves on 02-15, before it: re-keyed. Customer 2 (order 201 on
    // 03-02) moves on 03-05, after it: not re-keyed.
    { customers: [{ name: "20260402-000000000.csv", receivedAt: at("2026-04-02"), lines: [cdc(CUSTOMERS), "U,2026-02-15 00:00:00,1,c1@x,ES,2026-01-01", "U,2026-03-05 00:00:00,2,c2@x,ES,2026-01-01"] }] },
    // Customer 3 (order 202 on 03-03) deleted on 03-01, before it: re-keyed to -1. Customer 11 (order
    // 210 on 03-02) a no-op update: nothing.
    { customers: [{ name: "20260403-000000000.csv", receivedAt: at("2026-04-03"), lines: [cdc(CUSTOMERS), "D,2026-03-01 00:00:00,3,c3@x,PT,2026-01-01", "U,2026-03-02 12:00:00,11,c11@x,PT,2026-01-01"] }] },
  ];

  it("re-keys exactly the facts either build changed, equal to a full refresh", async () => {
    for (const w of [ws.inc, ws.full]) {
      await loadBatch(w, batches[0]);
      await buildModels(w.dir, star, { datasets: DATASETS });
      for (const batch of batches.slice(1)) {
        await loadBatch(w, batch);
        const dims = byModel(await buildModels(w.dir, star, { datasets: DATASETS, select: "dim_customer" }));
        expect(dims.dim_customer).to.include({ status: "built", mode: "incremental" });
      }
    }
    const dir = modelDir(ws.inc.dir, "dim_customer");
    const segments = (readVersionMeta(dir, readPointer(dir)!.version) as ModelVersionMeta).segments!;
    expect(segments.map((g) => g.keys), "two merge segments on the version the fact read").to.deep.equal([false, true, true]);

    const incremental = byModel(await buildModels(ws.inc.dir, star, { datasets: DATASETS, select: "fact_orders" }));
    const refreshed = byModel(await buildModels(ws.full.dir, star, { datasets: DATASETS, select: "fact_orders", fullRefresh: true }));
    expect(incremental.fact_orders).to.include({ status: "built", mode: "incremental", recomputed: 2 });
    expect(refreshed.fact_orders).to.include({ status: "built", mode: "full" });
    expect(await canonical(ws.inc, "fact_orders")).to.deep.equal(await canonical(ws.full, "fact_orders"));
    const keys = await ws.inc.query("SELECT order_id, customer_key FROM fact_orders WHERE order_id IN (200, 202) ORDER BY order_id");
    expect(keys.map((r) => String(r.customer_key) === "-1")).to.deep.equal([false, true]);
  });
});

describe("models: a full-load file's earlier version arriving late regenerates the loaded one (DuckDB)", function () {
  this.timeout(5 * 60_000);
  let inc: TestWorkspace;
  let full: TestWorkspace;
  beforeEach(() => {
    inc = new TestWorkspace("regenerated-inc-");
    full = new TestWorkspace("regenerated-full-");
  });
  afterEach(() => {
    inc.cleanup();
    full.cleanup();
  });

  it("recomputes the keys of the generation the loaded version now starts, and re-keys their facts", async () => {
    // LOAD00000001 (07-05) and a CDC file (07-02) load; then an earlier version of LOAD00000001
    // (07-01) arrives. The 07-05 version becomes a reload (docs/dms.md "Full reload"): customer
    // 3's full-load row now starts a generation and follows the 05-01 change, although no new
    // row is customer 3's. Its dimension rows and order 100's key change.
    const batches: Files[] = [
      {
        orders: [{ name: "20260601-000000000.csv", receivedAt: at("2026-06-01"), lines: [cdc(ORDERS), "I,2026-06-01 00:00:00,100,3,2026-06-01 00:00:00,paid,10.00"] }],
        customers: [
          { name: "LOAD00000001.csv", receivedAt: at("2026-07-05"), lines: [CUSTOMERS, "2026-07-05 00:00:00,3,c@x,PT,2026-01-01"] },
          { name: "20260702-000000000.csv", receivedAt: at("2026-07-02"), lines: [cdc(CUSTOMERS), "U,2026-05-01 00:00:00,3,c@x,BR,2026-01-01"] },
        ],
      },
      { customers: [{ name: "LOAD00000001.csv", receivedAt: at("2026-07-01"), lines: [CUSTOMERS, "2026-07-01 00:00:00,9,z@x,PT,2026-01-01"] }] },
    ];
    const star = MODELS.filter((m) => ["dim_date", "dim_customer", "fact_orders"].includes(m.name));
    let last: Record<string, ModelSummary> = {};
    for (const batch of batches) {
      await loadBatch(inc, batch);
      await loadBatch(full, batch);
      last = byModel(await buildModels(inc.dir, star, { datasets: DATASETS }));
      await buildModels(full.dir, star, { datasets: DATASETS, fullRefresh: true });
      for (const model of ["dim_customer", "fact_orders"]) {
        expect(last[model].status, `${model}: ${last[model].error}`).to.equal("built");
        expect(await canonical(inc, model), model).to.deep.equal(await canonical(full, model));
      }
    }
    // Customers 3 (two versions, reordered) and 9 (new) + the unknown member; order 100 re-keyed.
    expect(last.dim_customer).to.include({ mode: "incremental", recomputed: 4 });
    expect(last.fact_orders).to.include({ mode: "incremental", recomputed: 1 });
  });
});

describe("models: when an incremental model is rebuilt in full (DuckDB)", function () {
  this.timeout(5 * 60_000);
  let ws: TestWorkspace;
  before(() => (ws = new TestWorkspace("incremental-fallback-")));
  after(() => ws.cleanup());

  it("rebuilds in full, saying why, after a plan change and when the dimension version a fact read is gone", async () => {
    await loadBatch(ws, BATCHES[0]);
    const star = MODELS.filter((m) => ["dim_date", "dim_customer", "fact_orders"].includes(m.name));
    await buildModels(ws.dir, star, { datasets: DATASETS });
    await loadBatch(ws, BATCHES[1]);

    // Another plan for dim_customer (a step's SQL differs): its fingerprint differs.
    const edited = byModel(
      await buildModels(ws.dir, star, {
        datasets: DATASETS,
        select: "dim_customer",
        compile: (spec, ctx) => {
          const plan = compileModel(spec, ctx);
          return { ...plan, steps: plan.steps.map((s) => (s.name === "dim_versions" ? { ...s, sql: `${s.sql} ` } : s)) };
        },
      }),
    );
    expect(edited.dim_customer).to.include({ status: "built", mode: "full" });
    expect(edited.dim_customer.modeReason).to.match(/^the plan changed since v000001 \(fingerprint [0-9a-f]{16} -> [0-9a-f]{16}\)$/);

    // dim_customer built again keeping no old version: v000001, which fact_orders read, is gone.
    const keep = process.env.DATALAKE_KEEP_VERSIONS;
    process.env.DATALAKE_KEEP_VERSIONS = "0";
    try {
      await buildModels(ws.dir, star, { datasets: DATASETS, select: "dim_customer" });
    } finally {
      if (keep === undefined) delete process.env.DATALAKE_KEEP_VERSIONS;
      else process.env.DATALAKE_KEEP_VERSIONS = keep;
    }
    const facts = byModel(await buildModels(ws.dir, star, { datasets: DATASETS, select: "fact_orders" }));
    expect(facts.fact_orders).to.include({ status: "built", mode: "full", modeReason: "dim_customer v000001, which v000001 was built against, is no longer kept" });
    expect(facts.fact_orders.recomputed).to.equal(facts.fact_orders.rows);
    // And the next build is incremental again, with nothing new: nothing recomputed.
    const again = byModel(await buildModels(ws.dir, star, { datasets: DATASETS }));
    expect(again.dim_customer).to.include({ mode: "incremental", recomputed: 1 });
    expect(again.fact_orders).to.include({ mode: "incremental", recomputed: 0 });
  });
});

describe("models: a dataset rollback rebuilds its models in full (DuckDB)", function () {
  this.timeout(5 * 60_000);
  let ws: TestWorkspace;
  let fresh: TestWorkspace;
  before(() => {
    ws = new TestWorkspace("incremental-rollback-");
    fresh = new TestWorkspace("incremental-rollback-fresh-");
  });
  after(() => {
    ws.cleanup();
    fresh.cleanup();
  });

  it("drops the rolled-back runs' changes: the next build is full and equals a build that never saw them", async () => {
    const star = MODELS.filter((m) => ["dim_date", "dim_customer", "fact_orders"].includes(m.name));
    await loadBatch(ws, BATCHES[0]);
    await loadBatch(fresh, BATCHES[0]);
    await loadBatch(ws, { customers: BATCHES[1].customers });
    await buildModels(ws.dir, star, { datasets: DATASETS });

    await rollbackTable(ws.dir, "customers");
    const after = byModel(await buildModels(ws.dir, star, { datasets: DATASETS }));
    await buildModels(fresh.dir, star, { datasets: DATASETS });

    expect(after.dim_customer, after.dim_customer.error).to.include({ status: "built", mode: "full" });
    expect(after.dim_customer.modeReason).to.match(/^1 load run\(s\) it had read are gone from bronze_log \(.*: a rollback\)$/);
    for (const model of star) expect(await canonical(ws, model.name), model.name).to.deep.equal(await canonical(fresh, model.name));
  });
});

describe("models: a dataset spec edit rebuilds the models reading its silver in full (DuckDB)", function () {
  this.timeout(5 * 60_000);
  let ws: TestWorkspace;
  let fresh: TestWorkspace;
  before(() => {
    ws = new TestWorkspace("incremental-spec-edit-");
    fresh = new TestWorkspace("incremental-spec-edit-fresh-");
  });
  after(() => {
    ws.cleanup();
    fresh.cleanup();
  });

  it("the next load relabels old rows without a new bronze row: the build after it is full and equals one under the edited spec alone", async () => {
    const star = MODELS.filter((m) => ["dim_date", "dim_customer", "fact_orders"].includes(m.name));
    const orders = DATASETS.find((d) => d.name === "orders")!;
    // The edit: a new accepted status heals order 106, quarantined until then.
    const edited = { ...orders, rules: orders.rules.map((r) => (r.kind === "accepted_values" ? { ...r, values: [...r.values, "on_hold"] } : r)) };
    const datasets = DATASETS.map((d) => (d.name === "orders" ? edited : d));
    const onHold = { name: "20260410-000000000.csv", receivedAt: at("2026-04-10"), lines: [cdc(ORDERS), "I,2026-03-21 00:00:00,106,1,2026-03-21 00:00:00,on_hold,70.00"] };
    const later = { name: "20260411-000000000.csv", receivedAt: at("2026-04-11"), lines: [cdc(ORDERS), "I,2026-03-22 00:00:00,107,2,2026-03-22 00:00:00,paid,80.00"] };
    for (const w of [ws, fresh]) await loadBatch(w, BATCHES[0]);
    await loadBatch(ws, { orders: [onHold] });
    await buildModels(ws.dir, star, { datasets: DATASETS });

    // A load under the edited spec is a full refresh (another load plan): 106 moves to silver.
    const file = (w: TestWorkspace, f: typeof later) => w.file("orders", f.name, `${f.lines.join("\n")}\n`, { receivedAt: f.receivedAt });
    expect((await ws.load(edited, [file(ws, later)])).status).to.equal("SUCCEEDED");
    const after = byModel(await buildModels(ws.dir, star, { datasets }));
    expect((await fresh.load(edited, [file(fresh, onHold), file(fresh, later)])).status).to.equal("SUCCEEDED");
    await buildModels(fresh.dir, star, { datasets });

    expect(after.fact_orders, after.fact_orders.error).to.include({ status: "built", mode: "full" });
    expect(after.fact_orders.modeReason).to.match(/^silver orders was rebuilt by another load plan since v000001 \(fingerprint \w+ -> \w+: a dataset spec edit\)$/);
    for (const model of star) expect(await canonical(ws, model.name), model.name).to.deep.equal(await canonical(fresh, model.name));
  });
});

describe("models: a build refuses while a dataset it reads has a spec no load has applied (DuckDB)", function () {
  this.timeout(5 * 60_000);
  const star = MODELS.filter((m) => ["dim_date", "dim_customer", "fact_orders"].includes(m.name));
  const customers = DATASETS.find((d) => d.name === "customers")!;
  const withCustomers = (spec: typeof customers) => DATASETS.map((d) => (d.name === "customers" ? spec : d));
  let ws: TestWorkspace;
  beforeEach(async () => {
    ws = new TestWorkspace("source-spec-edit-");
    await loadBatch(ws, BATCHES[0]);
    // A key an int cannot hold.
    await loadBatch(ws, { customers: [{ name: "20260401-120000000.csv", receivedAt: "2026-04-01T12:00:00.000Z", lines: [cdc(CUSTOMERS), "I,2026-01-02 00:00:00,3000000000,z@x,PT,2026-01-02"] }] });
    const first = await buildModels(ws.dir, star, { datasets: DATASETS });
    expect(first.map((s) => [s.model, s.status, s.error ?? ""])).to.deep.equal(star.map((m) => [m.name, "built", ""]));
  });
  afterEach(() => ws.cleanup());

  it("an edit old rows no longer meet: its load is refused, so is the build (the dimension kept whole); reverted, the build runs", async () => {
    const narrowed = { ...customers, columns: customers.columns.map((c) => (c.name === "customer_id" ? { ...c, type: "int" as const } : c)) };
    const dimBefore = await canonical(ws, "dim_customer");
    expect(dimBefore.filter((r) => r.includes('"3000000000"'))).to.have.length(1);
    const versionBefore = readPointer(modelDir(ws.dir, "dim_customer"))!.version;
    expect((await ws.load(narrowed, [])).status).to.equal("FAILED");

    // Before the check, this build applied the narrowed key to bronze: customer 3000000000 left
    // dim_customer and every audit passed.
    const refused = byModel(await buildModels(ws.dir, star, { datasets: withCustomers(narrowed) }));
    expect(refused.dim_customer.status).to.equal("failed");
    expect(refused.dim_customer.error).to.match(
      /^dataset customers: its silver was published under load plan [0-9a-f]{16}, its spec compiles to [0-9a-f]{16} now \(a spec edit or another compiler\); load customers first to apply it \(locally: datalake load --dataset customers --full-refresh\) or revert the edit; nothing built$/,
    );
    // The fact's compile refuses the narrowed natural key of the dimension on its own.
    expect(refused.fact_orders.status, refused.fact_orders.error).to.equal("failed");
    expect(readPointer(modelDir(ws.dir, "dim_customer"))!.version).to.equal(versionBefore);
    expect(await canonical(ws, "dim_customer")).to.deep.equal(dimBefore);

    const reverted = byModel(await buildModels(ws.dir, star, { datasets: DATASETS }));
    expect(reverted.dim_customer.status, reverted.dim_customer.error).to.equal("built");
    expect(await canonical(ws, "dim_customer")).to.deep.equal(dimBefore);
  });

  it("an edit is built once a load has applied it", async () => {
    // Lower-case countries allowed: a rule edit every row meets.
    const relaxed = { ...customers, rules: customers.rules.map((r) => (r.kind === "regex" ? { ...r, pattern: "^[A-Za-z]{2}$" } : r)) };
    const early = byModel(await buildModels(ws.dir, star, { datasets: withCustomers(relaxed) }));
    expect(early.dim_customer.status).to.equal("failed");
    expect(early.dim_customer.error).to.match(/^dataset customers: its silver was published under load plan /);

    expect((await ws.load(relaxed, [])).status).to.equal("SUCCEEDED");
    const after = byModel(await buildModels(ws.dir, star, { datasets: withCustomers(relaxed) }));
    expect(after.dim_customer.status, after.dim_customer.error).to.equal("built");
    // Now the spec before the edit is the one no load has applied: a build under it is refused.
    const old = byModel(await buildModels(ws.dir, star, { datasets: DATASETS }));
    expect(old.dim_customer.status).to.equal("failed");
  });
});

describe("models: a build racing a load reads each dataset at one point (DuckDB)", function () {
  this.timeout(5 * 60_000);
  const star = MODELS.filter((m) => ["dim_date", "dim_customer", "fact_orders"].includes(m.name));
  const factOrders = () => compileModel(MODELS.find((m) => m.name === "fact_orders")!, { dialect: "duckdb", datasets: DATASETS, models: MODELS });
  const consumedBy = (ws: TestWorkspace, version: string) => (readVersionMeta(modelDir(ws.dir, "fact_orders"), version) as ModelVersionMeta).consumed ?? {};
  let ws: TestWorkspace;
  beforeEach(async () => {
    ws = new TestWorkspace("incremental-race-");
    await loadBatch(ws, BATCHES[0]);
    await buildModels(ws.dir, star, { datasets: DATASETS });
  });
  afterEach(() => ws.cleanup());

  /** The next incremental build of the star, then a full refresh: fact_orders must not change. */
  async function expectNextBuildEqualsFullRefresh(): Promise<void> {
    const next = byModel(await buildModels(ws.dir, star, { datasets: DATASETS }));
    expect(next.fact_orders, next.fact_orders.error).to.include({ status: "built", mode: "incremental" });
    const incremental = await canonical(ws, "fact_orders");
    await buildModels(ws.dir, star, { datasets: DATASETS, fullRefresh: true });
    expect(incremental).to.deep.equal(await canonical(ws, "fact_orders"));
  }

  it("a load published while the build registers its inputs is neither read nor recorded, and the next build picks it up", async () => {
    // The load runs after the build read silver orders and before it reads bronze orders.
    let raced: string | undefined;
    const result = await buildModel(ws.dir, factOrders(), {
      datasets: DATASETS,
      beforeInput: async (input) => {
        if (input.relation !== "bronze_orders" || raced) return;
        const manifest = BATCHES[1].orders.map((f) => ws.file("orders", f.name, `${f.lines.join("\n")}\n`, { receivedAt: f.receivedAt }));
        raced = (await ws.load("orders", manifest)).runId;
      },
    });
    expect(result.status, result.error).to.equal("SUCCEEDED");
    expect(raced).to.be.a("string");
    expect(consumedBy(ws, result.version!).bronze_orders).to.not.include(raced);
    await expectNextBuildEqualsFullRefresh();
  });

  it("a build during a load's publish (silver moved, bronze not yet appended) waits for it and reads the run whole", async () => {
    await loadBatch(ws, { orders: BATCHES[1].orders });
    // Put the workspace back between that run's silver pointer and its bronze append: its bronze
    // and files-ledger files back under its staging folder.
    const run = readPointer(zoneDir(ws.dir, "silver", "orders"))!.runId;
    const staging = stagingDir(ws.dir, "orders", run);
    const appended = [...committedBronzeFiles(ws.dir, "orders"), ...parquetFiles(bronzeFilesDir(ws.dir, "orders"))].filter((f) => path.basename(f).startsWith(safeName(run)));
    expect(appended.map((f) => path.basename(path.dirname(f)))).to.include("_files");
    const staged = (f: string) => path.join(staging, path.relative(ws.dir, f));
    const move = (from: string, to: string) => {
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.renameSync(from, to);
    };
    for (const f of appended) move(f, staged(f));
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const f of appended) move(staged(f), f);
      fs.rmSync(staging, { recursive: true, force: true });
    };
    // The publish finishes 2 s later, or as soon as the build has read bronze orders (so a build
    // that does not wait reads silver with the run and bronze without it).
    const timer = setTimeout(finish, 2000);
    try {
      const result = await buildModel(ws.dir, factOrders(), { datasets: DATASETS, beforeInput: async (input) => void (input.relation === "before_dim_customer" && finish()) });
      expect(result.status, result.error).to.equal("SUCCEEDED");
      expect(consumedBy(ws, result.version!).bronze_orders).to.include(run);
    } finally {
      clearTimeout(timer);
      finish();
    }
    await expectNextBuildEqualsFullRefresh();
  });

  it("a load stopped mid-publish fails the build in one line, naming the run", async () => {
    await loadBatch(ws, { orders: BATCHES[1].orders });
    const run = readPointer(zoneDir(ws.dir, "silver", "orders"))!.runId;
    fs.mkdirSync(stagingDir(ws.dir, "orders", run), { recursive: true });
    const result = await buildModel(ws.dir, factOrders(), { datasets: DATASETS, publishWaitMs: 200 });
    expect(result.status).to.equal("FAILED");
    expect(result.error).to.match(new RegExp(`^dataset orders: load run ${run} published silver v000002 but has not finished publishing bronze after 0 s \\(its staging folder .* is still there: a load stopped mid-publish\\? load orders again\\)$`));
  });
});

describe("models: which plans are incremental", () => {
  const plan = (model: string, datasets = DATASETS) => compileModel(MODELS.find((m) => m.name === model)!, { dialect: "duckdb", datasets, models: MODELS });
  const incremental = (p: ReturnType<typeof plan>) => p.inputs.some((i) => i.zone === "consumed");

  it("dimensions and facts are, dim_date is not, nor a fact whose source or lookup has a unique rule", () => {
    expect(MODELS.filter((m) => incremental(plan(m.name))).map((m) => m.name)).to.deep.equal(MODELS.filter((m) => m.kind !== "date").map((m) => m.name));
    // A unique rule on orders moves other keys' rows in or out of silver without a change of theirs.
    const unique = DATASETS.map((d) => (d.name === "orders" ? { ...d, rules: [...d.rules, { kind: "unique" as const, columns: ["customer_id"] }] } : d));
    expect(incremental(plan("fact_orders", unique))).to.equal(false);
    expect(incremental(plan("fact_payments", unique))).to.equal(false); // orders is its lookup
    expect(incremental(plan("fact_shipments", unique))).to.equal(true);
    expect(plan("fact_orders", unique).recomputed).to.equal(undefined);
  });
});

describe("datalake build: an incremental model's line says what it recomputed", () => {
  it("prints the recomputed rows, or why the model was rebuilt whole", () => {
    const base: ModelSummary = { model: "dim_customer", kind: "dimension", status: "built", runId: "b", startedAt: "", finishedAt: "", rows: 507, audits: [], durationMs: 5, version: "v000002" };
    expect(modelLine({ ...base, mode: "incremental", recomputed: 14 }, { timing: false })).to.equal("dim_customer: built v000002, 507 rows (incremental: 14 recomputed), 0 audits passed");
    expect(modelLine({ ...base, mode: "full", modeReason: "full refresh requested", recomputed: 507 }, { timing: false })).to.equal(
      "dim_customer: built v000002, 507 rows (full: full refresh requested), 0 audits passed",
    );
    expect(modelLine({ ...base, model: "dim_date", kind: "date" }, { timing: false })).to.equal("dim_date: built v000002, 507 rows, 0 audits passed");
  });
});
