// A spec edit of a key or sequence column makes the next load a full refresh from bronze, which
// keeps only the rows that parse under the new spec. Rows that loaded as changes and no longer
// parse would leave state and silver counted nowhere; the bronze_rows_accounted audit refuses
// that publish instead (compile.ts unparsedSteps).
import { expect } from "chai";
import { defineDataset, type DatasetInput } from "../../datasets";
import { TestWorkspace, expectConserved } from "./helpers";

const base: DatasetInput = {
  name: "items",
  prefix: "items/",
  format: "csv",
  columns: { item_id: "bigint", code: { type: "string", optional: true }, seq: "bigint", name: "string" },
  primaryKey: ["item_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seq"] },
};
const items = defineDataset(base);
const HEADER = "Op,item_id,code,seq,name";
const SILVER = "SELECT item_id, name FROM items ORDER BY item_id";

describe("engine (DuckDB): a spec edit that old rows no longer meet", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  // Row 3 has a bad key when read: rejected then, it is accounted for whatever the spec says later.
  const load1 = () =>
    ws.load(items, [ws.file(items, "a.csv", [HEADER, "I,1,A1,1,one", "I,3000000000,,2,big", "I,x,X,3,bad key", ""].join("\n"))]);

  it("refuses the full refresh when a narrowed key type no longer parses an old key, and publishes nothing", async () => {
    const first = await load1();
    expect(first.counts.rejectedRows).to.equal(1);
    const narrowed = defineDataset({ ...base, columns: { ...base.columns, item_id: "int" } });

    const refused = await ws.load(narrowed, [ws.file(narrowed, "b.csv", [HEADER, "I,2,B2,4,two", ""].join("\n"))]);

    expect(refused.status).to.equal("FAILED");
    const audit = refused.audits.find((a) => a.name === "bronze_rows_accounted");
    expect(audit).to.include({ passed: false, violations: 1 });
    // The error says what the audit checks and what to do, not only its name.
    expect(refused.error).to.match(/^audit failed, nothing published: bronze_rows_accounted \(1 violation\(s\): every bronze row still parses .* revert or widen it/);
    // Nothing moved: silver is still what the first load published, under the old spec.
    expect(await ws.query(SILVER)).to.deep.equal([
      { item_id: 1, name: "one" },
      { item_id: 3000000000, name: "big" },
    ]);

    // Widening back (the edit reverted) loads the batch; the earlier reject stays accounted for.
    const reverted = await ws.load(items, [ws.file(items, "b.csv", [HEADER, "I,2,B2,4,two", ""].join("\n"))]);
    expectConserved(reverted);
    expect(reverted.status).to.equal("SUCCEEDED");
    expect((await ws.query(SILVER)).map((r) => r.item_id)).to.deep.equal([1, 2, 3000000000]);
  });

  it("refuses a key moved to a column that older rows leave empty", async () => {
    await load1();
    const rekeyed = defineDataset({ ...base, columns: { ...base.columns, code: "string" }, primaryKey: ["code"] });

    const refused = await ws.load(rekeyed, [], { fullRefresh: true });

    expect(refused.status).to.equal("FAILED");
    expect(refused.audits.find((a) => a.name === "bronze_rows_accounted")).to.include({ passed: false, violations: 1 });
  });

  it("passes a full refresh whose only unparsed rows were rejected when read, and an edit every row meets", async () => {
    await load1();
    const same = await ws.load(items, [], { fullRefresh: true });
    expect(same.status).to.equal("SUCCEEDED");
    expect(same.audits.find((a) => a.name === "bronze_rows_accounted")).to.include({ passed: true, violations: 0 });

    // A sequence column widened to decimal: every old row still parses.
    const widened = defineDataset({ ...base, columns: { ...base.columns, seq: "decimal(20,0)" } });
    const refreshed = await ws.load(widened, []);
    expectConserved(refreshed);
    expect(refreshed.status).to.equal("SUCCEEDED");
    expect((await ws.query(SILVER)).map((r) => r.item_id)).to.deep.equal([1, 3000000000]);
  });
});
