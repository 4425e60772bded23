// read_files on more than one thread: a run's files of one data date are copied to bronze by one
// COPY per thread, side by side (engine/duckdb/read-files.ts splitBySize). The rows must be the
// ones a single COPY writes, each once, numbered per file, and the run stays one unit: a bad file
// falls back to reading the files one by one, a rollback takes every file the run wrote.
import * as path from "node:path";
import { expect } from "chai";
import { rollbackTable } from "../../engine/duckdb";
import { ORDERS_HEADER, TestWorkspace, expectConserved, listFiles, orderRow } from "./helpers";
import { TYPED_JSONL, typedJsonl } from "./typed-files";

const csv = (ids: number[]) => [ORDERS_HEADER, ...ids.map((id) => orderRow("I", id, "2026-11-01 10:00:00"))].join("\n") + "\n";
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const BRONZE_DATE = "bronze/orders/_data_date=2026-11-21";
const BRONZE_ROWS = "SELECT order_id, _source_key, _row_number FROM bronze_orders ORDER BY order_id";

describe("engine (DuckDB): bronze written side by side on several threads", function () {
  this.timeout(60_000);
  const workspaces: TestWorkspace[] = [];
  const workspace = () => {
    const ws = new TestWorkspace();
    workspaces.push(ws);
    return ws;
  };
  afterEach(() => workspaces.splice(0).forEach((ws) => ws.cleanup()));

  const bronzeFiles = (ws: TestWorkspace) => listFiles(path.join(ws.dir, BRONZE_DATE)).filter((f) => f.endsWith(".parquet"));
  // Four files of unequal size: 400 + 30 rows and 300 + 200 rows make the two threads' shares.
  const files = (ws: TestWorkspace) => [
    ws.file("orders", "a.csv", csv(range(1, 400))),
    ws.file("orders", "b.csv", csv(range(1001, 300))),
    ws.file("orders", "c.csv", csv(range(2001, 200))),
    ws.file("orders", "d.csv", csv(range(3001, 30))),
  ];

  it("writes one bronze file per thread, with the rows, per-file row numbers and counts of a single COPY", async () => {
    const two = workspace();
    const one = workspace();

    const sideBySide = await two.load("orders", files(two), { threads: 2 });
    const single = await one.load("orders", files(one), { threads: 1 });

    expectConserved(sideBySide);
    expect(bronzeFiles(two).map((f) => path.basename(f))).to.deep.equal(["run-001-1.parquet", "run-001-2.parquet"]);
    expect(bronzeFiles(one).map((f) => path.basename(f))).to.deep.equal(["run-001.parquet"]);
    expect(sideBySide.counts).to.deep.equal(single.counts);
    expect(sideBySide.files.map((f) => [f.key, f.rowsRead, f.rowsLoaded])).to.deep.equal(single.files.map((f) => [f.key, f.rowsRead, f.rowsLoaded]));
    const rows = await two.query(BRONZE_ROWS);
    expect(rows).to.have.length(930);
    expect(rows).to.deep.equal(await one.query(BRONZE_ROWS));
    expect(rows.find((r) => r.order_id === "3030")).to.deep.equal({ order_id: "3030", _source_key: "orders/d.csv", _row_number: 30 });
  });

  it("falls back to one file at a time when a file is malformed: the others load once, nothing of the first attempt is left", async () => {
    const ws = workspace();
    const [a, b, c] = files(ws);
    const broken = ws.file("orders", "broken.csv", `${ORDERS_HEADER}\n${orderRow("I", 9001, "2026-11-01 10:00:00")}\nI,9002,100\n`);

    const summary = await ws.load("orders", [a, broken, b, c], { threads: 2 });

    expectConserved(summary);
    expect(summary.files.map((f) => f.outcome)).to.deep.equal(["LOADED", "QUARANTINED", "LOADED", "LOADED"]);
    expect(summary.files[1].reason).to.match(/^malformed_csv:/);
    // One file per loaded file (the fallback's names), none from the side-by-side attempt.
    expect(bronzeFiles(ws).map((f) => path.basename(f))).to.deep.equal(["run-001-1.parquet", "run-001-3.parquet", "run-001-4.parquet"]);
    const [{ n, keys }] = await ws.query("SELECT COUNT(*) AS n, COUNT(DISTINCT order_id) AS keys FROM bronze_orders");
    expect({ n, keys }).to.deep.equal({ n: 900, keys: 900 });
  });

  it("copies JSON lines files, whose rows wait in a temp table of the session's connection, in one COPY", async () => {
    const ws = workspace();
    const second = TYPED_JSONL.replace(/"id": 3/, '"id": 4').replace(/"ID": 1/, '"ID": 5').replace(/"id": 2/, '"id": 6');

    const summary = await ws.load(typedJsonl, [ws.file(typedJsonl, "a.jsonl", TYPED_JSONL), ws.file(typedJsonl, "b.jsonl", second)], { threads: 2 });

    expectConserved(summary);
    // Not the one-file-at-a-time names a failed side-by-side attempt falls back to.
    const bronze = listFiles(path.join(ws.dir, "bronze/typed_jsonl")).filter((f) => f.endsWith(".parquet") && !f.includes("/_files/"));
    expect(bronze.map((f) => path.basename(f))).to.deep.equal(["run-001.parquet"]);
    expect(await ws.query("SELECT COUNT(*) AS n FROM bronze_typed_jsonl")).to.deep.equal([{ n: 6 }]);
  });

  it("a rollback of the run takes each of its bronze files", async () => {
    const ws = workspace();
    await ws.load("orders", [ws.file("orders", "first.csv", csv([1]))], { threads: 2 });
    await ws.load("orders", files(ws), { threads: 2 });
    expect(bronzeFiles(ws)).to.have.length(3);

    await rollbackTable(ws.dir, "orders");

    // The first run's one file was read alone (the one-by-one names).
    expect(bronzeFiles(ws).map((f) => path.basename(f))).to.deep.equal(["run-001-1.parquet"]);
    expect(await ws.query("SELECT COUNT(*) AS n FROM bronze_orders")).to.deep.equal([{ n: 1 }]);
  });
});
