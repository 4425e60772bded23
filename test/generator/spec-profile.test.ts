// A dataset with no hand-written sample-data profile: the generator derives one from its spec,
// and the files it writes load on the DuckDB engine exactly as the oracle expects.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { defineDataset, type DatasetInput } from "../../datasets";
import { CONTRACT_VERSION, type Manifest } from "../../engine/contracts";
import { runLoad } from "../../engine/duckdb";
import { expectedState, generate } from "../../local/generator";
import { profileFor } from "../../local/generator/generate";
import { FileSink } from "../../local/generator/sink";
import { ParquetSink } from "../../local/generator/parquet-sink";

// Unlike the reference datasets: a string key, the sequence column first, other types and rules.
const BILLS: DatasetInput = {
  name: "vendor_bills",
  prefix: "vendor-bills/",
  format: "csv",
  columns: {
    updated_at: "timestamp",
    bill_no: "string",
    net: "decimal(10,3)",
    paid: "boolean",
    due: "date",
    currency: "string",
    lines: { type: "int", optional: true },
    ratio: "double",
  },
  primaryKey: ["bill_no"],
  cdc: { opColumn: "Op", sequenceColumns: ["updated_at"] },
  partitionBy: { column: "due", prefix: "due" },
  rules: [
    { kind: "range", column: "net", min: 0, max: 5000 },
    { kind: "accepted_values", column: "currency", values: ["EUR", "USD"] },
    { kind: "not_null", column: "due" },
  ],
};
const bills = defineDataset(BILLS);

describe("sample-data generator: a profile derived from any spec", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "datalake-spec-profile-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the spec's columns in its order, makes every corruption, and loads as the oracle expects", async () => {
    const out = join(dir, "files");
    const report = generate(bills, { seed: 4, rows: 600, files: 3, badShare: 0.2 }, new FileSink(out));
    const files = report.files.map((f) => ({ key: f.key, content: readFileSync(join(out, f.key), "utf8") }));
    const expected = expectedState(bills, files);
    const manifest: Manifest = {
      version: CONTRACT_VERSION,
      dataset: bills.name,
      runId: "run-1",
      createdAt: "2026-11-21T00:00:00.000Z",
      files: files.map((f, i) => ({
        fileId: `test/${f.key}`,
        bucket: "test",
        key: f.key,
        versionId: `v${i}`,
        etag: `e${i}`,
        sequencer: String(i).padStart(4, "0"),
        size: f.content.length,
        receivedAt: "2026-11-21T08:00:00.000Z",
        localPath: join(out, f.key),
      })),
    };

    const summary = await runLoad({ workspace: join(dir, "ws"), spec: bills, manifest, writeSummary: false });

    expect(files[0].content.split("\n")[0]).to.equal("updated_at,bill_no,net,paid,due,currency,lines,ratio");
    expect(files[1].content.split("\n")[0]).to.equal("Op,updated_at,bill_no,net,paid,due,currency,lines,ratio");
    const corruptions = Object.keys(report.kinds).filter((k) => k.startsWith("quarantine:"));
    expect(corruptions).to.have.length(profileFor(bills).corruptions.length);
    expect(summary.status, summary.error).to.equal("SUCCEEDED");
    expect(summary.counts).to.include({ rowsRead: expected.rowsRead, rejectedRows: expected.rejectedRows });
    expect(summary.counts.silverRows).to.equal(expected.silverKeys.length);
    expect(summary.counts.quarantineRows).to.equal(expected.quarantineKeys.length);
    expect(expected.silverKeys.length).to.be.greaterThan(100);
  });

  it("names what it cannot generate for, in one line", () => {
    const composite = defineDataset({ ...BILLS, primaryKey: ["bill_no", "currency"] });

    expect(() => generate(composite, { seed: 1, rows: 10 }, new FileSink(join(dir, "x")))).to.throw(
      'cannot generate sample data for dataset "vendor_bills": the generator writes one key column; this spec\'s primary key has several',
    );
  });
});

describe("sample-data generator: accepted values of a numeric column", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "datalake-spec-profile-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tiers = defineDataset({
    name: "tiers",
    prefix: "tiers/",
    format: "dms",
    dms: { timestampColumn: "cdc_ts" },
    columns: { tier_id: "bigint", band: "int", cdc_ts: { type: "timestamp", optional: true } },
    primaryKey: ["tier_id"],
    rules: [{ kind: "accepted_values", column: "band", values: ["1", "2", "3"] }],
  });

  it("writes DMS Parquet for it: a typed column holds no text, so no corruption writes text into it", async () => {
    const sink = new ParquetSink(join(dir, "files"));
    const report = generate(tiers, { seed: 2, rows: 200, files: 2, badShare: 0.5, format: "dms-parquet" }, sink);

    const paths = await sink.finish(tiers, report);

    expect(paths.length).to.be.greaterThan(1);
    expect(Object.keys(report.kinds).filter((k) => k.startsWith("quarantine:"))).to.deep.equal([]);
  });
});
