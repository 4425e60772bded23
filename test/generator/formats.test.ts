import { expect } from "chai";
import { createHash } from "crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { basename, join } from "path";
import { gunzipSync } from "zlib";
import { defineDataset, getDataset } from "../../datasets";
import { generate } from "../../local/generator/generate";
import { MemorySink } from "../../local/generator/sink";
import { openSession, type Session } from "../../engine/duckdb/session";
import { expectedState, generateDataset, generateInMemory, sameShapeReferences, writeDataset, type MemoryFile } from "../../local/generator";
import { parseCsv } from "../../local/generator/csv-read";
import { cli } from "../cli/helpers";

const CDC_NAME = /^\d{8}-\d{9}\.(csv|parquet)$/;
const rowsOf = (f: MemoryFile): (string | null)[][] => parseCsv(f.content);
const isLoad = (key: string): boolean => basename(key).startsWith("LOAD");

describe("generator formats (generate --format)", () => {
  describe("dms-csv: DMS default endpoint settings", () => {
    it("writes the csv format's rows without the header and without the timestamp column, Op first in change files only", () => {
      // No bad rows and no anomalies: the two formats then draw the same random values.
      const options = { seed: 7, rows: 300, files: 3, badShare: 0, anomalies: false };
      for (const name of ["orders", "products"]) {
        const spec = getDataset(name);
        const csv = generateInMemory(name, { ...options, format: "csv" }).files;
        const dms = generateInMemory(name, { ...options, format: "dms-csv" });

        expect(dms.files.map((f) => f.key)).to.deep.equal(csv.map((f) => f.key));
        const tsAt = spec.columns.findIndex((c) => c.name === spec.dms?.timestampColumn);
        expect(tsAt).to.be.greaterThan(0);
        expect(dms.report.columns).to.deep.equal(spec.columns.map((c) => c.name).filter((_, i) => i !== tsAt));
        dms.files.forEach((file, i) => {
          const [header, ...expected] = rowsOf(csv[i]);
          const opShift = isLoad(file.key) ? 0 : 1;
          expect(header?.[0]).to.equal(isLoad(file.key) ? spec.columns[0].name : "Op");
          const withoutTs = expected.map((row) => row.filter((_, j) => j !== tsAt + opShift));
          expect(rowsOf(file), file.key).to.deep.equal(withoutTs);
          for (const row of rowsOf(file)) expect(row).to.have.length(spec.columns.length - 1 + opShift);
        });
      }
    });

    it("writes no late changes, no swapped file names and no bad cdc_ts: there is no timestamp to carry them", () => {
      const { files, report } = generateInMemory("orders", { seed: 11, rows: 3000, files: 4, badShare: 0.1, format: "dms-csv" });
      const csv = generateInMemory("orders", { seed: 11, rows: 3000, files: 4, badShare: 0.1, format: "csv" }).report;

      expect(csv.kinds.late, "the csv format has them").to.be.greaterThan(0);
      expect(csv.kinds["reject:bad_cdc_ts"]).to.be.greaterThan(0);
      expect(report.kinds.late).to.equal(undefined);
      expect(report.kinds["reject:bad_cdc_ts"]).to.equal(undefined);
      expect(report.kinds["reject:bad_key"]).to.be.greaterThan(0);
      expect(report.kinds["reject:bad_op"]).to.be.greaterThan(0);
      const changes = files.filter((f) => !isLoad(f.key));
      changes.forEach((f) => expect(basename(f.key)).to.match(CDC_NAME));
      // Names in commit order: each file's rows are a later day than the previous file's.
      expect(changes.map((f) => f.key)).to.deep.equal(changes.map((f) => f.key).sort());
      expect(files.reduce((n, f) => n + rowsOf(f).length, 0)).to.equal(3000);
    });

    it("splits a full load into LOAD files named by an 8-digit hexadecimal counter", () => {
      const { files, report } = generateInMemory("customers", { seed: 2, rows: 200, loadRows: 170, loadFileRows: 10, files: 1, format: "dms-csv" });

      const loads = files.filter((f) => isLoad(f.key)).map((f) => basename(f.key));
      expect(loads).to.have.length(17);
      expect(loads.slice(8, 11)).to.deep.equal(["LOAD00000009.csv", "LOAD0000000A.csv", "LOAD0000000B.csv"]);
      expect(loads[15]).to.equal("LOAD00000010.csv");
      expect(loads[16]).to.equal("LOAD00000011.csv");
      expect(report.files.slice(0, 17).every((f) => f.rows === 10)).to.equal(true);
      expect(files.slice(0, 17).every((f) => rowsOf(f).length === 10)).to.equal(true);
    });

    it("writes the same bytes for the same seed and different bytes for another", () => {
      const a = generateInMemory("orders", { seed: 5, rows: 500, format: "dms-csv" }).files;
      const b = generateInMemory("orders", { seed: 5, rows: 500, format: "dms-csv" }).files;
      const c = generateInMemory("orders", { seed: 6, rows: 500, format: "dms-csv" }).files;

      expect(b).to.deep.equal(a);
      expect(c.map((f) => f.content)).to.not.deep.equal(a.map((f) => f.content));
    });

    it("is the default format of a dms dataset (the reference datasets, the demo, `datalake generate`)", () => {
      const options = { seed: 3, rows: 100, files: 2 };
      expect(generateInMemory("orders", options).files).to.deep.equal(generateInMemory("orders", { ...options, format: "dms-csv" }).files);
      expect(generateInMemory("orders", options).report.format).to.equal("dms-csv");
    });

    it("writes a csv dataset's files with a header whatever the default, and refuses DMS formats for it", () => {
      const things = defineDataset({
        name: "things",
        prefix: "things/",
        format: "csv",
        columns: { id: "bigint", label: "string", cdc_ts: "timestamp" },
        primaryKey: ["id"],
        cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
        target: { table: "things" },
      });
      const sink = new MemorySink();
      generate(things, { seed: 1, rows: 20, files: 1 }, sink);

      expect(sink.files[0].content.split("\n")[0]).to.equal("id,label,cdc_ts");
      expect(() => generate(things, { seed: 1, rows: 20, format: "dms-csv" }, new MemorySink())).to.throw(
        'dataset "things" has format csv: dms-csv files need format "dms"',
      );
    });

    it("refuses an unknown format with the known ones", () => {
      expect(() => generateInMemory("orders", { seed: 1, rows: 10, format: "tsv" as never })).to.throw(
        'unknown output format "tsv" (known: dms-csv, dms-parquet, csv)',
      );
    });
  });

  describe("the oracle on DMS files (no header, no timestamp: the DMS file sequence orders)", () => {
    it("expects of dms-csv files what it expects of the same changes with a header and cdc_ts", () => {
      // Plain batches: cdc_ts grows with file and row, so both orders agree.
      const options = { seed: 12, rows: 1500, files: 3, badShare: 0, anomalies: false, loadFileRows: 200 };
      for (const name of ["orders", "customers"]) {
        const spec = getDataset(name);
        const csv = expectedState(spec, generateInMemory(name, { ...options, format: "csv" }).files);
        const dms = expectedState(spec, generateInMemory(name, { ...options, format: "dms-csv" }).files);

        expect(dms.rowsRead).to.equal(1500);
        expect(dms.silverKeys.length, name).to.be.greaterThan(100);
        expect(dms.deletedKeys.length, name).to.be.greaterThan(0);
        expect([dms.silverKeys, dms.quarantineKeys, dms.deletedKeys, dms.rejectedRows]).to.deep.equal([csv.silverKeys, csv.quarantineKeys, csv.deletedKeys, csv.rejectedRows]);
        const winners = (s: typeof csv) => [...s.current.values()].map((r) => `${r.key}@${r.sourceKey}:${r.rowNumber}`).sort();
        expect(winners(dms)).to.deep.equal(winners(csv));
      }
    });

    it("orders full-load files by their hex counter before change files, and rows by position", () => {
      const spec = getDataset("orders");
      const files = [
        { key: "orders/20261130-152952123.csv", content: "U,1,7,2026-11-29 09:00:00,shipped,1.00\nD,1,7,2026-11-29 09:00:00,shipped,1.00\nU,2,7,2026-11-29 09:00:00,paid,2.00\n" },
        { key: "orders/LOAD0000000A.csv", content: "2,7,2026-11-29 09:00:00,pending,2.00\n3,7,2026-11-29 09:00:00,paid,3.00\n" },
        { key: "orders/LOAD00000009.csv", content: "1,7,2026-11-29 09:00:00,paid,1.00\n3,7,2026-11-29 09:00:00,pending,3.00\n" },
      ];

      const state = expectedState(spec, files);

      expect(state.rowsRead).to.equal(7);
      expect(state.deletedKeys).to.deep.equal(["1"]);
      expect(state.silverKeys).to.deep.equal(["2", "3"]);
      expect(state.current.get("2")?.values.status).to.equal("paid");
      expect(state.current.get("3")).to.include({ sourceKey: "orders/LOAD0000000A.csv", rowNumber: 2 });
    });

    it("reads a DMS header in any case and quarantines a headerless file whose width fits no layout", () => {
      const spec = getDataset("orders");
      const state = expectedState(spec, [
        { key: "orders/LOAD00000001.csv", content: "ORDER_ID,CUSTOMER_ID,ORDER_TS,STATUS,TOTAL_AMOUNT\n1,7,2026-11-29 09:00:00,paid,1.00\n" },
        { key: "orders/20261130-152952123.csv", content: "U,1,7,2026-11-29 09:00:00,paid\n" },
      ]);

      expect(state.silverKeys).to.deep.equal(["1"]);
      expect(state.quarantinedFileRows).to.equal(1);
      expect(state.rowsRead).to.equal(2);
    });
  });

  describe("dms-parquet: DataFormat=parquet", () => {
    let dir: string;
    let session: Session;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "datalake-gen-parquet-test-"));
      session = await openSession({ threads: 1, memoryLimit: "1GB" });
    });
    after(() => {
      session.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const schema = async (path: string): Promise<string[]> =>
      (await session.rows(`SELECT name, type, converted_type FROM parquet_schema('${path}') WHERE name <> 'duckdb_schema'`)).map(
        (r) => `${r.name}:${r.type}:${r.converted_type}`,
      );

    it("writes typed columns, Op (a string) first in change files only, under LOAD and timestamped .parquet names", async () => {
      const out = join(dir, "typed");
      const { paths } = await writeDataset("orders", { seed: 3, rows: 120, files: 2, format: "dms-parquet", outDir: out });

      expect(paths.map((p) => basename(p))[0]).to.equal("LOAD00000001.parquet");
      paths.slice(1).forEach((p) => expect(basename(p)).to.match(CDC_NAME));
      const load = [
        "order_id:INT64:INT_64",
        "customer_id:INT64:INT_64",
        "order_ts:INT64:TIMESTAMP_MICROS",
        "status:BYTE_ARRAY:UTF8",
        "total_amount:INT64:DECIMAL",
      ];
      expect(await schema(paths[0])).to.deep.equal(load);
      expect(await schema(paths[1])).to.deep.equal(["Op:BYTE_ARRAY:UTF8", ...load]);
      expect(readdirSync(join(out, "orders")).sort()).to.deep.equal(paths.map((p) => basename(p)).sort());
    });

    it("holds the dms-csv rows as typed values (no bad rows: the same draws)", async () => {
      const options = { seed: 4, rows: 200, files: 2, badShare: 0, anomalies: false };
      const { paths } = await writeDataset("orders", { ...options, format: "dms-parquet", outDir: join(dir, "values") });
      const csv = generateInMemory("orders", { ...options, format: "dms-csv" }).files;

      expect(paths).to.have.length(csv.length);
      for (let i = 0; i < paths.length; i++) {
        // As text, a DECIMAL(12,2) keeps both digits and a TIMESTAMP reads "YYYY-MM-DD HH:MM:SS".
        const rows = await session.rows(`SELECT COLUMNS(*)::VARCHAR FROM read_parquet('${paths[i]}')`);
        expect(rows.map((r) => Object.values(r)), basename(paths[i])).to.deep.equal(rowsOf(csv[i]));
      }
    });

    it("writes timestamps in milliseconds with ParquetTimestampInMillisecond", async () => {
      const { paths } = await writeDataset("orders", {
        seed: 3,
        rows: 20,
        files: 1,
        format: "dms-parquet",
        outDir: join(dir, "millis"),
        parquet: { timestampMillis: true },
      });

      expect(await schema(paths[0])).to.include("order_ts:INT64:TIMESTAMP_MILLIS");
    });

    it("keeps bad rows a typed column can carry (bad Op, null key, rule failures) and never a bad type", async () => {
      const { paths, report } = await writeDataset("customers", { seed: 9, rows: 2000, files: 2, badShare: 0.3, format: "dms-parquet", outDir: join(dir, "bad") });
      const csv = generateInMemory("customers", { seed: 9, rows: 2000, files: 2, badShare: 0.3, format: "dms-csv" }).report;

      expect(Object.keys(csv.kinds).some((k) => k.startsWith("quarantine:bad_type:")), "dms-csv has them").to.equal(true);
      expect(Object.keys(report.kinds).filter((k) => k.startsWith("quarantine:bad_type:"))).to.deep.equal([]);
      const [nullKeys] = await session.rows(`SELECT count(*) AS n FROM read_parquet([${paths.map((p) => `'${p}'`).join(", ")}], union_by_name = true) WHERE customer_id IS NULL`);
      // At least: a duplicate row repeats its predecessor, bad or not, and counts as a duplicate.
      expect(report.kinds["reject:bad_key"]).to.be.greaterThan(0);
      expect(Number(nullKeys.n)).to.be.at.least(report.kinds["reject:bad_key"]);
      const [badOps] = await session.rows(`SELECT count(*) AS n FROM read_parquet([${paths.slice(1).map((p) => `'${p}'`).join(", ")}]) WHERE Op NOT IN ('I', 'U', 'D')`);
      expect(report.kinds["reject:bad_op"]).to.be.greaterThan(0);
      expect(Number(badOps.n)).to.be.at.least(report.kinds["reject:bad_op"]);
      expect(report.files.reduce((n, f) => n + f.rows, 0)).to.equal(2000);
    });

    it("writes the same bytes for the same seed", async () => {
      const hashes = async (out: string): Promise<string[]> =>
        (await writeDataset("payments", { seed: 8, rows: 300, files: 2, format: "dms-parquet", outDir: out })).paths.map((p) =>
          createHash("sha256").update(readFileSync(p)).digest("hex"),
        );

      expect(await hashes(join(dir, "same-a"))).to.deep.equal(await hashes(join(dir, "same-b")));
    });

    it("compresses pages with the GZIP codec under CompressionType=GZIP, names unchanged", async () => {
      const { paths } = await writeDataset("orders", { seed: 3, rows: 50, files: 1, format: "dms-parquet", gzip: true, outDir: join(dir, "gz") });

      expect(basename(paths[0])).to.equal("LOAD00000001.parquet");
      const codecs = await session.rows(`SELECT DISTINCT compression FROM parquet_metadata('${paths[0]}')`);
      expect(codecs.map((r) => String(r.compression).toUpperCase())).to.deep.equal(["GZIP"]);
    });

    it("is written by writeDataset only (generateDataset is synchronous)", () => {
      expect(() => generateDataset("orders", { seed: 1, rows: 10, format: "dms-parquet", outDir: join(dir, "sync") })).to.throw(/writeDataset/);
    });
  });

  describe("CompressionType=GZIP (gzip: true)", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "datalake-gen-gzip-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("gzips each CSV file whole as <name>.csv.gz, the same bytes inside, the same gzip for the same seed", async () => {
      const options = { seed: 5, rows: 200, files: 2, format: "dms-csv" as const };
      const a = await writeDataset("orders", { ...options, gzip: true, outDir: join(dir, "a") });
      const b = await writeDataset("orders", { ...options, gzip: true, outDir: join(dir, "b") });
      const plain = generateInMemory("orders", options).files;

      expect(a.report.files.map((f) => f.key)).to.deep.equal(plain.map((f) => `${f.key}.gz`));
      expect(a.paths.map((p) => gunzipSync(readFileSync(p)).toString("utf8"))).to.deep.equal(plain.map((f) => f.content));
      expect(readdirSync(join(dir, "a", "orders")).every((n) => n.endsWith(".csv.gz"))).to.equal(true);
      expect(b.paths.map((p) => readFileSync(p).toString("base64"))).to.deep.equal(a.paths.map((p) => readFileSync(p).toString("base64")));
    });
  });

  describe("datalake generate --format", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "datalake-gen-cli-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("writes each format byte-identical to the library", async () => {
      for (const format of ["dms-csv", "csv"] as const) {
        const out = join(dir, format);
        const run = await cli("generate", "--dataset", "orders", "--rows", "60", "--files", "2", "--seed", "3", "--format", format, "--out", out);

        expect(run.code, run.stderr).to.equal(0);
        const shape = { rows: 60, files: 2 };
        const expected = generateInMemory("orders", { seed: 3, ...shape, format, references: sameShapeReferences(shape) }).files;
        expect(expected.map((f) => readFileSync(join(out, f.key), "utf8"))).to.deep.equal(expected.map((f) => f.content));
      }
      const run = await cli("generate", "--dataset", "orders", "--rows", "60", "--files", "2", "--format", "dms-parquet", "--out", join(dir, "pq"));
      expect(run.code, run.stderr).to.equal(0);
      expect(readdirSync(join(dir, "pq", "orders")).every((n) => n.endsWith(".parquet"))).to.equal(true);
    });

    it("rejects an unknown --format in one line", async () => {
      const run = await cli("generate", "--all", "--format", "xml", "--out", dir);

      expect(run.code).to.equal(2);
      expect(run.stderr).to.equal('datalake generate: --format must be one of dms-csv, dms-parquet, csv (got "xml")');
    });
  });
});
