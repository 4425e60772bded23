// Row semantics of ARCHITECTURE.md: order of changes, tombstones, idempotent reloads, and the
// same silver whatever the file order or load mode.
import { expect } from "chai";
import { defineDataset } from "../../datasets";
import { ORDERS_HEADER, TestWorkspace, expectConserved, fileResult, orderRow } from "./helpers";

const csv = (...rows: string[]) => [ORDERS_HEADER, ...rows].join("\n") + "\n";
const SILVER = "SELECT order_id, customer_id, order_ts, status, total_amount, cdc_ts, order_year, order_month, _source_key, _row_number FROM orders ORDER BY order_id";

describe("engine (DuckDB): CDC semantics", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("deletes a key and re-inserts it later; a delete alone keeps a tombstone in state", async () => {
    const file = ws.file(
      "orders",
      "dri.csv",
      csv(
        orderRow("I", 1, "2026-11-01 10:00:00", "pending"),
        orderRow("D", 1, "2026-11-01 11:00:00"),
        orderRow("I", 1, "2026-11-01 12:00:00", "paid"),
        orderRow("I", 2, "2026-11-01 10:00:00"),
        orderRow("D", 2, "2026-11-01 11:00:00"),
      ),
    );

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(summary.counts).to.include({ stateKeys: 2, currentRows: 1, silverRows: 1 });
    expect(await ws.query("SELECT order_id, status FROM orders")).to.deep.equal([{ order_id: 1, status: "paid" }]);
  });

  it("never lets a late change older than a delete resurrect the key", async () => {
    const first = ws.file("orders", "day1.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("D", 1, "2026-11-03 10:00:00")));
    const late = ws.file("orders", "late.csv", csv(orderRow("U", 1, "2026-11-02 10:00:00", "shipped")));

    await ws.load("orders", [first]);
    const summary = await ws.load("orders", [late]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/late.csv")).to.include({ rowsRead: 1, rowsLoaded: 1 });
    expect(summary.counts).to.include({ stateKeys: 1, silverRows: 0 });
  });

  it("breaks cdc_ts ties by object key, then by row number, whatever the load order", async () => {
    const ts = "2026-11-01 10:00:00.000001";
    const a = (w: TestWorkspace) => w.file("orders", "a.csv", csv(orderRow("I", 1, ts, "pending"), orderRow("U", 1, ts, "paid")), { key: "orders/2026/a.csv" });
    const b = (w: TestWorkspace) => w.file("orders", "b.csv", csv(orderRow("U", 2, ts, "shipped"), orderRow("U", 2, ts, "delivered")), { key: "orders/2026/b.csv" });
    const b1 = (w: TestWorkspace) => w.file("orders", "b1.csv", csv(orderRow("U", 1, ts, "refunded"), orderRow("I", 2, ts, "pending")), { key: "orders/2026/b.csv.1" });
    const other = new TestWorkspace();
    try {
      await ws.load("orders", [a(ws)]);
      await ws.load("orders", [b(ws), b1(ws)]);
      await other.load("orders", [b1(other)]);
      await other.load("orders", [b(other)]);
      await other.load("orders", [a(other)]);

      // key 1: "orders/2026/b.csv.1" > "orders/2026/a.csv" -> refunded.
      // key 2: "orders/2026/b.csv.1" > "orders/2026/b.csv" -> pending.
      const expected = [
        { order_id: 1, status: "refunded" },
        { order_id: 2, status: "pending" },
      ];
      expect(await ws.query("SELECT order_id, status FROM orders ORDER BY order_id")).to.deep.equal(expected);
      expect(await other.query("SELECT order_id, status FROM orders ORDER BY order_id")).to.deep.equal(expected);
    } finally {
      other.cleanup();
    }
  });

  it("takes the later row of one file when key and cdc_ts tie", async () => {
    const ts = "2026-11-01 10:00:00";
    const file = ws.file("orders", "tie.csv", csv(orderRow("I", 1, ts, "pending"), orderRow("U", 1, ts, "paid"), orderRow("U", 1, ts, "shipped")));

    await ws.load("orders", [file]);

    expect(await ws.query("SELECT status, _row_number FROM orders")).to.deep.equal([{ status: "shipped", _row_number: 3 }]);
  });

  it("is idempotent: reloading the same object version adds no bronze rows and keeps silver", async () => {
    const content = csv(orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:00"));
    const file = ws.file("orders", "once.csv", content);

    await ws.load("orders", [file]);
    const silverBefore = await ws.query(SILVER);
    const again = await ws.load("orders", [file, file]);
    const silverAfter = await ws.query(SILVER);
    const dup = ws.file("orders", "twice.csv", content, { versionId: "v9" });
    const twiceInOne = await ws.load("orders", [dup, dup]);

    expectConserved(again);
    expect(again.files.map((f) => f.outcome)).to.deep.equal(["ALREADY_LOADED", "ALREADY_LOADED"]);
    expect(again.counts.bronzeRows).to.equal(0);
    expect(silverAfter).to.deep.equal(silverBefore);
    expectConserved(twiceInOne);
    expect(twiceInOne.files.map((f) => f.outcome)).to.deep.equal(["LOADED", "ALREADY_LOADED"]);
    expect(await ws.countParquet("bronze/orders")).to.equal(4);
  });

  it("gives the same silver whatever order the files arrive in", async () => {
    const files = {
      "orders/f1.csv": csv(orderRow("I", 1, "2026-11-01 10:00:00", "pending"), orderRow("I", 2, "2026-11-01 10:00:00", "pending")),
      "orders/f2.csv": csv(orderRow("U", 1, "2026-11-02 10:00:00", "paid"), orderRow("D", 2, "2026-11-02 10:00:00")),
      "orders/f3.csv": csv(orderRow("U", 1, "2026-11-03 10:00:00", "shipped"), orderRow("I", 2, "2026-11-03 10:00:00", "paid"), orderRow("I", 3, "2026-11-03 10:00:00", "bogus")),
    };
    const load = async (w: TestWorkspace, order: string[]) => {
      for (const key of order) await w.load("orders", [w.file("orders", key.slice(7), files[key as keyof typeof files], { key })]);
    };
    const other = new TestWorkspace();
    try {
      await load(ws, ["orders/f1.csv", "orders/f2.csv", "orders/f3.csv"]);
      await load(other, ["orders/f3.csv", "orders/f1.csv", "orders/f2.csv"]);

      const silver = await ws.query(SILVER);
      expect(silver.map((r) => [r.order_id, r.status])).to.deep.equal([
        [1, "shipped"],
        [2, "paid"],
      ]);
      expect(await other.query(SILVER)).to.deep.equal(silver);
      const q = "SELECT order_id, _reasons FROM quarantine_orders ORDER BY order_id";
      expect(await other.query(q)).to.deep.equal(await ws.query(q));
    } finally {
      other.cleanup();
    }
  });

  it("rebuilds the same silver with --full-refresh from bronze as the incremental runs built", async () => {
    await ws.load("orders", [ws.file("orders", "d1.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:00", "pending")))]);
    await ws.load("orders", [ws.file("orders", "d2.csv", csv(orderRow("D", 1, "2026-11-02 10:00:00"), orderRow("U", 2, "2026-11-02 10:00:00", "nope")))]);
    await ws.load("orders", [ws.file("orders", "d3.csv", csv(orderRow("I", 3, "2026-11-03 10:00:00"), orderRow("X", 4, "2026-11-03 10:00:00")))]);
    const incremental = await ws.query(SILVER);
    const quarantine = await ws.query("SELECT order_id, _reasons, _source_key FROM quarantine_orders ORDER BY order_id");

    const refresh = await ws.load("orders", [], { fullRefresh: true });

    expectConserved(refresh);
    expect(refresh.counts).to.include({ stateKeys: 3, silverRows: 1, quarantineRows: 1 });
    expect(await ws.query(SILVER)).to.deep.equal(incremental);
    expect(await ws.query("SELECT order_id, _reasons, _source_key FROM quarantine_orders ORDER BY order_id")).to.deep.equal(quarantine);
    expect(await ws.query("SELECT COUNT(*) AS n FROM rejects_orders"), "a refresh does not re-reject old rows").to.deep.equal([{ n: 1 }]);
  });

  it("reads a double zero as 0.0 whether written -0.0, 0 or 0.0, so no row takes another row's zero", async () => {
    const gauges = defineDataset({
      name: "gauges",
      prefix: "gauges/",
      format: "csv",
      columns: { id: "int", level: "double", seq: "double" },
      primaryKey: ["id"],
      cdc: { opColumn: "Op", sequenceColumns: ["seq"] },
    });
    const rows = ["1,-0.0,I,0.0", "1,-0.0,U,-0.0", "2,0,I,-0.0", "2,0,U,0", "3,-0.0,I,-0.0", "4,0.0,I,1"];
    const file = ws.file(gauges, "zeros.csv", ["id,level,Op,seq", ...rows].join("\n") + "\n");

    await ws.load(gauges, [file]);

    // Keys 2 and 4 were written "0" and "0.0": they came out as -0.0, the zero of keys 1 and 3.
    const q = "SELECT id, CAST(g.level AS VARCHAR) AS level, CAST(g.seq AS VARCHAR) AS seq, CAST(s._seq_1 AS VARCHAR) AS state_seq FROM gauges g JOIN state_gauges s USING (id) ORDER BY id";
    expect(await ws.query(q)).to.deep.equal([
      { id: 1, level: "0.0", seq: "0.0", state_seq: "0.0" },
      { id: 2, level: "0.0", seq: "0.0", state_seq: "0.0" },
      { id: 3, level: "0.0", seq: "0.0", state_seq: "0.0" },
      { id: 4, level: "0.0", seq: "1.0", state_seq: "1.0" },
    ]);
  });

  it("dates the data by its sequence only when that is a point in time, otherwise by the newest loaded file's arrival", async () => {
    const spec = (type: "int" | "double" | "timestamp") =>
      defineDataset({
        name: `counted_${type}`,
        prefix: `counted_${type}/`,
        format: "csv",
        columns: { id: "int", seq: type },
        primaryKey: ["id"],
        cdc: { opColumn: "Op", sequenceColumns: ["seq"] },
      });
    const arrived = "2026-11-21T08:00:00.000Z";
    const load = async (type: "int" | "double" | "timestamp", ...contents: string[]) => {
      const files = contents.map((text, i) => ws.file(spec(type), `${type}-${i}.csv`, text, { receivedAt: i === 0 ? arrived : "2026-11-21T09:00:00.000Z" }));
      return ws.load(spec(type), files);
    };
    const hoursSince = (iso: string, summary: { finishedAt: string }) =>
      Math.round(((Date.parse(summary.finishedAt) - Date.parse(iso)) / 3_600_000) * 100) / 100;

    // Date.parse read the counter 42 as the year 2042 and 2.5 as 2001-02-05; with no age at all,
    // a DMS table without a timestamp column kept its stale-data alarm in ALARM on AWS.
    const counted = await load("int", "id,Op,seq\n1,I,42\n");
    expect(counted.freshness).to.deep.equal({ rowCount: 1, latestSequence: "42", dataAgeHours: hoursSince(arrived, counted) });
    const doubled = await load("double", "id,Op,seq\n1,I,2.5\n");
    expect(doubled.freshness.dataAgeHours).to.equal(hoursSince(arrived, doubled));
    // A later file quarantined whole (no key column) does not make the data younger.
    const second = await load("int", "id,Op,seq\n2,I,43\n", "Op,seq\nI,44\n");
    expect(second.files.map((f) => f.outcome)).to.deep.equal(["LOADED", "QUARANTINED"]);
    expect(second.freshness.dataAgeHours).to.equal(hoursSince(arrived, second));

    const timed = await load("timestamp", "id,Op,seq\n1,I,2026-11-20 09:00:00\n");
    expect(timed.freshness.dataAgeHours).to.equal(hoursSince("2026-11-20T09:00:00Z", timed));
  });
});
