// Parquet and JSON lines on the DuckDB executor: every type to one canonical bronze string, that
// string parsed back to the same typed value, and every bad file with its own reason (counted).
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { expect } from "chai";
import type { RunSummary } from "../../engine/contracts";
import { FLOAT16_PARQUET, NANOS_UTC_PARQUET } from "../parity/format-scenarios";
import { XZ_TEXT } from "../parity/scenarios";
import { TestWorkspace, expectConserved, fileResult } from "./helpers";
import {
  TYPED_JSONL,
  TYPED_JSONL_BRONZE,
  TYPED_PARQUET_BRONZE,
  TYPED_PARQUET_SQL,
  typedJsonl,
  garbledFooter,
  typedParquet,
  writeParquet,
} from "./typed-files";

const PARQUET_COLUMNS = Object.keys(TYPED_PARQUET_BRONZE[0]);

/** A file's outcome, reason and rows read, as the quarantine tests compare them. */
function outcomeOf(summary: RunSummary, key: string): [string, string | null, number] {
  const f = fileResult(summary, key);
  return [f.outcome, f.reason ?? null, f.rowsRead];
}
const JSONL_COLUMNS = Object.keys(TYPED_JSONL_BRONZE[0]);

describe("engine (DuckDB): Parquet and JSON lines", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  const parquet = async (name: string, select: string) => writeParquet(path.join(ws.dir, `src-${name}`), select);

  describe("Parquet", () => {
    it("renders every type to its canonical bronze string (ints, floats, decimals, timestamps in us, ms and UTC, binary, nulls)", async () => {
      const file = ws.file(typedParquet, "all.parquet", await parquet("all.parquet", TYPED_PARQUET_SQL));

      const summary = await ws.load(typedParquet, [file]);

      expectConserved(summary);
      expect(fileResult(summary, "typed-parquet/all.parquet")).to.include({ outcome: "LOADED", rowsRead: 4 });
      const bronze = await ws.query(`SELECT ${PARQUET_COLUMNS.join(", ")} FROM bronze_typed_parquet ORDER BY _row_number`);
      expect(bronze).to.deep.equal(TYPED_PARQUET_BRONZE);
    });

    it("parses the rendered strings back to the same typed values in silver, and applies the Op column", async () => {
      const file = ws.file(typedParquet, "all.parquet", await parquet("all.parquet", TYPED_PARQUET_SQL));

      const summary = await ws.load(typedParquet, [file]);

      expectConserved(summary);
      expect(summary.counts.quarantineRows).to.equal(0);
      const silver = await ws.query(
        "SELECT id, CAST(ubig AS VARCHAR) AS ubig, ratio, ratio32, CAST(amount AS VARCHAR) AS amount, CAST(zero AS VARCHAR) AS zero, active, " +
          "CAST(seen_ms AS VARCHAR) AS seen_ms, CAST(seen_tz AS VARCHAR) AS seen_tz, raw FROM typed_parquet_items ORDER BY id",
      );
      expect(silver.map((r) => r.id), "id 4 was deleted by its D row").to.deep.equal([1, 2, 3]);
      expect(silver[0]).to.deep.include({
        ubig: "18446744073709551615", ratio: 1e20, ratio32: 0.10000000149011612, amount: "12.50", zero: "0.0000000000",
        active: true, seen_ms: "2024-01-02 03:04:05.123", seen_tz: "2024-01-02 01:04:05.5", raw: "AB00",
      });
      expect(silver[1]).to.deep.include({ ratio: 1.5e-7, amount: "-0.50", zero: "-12345.0000000001", active: false });
    });

    it("quarantines a decimal with more scale than its column as bad_type instead of rounding it", async () => {
      const select = TYPED_PARQUET_SQL.replace("amount::DECIMAL(10,2)", "amount::DECIMAL(10,3)").replace("'12.50'", "'1.005'");
      const file = ws.file(typedParquet, "scale.parquet", await parquet("scale.parquet", select));

      const summary = await ws.load(typedParquet, [file]);

      expectConserved(summary);
      expect(await ws.query("SELECT id, amount, _reasons FROM quarantine_typed_parquet")).to.deep.equal([
        { id: "1", amount: "1.005", _reasons: "bad_type:amount" },
      ]);
      expect(await ws.query("SELECT CAST(amount AS VARCHAR) AS amount FROM typed_parquet_items WHERE id = 2")).to.deep.equal([{ amount: "-0.50" }]);
    });

    it("maps columns by name case-insensitively: a missing required column quarantines the file (rows counted), extra ones are drift", async () => {
      const missing = ws.file(typedParquet, "missing.parquet", await parquet("missing.parquet", `SELECT * EXCLUDE (born, amount) FROM (${TYPED_PARQUET_SQL})`));
      const extra = ws.file(
        typedParquet,
        "extra.parquet",
        await parquet("extra.parquet", `SELECT * EXCLUDE (label, raw, blank), 'n' AS note FROM (${TYPED_PARQUET_SQL})`),
      );

      const summary = await ws.load(typedParquet, [missing, extra]);

      expectConserved(summary);
      expect(fileResult(summary, "typed-parquet/missing.parquet")).to.include({ outcome: "QUARANTINED", reason: "missing_column:amount,born", rowsRead: 4, rowsQuarantined: 4 });
      expect(fileResult(summary, "typed-parquet/extra.parquet")).to.include({ outcome: "LOADED", rowsRead: 4 });
      expect(summary.driftWarnings).to.deep.equal(["typed-parquet/extra.parquet: extra column(s) note"]);
      expect(await ws.query("SELECT DISTINCT label, raw FROM bronze_typed_parquet")).to.deep.equal([{ label: null, raw: null }]);
    });

    it("gives a truncated, a corrupt, a not-Parquet, a TIME and a nested file each its own reason, and loads the good one", async () => {
      const good = await parquet("good.parquet", TYPED_PARQUET_SQL);
      const corrupt = Buffer.from(good);
      corrupt.fill(0x78, 10, 60); // inside the first column chunk's data page
      const files = [
        ws.file(typedParquet, "truncated.parquet", good.subarray(0, good.length - 10)),
        ws.file(typedParquet, "corrupt.parquet", corrupt),
        ws.file(typedParquet, "footer.parquet", garbledFooter(good)),
        ws.file(typedParquet, "json.parquet", '{"id": 1}\n'),
        ws.file(typedParquet, "time.parquet", await parquet("time.parquet", `SELECT *, TIME '03:04:05' AS at FROM (${TYPED_PARQUET_SQL})`)),
        ws.file(typedParquet, "uuid.parquet", await parquet("uuid.parquet", `SELECT *, gen_random_uuid() AS u FROM (${TYPED_PARQUET_SQL})`)),
        // pandas' tz-aware datetime: nanoseconds adjusted to UTC, which DuckDB cut to microseconds.
        ws.file(typedParquet, "nanos-utc.parquet", NANOS_UTC_PARQUET),
        // A float16 column: Spark cannot read the footer; DuckDB loaded 0.1 as 0.0999755859375.
        ws.file(typedParquet, "float16.parquet", FLOAT16_PARQUET),
        ws.file(typedParquet, "json.typed.parquet", await parquet("json-typed.parquet", `SELECT * REPLACE (ID + 20 AS ID, '{"a": 1}'::JSON AS label) FROM (${TYPED_PARQUET_SQL})`)),
        ws.file(typedParquet, "nested.parquet", await parquet("nested.parquet", `SELECT * REPLACE ({'a': 1} AS label) FROM (${TYPED_PARQUET_SQL})`)),
        ws.file(typedParquet, "good.parquet", good),
      ];

      const summary = await ws.load(typedParquet, files);

      expectConserved(summary);
      const outcome = (name: string) => outcomeOf(summary, `typed-parquet/${name}`);
      expect(outcome("truncated.parquet")).to.deep.equal(["QUARANTINED", "malformed_parquet:no footer", 0]);
      expect(outcome("corrupt.parquet")).to.deep.equal(["QUARANTINED", "malformed_parquet:unreadable", 0]);
      expect(outcome("footer.parquet")).to.deep.equal(["QUARANTINED", "malformed_parquet:unreadable", 0]);
      expect(outcome("json.parquet")).to.deep.equal(["QUARANTINED", "not_parquet", 0]);
      expect(outcome("time.parquet")).to.deep.equal(["QUARANTINED", "unreadable_parquet_type:time", 0]);
      expect(outcome("uuid.parquet")).to.deep.equal(["QUARANTINED", "unreadable_parquet_type:uuid", 0]);
      expect(outcome("nanos-utc.parquet")).to.deep.equal(["QUARANTINED", "unreadable_parquet_type:timestamp_nanos", 0]);
      expect(outcome("float16.parquet")).to.deep.equal(["QUARANTINED", "malformed_parquet:unreadable", 0]);
      expect(outcome("json.typed.parquet"), "a JSON-annotated column is text").to.deep.equal(["LOADED", null, 4]);
      expect(outcome("nested.parquet")).to.deep.equal(["QUARANTINED", "unsupported_parquet_type:label", 4]);
      expect(outcome("good.parquet")).to.deep.equal(["LOADED", null, 4]);
      expect(summary.counts.silverRows).to.equal(6);
      expect(await ws.query("SELECT label FROM bronze_typed_parquet WHERE id = '21'")).to.deep.equal([{ label: '{"a": 1}' }]);
    });

    it("quarantines a file whose columns repeat a name (in any case) as the Glue runner does, and numbers the rows of one with its own file_row_number column", async () => {
      // DuckDB writes no repeated name: a column written as `xabel` is renamed in the file's bytes
      // (same length, so the footer stays valid). DuckDB reads the copy back as label and label_1.
      const renamed = (bytes: Buffer, to: string) => Buffer.from(bytes.toString("latin1").split("xabel").join(to), "latin1");
      const withTwin = await parquet("twin.parquet", `SELECT *, 'other' AS xabel FROM (${TYPED_PARQUET_SQL})`);
      const files = [
        ws.file(typedParquet, "twice.parquet", renamed(withTwin, "label")),
        ws.file(typedParquet, "cased.parquet", renamed(withTwin, "LABEL")),
        ws.file(typedParquet, "numbered.parquet", await parquet("numbered.parquet", `SELECT *, 100 - ID AS file_row_number FROM (${TYPED_PARQUET_SQL})`)),
      ];

      const summary = await ws.load(typedParquet, files);

      expectConserved(summary);
      const outcome = (name: string) => outcomeOf(summary, `typed-parquet/${name}`);
      expect(outcome("twice.parquet")).to.deep.equal(["QUARANTINED", "malformed_parquet:duplicate column label", 0]);
      expect(outcome("cased.parquet")).to.deep.equal(["QUARANTINED", "malformed_parquet:duplicate column label", 0]);
      // Before: DuckDB's file_row_number option failed the whole run (a Binder Error).
      expect(outcome("numbered.parquet")).to.deep.equal(["LOADED", null, 4]);
      expect(summary.driftWarnings).to.deep.equal(["typed-parquet/numbered.parquet: extra column(s) file_row_number"]);
      expect(await ws.query("SELECT ID AS id, _row_number FROM bronze_typed_parquet ORDER BY _row_number")).to.deep.equal(
        [1, 2, 3, 4].map((n) => ({ id: String(n), _row_number: n })),
      );
    });

    // DuckDB reads a decimal over 38 digits as DOUBLE and decodes most widths wrong: this file's
    // 42.50 came out as 713031680.0, which fits decimal(12,2) and loaded silently into silver.
    it("quarantines a file with a decimal wider than 38 digits (pyarrow decimal256) instead of reading it as a wrong DOUBLE", async () => {
      // pyarrow: one orders row (1, 7, "2026-11-01 09:00:00", "paid"), total_amount DECIMAL(50,2) 42.50.
      const wide = Buffer.from(
        [
          "UEFSMRUAFRwVHCwVAhUAFQYVBhwAAAACAAAAAgEBAAAAAAAAABUAFRwVHCwVAhUAFQYVBhwAAAACAAAAAgEHAAAAAAAAABUAFToVOiwVAhUAFQYVBhwAAAAC",
          "AAAAAgETAAAAMjAyNi0xMS0wMSAwOTowMDowMBUAFRwVHCwVAhUAFQYVBhwAAAACAAAAAgEEAAAAcGFpZBUAFTYVNiwVAhUAFQYVBhwAAAACAAAAAgEAAAAA",
          "AAAAAAAAAAAAAAAAAAAAEJoVBBlsNQAYBnNjaGVtYRUKABUEJQIYCG9yZGVyX2lkABUEJQIYC2N1c3RvbWVyX2lkABUMJQIYCG9yZGVyX3RzJQBMHAAAABUM",
          "JQIYBnN0YXR1cyUATBwAAAAVDhUqFQIYDHRvdGFsX2Ftb3VudCUKFQQVZCxcFQQVZAAAABYCGRwZXCYAHBUEGSUGABkYCG9yZGVyX2lkFQAWAhZCFkImCEkc",
          "FQAVABUCADwpBhkmAAIAAAAmABwVBBklBgAZGAtjdXN0b21lcl9pZBUAFgIWQhZCJkpJHBUAFQAVAgA8KQYZJgACAAAAJgAcFQwZJQYAGRgIb3JkZXJfdHMV",
          "ABYCFmAWYCaMAUkcFQAVABUCADwWJhkGGSYAAgAAACYAHBUMGSUGABkYBnN0YXR1cxUAFgIWQhZCJuwBSRwVABUAFQIAPBYIGQYZJgACAAAAJgAcFQ4ZJQYA",
          "GRgMdG90YWxfYW1vdW50FQAWAhZcFlwmrgJJHBUAFQAVAgA8KQYZJgACAAAAFoIDFgImCBaCAwAoIHBhcnF1ZXQtY3BwLWFycm93IHZlcnNpb24gMjYuMC4x",
          "GVwcAAAcAAAcAAAcAAAcAAAAwwEAAFBBUjE=",
        ].join(""),
        "base64",
      );
      const files = [ws.file("orders", "LOAD00000001.parquet", wide), ws.file("orders", "LOAD00000002.csv", "2,7,2026-11-01 09:00:00,paid,1.00\n")];

      const summary = await ws.load("orders", files);

      expectConserved(summary);
      expect(summary.files.map((f) => [f.outcome, f.reason ?? null, f.rowsRead])).to.deep.equal([
        ["QUARANTINED", "unreadable_parquet_type:decimal_precision", 0],
        ["LOADED", null, 1],
      ]);
      expect(await ws.query("SELECT order_id, total_amount FROM orders")).to.deep.equal([{ order_id: 2, total_amount: "1.00" }]);
    });

    it("reads DMS Parquet in a dms dataset: a full load without Op, a CDC file with Op and the string cdc_ts, ms timestamps, next to CSV", async () => {
      const load = ws.file(
        "orders",
        "dbo/orders/LOAD00000001.parquet",
        await parquet(
          "load.parquet",
          `SELECT id::BIGINT AS ORDER_ID, 100::BIGINT AS CUSTOMER_ID, '2026-11-01 09:00:00.250'::TIMESTAMP_MS AS ORDER_TS, 'paid' AS STATUS,
             amount::DECIMAL(12,2) AS TOTAL_AMOUNT, '2026-11-01 10:00:00.000000' AS cdc_ts
           FROM (VALUES (1, '10.00'), (2, '20.50'), (3, '30.00')) AS t(id, amount)`,
        ),
      );
      const cdc = ws.file(
        "orders",
        "dbo/orders/20261101-110000000.parquet",
        await parquet(
          "cdc.parquet",
          `SELECT op AS Op, id::BIGINT AS ORDER_ID, 100::BIGINT AS CUSTOMER_ID, '2026-11-01 09:00:00'::TIMESTAMP_MS AS ORDER_TS, status AS STATUS,
             12.5::DECIMAL(12,2) AS TOTAL_AMOUNT, ts AS cdc_ts
           FROM (VALUES ('U', 1, 'shipped', '2026-11-01 11:00:00.000001'), ('D', 2, 'paid', '2026-11-01 11:00:00.000002')) AS t(op, id, status, ts)`,
        ),
      );
      const csv = ws.file("orders", "dbo/orders/20261101-120000000.csv", "Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts\nI,4,100,2026-11-01 09:00:00,paid,1.00,2026-11-01 12:00:00\n");

      const summary = await ws.load("orders", [load, cdc, csv]);

      expectConserved(summary);
      expect(summary.files.map((f) => [f.outcome, f.rowsRead])).to.deep.equal([["LOADED", 3], ["LOADED", 2], ["LOADED", 1]]);
      expect(await ws.query("SELECT order_id, status, CAST(order_ts AS VARCHAR) AS order_ts, CAST(total_amount AS VARCHAR) AS total_amount FROM orders ORDER BY order_id")).to.deep.equal([
        { order_id: 1, status: "shipped", order_ts: "2026-11-01 09:00:00", total_amount: "12.50" },
        { order_id: 3, status: "paid", order_ts: "2026-11-01 09:00:00.25", total_amount: "30.00" },
        { order_id: 4, status: "paid", order_ts: "2026-11-01 09:00:00", total_amount: "1.00" },
      ]);
      expect(await ws.query("SELECT _op, _row_number, cdc_ts FROM bronze_orders WHERE order_id = '2'")).to.deep.equal([
        { _op: null, _row_number: 2, cdc_ts: "2026-11-01 10:00:00.000000" },
        { _op: "D", _row_number: 2, cdc_ts: "2026-11-01 11:00:00.000002" },
      ]);
    });
  });

  describe("JSON lines", () => {
    it("keeps numbers as written, literals as true/false, null as NULL, skips blank lines and matches keys case-insensitively", async () => {
      const file = ws.file(typedJsonl, "all.jsonl", TYPED_JSONL);

      const summary = await ws.load(typedJsonl, [file]);

      expectConserved(summary);
      expect(fileResult(summary, "typed-jsonl/all.jsonl")).to.include({ outcome: "LOADED", rowsRead: 3 });
      expect(summary.driftWarnings).to.deep.equal(["typed-jsonl/all.jsonl: extra column(s) meta"]);
      expect(await ws.query(`SELECT ${JSONL_COLUMNS.join(", ")} FROM bronze_typed_jsonl ORDER BY _row_number`)).to.deep.equal(TYPED_JSONL_BRONZE);
      expect(await ws.query("SELECT id, CAST(amount AS VARCHAR) AS amount, ratio, active FROM typed_jsonl_items ORDER BY id")).to.deep.equal([
        { id: 1, amount: "12.50", ratio: 1000, active: true },
        // -0.0 as written in bronze; typed, a double zero is 0.0 (engine/typing.ts positiveZero).
        { id: 2, amount: "-0.50", ratio: 0, active: false },
      ]);
      expect(await ws.query("SELECT id, _reasons FROM quarantine_typed_jsonl")).to.deep.equal([{ id: "3", _reasons: "bad_type:amount" }]);
    });

    it("reads gzipped JSON lines as written, and names a cut gzip and another compression", async () => {
      const line = (id: number) => `{"id": ${id}, "amount": 1, "ratio": 1, "active": true, "born": "2024-01-02", "seen": "2024-01-02 00:00:00"}`;
      const text = `${line(1)}\n${line(2)}\n`;
      const zipped = gzipSync(text);
      const files = [
        ws.file(typedJsonl, "firehose-1.gz", zipped),
        ws.file(typedJsonl, "cut.jsonl.gz", zipped.subarray(0, zipped.length - 5)),
        ws.file(typedJsonl, "xz.jsonl", XZ_TEXT),
        ws.file(typedJsonl, "parquet.gz", gzipSync(await parquet("pz.parquet", TYPED_PARQUET_SQL))),
      ];

      const summary = await ws.load(typedJsonl, files);

      expectConserved(summary);
      const outcome = (name: string) => outcomeOf(summary, `typed-jsonl/${name}`);
      expect(outcome("firehose-1.gz")).to.deep.equal(["LOADED", null, 2]);
      expect(outcome("cut.jsonl.gz")).to.deep.equal(["QUARANTINED", "corrupt_gzip:truncated", 0]);
      expect(outcome("xz.jsonl")).to.deep.equal(["QUARANTINED", "unsupported:xz compressed", 0]);
      expect(outcome("parquet.gz")).to.deep.equal(["QUARANTINED", "not_jsonl:parquet", 0]);
      expect(await ws.query("SELECT id FROM bronze_typed_jsonl ORDER BY _row_number")).to.deep.equal([{ id: "1" }, { id: "2" }]);
    });

    it("reads objects written back to back on one line (Firehose without a newline delimiter) as a row each", async () => {
      const line = (id: number) => `{"id": ${id}, "amount": 1, "ratio": 1, "active": true, "born": "2024-01-02", "seen": "2024-01-02 00:00:00"}`;
      const files = [
        ws.file(typedJsonl, "firehose-2.gz", gzipSync(`${line(1)}${line(2)} ${line(3)}\n${line(4)}`)),
        ws.file(typedJsonl, "tail.jsonl", `${line(5)}\n${line(6)}${line(7).slice(0, -1)}\n`),
        ws.file(typedJsonl, "number.jsonl", `${line(8)} 9\n`),
        ws.file(typedJsonl, "pretty.json", `[\n  ${line(9)},\n  ${line(10)}\n]\n`),
      ];

      const summary = await ws.load(typedJsonl, files);

      expectConserved(summary);
      const outcome = (name: string) => outcomeOf(summary, `typed-jsonl/${name}`);
      expect(outcome("firehose-2.gz")).to.deep.equal(["LOADED", null, 4]);
      expect(outcome("tail.jsonl"), "an object cut short").to.deep.equal(["QUARANTINED", "malformed_jsonl:line 2: invalid JSON", 2]);
      expect(outcome("number.jsonl")).to.deep.equal(["QUARANTINED", "malformed_jsonl:line 1: not a JSON object", 1]);
      expect(outcome("pretty.json"), "an array file").to.deep.equal([
        "QUARANTINED",
        "malformed_jsonl:line 1: invalid JSON (an object or array spread over lines: JSON lines holds one object per line)",
        4,
      ]);
      expect(await ws.query("SELECT id, _row_number FROM bronze_typed_jsonl ORDER BY _row_number")).to.deep.equal([1, 2, 3, 4].map((id) => ({ id: String(id), _row_number: id })));
    });

    it("quarantines a file with a line that is not an object, invalid JSON, a nested spec value, a missing column, or Parquet bytes", async () => {
      const line = '{"id": 1, "amount": 1, "ratio": 1, "active": true, "born": "2024-01-02", "seen": "2024-01-02 00:00:00"}';
      const files = [
        ws.file(typedJsonl, "array.jsonl", `${line}\n\n[1, 2]\n${line}\n`),
        ws.file(typedJsonl, "broken.jsonl", `${line}\n{"id": 2,\n`),
        ws.file(typedJsonl, "nested.jsonl", `${line.replace('"ratio": 1', '"ratio": [1]')}\n`),
        ws.file(typedJsonl, "dup.jsonl", `${line.replace('"id": 1', '"id": 1, "ID": 2')}\n`),
        // A surrogate escape without its pair is no character (it became U+FFFD in silver).
        ws.file(typedJsonl, "surrogate.jsonl", `${line}\n${line.replace('"seen"', '"note": "lone \\ud83d", "seen"')}\n`),
        ws.file(typedJsonl, "paired.jsonl", `${line.replace('"seen"', '"note": "pair \\ud83d\\ude00", "seen"')}\n`),
        ws.file(typedJsonl, "missing.jsonl", `${line.replace('"born": "2024-01-02", ', "")}\n${line.replace('"born": "2024-01-02", ', "")}\n`),
        ws.file(typedJsonl, "latin1.jsonl", Buffer.from(`${line.replace("1", "\u00e9")}\n`, "latin1")),
        ws.file(typedJsonl, "parquet.jsonl", await parquet("p.parquet", TYPED_PARQUET_SQL)),
        ws.file(typedJsonl, "blank.jsonl", "\n  \r\n"),
        ws.file(typedJsonl, "good.jsonl", `${line}\n`),
      ];

      const summary = await ws.load(typedJsonl, files);

      expectConserved(summary);
      const outcome = (name: string) => outcomeOf(summary, `typed-jsonl/${name}`);
      expect(outcome("array.jsonl")).to.deep.equal(["QUARANTINED", "malformed_jsonl:line 3: not a JSON object", 3]);
      expect(outcome("broken.jsonl")).to.deep.equal(["QUARANTINED", "malformed_jsonl:line 2: invalid JSON", 2]);
      expect(outcome("nested.jsonl")).to.deep.equal(["QUARANTINED", "malformed_jsonl:line 1: ratio holds an object or array", 1]);
      expect(outcome("dup.jsonl")).to.deep.equal(["QUARANTINED", "malformed_jsonl:line 1: duplicate key ID", 1]);
      expect(outcome("surrogate.jsonl")).to.deep.equal(["QUARANTINED", "malformed_jsonl:line 2: unpaired surrogate", 2]);
      expect(outcome("paired.jsonl")).to.deep.equal(["LOADED", null, 1]);
      expect(outcome("missing.jsonl")).to.deep.equal(["QUARANTINED", "missing_column:born", 2]);
      expect(outcome("latin1.jsonl")).to.deep.equal(["QUARANTINED", "not_utf8", 1]);
      expect(outcome("parquet.jsonl")).to.deep.equal(["QUARANTINED", "not_jsonl:parquet", 0]);
      expect(outcome("blank.jsonl"), "no data lines: nothing is missing").to.deep.equal(["LOADED", null, 0]);
      expect(outcome("good.jsonl")).to.deep.equal(["LOADED", null, 1]);
    });
  });
});
