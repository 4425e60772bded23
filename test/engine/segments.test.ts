// Incremental publish on the DuckDB executor (engine/duckdb/segments.ts): a batch adds a segment
// (its upserts + the keys it touched) instead of rewriting state, silver and quarantine; reads see
// exactly what a whole rewrite would give; too many segments compact; pruning keeps the folders
// kept versions read; a changed plan makes the next run rebuild everything; a rollback sticks.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { readPointer, readVersionMeta, zoneDir } from "../../engine/duckdb/workspace";
import { changedRowsScans, MAX_SEGMENTS, segmentsScan, versionSegments, type Segmented } from "../../engine/duckdb/segments";
import { openSession } from "../../engine/duckdb/session";
import { rollbackTable } from "../../engine/duckdb";
import { ORDERS_HEADER, TestWorkspace, expectConserved, orderRow } from "./helpers";

const csv = (...rows: string[]) => [ORDERS_HEADER, ...rows].join("\n") + "\n";
const at = (minute: number) => `2026-11-01 10:${String(minute).padStart(2, "0")}:00`;
const SILVER = "SELECT order_id, status, total_amount FROM orders ORDER BY order_id";
const QUARANTINE = "SELECT order_id, status, _reasons FROM quarantine_orders ORDER BY order_id";
const B2 = csv(orderRow("U", 5, at(2), "paid"), orderRow("U", 6, at(2), "bogus"), orderRow("I", 101, at(2)));

function meta(ws: TestWorkspace, zone: "state" | "silver" | "quarantine") {
  const dir = zoneDir(ws.dir, zone, "orders");
  return readVersionMeta(dir, readPointer(dir)!.version)!;
}

describe("engine (DuckDB): incremental publish as segments", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  /** Loads 100 orders, then batches that update, delete, quarantine and heal some of them. */
  async function history(): Promise<void> {
    const base = Array.from({ length: 100 }, (_, i) => orderRow("I", i + 1, at(0), "paid", `${i + 1}.00`));
    expectConserved(await ws.load("orders", [ws.file("orders", "base.csv", csv(...base))]));
    expectConserved(await ws.load("orders", [ws.file("orders", "b1.csv", csv(orderRow("U", 3, at(1), "shipped"), orderRow("D", 4, at(1)), orderRow("U", 5, at(1), "lost")))]));
    expectConserved(await ws.load("orders", [ws.file("orders", "b2.csv", B2)]));
  }

  it("adds a segment per batch (only its rows and keys are written) and reads like a full rebuild", async () => {
    await history();

    for (const zone of ["state", "silver"] as const) {
      const m = meta(ws, zone);
      expect(m.segments?.map((s) => [s.keys, s.rows]), zone).to.have.length(3);
      expect(m.segments![0].keys, `${zone}: the first load writes the whole table`).to.equal(false);
    }
    // Quarantine started empty: any change is a large share of it, so it is written whole.
    expect(meta(ws, "quarantine").segments).to.have.length(1);
    // The second batch upserted 3 state rows (5, 6, 101), not the table's 101.
    expect(meta(ws, "state").segments![2].rows).to.equal(3);
    expect(meta(ws, "state").rows).to.equal(101);
    const incremental = [await ws.query(SILVER), await ws.query(QUARANTINE)];
    expect(incremental[0].map((r) => r.order_id)).to.not.include.members([4, 6]);
    expect(incremental[1]).to.deep.equal([{ order_id: "6", status: "bogus", _reasons: "accepted_values:status" }]);

    const rebuilt = await ws.load("orders", [], { fullRefresh: true });
    expectConserved(rebuilt);
    expect(meta(ws, "state").segments).to.have.length(1);
    expect([await ws.query(SILVER), await ws.query(QUARANTINE)]).to.deep.equal(incremental);
  });

  it(`compacts a version that would have more than ${MAX_SEGMENTS} segments into one`, async () => {
    const base = Array.from({ length: 400 }, (_, i) => orderRow("I", i + 1, at(0)));
    await ws.load("orders", [ws.file("orders", "base.csv", csv(...base))]);
    for (let b = 1; b <= MAX_SEGMENTS; b++) {
      expectConserved(await ws.load("orders", [ws.file("orders", `b${b}.csv`, csv(orderRow("U", b, at(b), "shipped")))]));
      expect(meta(ws, "silver").segments, `after batch ${b}`).to.have.length(b === MAX_SEGMENTS ? 1 : b + 1);
    }
    const rows = await ws.query("SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE status = 'shipped') AS shipped FROM orders");
    expect(rows).to.deep.equal([{ n: 400, shipped: MAX_SEGMENTS }]);
  });

  it("keeps the folders of older versions that kept versions still read, and rolls back to them", async () => {
    await history();
    for (let b = 3; b <= 8; b++) await ws.load("orders", [ws.file("orders", `b${b}.csv`, csv(orderRow("U", 10, at(b), "shipped")))]);
    const silverDir = zoneDir(ws.dir, "silver", "orders");
    // Compaction happened at most once; every segment the current version reads is on disk.
    for (const s of meta(ws, "silver").segments!) expect(fs.existsSync(path.join(silverDir, s.data)), s.data).to.equal(true);

    const before = await ws.query(SILVER);
    await rollbackTable(ws.dir, "orders", "v000003");
    expect((await ws.query(SILVER)).find((r) => r.order_id === 5)).to.deep.include({ status: "paid" });
    expect(await ws.query(SILVER)).to.not.deep.equal(before);
  });

  it("a rollback sticks: the next load merges onto the restored state, and the undone file loads again", async () => {
    await history();
    const before = await ws.query(SILVER);
    const undone = await rollbackTable(ws.dir, "orders", "v000002");
    const restored = await ws.query(SILVER);

    const events: string[] = [];
    const after = await ws.load("orders", [ws.file("orders", "b3.csv", csv(orderRow("U", 7, at(3), "shipped")))], {
      onProgress: (e) => events.push(`${e.stage}: ${e.message}`),
    });
    const full = await ws.load("orders", [], { fullRefresh: true });

    expectConserved(after);
    expectConserved(full);
    expect(undone.runs).to.have.length(1);
    expect(events.find((e) => e.startsWith("mode:"))).to.equal(undefined); // incremental
    const silver = await ws.query(SILVER);
    expect(silver.find((r) => r.order_id === 7)).to.deep.include({ status: "shipped" });
    // b2's changes (after the restored version) stay undone, even through a full refresh: order 5
    // is back to b1's "lost" (quarantined), 101 is gone.
    expect(before.find((r) => r.order_id === 5)).to.deep.include({ status: "paid" });
    for (const view of [restored, silver]) expect(view.map((r) => r.order_id)).to.not.include.members([5, 101]);
    expect(await ws.query(QUARANTINE)).to.deep.equal([{ order_id: "5", status: "lost", _reasons: "accepted_values:status" }]);
    // Its file was forgotten by the files ledger: dropped again, it loads again.
    expect(undone.files.map((f) => f.key)).to.deep.equal(["orders/b2.csv"]);
    const again = await ws.load("orders", [ws.file("orders", "b2.csv", B2)]);
    expect(again.files[0].outcome).to.equal("LOADED");
    expect((await ws.query(SILVER)).find((r) => r.order_id === 5)).to.deep.include({ status: "paid" });
  });

  it("rebuilds everything when the published state was built by another plan", async () => {
    await history();
    const stateDir = zoneDir(ws.dir, "state", "orders");
    const version = readPointer(stateDir)!.version;
    const file = path.join(stateDir, version, "_version.json");
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, "utf8")), fingerprint: "an-older-plan" }));

    const events: string[] = [];
    expectConserved(await ws.load("orders", [], { onProgress: (e) => events.push(`${e.stage}: ${e.message}`) }));

    expect(events.find((e) => e.startsWith("mode:"))).to.match(/full refresh: the published tables were built by another plan \(an-older-plan -> /);
    expect(meta(ws, "state").segments).to.have.length(1);
    expect(meta(ws, "state").fingerprint).to.not.equal("an-older-plan");
  });

  describe("changedRowsScans: two versions narrowed to the rows they may differ in", () => {
    const symmetric = (a: string, b: string) =>
      `SELECT 'earlier' AS side, * FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) x ` +
      `UNION ALL SELECT 'later', * FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a}) y ORDER BY ALL`;

    it("differ exactly where the whole versions differ, holding only the keys touched in between", async () => {
      await history();
      const dir = zoneDir(ws.dir, "silver", "orders");
      const folder = (data: string) => path.join(dir, data);
      const versions = ["v000001", "v000002", "v000003"];
      expect(versionSegments(dir, "v000003").segments).to.have.length(3);
      const session = await openSession({ threads: 1 });
      try {
        for (const [i, j] of [[0, 1], [0, 2], [1, 2], [2, 2]]) {
          const pair = `${versions[i]} -> ${versions[j]}`;
          const [earlier, later] = [versionSegments(dir, versions[i]), versionSegments(dir, versions[j])];
          const narrowed = changedRowsScans(earlier, later, folder);
          expect(narrowed, pair).to.not.equal(null);
          const whole = await session.rows(symmetric(segmentsScan(earlier, folder)!, segmentsScan(later, folder)!));
          expect(await session.rows(symmetric(narrowed!.earlier, narrowed!.later)), pair).to.deep.equal(whole);
          if (i === j) expect(whole, pair).to.deep.equal([]);
          else expect(whole, pair).to.not.deep.equal([]);
          // Only the keys the later segments list: b1 (v000002) touched 3, 4, 5; b2 (v000003) 5, 6, 101.
          const keysOf: Record<string, number[]> = { v000002: [3, 4, 5], v000003: [5, 6, 101] };
          const touched = new Set(later.segments.slice(earlier.segments.length).flatMap((seg) => keysOf[seg.data]));
          for (const side of [narrowed!.earlier, narrowed!.later]) {
            const ids = (await session.rows(`SELECT DISTINCT CAST(order_id AS INTEGER) AS id FROM ${side} ORDER BY 1`)).map((r) => Number(r.id));
            expect(ids.every((id) => touched.has(id)), `${pair}: ${ids}`).to.equal(true);
          }
        }
      } finally {
        session.close();
      }
    });

    it("cannot tell across a compaction or a later segment without keys: null", () => {
      const keyMatch = [{ target: 't."order_id"', source: "order_id" }];
      const base: Segmented = { segments: [{ data: "v000001", rows: 100, keys: false }] };
      const merged: Segmented = { segments: [...base.segments, { data: "v000002", rows: 3, keys: true }], keyMatch };
      const folder = (data: string) => path.join(ws.dir, data);
      expect(changedRowsScans(merged, { segments: [{ data: "v000003", rows: 101, keys: false }] }, folder), "compacted").to.equal(null);
      expect(changedRowsScans(base, { segments: [...base.segments, { data: "v000002", rows: 3, keys: false }], keyMatch }, folder), "no keys").to.equal(null);
      expect(changedRowsScans(merged, base, folder), "later is shorter").to.equal(null);
    });
  });
});
