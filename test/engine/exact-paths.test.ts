// DuckDB reads `[ ] * ?` in a path as a glob: `read_csv('orders[1].csv')` reads orders1.csv.
// Every file the executor reads must be exactly the one named, whatever characters its path holds.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { ORDERS_HEADER, TestWorkspace, expectConserved, fileResult, orderRow } from "./helpers";
import { exactPath } from "../../engine/duckdb/session";

describe("engine (DuckDB): file paths are exact, never globs", function () {
  let ws: TestWorkspace;
  afterEach(() => ws.cleanup());

  for (const name of ["orders[1].csv", "orders*.csv", "orders?.csv", "orders{1,2}.csv", "orders[!x].csv"]) {
    it(`loads a file named ${name} and not its look-alike orders1.csv`, async () => {
      ws = new TestWorkspace();
      // The look-alikes every glob reading of the name would match.
      for (const [other, id] of [["orders1.csv", 91], ["ordersx.csv", 92], ["orders12.csv", 93]] as const) {
        fs.mkdirSync(path.join(ws.dir, "landing"), { recursive: true });
        fs.writeFileSync(path.join(ws.dir, "landing", other), [ORDERS_HEADER, orderRow("I", id, "2026-11-01 10:00:00")].join("\n"));
      }
      const file = ws.file("orders", name, [ORDERS_HEADER, orderRow("I", 1, "2026-11-01 10:00:00")].join("\n"), { localName: name });

      const summary = await ws.load("orders", [file]);

      expectConserved(summary);
      expect(fileResult(summary, `orders/${name}`)).to.include({ outcome: "LOADED", rowsRead: 1 });
      expect(await ws.query("SELECT order_id FROM orders")).to.deep.equal([{ order_id: 1 }]);
    });
  }

  it("loads and queries a workspace whose own path holds glob characters, beside its look-alike", async () => {
    ws = new TestWorkspace("ws[1]-");
    // Same loads, same run ids: the look-alike holds the same relative file names, other rows.
    const lookAlike = new TestWorkspace("", ws.dir.replace("ws[1]-", "ws1-"));
    try {
      const row = (id: number, ts: string, status = "paid") => [ORDERS_HEADER, orderRow(ts.endsWith("10:00:00") ? "I" : "U", id, ts, status)].join("\n");
      await lookAlike.load("orders", [lookAlike.file("orders", "a.csv", row(91, "2026-11-01 10:00:00"))]);
      await lookAlike.load("orders", [lookAlike.file("orders", "b.csv", row(91, "2026-11-01 11:00:00", "cancelled"))]);

      expect((await ws.load("orders", [ws.file("orders", "a.csv", row(1, "2026-11-01 10:00:00"))])).status).to.equal("SUCCEEDED");
      expect((await ws.load("orders", [ws.file("orders", "b.csv", row(1, "2026-11-01 11:00:00", "shipped"))])).status).to.equal("SUCCEEDED");

      expect(await ws.query("SELECT order_id, status FROM orders")).to.deep.equal([{ order_id: 1, status: "shipped" }]);
      expect(await ws.query("SELECT DISTINCT order_id FROM bronze_orders")).to.deep.equal([{ order_id: "1" }]);
    } finally {
      lookAlike.cleanup();
    }
  });

  it("refuses, with one line, a path DuckDB cannot name exactly (a glob character and a backslash)", () => {
    expect(() => exactPath("/tmp/a[1]\\b.csv")).to.throw(/cannot read .* exactly/);
    expect(exactPath("/tmp/plain\\name.csv")).to.equal("/tmp/plain\\name.csv");
  });
});
