// Issue 2 "Bad input": each case gets a clear reason, loses nothing, and keeps conservation.
import * as path from "node:path";
import * as zlib from "node:zlib";
import { expect } from "chai";
import { defineDataset } from "../../datasets";
import { ORDERS_HEADER, TestWorkspace, expectConserved, fileResult, orderRow } from "./helpers";

const CUSTOMERS_HEADER = "Op,customer_id,email,country,signup_date,cdc_ts";
const good = [orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:01")];

describe("engine (DuckDB): bad input", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("quarantines an empty (0-byte) file with reason empty_file and still loads the others", async () => {
    const empty = ws.file("orders", "empty.csv", "");
    const ok = ws.file("orders", "ok.csv", [ORDERS_HEADER, ...good].join("\n"));

    const summary = await ws.load("orders", [empty, ok]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/empty.csv")).to.include({ outcome: "QUARANTINED", reason: "empty_file", rowsRead: 0 });
    expect(fileResult(summary, "orders/ok.csv")).to.include({ outcome: "LOADED", rowsRead: 2, rowsLoaded: 2 });
    expect(summary.counts.silverRows).to.equal(2);
  });

  // DuckDB's strict reader drops empty trailing fields: such files loaded here and were
  // malformed_csv on the Glue runner, whose reader counts every field.
  it("quarantines a row with extra empty trailing fields (a trailing delimiter) as malformed_csv, header or not; an empty last column still loads", async () => {
    const extra = ws.file("orders", "extra.csv", [ORDERS_HEADER, `${good[0]},`, good[1]].join("\n"));
    const many = ws.file("orders", "many.csv", [ORDERS_HEADER, good[0], `${good[1]},,,`].join("\r\n"));
    const headerless = ws.file("orders", "20261101-100000000.csv", ["I,3,7,2026-11-01 09:00:00,paid,1.00,2026-11-01 10:00:00.000000", "I,4,7,2026-11-01 09:00:00,paid,1.00,2026-11-01 10:00:00.000000,"].join("\n"));
    const lastEmpty = ws.file("orders", "last-empty.csv", ["Op,order_id,customer_id,order_ts,status,cdc_ts,total_amount", "I,5,7,2026-11-01 09:00:00,paid,2026-11-01 10:00:00,"].join("\n"));
    // A record over two lines (a quoted line end): its last line alone looks narrow enough.
    const quoted = ws.file("orders", "quoted.csv", [ORDERS_HEADER, 'I,6,7,2026-11-01 09:00:00,"multi\nline",1.00,2026-11-01 10:00:00,'].join("\n"));

    const summary = await ws.load("orders", [extra, many, headerless, lastEmpty, quoted]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/extra.csv")).to.include({ outcome: "QUARANTINED", reason: "malformed_csv:row 1 has 8 fields, header has 7", rowsRead: 2 });
    expect(fileResult(summary, "orders/many.csv")).to.include({ outcome: "QUARANTINED", reason: "malformed_csv:row 2 has 10 fields, header has 7", rowsRead: 2 });
    expect(fileResult(summary, "orders/20261101-100000000.csv")).to.include({ outcome: "QUARANTINED", reason: "malformed_csv:row 2 has 8 fields, row 1 has 7" });
    expect(fileResult(summary, "orders/last-empty.csv")).to.include({ outcome: "LOADED", rowsRead: 1 });
    expect(fileResult(summary, "orders/quoted.csv")).to.include({ outcome: "QUARANTINED", reason: "malformed_csv:row 1 has 8 fields, header has 7" });
  });

  it("quarantines a header-only file with its own reason (header_only), 0 rows, every time it comes", async () => {
    const headerOnly = ws.file("orders", "header.csv", `${ORDERS_HEADER}\n\n`);

    const first = await ws.load("orders", [headerOnly]);
    const again = await ws.load("orders", [headerOnly]);

    expectConserved(first);
    expect(fileResult(first, "orders/header.csv")).to.include({ outcome: "QUARANTINED", reason: "header_only", rowsRead: 0, rowsQuarantined: 0 });
    expect(first.counts.silverRows).to.equal(0);
    expect(fileResult(again, "orders/header.csv")).to.include({ outcome: "QUARANTINED", reason: "header_only" });
  });

  it("strips a UTF-8 BOM before matching the header", async () => {
    // order_id first: if the BOM stuck to the name, order_id would be a missing column.
    const text = "\uFEFForder_id,Op,customer_id,order_ts,status,total_amount,cdc_ts\n7,I,100,2026-11-01 09:00:00,paid,5.00,2026-11-01 10:00:00\n";
    const bom = ws.file("orders", "bom.csv", Buffer.from(text, "utf8"));

    const summary = await ws.load("orders", [bom]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/bom.csv")).to.include({ outcome: "LOADED", rowsLoaded: 1 });
    expect(await ws.query("SELECT order_id, status FROM orders")).to.deep.equal([{ order_id: 7, status: "paid" }]);
  });

  it("finds the header after empty lines at the start of a file (an export's blank first line), with or without a BOM", async () => {
    const plain = ws.file("orders", "blank-first.csv", ["", "", ORDERS_HEADER, good[0]].join("\n"));
    const bom = ws.file("orders", "bom-blank-first.csv", `\uFEFF\r\n${ORDERS_HEADER}\r\n${good[1]}\r\n`);
    // LF then CRLF: DuckDB's reader counts three lines there, so where its header is is not certain.
    const mixed = ws.file("orders", "mixed-blank-first.csv", `\n\r\n${ORDERS_HEADER}\n${good[1]}\n`);

    const summary = await ws.load("orders", [plain, bom, mixed]);

    // Before: the empty first line was read as the header (or, header "auto", as data): the file was quarantined.
    expectConserved(summary);
    expect(fileResult(summary, "orders/blank-first.csv")).to.include({ outcome: "LOADED", rowsRead: 1, rowsLoaded: 1 });
    expect(fileResult(summary, "orders/bom-blank-first.csv")).to.include({ outcome: "LOADED", rowsRead: 1, rowsLoaded: 1 });
    expect(fileResult(summary, "orders/mixed-blank-first.csv")).to.include({
      outcome: "QUARANTINED", reason: "malformed_csv:empty lines before the header, and mixed line ends", rowsRead: 1 });
    expect(await ws.query("SELECT order_id, _row_number FROM orders ORDER BY order_id")).to.deep.equal([
      { order_id: 1, _row_number: 1 },
      { order_id: 2, _row_number: 1 },
    ]);
  });

  it("reads CRLF line ends without carrying \\r into values", async () => {
    const crlf = ws.file("orders", "crlf.csv", [ORDERS_HEADER, ...good].join("\r\n") + "\r\n");

    const summary = await ws.load("orders", [crlf]);

    expectConserved(summary);
    expect(summary.counts.quarantineRows, "a trailing \\r would make cdc_ts unparseable").to.equal(0);
    expect(await ws.query("SELECT cdc_ts FROM orders ORDER BY order_id")).to.deep.equal([
      { cdc_ts: "2026-11-01 10:00:00" },
      { cdc_ts: "2026-11-01 10:00:01" },
    ]);
  });

  it("keeps quoted delimiters, doubled quotes and embedded newlines inside one field", async () => {
    const csv = `${CUSTOMERS_HEADER}\nI,1,"a,b@example.com",DE,2024-01-02,2026-11-01 10:00:00\nI,2,"line1\nline2 ""q""",FR,2024-01-03,2026-11-01 10:00:00\n`;
    const file = ws.file("customers", "quoted.csv", csv);

    const summary = await ws.load("customers", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "customers/quoted.csv")).to.include({ rowsRead: 2, rowsLoaded: 2 });
    expect(await ws.query("SELECT customer_id, email, _row_number FROM customers ORDER BY customer_id")).to.deep.equal([
      { customer_id: 1, email: "a,b@example.com", _row_number: 1 },
      { customer_id: 2, email: 'line1\nline2 "q"', _row_number: 2 },
    ]);
  });

  it("quarantines a file with non-UTF-8 bytes (not_utf8), its rows counted once under that reason", async () => {
    const latin1 = Buffer.concat([Buffer.from(`${ORDERS_HEADER}\n`), Buffer.from("I,1,100,2026-11-01 09:00:00,pay\xe9,1.00,2026-11-01 10:00:00\n", "latin1")]);
    const file = ws.file("orders", "latin1.csv", latin1);

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/latin1.csv")).to.include({ outcome: "QUARANTINED", reason: "not_utf8", rowsRead: 1, rowsQuarantined: 1, rowsRejected: 0 });
    expect(summary.counts).to.include({ rowsRead: 1, bronzeRows: 0, rejectedRows: 0, quarantinedFileRows: 1 });
  });

  it("rejects a file missing a required column whole (missing_column) and none of its rows reach state", async () => {
    const csv = "Op,order_id,customer_id,order_ts,total_amount,cdc_ts\nI,1,100,2026-11-01 09:00:00,1.00,2026-11-01 10:00:00\nI,2,100,2026-11-01 09:00:00,1.00,2026-11-01 10:00:00\n";
    const file = ws.file("orders", "nostatus.csv", csv);

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/nostatus.csv")).to.include({ outcome: "QUARANTINED", reason: "missing_column:status", rowsRead: 2, rowsQuarantined: 2, rowsRejected: 0 });
    expect(summary.counts).to.include({ stateKeys: 0, rejectedRows: 0, quarantinedFileRows: 2 });
    // The rejects table holds exactly the rows counted as rejected: none of this file's.
    expect(await ws.query("SELECT COUNT(*) AS n FROM rejects_orders")).to.deep.equal([{ n: 0 }]);
    expect(await ws.countParquet("bronze")).to.equal(0);
  });

  it("loads a file with an extra column and reports drift", async () => {
    const csv = `${ORDERS_HEADER},note\n${good[0]},hello\n`;
    const file = ws.file("orders", "extra.csv", csv);

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/extra.csv")).to.include({ outcome: "LOADED", rowsLoaded: 1 });
    expect(fileResult(summary, "orders/extra.csv").extraColumns).to.deep.equal(["note"]);
    expect(summary.driftWarnings).to.deep.equal(["orders/extra.csv: extra column(s) note"]);
  });

  it("loads a file with trailing delimiters (unnamed extra columns, never read) and names them in the drift warning", async () => {
    const file = ws.file("orders", "trailing.csv", `${ORDERS_HEADER},,\n${good[0]},,\n`);

    const summary = await ws.load("orders", [file]);

    // Before: the two empty names were one column twice (malformed_csv:duplicate column).
    expectConserved(summary);
    expect(fileResult(summary, "orders/trailing.csv")).to.include({ outcome: "LOADED", rowsLoaded: 1 });
    expect(summary.driftWarnings).to.deep.equal(["orders/trailing.csv: extra column(s) (unnamed), (unnamed)"]);
    const declaredTwice = await ws.load("orders", [ws.file("orders", "twice.csv", `${ORDERS_HEADER},STATUS\n${good[1]},paid\n`)]);
    expect(fileResult(declaredTwice, "orders/twice.csv")).to.include({ outcome: "QUARANTINED", reason: "malformed_csv:duplicate column status" });
  });

  it("orders the versions of one object key by arrival: a correction uploaded again under its key wins, whatever its version id", async () => {
    // Same cdc_ts, same row: only the version tells the rows apart. Version ids are opaque (S3),
    // content hashes (`datalake load`) or counters whose text order breaks at 10 (local mode).
    const at = (h: string) => ({ receivedAt: `2026-11-21T${h}:00:00.000Z` });
    const version = (v: string, status: string, h: string) =>
      ws.file("orders", "fix.csv", `${ORDERS_HEADER}\n${orderRow("I", 1, "2026-11-01 10:00:00", status)}\n`, { versionId: v, ...at(h) });
    const status = async () => (await ws.query("SELECT status, _source_version FROM orders WHERE order_id = 1"))[0];

    const first = await ws.load("orders", [version("v2", "paid", "08"), ws.file("orders", "other.csv", `${ORDERS_HEADER}\n${good[1]}\n`)]);
    expect(first.driftWarnings).to.deep.equal([]);
    const second = await ws.load("orders", [version("v1", "shipped", "09")]);
    expectConserved(second);
    expect(await status()).to.deep.equal({ status: "shipped", _source_version: "v1" });
    expect(second.driftWarnings, "a new version is ordered, not warned of").to.deep.equal([]);

    // Two versions in one batch, listed latest first: "v9" > "v10" as text, v10 arrived later.
    await ws.load("orders", [version("v10", "cancelled", "11"), version("v9", "paid", "10")]);
    expect(await status()).to.deep.equal({ status: "cancelled", _source_version: "v10" });

    await ws.load("orders", [], { fullRefresh: true });
    expect(await status(), "a full refresh orders them the same").to.deep.equal({ status: "cancelled", _source_version: "v10" });
  });

  it("maps columns by name, so a different column order gives the same silver", async () => {
    const reordered = "cdc_ts,total_amount,status,order_ts,customer_id,order_id,Op\n2026-11-01 10:00:00,10.00,paid,2026-11-01 09:00:00,100,1,I\n";
    const a = new TestWorkspace();
    try {
      await a.load("orders", [a.file("orders", "canonical.csv", [ORDERS_HEADER, good[0]].join("\n"))]);
      const summary = await ws.load("orders", [ws.file("orders", "canonical.csv", reordered)]);

      expectConserved(summary);
      const cols = "order_id, customer_id, order_ts, status, total_amount, cdc_ts, order_year, order_month";
      expect(await ws.query(`SELECT ${cols} FROM orders`)).to.deep.equal(await a.query(`SELECT ${cols} FROM orders`));
    } finally {
      a.cleanup();
    }
  });

  it("reads a header and values written with a space after each comma as the same rows", async () => {
    const spaced = [
      "Op, order_id, customer_id, order_ts, status, total_amount, cdc_ts",
      "I, 1, 100, 2026-11-01 09:00:00,paid, 10.00, 2026-11-01 10:00:00",
      "I, 2, 100, 2026-11-01 09:00:00, paid, 10.00, 2026-11-01 10:00:00",
    ].join("\n");
    const a = new TestWorkspace();
    try {
      await a.load("orders", [a.file("orders", "canonical.csv", [ORDERS_HEADER, "I,1,100,2026-11-01 09:00:00,paid,10.00,2026-11-01 10:00:00"].join("\n"))]);
      const summary = await ws.load("orders", [ws.file("orders", "spaced.csv", spaced)]);

      // Before: the header named no column, so the file was read as headerless: column_count.
      expect(fileResult(summary, "orders/spaced.csv")).to.include({ outcome: "LOADED", rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
      const cols = "order_id, customer_id, order_ts, status, total_amount, cdc_ts, order_year, order_month";
      expect(await ws.query(`SELECT ${cols} FROM orders`)).to.deep.equal(await a.query(`SELECT ${cols} FROM orders`));
      // A string keeps its space: " paid" is no accepted status.
      expect(await ws.query("SELECT order_id, status, _reasons FROM quarantine_orders")).to.deep.equal([{ order_id: " 2", status: " paid", _reasons: "accepted_values:status" }]);
    } finally {
      a.cleanup();
    }
  });

  it("rejects a row with a bad Op value (bad_op) and loads the rest; i, u and d count, a letter upper-casing to I does not", async () => {
    const rows = [good[0], orderRow("X", 3, "2026-11-01 10:00:00"), orderRow("\u0131", 4, "2026-11-01 10:00:00"), orderRow("u", 5, "2026-11-01 10:00:00")];
    const file = ws.file("orders", "badop.csv", [ORDERS_HEADER, ...rows].join("\n"));

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/badop.csv")).to.include({ rowsRead: 4, rowsLoaded: 2, rowsRejected: 2 });
    // The dotless i (U+0131) upper-cases to I on both engines: it loaded as an insert.
    expect(await ws.query("SELECT order_id, _op, _reasons, _row_number FROM rejects_orders ORDER BY _row_number")).to.deep.equal([
      { order_id: "3", _op: "X", _reasons: "bad_op", _row_number: 2 },
      { order_id: "4", _op: "\u0131", _reasons: "bad_op", _row_number: 3 },
    ]);
  });

  it("rejects rows whose key or cdc_ts cannot be parsed, with one label per problem", async () => {
    const rows = [
      good[0],
      orderRow("I", "abc", "2026-11-01 10:00:00"),
      orderRow("I", "", "2026-11-01 10:00:00"),
      orderRow("I", 4, "yesterday"),
      orderRow("Q", "x1", ""),
    ];
    const file = ws.file("orders", "badkeys.csv", [ORDERS_HEADER, ...rows].join("\n"));

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/badkeys.csv")).to.include({ rowsRead: 5, rowsLoaded: 1, rowsRejected: 4 });
    expect((await ws.query("SELECT _reasons FROM rejects_orders ORDER BY _row_number")).map((r) => r._reasons)).to.deep.equal([
      "bad_key:order_id",
      "null_key:order_id",
      "bad_sequence:cdc_ts",
      "bad_key:order_id;bad_op",
    ]);
  });

  it("quarantines bad decimal, date and timestamp values with bad_type labels and heals on a fix", async () => {
    const orders = [
      orderRow("I", 1, "2026-11-01 10:00:00", "paid", "12.3.4"),
      `I,2,100,2026-13-45 09:00:00,paid,1.00,2026-11-01 10:00:00.123456`,
      orderRow("I", 3, "2026-11-01 10:00:00", "paid", "99999999999999.99"),
    ];
    const customers = `${CUSTOMERS_HEADER}\nI,1,a@x.com,DE,2024-02-30,2026-11-01 10:00:00\nI,2,b@x.com,DE,02/01/2024,2026-11-01 10:00:00\n`;

    const o = await ws.load("orders", [ws.file("orders", "types.csv", [ORDERS_HEADER, ...orders].join("\n"))]);
    const c = await ws.load("customers", [ws.file("customers", "types.csv", customers)]);
    const fixed = await ws.load("orders", [ws.file("orders", "fix.csv", [ORDERS_HEADER, orderRow("U", 1, "2026-11-02 10:00:00")].join("\n"))]);

    for (const s of [o, c, fixed]) expectConserved(s);
    expect(fileResult(o, "orders/types.csv")).to.include({ rowsRead: 3, rowsQuarantined: 3 });
    expect(await ws.query("SELECT order_id, _reasons FROM quarantine_orders ORDER BY order_id")).to.deep.equal([
      { order_id: "2", _reasons: "bad_type:order_ts;not_null:order_ts" },
      { order_id: "3", _reasons: "bad_type:total_amount;not_null:total_amount" },
    ]);
    expect(await ws.query("SELECT _reasons FROM quarantine_customers ORDER BY customer_id")).to.deep.equal([
      { _reasons: "bad_type:signup_date" },
      { _reasons: "bad_type:signup_date" },
    ]);
    expect(fixed.counts).to.include({ silverRows: 1, quarantineRows: 2 });
    expect(await ws.query("SELECT order_id, total_amount FROM orders")).to.deep.equal([{ order_id: 1, total_amount: "10.00" }]);
  });

  it("never rounds: a decimal with more fraction digits than its scale, or an integer out of range, is bad_type", async () => {
    const rows = [
      orderRow("I", 1, "2026-11-01 10:00:00", "paid", "1.999"),
      orderRow("I", 2, "2026-11-01 10:00:00", "paid", "1.005"),
      orderRow("I", 3, "2026-11-01 10:00:00", "paid", "1.990"),
      orderRow("I", 4, "2026-11-01 10:00:00", "paid", "+.50"),
      orderRow("I", 5, "2026-11-01 10:00:00", "paid", "7."),
      `I,6,9223372036854775808,2026-11-01 10:00:00,paid,1.00,2026-11-01 10:00:00`,
      `I,7,100,2026-11-01 10:00:00.1234567,paid,1.00,2026-11-01 10:00:00`,
    ];

    const summary = await ws.load("orders", [ws.file("orders", "scale.csv", [ORDERS_HEADER, ...rows].join("\n"))]);

    expectConserved(summary);
    expect(await ws.query("SELECT order_id, total_amount FROM orders ORDER BY order_id")).to.deep.equal([
      { order_id: 3, total_amount: "1.99" },
      { order_id: 4, total_amount: "0.50" },
      { order_id: 5, total_amount: "7.00" },
    ]);
    expect(await ws.query("SELECT order_id, total_amount, _reasons FROM quarantine_orders ORDER BY order_id")).to.deep.equal([
      { order_id: "1", total_amount: "1.999", _reasons: "bad_type:total_amount;not_null:total_amount" },
      { order_id: "2", total_amount: "1.005", _reasons: "bad_type:total_amount;not_null:total_amount" },
      { order_id: "6", total_amount: "1.00", _reasons: "bad_type:customer_id;not_null:customer_id" },
      { order_id: "7", total_amount: "1.00", _reasons: "bad_type:order_ts;not_null:order_ts" },
    ]);
  });

  it("reads a date written at midnight as that date and a timestamp's zeros past the microsecond; any other time or lower digit is bad_type", async () => {
    const customers = [
      CUSTOMERS_HEADER,
      "I,1,a@x.com,DE,2024-01-02 00:00:00,2026-11-01 10:00:00.1234560",
      "I,2,b@x.com,DE,2024-01-03T00:00:00.000,2026-11-01 10:00:00.000000000",
      "I,3,c@x.com,DE,2024-01-04 00:00:01,2026-11-01 10:00:00",
      "I,4,d@x.com,DE,2024-01-05 12:00:00,2026-11-01 10:00:00",
      "I,5,e@x.com,DE,2024-01-06,2026-11-01 10:00:00.123456789",
    ].join("\n");

    const summary = await ws.load("customers", [ws.file("customers", "midnight.csv", customers)]);

    expectConserved(summary);
    expect(await ws.query("SELECT customer_id, CAST(signup_date AS VARCHAR) AS d FROM customers ORDER BY customer_id")).to.deep.equal([
      { customer_id: 1, d: "2024-01-02" },
      { customer_id: 2, d: "2024-01-03" },
    ]);
    expect(await ws.query("SELECT customer_id, _reasons FROM quarantine_customers ORDER BY customer_id")).to.deep.equal([
      { customer_id: "3", _reasons: "bad_type:signup_date" },
      { customer_id: "4", _reasons: "bad_type:signup_date" },
    ]);
    expect(await ws.query("SELECT _reasons FROM rejects_customers")).to.deep.equal([{ _reasons: "bad_sequence:cdc_ts" }]);
  });

  it("reads an integer written with a zero fraction (Oracle NUMBER through DMS: 12.0000000000) as that integer; any other fraction is bad", async () => {
    const rows = [
      `I,12.0000000000,100.00,2026-11-01 09:00:00,paid,1.00,2026-11-01 10:00:00`,
      `I,13,7.,2026-11-01 09:00:00,paid,1.00,2026-11-01 10:00:00`,
      `I,14,100.5,2026-11-01 09:00:00,paid,1.00,2026-11-01 10:00:00`,
      `I,15.01,100,2026-11-01 09:00:00,paid,1.00,2026-11-01 10:00:00`,
      `U,12,101,2026-11-01 09:00:00,paid,1.00,2026-11-02 10:00:00`,
    ];

    const summary = await ws.load("orders", [ws.file("orders", "numbers.csv", [ORDERS_HEADER, ...rows].join("\n"))]);

    expectConserved(summary);
    // 12.0000000000 and 12 are one key: the update replaced the insert.
    expect(await ws.query("SELECT order_id, customer_id FROM orders ORDER BY order_id")).to.deep.equal([
      { order_id: 12, customer_id: 101 },
      { order_id: 13, customer_id: 7 },
    ]);
    expect(await ws.query("SELECT order_id, _reasons FROM quarantine_orders")).to.deep.equal([{ order_id: "14", _reasons: "bad_type:customer_id;not_null:customer_id" }]);
    expect(await ws.query("SELECT order_id, _reasons FROM rejects_orders")).to.deep.equal([{ order_id: "15.01", _reasons: "bad_key:order_id" }]);
  });

  // As Spark's trim does: DuckDB's one-argument trim also dropped Unicode spaces, so these were
  // 7, 1.00 and a delete here, and bad_type / bad_op on Spark.
  it("trims ASCII spaces only: a no-break or ideographic space around a number or an Op is bad_type / bad_op", async () => {
    const rows = [
      good[0],
      orderRow("I", 2, "2026-11-01 10:00:00"),
      `U,1,\u00a07,2026-11-01 09:00:00,paid,1.00\u3000,2026-11-01 11:00:00`,
      orderRow("D\u00a0", 2, "2026-11-01 11:00:00"),
      orderRow(" D ", 3, "2026-11-01 11:00:00"),
    ];

    const summary = await ws.load("orders", [ws.file("orders", "spaces.csv", [ORDERS_HEADER, ...rows].join("\n"))]);

    expectConserved(summary);
    expect(await ws.query("SELECT order_id FROM orders ORDER BY order_id")).to.deep.equal([{ order_id: 2 }]);
    expect(await ws.query("SELECT order_id, _reasons FROM quarantine_orders")).to.deep.equal([
      { order_id: "1", _reasons: "bad_type:customer_id;bad_type:total_amount;not_null:customer_id;not_null:total_amount" },
    ]);
    expect(await ws.query("SELECT order_id, _op, _reasons FROM rejects_orders")).to.deep.equal([{ order_id: "2", _op: "D\u00a0", _reasons: "bad_op" }]);
  });

  it("loads a very long field (3 MB) intact", async () => {
    const long = "x".repeat(3 * 1024 * 1024);
    const file = ws.file("customers", "long.csv", `${CUSTOMERS_HEADER}\nI,1,"${long}",DE,2024-01-02,2026-11-01 10:00:00\n`);

    const summary = await ws.load("customers", [file]);

    expectConserved(summary);
    expect(await ws.query("SELECT length(email) AS n FROM customers")).to.deep.equal([{ n: long.length }]);
  });

  // orders is a dms dataset (header "auto"): a file whose first record names no column is read
  // headerless, its first record by the rules of every row, so a file that is not CSV at all is
  // malformed or fits no layout. not_csv is the reason of a header that names no column (header
  // "present": test/engine/dms-csv.test.ts).
  it("quarantines a file that is not CSV at all (malformed_csv, column_count), and binary junk (not_utf8)", async () => {
    const json = ws.file("orders", "data.json", '{"order_id": 1, "status": "paid"}\n{"order_id": 2}\n');
    const text = ws.file("orders", "notes.txt", "Orders for November\nsee the attached report\n");
    const binary = ws.file("orders", "image.csv", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0x00]));

    const summary = await ws.load("orders", [json, text, binary]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/data.json")).to.include({
      outcome: "QUARANTINED",
      reason: "malformed_csv:row 1: space before opening quote",
      rowsRead: 2,
    });
    expect(fileResult(summary, "orders/notes.txt")).to.include({
      outcome: "QUARANTINED",
      reason: "column_count:1 field fits no layout of Op?,order_id,customer_id,order_ts,status,total_amount,cdc_ts?",
      rowsRead: 2,
    });
    expect(fileResult(summary, "orders/image.csv")).to.include({ outcome: "QUARANTINED", reason: "not_utf8" });
    expect(summary.counts.bronzeRows).to.equal(0);
  });

  it("quarantines a malformed CSV (a row with too many fields) with the parser's reason", async () => {
    const file = ws.file("orders", "ragged.csv", [ORDERS_HEADER, good[0], `${good[1]},surprise`].join("\n"));

    const summary = await ws.load("orders", [file]);

    expectConserved(summary);
    const result = fileResult(summary, "orders/ragged.csv");
    expect(result.outcome).to.equal("QUARANTINED");
    expect(result.reason).to.match(/^malformed_csv:row 2 has 8 fields, header has 7$/);
    expect(result).to.include({ rowsRead: 2, rowsQuarantined: 2, rowsRejected: 0 });
  });
  it("rejects only the malformed file of a run and loads the others from the same run", async () => {
    const first = ws.file("orders", "first.csv", [ORDERS_HEADER, ...good].join("\n"));
    const ragged = ws.file("orders", "ragged.csv", [ORDERS_HEADER, orderRow("I", 3, "2026-11-01 10:00:00"), `${orderRow("I", 4, "2026-11-01 10:00:00")},surprise`].join("\n"));
    const last = ws.file("orders", "last.csv", [ORDERS_HEADER, orderRow("I", 5, "2026-11-01 10:00:00"), orderRow("I", 6, "2026-11-01 10:00:00")].join("\n"));

    const summary = await ws.load("orders", [first, ragged, last]);

    expectConserved(summary);
    expect(summary.files.map((f) => [f.key, f.outcome])).to.deep.equal([
      ["orders/first.csv", "LOADED"],
      ["orders/ragged.csv", "QUARANTINED"],
      ["orders/last.csv", "LOADED"],
    ]);
    expect(fileResult(summary, "orders/ragged.csv").reason).to.match(/^malformed_csv:row 2 has 8 fields, header has 7$/);
    expect(summary.counts.bronzeRows).to.equal(4);
    expect(await ws.countParquet("bronze/orders")).to.equal(4);
    expect(await ws.query("SELECT order_id, _source_key, _row_number FROM orders ORDER BY order_id")).to.deep.equal([
      { order_id: 1, _source_key: "orders/first.csv", _row_number: 1 },
      { order_id: 2, _source_key: "orders/first.csv", _row_number: 2 },
      { order_id: 5, _source_key: "orders/last.csv", _row_number: 1 },
      { order_id: 6, _source_key: "orders/last.csv", _row_number: 2 },
    ]);
  });

  it("loads a file with a very long field next to ordinary files of the same run", async () => {
    const long = "y".repeat(3 * 1024 * 1024);
    const wide = ws.file("customers", "wide.csv", `${CUSTOMERS_HEADER}\nI,1,"${long}",DE,2024-01-02,2026-11-01 10:00:00\n`);
    const plain = ws.file("customers", "plain.csv", `${CUSTOMERS_HEADER}\nI,2,b@example.com,FR,2024-01-03,2026-11-01 10:00:00\n`);

    const summary = await ws.load("customers", [wide, plain]);

    expectConserved(summary);
    expect(summary.files.map((f) => f.outcome)).to.deep.equal(["LOADED", "LOADED"]);
    expect(await ws.query("SELECT customer_id, length(email) AS n FROM customers ORDER BY customer_id")).to.deep.equal([
      { customer_id: 1, n: long.length },
      { customer_id: 2, n: 13 },
    ]);
  });

  it("loads a field longer than the reader's long-line limit (64 MB) and its read buffer, plain or gzipped; an unterminated quote stays malformed", async () => {
    // DuckDB reports a quoted field longer than its buffer as an unterminated quote: it was
    // quarantined as malformed_csv, where the Glue runner (no field limit) loads it.
    const long = "y".repeat(70 * 1024 * 1024);
    const content = `${CUSTOMERS_HEADER}\nI,1,"${long}",DE,2024-01-02,2026-11-01 10:00:00\nI,2,b@example.com,FR,2024-01-03,2026-11-01 10:00:00\n`;
    const plain = ws.file("customers", "huge.csv", content);
    const gzipped = ws.file("customers", "huge.csv.gz", zlib.gzipSync(content));
    const open = ws.file("customers", "open.csv", `${CUSTOMERS_HEADER}\nI,3,"never closed,DE,2024-01-02,2026-11-01 10:00:00\n`);

    const summary = await ws.load("customers", [plain, gzipped, open]);

    expectConserved(summary);
    expect(summary.files.map((f) => f.outcome)).to.deep.equal(["LOADED", "LOADED", "QUARANTINED"]);
    expect(fileResult(summary, "customers/open.csv").reason).to.match(/^malformed_csv:/);
    expect(await ws.query("SELECT _source_key, customer_id, length(email) AS n FROM bronze_customers ORDER BY ALL")).to.deep.equal([
      { _source_key: "customers/huge.csv", customer_id: "1", n: long.length },
      { _source_key: "customers/huge.csv", customer_id: "2", n: 13 },
      { _source_key: "customers/huge.csv.gz", customer_id: "1", n: long.length },
      { _source_key: "customers/huge.csv.gz", customer_id: "2", n: 13 },
    ]);
  });

  it("fails the run, and rejects no file, when reading fails for want of memory rather than bad bytes", async () => {
    const long = "z".repeat(3 * 1024 * 1024);
    const wide = ws.file("customers", "wide.csv", `${CUSTOMERS_HEADER}\nI,1,"${long}",DE,2024-01-02,2026-11-01 10:00:00\n`);
    const before = ws.snapshot();

    // The long line needs the reader's 128 MB buffer: more than this run may use.
    const failed = ws.load("customers", [wide], { memoryLimit: "64MB" });

    await failed.then(
      (s) => expect.fail(`resolved with ${JSON.stringify(s.files)}`),
      (e: Error) => expect(e.message).to.match(/Out of Memory/),
    );
    expect(ws.snapshot()).to.deep.equal(before);
    const retried = await ws.load("customers", [wide]);
    expect(retried.files.map((f) => f.outcome)).to.deep.equal(["LOADED"]);
  });

  it("rejects a file whose version is gone (unreadable), but fails the run on an I/O fault", async () => {
    const gone = { ...ws.file("orders", "gone.csv", [ORDERS_HEADER, ...good].join("\n")), localPath: path.join(ws.dir, "no-such-file.csv") };
    const ok = ws.file("orders", "ok.csv", [ORDERS_HEADER, orderRow("I", 3, "2026-11-01 10:00:00")].join("\n"));
    const broken = { ...ws.file("orders", "broken.csv", "x"), localPath: ws.dir }; // a directory: EISDIR

    const summary = await ws.load("orders", [gone, ok]);
    const failed = ws.load("orders", [broken]);

    expectConserved(summary);
    expect(fileResult(summary, "orders/gone.csv")).to.include({ outcome: "QUARANTINED" });
    expect(fileResult(summary, "orders/gone.csv").reason).to.match(/^unreadable:NoSuchKey$/);
    expect(fileResult(summary, "orders/ok.csv").outcome).to.equal("LOADED");
    await failed.then(
      (s) => expect.fail(`resolved with ${JSON.stringify(s.files)}`),
      (e: NodeJS.ErrnoException) => expect(e.code).to.equal("EISDIR"),
    );
  });

  it("numbers rows in file order when DuckDB reads a big file on several threads, alone or with others", async () => {
    // Over 32 MB: more than one reader buffer, so the scan runs in parallel. Order ids encode
    // file and line: 1..n in the big file, 10_000_001.. in the small one.
    const row = (id: number, i: number) => `I,${id},100,2026-11-01 09:00:00,paid,10.00,2026-11-01 10:00:00.${String(i % 1_000_000).padStart(6, "0")}`;
    const rows = Array.from({ length: 520_000 }, (_, i) => row(i + 1, i));
    const big = ws.file("orders", "big.csv", [ORDERS_HEADER, ...rows].join("\n") + "\n");
    const small = ws.file("orders", "small.csv", [ORDERS_HEADER, ...Array.from({ length: 3 }, (_, i) => row(10_000_001 + i, i))].join("\n") + "\n");
    const misnumbered = "SELECT COUNT(*) AS n FROM orders WHERE order_id <> _row_number + CASE WHEN _source_key = 'orders/small.csv' THEN 10000000 ELSE 0 END";

    const other = new TestWorkspace(); // the same files, read by one COPY for both
    try {
      const alone = await ws.load("orders", [big], { threads: 2 });
      const together = await other.load("orders", [small, big], { threads: 2 });

      expect(alone.counts.silverRows).to.equal(rows.length);
      expect(await ws.query(misnumbered)).to.deep.equal([{ n: 0 }]);
      expect(together.files.map((f) => f.outcome)).to.deep.equal(["LOADED", "LOADED"]);
      expect(together.counts.silverRows).to.equal(rows.length + 3);
      expect(await other.query(misnumbered)).to.deep.equal([{ n: 0 }]);
    } finally {
      other.cleanup();
    }
  }).timeout(120_000);

  it("writes each data date of a run to its own bronze partition, row numbers counted per file", async () => {
    const monday = ws.file("orders", "monday.csv", [ORDERS_HEADER, ...good].join("\n"), { receivedAt: "2026-11-16T23:59:59.000Z" });
    const tuesday = ws.file("orders", "tuesday.csv", [ORDERS_HEADER, orderRow("I", 3, "2026-11-02 10:00:00")].join("\n"), { receivedAt: "2026-11-17T00:00:00.000Z" });

    const summary = await ws.load("orders", [tuesday, monday]);

    expectConserved(summary);
    expect(await ws.countParquet("bronze/orders/_data_date=2026-11-16")).to.equal(2);
    expect(await ws.countParquet("bronze/orders/_data_date=2026-11-17")).to.equal(1);
    expect(await ws.query("SELECT order_id, _row_number FROM orders ORDER BY order_id")).to.deep.equal([
      { order_id: 1, _row_number: 1 },
      { order_id: 2, _row_number: 2 },
      { order_id: 3, _row_number: 1 },
    ]);
  });

  it("skips empty lines in a file of one field per record, as in any other, and keeps a quoted empty field", async () => {
    const tags = defineDataset({ name: "tags", prefix: "tags/", format: "csv", columns: { tag: "string" }, primaryKey: ["tag"] });
    const file = ws.file(tags, "tags.csv", 'tag\nred\n\n""\nblue\n\n\n');

    const summary = await ws.load(tags, [file]);

    expectConserved(summary);
    // Each empty line was a row holding "", rejected null_key:tag (rows read 6, rejected 3).
    expect(fileResult(summary, "tags/tags.csv")).to.include({ outcome: "LOADED", rowsRead: 3, rowsLoaded: 2, rowsRejected: 1 });
    expect(await ws.query("SELECT tag, _row_number FROM bronze_tags ORDER BY _row_number")).to.deep.equal([
      { tag: "red", _row_number: 1 },
      { tag: "", _row_number: 2 },
      { tag: "blue", _row_number: 3 },
    ]);
  });
});
