// Parquet and JSON lines files holding every type, shared by the DuckDB tests
// (parquet-jsonl.test.ts) and the engine parity suite (test/parity/): the same bytes must give
// the same bronze strings and silver values on both engines.
import * as fs from "node:fs";
import { defineDataset } from "../../datasets";
import { openSession } from "../../engine/duckdb/session";

/** Every spec type, each fed by Parquet columns of several physical types. */
export const typedParquet = defineDataset({
  name: "typed_parquet",
  prefix: "typed-parquet/",
  format: "parquet",
  columns: {
    id: "bigint",
    tiny: "int",
    small: "int",
    big: "bigint",
    ubig: "decimal(20,0)",
    ratio: "double",
    ratio32: "double",
    amount: "decimal(10,2)",
    zero: "decimal(38,10)",
    active: "boolean",
    label: { type: "string", optional: true },
    blank: { type: "string", optional: true },
    born: "date",
    seen_us: "timestamp",
    seen_ms: "timestamp",
    seen_tz: "timestamp",
    raw: { type: "string", optional: true },
  },
  primaryKey: ["id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seen_us"] },
  target: { table: "typed_parquet_items" },
});

/** SELECT of the every-type Parquet file: row 1 typical values, row 2 extremes, row 3 nulls, row 4 a delete. */
export const TYPED_PARQUET_SQL = `
  SELECT Op, ID::BIGINT AS ID, tiny::TINYINT AS tiny, small::SMALLINT AS small, big::BIGINT AS big, ubig::UBIGINT AS ubig,
    ratio::DOUBLE AS ratio, ratio32::FLOAT AS ratio32, amount::DECIMAL(10,2) AS amount, zero::DECIMAL(38,10) AS zero,
    active::BOOLEAN AS active, label, blank, born::DATE AS born, seen_us::TIMESTAMP AS seen_us,
    seen_ms::TIMESTAMP_MS AS seen_ms, seen_tz::TIMESTAMPTZ AS seen_tz, raw::BLOB AS raw
  FROM (VALUES
    ('I', '1', '1', '2', '9223372036854775807', '18446744073709551615', '1e20', '0.1', '12.50', '0', 'true', 'hé', '',
     '2024-01-02', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123', '2024-01-02 03:04:05.5+02', '\\xAB\\x00'),
    ('U', '2', '-128', '-32768', '-9223372036854775808', '0', '1.5e-7', '-3.25', '-0.50', '-12345.0000000001', 'false',
     'say "hi", ok', ' ', '1999-12-31', '1999-12-31 23:59:59', '1999-12-31 23:59:59.999', '2000-01-01 00:00:00+00', ''),
    ('I', '3', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2024-01-03 00:00:00', NULL, NULL, NULL),
    ('D', '4', '0', '0', '0', '0', '-0.0', '0', '1.00', '1', 'true', 'gone', NULL, '2024-01-04', '2024-01-04 00:00:00', NULL, NULL, NULL)
  ) AS t(Op, ID, tiny, small, big, ubig, ratio, ratio32, amount, zero, active, label, blank, born, seen_us, seen_ms, seen_tz, raw)`;

/** Bronze strings of the every-type Parquet file, in file order (bronze columns, `_op` included). */
export const TYPED_PARQUET_BRONZE = [
  {
    id: "1", tiny: "1", small: "2", big: "9223372036854775807", ubig: "18446744073709551615", ratio: "1e+20",
    ratio32: "0.10000000149011612", amount: "12.50", zero: "0.0000000000", active: "true", label: "hé", blank: "",
    born: "2024-01-02", seen_us: "2024-01-02 03:04:05.123456", seen_ms: "2024-01-02 03:04:05.123000",
    seen_tz: "2024-01-02 01:04:05.500000", raw: "AB00", _op: "I", _row_number: 1,
  },
  {
    id: "2", tiny: "-128", small: "-32768", big: "-9223372036854775808", ubig: "0", ratio: "1.5e-07", ratio32: "-3.25",
    amount: "-0.50", zero: "-12345.0000000001", active: "false", label: 'say "hi", ok', blank: " ", born: "1999-12-31",
    seen_us: "1999-12-31 23:59:59.000000", seen_ms: "1999-12-31 23:59:59.999000", seen_tz: "2000-01-01 00:00:00.000000",
    raw: "", _op: "U", _row_number: 2,
  },
  {
    id: "3", tiny: null, small: null, big: null, ubig: null, ratio: null, ratio32: null, amount: null, zero: null,
    active: null, label: null, blank: null, born: null, seen_us: "2024-01-03 00:00:00.000000", seen_ms: null, seen_tz: null,
    raw: null, _op: "I", _row_number: 3,
  },
  {
    id: "4", tiny: "0", small: "0", big: "0", ubig: "0", ratio: "-0.0", ratio32: "0.0", amount: "1.00", zero: "1.0000000000",
    active: "true", label: "gone", blank: null, born: "2024-01-04", seen_us: "2024-01-04 00:00:00.000000", seen_ms: null,
    seen_tz: null, raw: null, _op: "D", _row_number: 4,
  },
];

/** JSON lines: numbers as written, literals, null, a missing key, an extra key, a blank line, CRLF. */
export const typedJsonl = defineDataset({
  name: "typed_jsonl",
  prefix: "typed-jsonl/",
  format: "jsonl",
  columns: {
    id: "bigint",
    amount: "decimal(10,2)",
    ratio: "double",
    active: "boolean",
    label: { type: "string", optional: true },
    born: "date",
    seen: "timestamp",
  },
  primaryKey: ["id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seen"] },
  target: { table: "typed_jsonl_items" },
});

export const TYPED_JSONL = [
  '\uFEFF{"ID": 1, "Op": "I", "amount": 12.50, "ratio": 1E3, "active": true, "label": "x\\u00e9 \\"q\\"", "born": "2024-01-02", "seen": "2024-01-02 03:04:05.123456", "meta": {"a": [1, "}"]}}',
  "",
  '  {"id": 2, "op": "U", "amount": -0.5, "ratio": -0, "active": false, "label": "", "born": "1999-12-31", "seen": "1999-12-31 23:59:59"}\r',
  '{"id": 3, "Op": "I", "amount": 1.005, "ratio": 12345678901234567890.123, "active": null, "born": null, "seen": "2024-01-03 00:00:00"}',
  "",
].join("\n");

export const TYPED_JSONL_BRONZE = [
  { id: "1", amount: "12.50", ratio: "1E3", active: "true", label: 'xé "q"', born: "2024-01-02", seen: "2024-01-02 03:04:05.123456", _op: "I", _row_number: 1 },
  { id: "2", amount: "-0.5", ratio: "-0", active: "false", label: "", born: "1999-12-31", seen: "1999-12-31 23:59:59", _op: "U", _row_number: 2 },
  { id: "3", amount: "1.005", ratio: "12345678901234567890.123", active: null, label: null, born: null, seen: "2024-01-03 00:00:00", _op: "I", _row_number: 3 },
];

/** A copy of a Parquet file whose footer (its metadata) is garbage; both magics intact. */
export function garbledFooter(good: Buffer): Buffer {
  const bad = Buffer.from(good);
  const length = bad.readUInt32LE(bad.length - 8);
  bad.fill(0x55, bad.length - 8 - length, bad.length - 8);
  return bad;
}

/**
 * Write the result of a DuckDB SELECT to a Parquet file (UTC session: TIMESTAMPTZ literals are
 * fixed instants); `options` e.g. ", PARQUET_VERSION V2" (DMS ParquetVersion=PARQUET_2_0).
 */
export async function writeParquet(file: string, select: string, options = ""): Promise<Buffer> {
  const session = await openSession({ threads: 1, memoryLimit: "256MB" });
  try {
    await session.run("SET TimeZone = 'UTC'");
    await session.run(`COPY (${select}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet${options})`);
  } finally {
    session.close();
  }
  return fs.readFileSync(file);
}

/**
 * Decimals at the edges: a decimal(38,10) column near its range with a range rule finer than its
 * scale, a rule whose product overflows, a regex rule on a decimal(18,10) (its text) and a PII hash
 * of a decimal(38,10), both over values below 1e-6 (Spark printed them 0E-10, 1.000E-7).
 */
export const edgeRates = defineDataset({
  name: "edge_rates",
  prefix: "edge-rates/",
  format: "csv",
  columns: { id: "bigint", fx: "decimal(38,10)", units: "bigint", fx_plain: "decimal(18,10)", secret: "decimal(38,10)", discount: "decimal(9,8)", ratio: "double" },
  primaryKey: ["id"],
  rules: [
    { kind: "range", column: "fx", min: 0.00000000001, label: "fx_positive" },
    { kind: "expression", label: "units_cubed", sql: "units * units * units > 0" },
    { kind: "regex", column: "fx_plain", pattern: "^-?[0-9]+\\.[0-9]{10}$", label: "fx_plain_text" },
    // Results wider than 38 digits: exact on both engines (Spark would round to 6 decimals).
    { kind: "expression", label: "pays_something", sql: "1 - discount > 0" },
    { kind: "expression", label: "fx_adds", sql: "fx + units > units" },
    // Bounds finer than 20 places on numbers that are no decimals: 0 is below both.
    { kind: "range", column: "ratio", min: 1e-25, label: "ratio_positive" },
    { kind: "range", column: "units", min: 1e-30, label: "units_positive" },
  ],
  pii: [{ column: "secret", mode: "hash" }],
});

export const EDGE_RATES_CSV = [
  "id,fx,units,fx_plain,secret,discount,ratio",
  "1,-9999999999999999999999999999,2,0,0,1,1",
  "2,0.0000000001,2,0.0000001,0.0000000001,0.99999999,1e-24",
  "3,0,0,-0.00000012,0.00000015,0,1",
  "4,1.5,9223372036854775807,1,1,0.5,1",
  "5,1.5,3,12.5,0.0000012,0.00000001,2",
  "6,2,3,0,0,0,0",
].join("\n");
