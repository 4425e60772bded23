// The incremental state merge (compile.ts mergeState): the latest new change per key against the
// key's state row. Cases the reference datasets do not reach: a change already in state loaded
// again (crash between the state and ledger commits), and a composite key ordered by two
// sequence columns, with the incremental result equal to a full refresh.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { defineDataset } from "../../datasets";
import { ORDERS_HEADER, TestWorkspace, expectConserved, orderRow } from "./helpers";

const csv = (header: string, ...rows: string[]) => [header, ...rows].join("\n") + "\n";

const lines = defineDataset({
  name: "lines",
  prefix: "lines/",
  format: "csv",
  columns: { doc_id: "int", line_no: "int", qty: "int", epoch: "int", cdc_ts: "timestamp" },
  primaryKey: ["doc_id", "line_no"],
  cdc: { opColumn: "Op", sequenceColumns: ["epoch", "cdc_ts"] },
});
const LINES_HEADER = "Op,doc_id,line_no,qty,epoch,cdc_ts";
const LINES = "SELECT doc_id, line_no, qty FROM lines ORDER BY doc_id, line_no";

describe("engine (DuckDB): incremental state merge", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("keeps one state row per key when a change already in state is read again", async () => {
    const rows = [orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("U", 2, "2026-11-01 10:00:00")];
    const file = ws.file("orders", "a.csv", csv(ORDERS_HEADER, ...rows));
    await ws.load("orders", [file]);
    const silver = "SELECT order_id, status, _source_key, _row_number FROM orders ORDER BY order_id";
    const silverBefore = await ws.query(silver);
    // A crash after the state commit and before the ledger commit: the file is read again.
    fs.rmSync(path.join(ws.dir, "bronze", "orders", "_files"), { recursive: true, force: true });

    const again = await ws.load("orders", [file]);

    expectConserved(again);
    expect(again.counts.changesApplied).to.equal(2);
    expect(again.counts.stateKeys).to.equal(2);
    expect(await ws.query(silver)).to.deep.equal(silverBefore);
  });

  it("orders a composite key's changes by both sequence columns, incrementally as on a full refresh", async () => {
    const first = ws.file(lines, "1.csv", csv(LINES_HEADER,
      "I,1,1,10,1,2026-11-01 10:00:00",
      "U,1,1,11,1,2026-11-01 11:00:00", // later cdc_ts, same epoch: wins
      "I,1,2,20,2,2026-11-01 09:00:00",
      "I,2,1,30,1,2026-11-01 10:00:00",
    ));
    const second = ws.file(lines, "2.csv", csv(LINES_HEADER,
      "U,1,1,99,0,2026-11-02 10:00:00", // older epoch: loses to the state row although cdc_ts is later
      "U,1,2,21,2,2026-11-01 09:00:01", // same epoch, later cdc_ts: wins
      "U,1,2,22,2,2026-11-01 09:00:00", // older than its sibling: loses
      "D,2,1,,3,2026-11-01 00:00:00", // newer epoch: deletes
      "I,3,1,40,1,2026-11-01 10:00:00", // a new key
    ));

    const one = await ws.load(lines, [first]);
    const two = await ws.load(lines, [second]);
    const incremental = await ws.query(LINES);
    const refresh = await ws.load(lines, [], { fullRefresh: true });

    expectConserved(one);
    expectConserved(two);
    expectConserved(refresh);
    expect(incremental).to.deep.equal([
      { doc_id: 1, line_no: 1, qty: 11 },
      { doc_id: 1, line_no: 2, qty: 21 },
      { doc_id: 3, line_no: 1, qty: 40 },
    ]);
    expect(two.counts.stateKeys).to.equal(4);
    expect(await ws.query(LINES)).to.deep.equal(incremental);
  });
});
