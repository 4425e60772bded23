// Range bounds on decimal columns (engine/range-bounds.ts) and rules that overflow: exact
// answers, never a widened column, never a failed load.
import { expect } from "chai";
import { decimalBound } from "../../engine/range-bounds";
import { TestWorkspace, expectConserved } from "./helpers";
import { EDGE_RATES_CSV, edgeRates } from "./typed-files";

describe("engine: range bounds on decimal columns", () => {
  it("rounds a bound to the column's scale in the direction that keeps the answer", () => {
    expect(decimalBound("c", "<", 1e-11, 38, 10)).to.equal("c < 0.0000000001");
    expect(decimalBound("c", "<=", 1e-11, 38, 10)).to.equal("c <= 0.0000000000");
    expect(decimalBound("c", ">", -1e-11, 38, 10)).to.equal("c > -0.0000000001");
    expect(decimalBound("c", ">=", -1e-11, 38, 10)).to.equal("c >= 0.0000000000");
    expect(decimalBound("c", "<", 0.125, 5, 2)).to.equal("c < 0.13");
    expect(decimalBound("c", ">", 0.125, 5, 2)).to.equal("c > 0.12");
    expect(decimalBound("c", "<", -0.125, 5, 2)).to.equal("c < -0.12");
    expect(decimalBound("c", "<=", -0.125, 5, 2)).to.equal("c <= -0.13");
    // As written: 0.1 is the decimal 0.1, not the double nearest to it.
    expect(decimalBound("c", "<", 0.1, 38, 30)).to.equal(`c < 0.1${"0".repeat(29)}`);
    expect(decimalBound("c", "<", 12, 4, 0)).to.equal("c < 12");
    expect(decimalBound("c", ">", 2.5e3, 10, 1)).to.equal("c > 2500.0");
  });

  it("decides alone a bound beyond the column's range (casting it would overflow)", () => {
    expect(decimalBound("c", "<", 1e40, 38, 2)).to.equal("TRUE");
    expect(decimalBound("c", ">", 1e40, 38, 2)).to.equal("FALSE");
    expect(decimalBound("c", "<", -1e40, 38, 2)).to.equal("FALSE");
    expect(decimalBound("c", ">=", -1e40, 38, 2)).to.equal("TRUE");
    expect(decimalBound("c", ">", 999.99, 5, 2)).to.equal("c > 999.99");
    expect(decimalBound("c", ">", 1000, 5, 2)).to.equal("FALSE");
  });
});

describe("engine (DuckDB): rules at the edge of decimal(38)", function () {
  let ws: TestWorkspace;
  beforeEach(() => (ws = new TestWorkspace()));
  afterEach(() => ws.cleanup());

  it("checks a range finer than the column's scale and quarantines a product that overflows, instead of failing the load; a decimal's text is plain; sums wider than 38 digits keep their scale (2: 1 - 0.99999999 > 0); a bound finer than 20 places on a double or an integer is no 0 (6, 3)", async () => {
    const summary = await ws.load(edgeRates, [ws.file(edgeRates, "a.csv", EDGE_RATES_CSV)]);

    expect(summary.status, summary.error).to.equal("SUCCEEDED");
    expectConserved(summary);
    expect(await ws.query("SELECT id FROM edge_rates ORDER BY id")).to.deep.equal([{ id: 2 }, { id: 5 }]);
    expect(await ws.query("SELECT id, _reasons FROM quarantine_edge_rates ORDER BY id")).to.deep.equal([
      { id: "1", _reasons: "fx_positive;pays_something;fx_adds" },
      { id: "3", _reasons: "fx_positive;units_cubed;fx_adds;units_positive" },
      { id: "4", _reasons: "units_cubed" },
      { id: "6", _reasons: "ratio_positive" },
    ]);
  });
});
