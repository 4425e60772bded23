// Renaming a dataset's silver table (target.table, or the default: the dataset's name) on a
// workspace that already holds it under the old name: the plan's fingerprint names the silver
// table, so the next load is a full refresh from bronze and the new table holds every key, not
// only the batch's. The old table is left as it was (docs/deploy.md: drop it yourself).
import { expect } from "chai";
import { getDataset, type DatasetSpec } from "../../datasets";
import { planFingerprint } from "../../engine/compile";
import { ORDERS_HEADER, TestWorkspace, expectConserved, orderRow } from "./helpers";

const csv = (...rows: string[]) => [ORDERS_HEADER, ...rows].join("\n") + "\n";
const orders = getDataset("orders");
// The reference orders spec as it was before silver took the dataset's name.
const legacy: DatasetSpec = { ...orders, target: { ...orders.target, table: "orders_legacy" } };

describe("engine (DuckDB): renaming a silver table", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("changes the plan fingerprint with the silver table's name", () => {
    expect(planFingerprint(legacy)).to.not.equal(planFingerprint(orders));
    expect(planFingerprint({ ...orders, target: { ...orders.target } })).to.equal(planFingerprint(orders));
  });

  it("rebuilds the renamed table from bronze on the next load and leaves the old table as it was", async () => {
    const first = [orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:00", "pending")];
    const second = [orderRow("U", 2, "2026-11-02 10:00:00", "shipped"), orderRow("I", 3, "2026-11-02 10:00:00")];
    await ws.load(legacy, [ws.file(legacy, "a.csv", csv(...first))]);

    const summary = await ws.load(orders, [ws.file(orders, "b.csv", csv(...second))]);

    expectConserved(summary);
    // Independent expectation: the latest row per key over both files, in sequence order.
    const latest = new Map<number, string>();
    for (const row of [...first, ...second]) {
      const [, id, , , status] = row.split(",");
      latest.set(Number(id), status);
    }
    const expected = [...latest].sort(([a], [b]) => a - b).map(([order_id, status]) => ({ order_id, status }));
    expect(await ws.query("SELECT order_id, status FROM orders ORDER BY order_id")).to.deep.equal(expected);
    expect(await ws.query("SELECT order_id, status FROM orders_legacy ORDER BY order_id")).to.deep.equal([
      { order_id: 1, status: "paid" },
      { order_id: 2, status: "pending" },
    ]);
  });
});
