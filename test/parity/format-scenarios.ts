// Parity scenarios for Parquet and JSON lines files: every type (test/engine/typed-files.ts), every
// whole-file reason of the two readers, and DMS Parquet (DataFormat=parquet) in a dms dataset. Both
// engines must give the same bronze strings, silver values, quarantine and file reasons.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { defineDataset, getDataset, type DatasetSpec } from "../../datasets";
import type { ManifestFile } from "../../engine/contracts";
import { TYPED_JSONL, TYPED_PARQUET_SQL, garbledFooter, typedJsonl, typedParquet, writeParquet } from "../engine/typed-files";
import { ScenarioFiles, XZ_TEXT, type ScenarioRun } from "./scenarios";

const AT = "2026-11-21T08:00:00.000Z";

/**
 * id 60 and `at` TIMESTAMP(NANOS, isAdjustedToUTC=true), written by pyarrow 26 (what pandas writes
 * for a tz-aware datetime; DuckDB writes no such column): pq.write_table(pa.table({"id":
 * pa.array([60], pa.int64()), "at": pa.array([1764579600123456789], pa.timestamp("ns", tz="UTC"))}))
 */
export const NANOS_UTC_PARQUET = parquetFixture("nanos-utc.parquet");
/** id 61 and a float16 column `half` (pa.float16()), pyarrow 26: Spark cannot read its footer. */
export const FLOAT16_PARQUET = parquetFixture("float16.parquet");
/** id 62 and `wide` decimal256(50, 2) holding 42.50, pyarrow 26: wider than Spark's decimals. */
export const DECIMAL256_PARQUET = parquetFixture("decimal256.parquet");

function parquetFixture(name: string): Buffer {
  return readFileSync(join(__dirname, "..", "fixtures", "parquet", name));
}

function run(spec: DatasetSpec, label: string, files: ManifestFile[]): ScenarioRun {
  return { label, manifest: { version: 1, dataset: spec.name, runId: `run-${label}`, createdAt: AT, files } };
}

export async function parquetScenario(dir: string): Promise<ScenarioRun[]> {
  mkdirSync(dir, { recursive: true });
  const files = new ScenarioFiles(dir, typedParquet);
  const write = (name: string, select: string) => writeParquet(join(dir, `src-${name}`), select);
  const good = await write("all.parquet", TYPED_PARQUET_SQL);
  const corrupt = Buffer.from(good);
  corrupt.fill(0x78, 10, 60);
  return [
    run(typedParquet, "parquet-1", [
      files.file("all.parquet", good, AT),
      files.file("scale.parquet", await write("scale.parquet", `SELECT * REPLACE (ID + 10 AS ID, amount + 0.005 AS amount) FROM (${TYPED_PARQUET_SQL})`), AT),
      files.file("missing.parquet", await write("missing.parquet", `SELECT * EXCLUDE (born, amount) FROM (${TYPED_PARQUET_SQL})`), AT),
      files.file("extra.parquet", await write("extra.parquet", `SELECT * EXCLUDE (label, raw, blank) REPLACE (ID + 100 AS ID), 'n' AS note FROM (${TYPED_PARQUET_SQL})`), AT),
      files.file("truncated.parquet", good.subarray(0, good.length - 10), AT),
      files.file("corrupt.parquet", corrupt, AT),
      files.file("footer.parquet", garbledFooter(good), AT),
      files.file("json.parquet", '{"id": 1}\n', AT),
      files.file("time.parquet", await write("time.parquet", `SELECT *, TIME '03:04:05' AS at FROM (${TYPED_PARQUET_SQL})`), AT),
      files.file("nanos.parquet", await write("nanos.parquet", `SELECT *, '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS at FROM (${TYPED_PARQUET_SQL})`), AT),
      // Nanoseconds adjusted to UTC (pandas' tz-aware datetimes): DuckDB cut them silently.
      files.file("nanos-utc.parquet", NANOS_UTC_PARQUET, AT),
      // DuckDB loaded a float16 file Spark cannot read; Spark failed the run on a decimal256.
      files.file("float16.parquet", FLOAT16_PARQUET, AT),
      files.file("decimal256.parquet", DECIMAL256_PARQUET, AT),
      files.file("uuid.parquet", await write("uuid.parquet", `SELECT *, '550e8400-e29b-41d4-a716-446655440000'::UUID AS u FROM (${TYPED_PARQUET_SQL})`), AT),
      files.file("json-typed.parquet", await write("json-typed.parquet", `SELECT * REPLACE (ID + 20 AS ID, '{"a": 1}'::JSON AS label) FROM (${TYPED_PARQUET_SQL})`), AT),
      files.file("nested.parquet", await write("nested.parquet", `SELECT * REPLACE ({'a': 1} AS label) FROM (${TYPED_PARQUET_SQL})`), AT),
      files.file("empty.parquet", "", AT),
      // A string column holding Latin-1 bytes (a source character set DMS did not convert):
      // DuckDB refuses the file; Spark loaded it with U+FFFD in their place.
      files.file("latin1.parquet", await notUtf8Strings(join(dir, "src-latin1.parquet")), AT),
      // Dates before the Gregorian switch and timestamps before 1900 (DMS's 0001-01-01 sentinel,
      // written by a non-Spark writer): Spark refused such a file unless told they are proleptic.
      files.file("ancient.parquet", await write("ancient.parquet", `SELECT * REPLACE (ID + 30 AS ID, CAST(DATE '0001-01-01' + INTERVAL (ID) DAY AS DATE) AS born, TIMESTAMP '1000-03-01 12:00:00' AS seen_ms, TIMESTAMP '1582-10-10 01:02:03.5' AS seen_tz) FROM (${TYPED_PARQUET_SQL})`), AT),
      // A codec DuckDB reads and Spark has no class for (pyarrow and DuckDB can write Brotli):
      // DuckDB loaded the file, Spark quarantined it.
      files.file("brotli.parquet", await writeParquet(join(dir, "src-brotli.parquet"), `SELECT * REPLACE (ID + 50 AS ID) FROM (${TYPED_PARQUET_SQL})`, ", COMPRESSION 'brotli'"), AT),
    ]),
  ];
}

/** The every-type file with `label` holding "\xe9t\xe9!" (not UTF-8): written as 'QQQQ', uncompressed, then patched. */
async function notUtf8Strings(file: string): Promise<Buffer> {
  const good = await writeParquet(file, `SELECT * REPLACE (ID + 40 AS ID, 'QQQQ' AS label) FROM (${TYPED_PARQUET_SQL})`, ", COMPRESSION 'uncompressed'");
  const bad = Buffer.from(good);
  for (let i = bad.indexOf("QQQQ"); i !== -1; i = bad.indexOf("QQQQ", i + 4)) Buffer.from([0xe9, 0x74, 0xe9, 0x21]).copy(bad, i);
  return bad;
}

export function jsonlScenario(dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, typedJsonl);
  const line = '{"id": 9, "amount": 1, "ratio": 1, "active": true, "born": "2024-01-02", "seen": "2024-01-02 00:00:00"}';
  return [
    run(typedJsonl, "jsonl-1", [
      files.file("all.jsonl", TYPED_JSONL, AT),
      files.file("array.jsonl", `${line}\n\n[1, 2]\n${line}\n`, AT),
      files.file("broken.jsonl", `${line}\n{"id": 2,\n`, AT),
      files.file("nan.jsonl", `{"id": 1, "amount": NaN}\n`, AT),
      files.file("nested.jsonl", `${line.replace('"ratio": 1', '"ratio": [1]')}\n`, AT),
      files.file("dup.jsonl", `${line.replace('"id": 9', '"id": 9, "ID": 2')}\n`, AT),
      files.file("surrogate.jsonl", `${line.replace('"seen"', '"label": "lone \\ud83d", "seen"')}\n`, AT),
      files.file("paired.jsonl", `${line.replace('"id": 9', '"id": 11').replace('"seen"', '"label": "pair \\ud83d\\ude00 \\u00e9", "seen"')}\n`, AT),
      files.file("missing.jsonl", `${line.replace('"born": "2024-01-02", ', "")}\n`, AT),
      files.file("latin1.jsonl", Buffer.from(`${line.replace("2024", "\u00e9")}\n`, "latin1"), AT),
      files.file("parquet.jsonl", Buffer.from("PAR1\u0000\u0000\u0000\u0000PAR1"), AT),
      files.file("empty.jsonl", "", AT),
      files.file("blank.jsonl", "\n  \n", AT),
      files.file("good.jsonl", `${line}\n${line.replace('"id": 9', '"id": 10').replace('"amount": 1', '"amount": 7.5E0')}\n`, AT),
      // Compressed: gzip is read (Firehose's GZIP), a cut one and xz are named.
      files.file("firehose.gz", gzipSync(`${line.replace('"id": 9', '"id": 12')}\n`), AT),
      files.file("cut.jsonl.gz", gzipSync(`${line}\n`).subarray(0, 20), AT),
      files.file("xz.jsonl", XZ_TEXT, AT),
      // Objects back to back on a line (Firehose without a newline delimiter): a row each.
      files.file("firehose-concat.gz", gzipSync(`${line.replace('"id": 9', '"id": 13')}${line.replace('"id": 9', '"id": 14')} ${line.replace('"id": 9', '"id": 15')}`), AT),
      files.file("concat-cut.jsonl", `${line}${line.slice(0, -1)}\n`, AT),
      files.file("concat-number.jsonl", `${line} 9\n`, AT),
      // Pretty-printed: an array file and an object spread over lines (named in the reason).
      files.file("pretty-array.jsonl", `[\n  ${line}\n]\n`, AT),
      files.file("pretty-object.jsonl", `{\n  "id": 1\n}\n`, AT),
    ]),
  ];
}

/** A JSON lines and a Parquet dataset without a cdc block: every row an upsert by key. */
const plainColumns = { id: "bigint", label: { type: "string", optional: true }, amount: { type: "decimal(10,2)", optional: true } } as const;
export const plainJsonl = defineDataset({ name: "plain_jsonl", prefix: "plain-jsonl/", format: "jsonl", columns: plainColumns, primaryKey: ["id"] });
export const plainParquet = defineDataset({ name: "plain_parquet", prefix: "plain-parquet/", format: "parquet", columns: plainColumns, primaryKey: ["id"] });

/**
 * Files of the datasets without CDC: bronze rows still end with their Op slot (NULL). The Glue
 * runner left it out for JSON lines and Parquet, and every such load failed on Spark.
 */
export async function noCdcScenarios(dir: string): Promise<Array<[DatasetSpec, ScenarioRun[]]>> {
  mkdirSync(dir, { recursive: true });
  const jsonl = new ScenarioFiles(join(dir, "jsonl"), plainJsonl);
  const parquet = new ScenarioFiles(join(dir, "parquet"), plainParquet);
  const rows = `SELECT * FROM (VALUES (1, 'a', 1.50), (2, NULL, NULL), (1, 'a2', 100.00)) t(id, label, amount)`;
  return [
    [plainJsonl, [run(plainJsonl, "plain-jsonl-1", [jsonl.file("a.jsonl", '{"id": 1, "label": "a", "amount": 1.5}\n{"id": 2}\n{"id": 1, "label": "a2", "amount": 1e2}\n', AT)])]],
    [plainParquet, [run(plainParquet, "plain-parquet-1", [parquet.file("a.parquet", await writeParquet(join(dir, "src-a.parquet"), rows), AT)])]],
  ];
}

/** DMS DataFormat=parquet for orders: a full load without Op (ms timestamps), then CDC files with Op and the string cdc_ts. */
export async function dmsParquetScenario(dir: string): Promise<ScenarioRun[]> {
  mkdirSync(dir, { recursive: true });
  const orders = getDataset("orders");
  const files = new ScenarioFiles(dir, orders);
  const write = (name: string, select: string, options = "") => writeParquet(join(dir, `src-${name}`), select, options);
  const load = await write(
    "load.parquet",
    `SELECT id::BIGINT AS ORDER_ID, 100::BIGINT AS CUSTOMER_ID, '2026-11-01 09:00:00.250'::TIMESTAMP_MS AS ORDER_TS, 'paid' AS STATUS,
       amount::DECIMAL(12,2) AS TOTAL_AMOUNT, '2026-11-01 10:00:00.000000' AS cdc_ts
     FROM (VALUES (1, '10.00'), (2, '20.50'), (3, '30.00'), (4, NULL)) AS t(id, amount)`,
  );
  const cdc = await write(
    "cdc.parquet",
    `SELECT op AS Op, id::BIGINT AS ORDER_ID, 100::BIGINT AS CUSTOMER_ID, '2026-11-01 09:00:00'::TIMESTAMP AS ORDER_TS, status AS STATUS,
       12.5::DECIMAL(12,2) AS TOTAL_AMOUNT, ts AS cdc_ts
     FROM (VALUES ('U', 1, 'shipped', '2026-11-01 11:00:00.000001'), ('D', 2, 'paid', '2026-11-01 11:00:00.000001'),
                  ('I', 5, 'nope', '2026-11-01 11:00:00.000002')) AS t(op, id, status, ts)`,
    // ParquetVersion=PARQUET_2_0 (data pages v2); DMS's default is 1.0, as `load` is written.
    ", PARQUET_VERSION V2",
  );
  return [
    run(orders, "dms-parquet-1", [files.file("LOAD00000001.parquet", load, AT), files.file("20261101-110000000.parquet", cdc, AT)]),
  ];
}
