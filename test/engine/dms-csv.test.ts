// Issue 12: `orders` (a dms dataset, header "auto") loads CSV files the way an AWS DMS S3 target
// writes them under each endpoint setting, without touching the spec: headerless by default
// (LOAD files without Op, CDC files with Op first), TimestampColumnName (first or last),
// AddColumnName=true, IncludeOpForFullLoad, CsvDelimiter, CsvNullValue, CompressionType=GZIP;
// and each whole-file fault gets its own reason, every row counted once.
import { gzipSync } from "node:zlib";
import { expect } from "chai";
import { defineDataset, type CsvOptions } from "../../datasets";
import { ORDER_STATUSES } from "../../datasets/orders";
import { ACCOUNTS, gainedColumn, overTwoGiB, XZ_TEXT } from "../parity/scenarios";
import { TestWorkspace, expectConserved, fileResult } from "./helpers";

/** One orders record's data fields, in the source table's column order. */
const data = (id: number, status = "paid", amount = "10.00", customer = "100") => [String(id), customer, "2026-11-01 09:00:00", status, amount];
const lines = (...records: string[][]) => records.map((r) => r.join(",")).join("\n") + "\n";
const T1 = "2026-11-01 10:00:00.000000";
const T2 = "2026-11-01 11:00:00.000000";

const BRONZE = "SELECT _source_key, _row_number, _op, order_id, status, cdc_ts FROM bronze_orders ORDER BY _source_key, _row_number";
const SILVER = "SELECT order_id, customer_id, status, total_amount, cdc_ts FROM orders ORDER BY order_id";
const QUARANTINE = "SELECT order_id, _reasons FROM quarantine_orders ORDER BY order_id";

/** orders with other CSV options (the reference spec's columns and rules). */
function ordersWith(csv: CsvOptions, name = "orders") {
  return defineDataset({
    name,
    prefix: `${name}/`,
    format: "dms",
    dms: { timestampColumn: "cdc_ts" },
    csv,
    columns: {
      order_id: "bigint",
      customer_id: "bigint",
      order_ts: "timestamp",
      status: "string",
      total_amount: "decimal(12,2)",
      cdc_ts: { type: "timestamp", optional: true },
    },
    primaryKey: ["order_id"],
    rules: [
      { kind: "not_null", column: "customer_id" },
      { kind: "not_null", column: "status" },
      { kind: "accepted_values", column: "status", values: ORDER_STATUSES },
    ],
    target: { table: "orders" },
  });
}

describe("engine (DuckDB): DMS CSV as DMS writes it", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("DMS defaults: headerless, LOAD file without Op, CDC file with Op first; no row taken for a header", async () => {
    const load = ws.file("orders", "LOAD00000001.csv", lines(data(1), data(2)), { key: "dbo/orders/LOAD00000001.csv" });
    const cdc = ws.file("orders", "20261101-110000000.csv", lines(["U", ...data(1, "shipped")], ["D", ...data(2)]), {
      key: "dbo/orders/20261101-110000000.csv",
    });

    const summary = await ws.load("orders", [load, cdc]);

    expectConserved(summary);
    expect(fileResult(summary, "dbo/orders/LOAD00000001.csv")).to.include({ outcome: "LOADED", rowsRead: 2 });
    expect(fileResult(summary, "dbo/orders/20261101-110000000.csv")).to.include({ outcome: "LOADED", rowsRead: 2 });
    expect(await ws.query(BRONZE)).to.deep.equal([
      { _source_key: "dbo/orders/20261101-110000000.csv", _row_number: 1, _op: "U", order_id: "1", status: "shipped", cdc_ts: null },
      { _source_key: "dbo/orders/20261101-110000000.csv", _row_number: 2, _op: "D", order_id: "2", status: "paid", cdc_ts: null },
      { _source_key: "dbo/orders/LOAD00000001.csv", _row_number: 1, _op: null, order_id: "1", status: "paid", cdc_ts: null },
      { _source_key: "dbo/orders/LOAD00000001.csv", _row_number: 2, _op: null, order_id: "2", status: "paid", cdc_ts: null },
    ]);
  });

  it("a LOAD file of five counter digits (as the DMS guide spells them) is a full load, ordered before the changes", async () => {
    // Without TimestampColumnName the file sequence orders: full load first, then CDC files.
    const load = ws.file("orders", "LOAD00001.csv", lines(data(1), data(2)));
    const cdc = ws.file("orders", "20261101-110000000.csv", lines(["U", ...data(1, "shipped")]));
    const loaded = ws.file("orders", "LOADED.csv", lines(["U", ...data(3)]));

    const summary = await ws.load("orders", [cdc, load, loaded]);

    expectConserved(summary);
    expect(await ws.query("SELECT order_id, status FROM orders ORDER BY order_id")).to.deep.equal([
      { order_id: 1, status: "shipped" },
      { order_id: 2, status: "paid" },
      { order_id: 3, status: "paid" },
    ]);
  });

  it("a source column added last that holds a timestamp not in DMS's own format is no change timestamp: the file fits no layout", async () => {
    // AddColumnName=false, no TimestampColumnName: the table gained last_login, written last.
    const load = ws.file("orders", "LOAD00000001.csv", lines(data(1)));
    const cdc = ws.file("orders", "20261101-110000000.csv", lines(["U", ...data(1, "shipped"), "2026-11-01 12:00:00"], ["U", ...data(1, "delivered"), "2026-11-01 09:00:00"]));

    const summary = await ws.load("orders", [load, cdc]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/20261101-110000000.csv")).to.include({
      outcome: "QUARANTINED",
      reason: "column_count:7 fields fit no layout of Op?,order_id,customer_id,order_ts,status,total_amount,cdc_ts?",
    });
    expect(await ws.query("SELECT order_id, status FROM orders")).to.deep.equal([{ order_id: 1, status: "paid" }]);
  });

  // The DMS guide does not say where TimestampColumnName's column goes: first (after Op) and last both load.
  const timestamped = (w: TestWorkspace) => [
    w.file("orders", "LOAD00000001.csv", lines([T1, ...data(1)], [T1, ...data(2)], [T1, ...data(3)])),
    // One transaction: an update then a delete of key 1 at the same commit time (row order
    // decides), an update of key 2, an insert with a null required value.
    w.file(
      "orders",
      "20261101-110000000.csv",
      lines(["U", ...data(1, "shipped"), T2], ["D", ...data(1, "shipped"), T2], ["U", ...data(2, "delivered", "12.50"), T2], ["I", ...data(4, "paid", "1.00", ""), T2]),
    ),
  ];
  const expectTimestampedResult = async (w: TestWorkspace) => {
    expect(await w.query(SILVER)).to.deep.equal([
      { order_id: 2, customer_id: 100, status: "delivered", total_amount: "12.50", cdc_ts: "2026-11-01 11:00:00" },
      { order_id: 3, customer_id: 100, status: "paid", total_amount: "10.00", cdc_ts: "2026-11-01 10:00:00" },
    ]);
    expect(await w.query(QUARANTINE)).to.deep.equal([{ order_id: "4", _reasons: "not_null:customer_id" }]);
  };

  it("TimestampColumnName: the timestamp first in one file and last in another; all at once or file by file", async () => {
    const files = timestamped(ws);
    const summary = await ws.load("orders", files);
    expectConserved(summary);
    expect(summary.files.map((f) => f.rowsRead)).to.deep.equal([3, 4]);
    await expectTimestampedResult(ws);

    const other = new TestWorkspace();
    try {
      for (const f of timestamped(other)) expectConserved(await other.load("orders", [f]));
      await expectTimestampedResult(other);
    } finally {
      other.cleanup();
    }
  });

  it("a headerless LOAD file whose first (string) column holds I and whose last field is the timestamp: the columns are not shifted to fit an Op", async () => {
    // Op + no timestamp and no Op + timestamp last both fit the first record's shape; only the
    // second gives balance a number (file-layout.ts fitsTypes), as DMS wrote it by default.
    const load = ws.file(ACCOUNTS, "LOAD00000001.csv", lines(["I", "1", "10.00", T1], ["B", "2", "20.00", T1]));
    const cdc = ws.file(ACCOUNTS, "20261101-110000000.csv", lines(["U", "I", "1", "11.00", T2]));
    const summary = await ws.load(ACCOUNTS, [load, cdc]);
    expectConserved(summary);
    expect(summary.counts.rejectedRows).to.equal(0);
    expect(summary.counts.quarantineRows).to.equal(0);
    expect(await ws.query("SELECT kind, account_id, balance, cdc_ts FROM accounts ORDER BY account_id")).to.deep.equal([
      { kind: "I", account_id: 1, balance: "11.00", cdc_ts: "2026-11-01 11:00:00" },
      { kind: "B", account_id: 2, balance: "20.00", cdc_ts: "2026-11-01 10:00:00" },
    ]);
  });

  it("AddColumnName=true: header names in another case, Op only in the CDC file, timestamp column named", async () => {
    const load = ws.file("orders", "LOAD00000001.csv", lines(["CDC_TS", "ORDER_ID", "CUSTOMER_ID", "ORDER_TS", "STATUS", "TOTAL_AMOUNT"], [T1, ...data(1)], [T1, ...data(2)], [T1, ...data(3)]));
    const cdc = ws.file(
      "orders",
      "20261101-110000000.csv",
      lines(
        ["op", "order_id", "customer_id", "order_ts", "status", "total_amount", "cdc_ts"],
        ["U", ...data(1, "shipped"), T2], ["D", ...data(1, "shipped"), T2], ["U", ...data(2, "delivered", "12.50"), T2], ["I", ...data(4, "paid", "1.00", ""), T2],
      ),
    );

    const summary = await ws.load("orders", [load, cdc]);

    expectConserved(summary);
    expect(summary.files.map((f) => f.rowsRead), "the header row is not counted").to.deep.equal([3, 4]);
    await expectTimestampedResult(ws);
  });

  // Read by position, the header row was a rejected row (bad_key:order_id) and each value landed
  // one column to the left (order_ts in customer_id, ...), the keys' good state replaced by it.
  it("AddColumnName=true after the source dropped a column and added one: missing_column, not read by position", async () => {
    const first = ws.file("orders", "LOAD00000001.csv", lines(["order_id", "customer_id", "order_ts", "status", "total_amount"], data(1)));
    const drifted = ws.file("orders", "LOAD00000002.csv", lines(["order_id", "order_ts", "status", "total_amount", "region"], ["2", "2026-11-01 09:00:00", "paid", "10.00", "EU"]));

    const summary = await ws.load("orders", [first, drifted]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/LOAD00000001.csv")).to.include({ outcome: "LOADED", rowsRead: 1 });
    expect(fileResult(summary, "orders/LOAD00000002.csv")).to.include({ outcome: "QUARANTINED", reason: "missing_column:customer_id", rowsRead: 1 });
    expect(summary.counts.rejectedRows).to.equal(0);
  });

  it("IncludeOpForFullLoad: I first in the LOAD file; Op present, timestamp absent at the bronze level", async () => {
    const load = ws.file("orders", "LOAD00000001.csv", lines(["I", ...data(1)], ["I", ...data(2)]));

    const summary = await ws.load("orders", [load]);

    expectConserved(summary);
    expect((await ws.query(BRONZE)).map((r) => [r._op, r.order_id, r.status, r.cdc_ts])).to.deep.equal([
      ["I", "1", "paid", null],
      ["I", "2", "paid", null],
    ]);
  });

  it("CsvDelimiter=; and CsvNullValue=NULL on a headerless and a gzip file", async () => {
    const spec = ordersWith({ delimiter: ";", nullValue: "NULL" });
    const semi = (...records: string[][]) => records.map((r) => r.join(";")).join("\n") + "\n";
    const load = ws.file(spec, "LOAD00000001.csv", semi([T1, ...data(1, "paid", "1,5")], [T1, ...data(2, "paid", "10.00", "NULL")]));
    const cdc = ws.file(spec, "20261101-110000000.csv.gz", gzipSync(semi(["U", ...data(3, "NULL"), T2])));

    const summary = await ws.load(spec, [load, cdc]);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.outcome, f.rowsRead])).to.deep.equal([["LOADED", 2], ["LOADED", 1]]);
    expect(await ws.query("SELECT order_id, customer_id, status FROM orders ORDER BY order_id")).to.deep.equal([]);
    expect(await ws.query(QUARANTINE)).to.deep.equal([
      { order_id: "1", _reasons: "bad_type:total_amount" },
      { order_id: "2", _reasons: "not_null:customer_id" },
      { order_id: "3", _reasons: "not_null:status" },
    ]);
  });

  it("CompressionType=GZIP: classified by its bytes, every gzip member read; a text file named .gz is read as text", async () => {
    const gz = ws.file("orders", "LOAD00000001.csv.gz", Buffer.concat([gzipSync(lines([T1, ...data(1)])), gzipSync(lines([T1, ...data(2)]))]));
    const plain = ws.file("orders", "LOAD00000002.csv.gz", lines([T1, ...data(3)]));

    const summary = await ws.load("orders", [gz, plain]);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.outcome, f.rowsRead])).to.deep.equal([["LOADED", 2], ["LOADED", 1]]);
    expect((await ws.query(SILVER)).map((r) => r.order_id)).to.deep.equal([1, 2, 3]);
  });

  // gzip(1) and Python's gzip (the Glue runner) skip zero padding after the last member and read
  // a header comment; DuckDB's reader failed on them with an IO Error ("Input is not a GZIP
  // stream", "Unsupported GZIP archive"), failing the run and the other files with it.
  it("reads a gzip file zero-padded after its last member, or with a header comment, beside other files", async () => {
    const padded = ws.file("orders", "LOAD00000001.csv.gz", Buffer.concat([gzipSync(lines(data(1), data(2))), Buffer.alloc(512)]));
    const plain = ws.file("orders", "LOAD00000002.csv", lines(data(3)));
    const zipped = gzipSync(lines(data(4)));
    // FCOMMENT (flag 0x10): a zero-terminated comment after the fixed 10-byte header.
    const commented = Buffer.concat([zipped.subarray(0, 3), Buffer.from([0x10]), zipped.subarray(4, 10), Buffer.from("dms\0"), zipped.subarray(10)]);
    const comment = ws.file("orders", "LOAD00000003.csv.gz", commented);

    const summary = await ws.load("orders", [padded, plain, comment]);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.outcome, f.rowsRead])).to.deep.equal([["LOADED", 2], ["LOADED", 1], ["LOADED", 1]]);
    expect(await ws.query("SELECT order_id, _row_number FROM bronze_orders ORDER BY order_id")).to.deep.equal([
      { order_id: "1", _row_number: 1 },
      { order_id: "2", _row_number: 2 },
      { order_id: "3", _row_number: 1 },
      { order_id: "4", _row_number: 1 },
    ]);
  });

  it("gives a header-only, an empty, a gzip-corrupt, a Parquet, an xz, a UTF-16 and a 2 GiB file each its own reason, rows counted once", async () => {
    const good = lines([T1, ...data(1)]);
    const zipped = gzipSync(good);
    const files = [
      ws.file("orders", "header-only.csv", "Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts\n"),
      ws.file("orders", "empty.csv", ""),
      ws.file("orders", "line-ends.csv", "\r\n\n"),
      ws.file("orders", "empty.csv.gz", gzipSync("")),
      ws.file("orders", "cut.csv.gz", zipped.subarray(0, zipped.length - 6)),
      ws.file("orders", "crc.csv.gz", Buffer.concat([zipped.subarray(0, zipped.length - 8), Buffer.alloc(4), zipped.subarray(zipped.length - 4)])),
      ws.file("orders", "LOAD00000001.parquet.gz", gzipSync(Buffer.from("PAR1\u0000\u0000PAR1"))),
      ws.file("orders", "LOAD00000002.parquet", Buffer.from("PAR1\u0000\u0000PAR1")),
      ws.file("orders", "xz.csv.gz", XZ_TEXT),
      ws.file("orders", "excel.csv", Buffer.from(`\uFEFF${good}`, "utf16le")),
      // Sparse, just over the largest file read: Node refuses to read it (ERR_FS_FILE_TOO_LARGE),
      // which failed the whole run.
      overTwoGiB(ws.file("orders", "huge.csv", good)),
      ws.file("orders", "ok.csv", good),
    ];

    const summary = await ws.load("orders", files);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.key.replace("orders/", ""), f.outcome, f.reason ?? null, f.rowsRead])).to.deep.equal([
      ["header-only.csv", "QUARANTINED", "header_only", 0],
      ["empty.csv", "QUARANTINED", "empty_file", 0],
      ["line-ends.csv", "QUARANTINED", "empty_file", 0],
      ["empty.csv.gz", "QUARANTINED", "empty_file", 0],
      ["cut.csv.gz", "QUARANTINED", "corrupt_gzip:truncated", 0],
      ["crc.csv.gz", "QUARANTINED", "corrupt_gzip:bad data", 0],
      ["LOAD00000001.parquet.gz", "QUARANTINED", "unsupported:gzipped parquet", 0],
      ["LOAD00000002.parquet", "QUARANTINED", "malformed_parquet:no footer", 0],
      ["xz.csv.gz", "QUARANTINED", "unsupported:xz compressed", 0],
      ["excel.csv", "QUARANTINED", "not_utf8:UTF-16 text", 0],
      ["huge.csv", "QUARANTINED", "unsupported:larger than 2 GiB (split it into smaller files)", 0],
      ["ok.csv", "LOADED", null, 1],
    ]);
  });

  it("counts every row of a headerless file it cannot load: no layout fits, a row of another width, not UTF-8", async () => {
    const files = [
      ws.file("orders", "20261101-110000000.csv", lines(["X", ...data(1)], ["X", ...data(2)], ["X", ...data(3)])),
      ws.file("orders", "20261101-120000000.csv", lines(["I", ...data(1)], ["I", ...data(2).slice(0, 4)], ["I", ...data(3)])),
      ws.file("orders", "20261101-130000000.csv", Buffer.concat([Buffer.from(lines(["I", ...data(1)])), Buffer.from([0xff, 0x2c, 0x0a]), Buffer.from(lines(["I", ...data(3)]))])),
    ];

    const summary = await ws.load("orders", files);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.reason, f.rowsRead])).to.deep.equal([
      ["column_count:6 fields fit no layout of Op?,order_id,customer_id,order_ts,status,total_amount,cdc_ts?", 3],
      ["malformed_csv:row 2 has 5 fields, row 1 has 6", 3],
      ["not_utf8", 3],
    ]);
  });

  it("keeps a stray quote in the first record of a headerless file as a character, as in any later row", async () => {
    // An inch mark in a DMS file's first change: read as the header is (a quote toggles quoting)
    // it never closed, and the whole file was quarantined.
    const status = (s: string) => ["I", "1", "100", "2026-11-01 09:00:00", s, "10.00"];
    const files = [
      ws.file("orders", "20261101-110000000.csv", lines(status('pa"id'), ["I", ...data(2)], status('12" x'))),
      ws.file("orders", "20261101-120000000.csv", "I,3,100,2026-11-01 09:00:00,paid,10.00\rI,4,100,2026-11-01 09:00:00,paid,10.00\r"),
    ];

    const summary = await ws.load("orders", files);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.outcome, f.reason ?? null, f.rowsRead])).to.deep.equal([
      ["LOADED", null, 3],
      ["QUARANTINED", "malformed_csv:row 1: bare carriage return", 1],
    ]);
    expect(await ws.query(QUARANTINE)).to.deep.equal([{ order_id: "1", _reasons: "accepted_values:status" }]);
    expect(await ws.query("SELECT _row_number, status FROM bronze_orders WHERE order_id = '1' ORDER BY _row_number")).to.deep.equal([
      { _row_number: 1, status: 'pa"id' },
      { _row_number: 3, status: '12" x' },
    ]);
  });

  it("reads a headerless file with a UTF-8 BOM, CRLF line ends and blank lines (no rows)", async () => {
    const file = ws.file("orders", "LOAD00000001.csv", "\uFEFF" + lines([T1, ...data(7)], [], [T1, ...data(8)]).replace(/\n/g, "\r\n"));

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/LOAD00000001.csv")).to.include({ rowsRead: 2 });
    expect(await ws.query("SELECT order_id, cdc_ts FROM orders ORDER BY order_id")).to.deep.equal([
      { order_id: 7, cdc_ts: "2026-11-01 10:00:00" },
      { order_id: 8, cdc_ts: "2026-11-01 10:00:00" },
    ]);
  });

  // DuckDB's strict reader refused these well-formed files (the Glue runner loads them): an LF
  // file whose values hold a CRLF or a bare CR (a Windows text column), a CRLF file with a quoted
  // LF (a spreadsheet export), a file whose records change line end midway.
  it("reads files whose line ends are of two kinds, quoted or not, value for value; a wrong width is still named", async () => {
    const lf = ws.file("orders", "LOAD00000001.csv", lines(data(1, '"paid\r\nlate"'), data(2, '"paid\rlate"'), data(3)));
    const crlf = ws.file("orders", "LOAD00000002.csv", lines(data(4, '"paid\nlate"'), data(5)).replace(/\n(?=\d|$)/g, "\r\n"));
    const midway = ws.file("orders", "LOAD00000003.csv", `${data(6).join(",")}\n${data(7).join(",")}\r\n${data(8).join(",")}\r\n`);
    const wide = ws.file("orders", "LOAD00000004.csv", lines(data(9, '"a\r\nb"'), [...data(10), "x"]));

    const summary = await ws.load("orders", [lf, crlf, midway, wide]);

    expectConserved(summary);
    for (const [key, rows] of [["LOAD00000001.csv", 3], ["LOAD00000002.csv", 2], ["LOAD00000003.csv", 3]] as const) {
      expect(fileResult(summary, `orders/${key}`), key).to.include({ outcome: "LOADED", rowsRead: rows });
    }
    expect(fileResult(summary, "orders/LOAD00000004.csv")).to.include({ outcome: "QUARANTINED", reason: "malformed_csv:row 2 has 6 fields, row 1 has 5" });
    expect(await ws.query("SELECT order_id, status FROM bronze_orders ORDER BY order_id")).to.deep.equal(
      [["1", "paid\r\nlate"], ["2", "paid\rlate"], ["3", "paid"], ["4", "paid\nlate"], ["5", "paid"], ["6", "paid"], ["7", "paid"], ["8", "paid"]].map(
        ([order_id, status]) => ({ order_id, status }),
      ),
    );
  });

  it("header present: not_csv for a header that names no column, a headerless file is then no file of this dataset", async () => {
    const spec = ordersWith({ header: "present" }, "orders_with_header");
    const notCsv = ws.file(spec, "names.csv", "alpha,beta\n1,2\n");
    const headerless = ws.file(spec, "LOAD00000001.csv", lines(data(1), data(2)));

    const summary = await ws.load(spec, [notCsv, headerless]);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.reason, f.rowsRead])).to.deep.equal([
      ["not_csv", 1],
      ["not_csv", 1],
    ]);
  });

  it("a file written with another common delimiter: the reason names the delimiter it fits", async () => {
    const header = ["Op", "order_id", "customer_id", "order_ts", "status", "total_amount", "cdc_ts"];
    const semicolons = ws.file("orders", "20261101-100000000.csv", [header, ["I", ...data(1), T1]].map((r) => r.join(";")).join("\n") + "\n");
    const tabs = ws.file("orders", "20261101-110000000.csv", [["I", ...data(2)], ["U", ...data(2, "shipped")]].map((r) => r.join("\t")).join("\n") + "\n");
    const neither = ws.file("orders", "20261101-120000000.csv", "a;b\n1;2\n");
    const named = ordersWith({ header: "present" }, "orders_named");
    const namedSemicolons = ws.file(named, "names.csv", ["order_id;status", "1;paid"].join("\n") + "\n");

    const summary = await ws.load("orders", [semicolons, tabs, neither]);
    const namedSummary = await ws.load(named, [namedSemicolons]);

    expectConserved(summary);
    const shape = "column_count:1 field fits no layout of Op?,order_id,customer_id,order_ts,status,total_amount,cdc_ts?";
    expect([...summary.files, ...namedSummary.files].map((f) => [f.reason, f.rowsRead])).to.deep.equal([
      [`${shape}; read with delimiter ';' it fits (csv.delimiter is ',')`, 2],
      [`${shape}; read with delimiter '\\t' it fits (csv.delimiter is ',')`, 2],
      [shape, 2],
      ["not_csv:read with delimiter ';' it fits (csv.delimiter is ',')", 1],
    ]);
  });

  it("header absent: a first record that names columns is data, counted", async () => {
    const spec = ordersWith({ header: "absent" }, "orders_headerless");
    const file = ws.file(spec, "LOAD00000001.csv", lines(["order_id", "customer_id", "order_ts", "status", "total_amount"], data(1)));

    const summary = await ws.load(spec, [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders_headerless/LOAD00000001.csv")).to.include({ outcome: "LOADED", rowsRead: 2 });
    expect((await ws.query("SELECT order_id FROM bronze_orders_headerless ORDER BY _row_number")).map((r) => r.order_id)).to.deep.equal(["order_id", "1"]);
  });

  it("a Parquet file under a csv dataset is parquet_where_csv_declared, not not_utf8", async () => {
    const spec = defineDataset({
      name: "plain",
      prefix: "plain/",
      format: "csv",
      columns: { id: "int", name: "string" },
      primaryKey: ["id"],
    });
    const file = ws.file(spec, "part-0.csv", Buffer.concat([Buffer.from("PAR1"), Buffer.from([0x15, 0x04, 0xff, 0xfe]), Buffer.from("PAR1")]));

    const summary = await ws.load(spec, [file]);

    expectConserved(summary);
    expect(fileResult(summary, "plain/part-0.csv")).to.include({ outcome: "QUARANTINED", reason: "parquet_where_csv_declared", rowsRead: 0 });
  });

  it("a column the source gained, declared optional at the end: older headerless files load without it, their timestamp kept", async () => {
    // DMS writes a column the table gains at the end of its records, before TimestampColumnName's
    // column when that is last: an older file has as many fields as a newer one without the timestamp.
    const load = ws.file(gainedColumn, "LOAD00000001.csv", lines(data(1), data(2)));
    const before = ws.file(gainedColumn, "20261101-100000000.csv", lines(["U", ...data(1, "shipped"), T1], ["U", ...data(3, "shipped"), T1]));
    const after = ws.file(gainedColumn, "20261101-110000000.csv", lines(["U", ...data(1, "delivered"), "SAVE10", T2]));

    const summary = await ws.load(gainedColumn, [load, before, after]);

    expectConserved(summary);
    expect(summary.files.map((f) => f.outcome)).to.deep.equal(["LOADED", "LOADED", "LOADED"]);
    expect(await ws.query("SELECT _source_key, order_id, coupon, cdc_ts FROM bronze_gained WHERE _op = 'U' ORDER BY _source_key, _row_number")).to.deep.equal([
      { _source_key: "dbo/orders/20261101-100000000.csv", order_id: "1", coupon: null, cdc_ts: T1 },
      { _source_key: "dbo/orders/20261101-100000000.csv", order_id: "3", coupon: null, cdc_ts: T1 },
      { _source_key: "dbo/orders/20261101-110000000.csv", order_id: "1", coupon: "SAVE10", cdc_ts: T2 },
    ]);
    expect(await ws.query("SELECT order_id, status, coupon FROM gained ORDER BY order_id")).to.deep.equal([
      { order_id: 1, status: "delivered", coupon: "SAVE10" },
      { order_id: 2, status: "paid", coupon: null },
      { order_id: 3, status: "shipped", coupon: null },
    ]);
  });
});
