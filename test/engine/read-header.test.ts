// The header is decoded from a 64 KB prefix of the file (engine/duckdb/read-files.ts readHeader):
// a header that does not end inside the prefix must still be read whole, and a large file with a
// short header must still load every row.
import { expect } from "chai";
import { ORDERS_HEADER, TestWorkspace, expectConserved, fileResult, orderRow } from "./helpers";

describe("engine (DuckDB): header of a large file", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  for (const [what, longName, field] of [
    ["a long column name", `note${"x".repeat(70_000)}`, `note${"x".repeat(70_000)}`],
    ["a long quoted column name with a newline", `note\n${"x".repeat(70_000)}`, `"note\n${"x".repeat(70_000)}"`],
  ]) {
    it(`reads a header that runs past the 64 KB prefix (${what})`, async () => {
      const csv = `${ORDERS_HEADER},${field}\n${orderRow("I", 1, "2026-11-01 10:00:00")},hello\n`;
      const file = ws.file("orders", "long-header.csv", csv);

      const summary = await ws.load("orders", [file]);

      expectConserved(summary);
      const result = fileResult(summary, "orders/long-header.csv");
      expect(result).to.include({ outcome: "LOADED", rowsRead: 1, rowsLoaded: 1 });
      expect(result.extraColumns).to.deep.equal([longName]);
    });
  }

  it("loads every row of a file larger than the prefix", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => orderRow("I", i + 1, "2026-11-01 10:00:00"));
    const csv = `${ORDERS_HEADER}\n${rows.join("\n")}\n`;
    expect(csv.length).to.be.greaterThan(64 * 1024);
    const file = ws.file("orders", "large.csv", csv);

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/large.csv")).to.include({ outcome: "LOADED", rowsRead: 3000, rowsLoaded: 3000 });
    expect(summary.driftWarnings).to.deep.equal([]);
  });
});
