// @spark Engine parity: every scenario run loads on both engines (the DuckDB executor and the
// Glue runner on local Spark + Iceberg) and must give the same bronze, files ledger, rejects,
// state, silver and quarantine, row for row, and the same run summary. A divergence is a bug to
// fix in one engine, never an entry in an allow-list.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { DATASETS, defineDataset, type DatasetInput, type DatasetSpec } from "../../datasets";
import { compilePlan } from "../../engine/compile";
import type { ManifestFile, RunSummary } from "../../engine/contracts";
import { runLoad } from "../../engine/duckdb";
import { openSession, type Session } from "../../engine/duckdb/session";
import { PII_KEY_FILE } from "../../engine/pii-key";
import { loadIcebergExtension } from "../../engine/spark/iceberg-duckdb";
import { runLoadSpark, type SparkDatabases } from "../../engine/spark/run-load";
import type { SparkServer } from "../../engine/spark/server";
import { duckdbSources, readTables, sparkSources, summaryView, tableDifferences } from "./tables";
import { ACCOUNTS, ScenarioFiles, dmsOrderScenario, gainedColumn, dmsScenario, doubleSequenceScenario, layoutByTypeScenario, oneFieldScenario, referenceScenario, specScenario, type ScenarioRun } from "./scenarios";
import { dmsParquetScenario, jsonlScenario, noCdcScenarios, parquetScenario } from "./format-scenarios";
import { EDGE_RATES_CSV, edgeRates } from "../engine/typed-files";
import { typedJsonl, typedParquet } from "../engine/typed-files";
import { sparkForTests } from "../support/spark";

/** Every type, every rule kind, a composite key, two sequence columns, optional and hashed columns. */
const kitchen = defineDataset({
  name: "kitchen",
  prefix: "kitchen/",
  format: "csv",
  columns: {
    region: "string",
    item_id: "bigint",
    code: "int",
    amount: "decimal(10,3)",
    // Scale 7 and more: Spark writes such a decimal as "0E-10" (the typing fast path's E check).
    fine: { type: "decimal(18,10)", optional: true },
    ratio: "double",
    active: "boolean",
    born: "date",
    seen_at: "timestamp",
    note: { type: "string", optional: true },
    tag: { type: "string", optional: true },
    seq_day: "date",
    seq_n: "int",
  },
  primaryKey: ["region", "item_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seq_day", "seq_n"] },
  partitionBy: { column: "born", prefix: "born" },
  rules: [
    { kind: "not_null", column: "code" },
    { kind: "unique", columns: ["code"] },
    { kind: "accepted_values", column: "tag", values: ["a", "b"] },
    // Numbers, compared as numbers: the edge values' zeros in any rendering are the accepted "0".
    { kind: "accepted_values", column: "fine", values: ["0", "5.25", "2000.25"] },
    { kind: "range", column: "ratio", min: 0, max: 1, maxExclusive: true },
    { kind: "regex", column: "region", pattern: "^[a-z]+[0-9]*$" },
    { kind: "expression", label: "amount_or_active", sql: "amount >= 0 OR active = FALSE" },
    // Spaces in the sense of Spark's trim (U+0020 only): a no-break space is not blank.
    { kind: "expression", label: "tag_not_blank", sql: "tag IS NULL OR trim(tag) <> ''" },
  ],
  pii: [{ column: "note", mode: "hash" }],
  target: { table: "kitchen_items" },
});

/** No CDC block: every row is an upsert, later rows (object key, row number) win. */
const snapshots = defineDataset({
  name: "snapshots",
  prefix: "snapshots/",
  format: "csv",
  csv: { delimiter: "|", quote: "'", nullValue: "\\N" },
  columns: { id: "int", label: "string", weight: "double", day: "date" },
  primaryKey: ["id"],
  rules: [{ kind: "not_null", column: "label" }],
  pii: [{ column: "label", mode: "exclude" }],
  target: { table: "snapshot_items" },
});

/** A double sequence column: the run summary's latest sequence is the double's canonical text. */
const gauges = defineDataset({
  name: "gauges",
  prefix: "gauges/",
  format: "csv",
  columns: { id: "int", reading: "string", seq: "double" },
  primaryKey: ["id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seq"] },
});

/**
 * A key the spec edit moves to alt_id, which one old row leaves empty, and a row rejected when read
 * (key x). A narrowed key type would be refused on Spark before the run, by the Iceberg schema check.
 */
const EDITED_KEYS: DatasetInput = {
  name: "edited",
  prefix: "edited/",
  format: "csv",
  columns: { item_id: "bigint", alt_id: "bigint", seq: "bigint", name: "string" },
  primaryKey: ["item_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seq"] },
};
const editedKeys = defineDataset(EDITED_KEYS);
const EDITED_KEYS_CSV = "Op,item_id,alt_id,seq,name\nI,1,11,1,one\nI,2,,2,no alt\nI,x,13,3,bad key\n";

/** One field per record: a CSV reader can take an empty line for a record holding "". */
const tags = defineDataset({ name: "tags", prefix: "tags/", format: "csv", columns: { tag: "string" }, primaryKey: ["tag"] });

describe("@spark engine parity: DuckDB and Spark give the same tables and summaries", function () {
  this.timeout(15 * 60_000);
  let server: SparkServer;
  let session: Session;
  let root: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "parity-"));
    server = await sparkForTests();
    session = await openSession({ threads: 1, memoryLimit: "1GB" });
    await session.run("SET TimeZone = 'UTC'");
    await loadIcebergExtension(session);
  });
  after(() => {
    session?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** `label`: of the workspaces and Spark databases, when a spec runs more than one scenario. */
  async function runBoth(spec: DatasetSpec, runs: ScenarioRun[], label = spec.name): Promise<void> {
    const plan = compilePlan(spec, { dialect: "duckdb" });
    const duckWs = path.join(root, `${label}-duckdb`);
    const sparkWs = path.join(root, `${label}-spark`);
    const prefix = `parity_${path.basename(root).replace(/[^a-z0-9]/gi, "").toLowerCase()}_${label}`;
    const databases: SparkDatabases = { silver: `${prefix}_silver`, quarantine: `${prefix}_quarantine`, bronze: `${prefix}_bronze` };
    // One stack, one PII hash key: both engines must hash with the same secret to agree.
    for (const ws of [duckWs, sparkWs]) {
      fs.mkdirSync(path.dirname(path.join(ws, PII_KEY_FILE)), { recursive: true });
      fs.writeFileSync(path.join(ws, PII_KEY_FILE), "parity-pii-key\n", { mode: 0o600 });
    }
    for (const run of runs) {
      const runSpec = run.spec ?? spec;
      const duck = await runLoad({ workspace: duckWs, spec: runSpec, manifest: run.manifest });
      const spark = await runLoadSpark({ workspace: sparkWs, spec: runSpec, manifest: run.manifest, server, databases });
      if (run.refusedBy) {
        // The engines word a failed run's error each their own way; the audits say the same.
        const view = (s: RunSummary) => ({ ...(summaryView(s) as object), error: null });
        expect(view(spark), `${spec.name} ${run.label}: run summaries (Spark: ${spark.error})`).to.deep.equal(view(duck));
        expect(duck.status, `${spec.name} ${run.label}`).to.equal("FAILED");
        expect(duck.audits.filter((a) => !a.passed).map((a) => a.name), `${spec.name} ${run.label}`).to.deep.equal([run.refusedBy]);
      } else {
        expect(summaryView(spark), `${spec.name} ${run.label}: run summaries`).to.deep.equal(summaryView(duck));
        expect(duck.status, `${spec.name} ${run.label}: ${duck.error}`).to.equal("SUCCEEDED");
      }
      const d = await readTables(session, plan, duckdbSources(duckWs, plan));
      const s = await readTables(session, plan, sparkSources(server.warehouse, databases, plan));
      expect(tableDifferences(d, s), `${spec.name} ${run.label}: tables`).to.deep.equal([]);
      expect(d.silver.length + d.quarantine.length, `${spec.name} ${run.label}: a scenario that loads nothing proves nothing`).to.be.greaterThan(0);
    }
  }

  for (const spec of DATASETS) {
    it(`${spec.name}: two batches with every anomaly, bad row and bad file, a re-dropped file, then a full refresh`, async () => {
      await runBoth(spec, referenceScenario(spec, path.join(root, `${spec.name}-files`), 11));
    });
  }

  it("orders as DMS writes it: headerless, gzip, Op and timestamp layouts, every whole-file reason", async () => {
    const orders = DATASETS.find((d) => d.name === "orders")!;
    await runBoth(orders, dmsScenario(orders, path.join(root, "orders-dms-files")), "orders_dms");
  });

  it("a spec with every type and rule kind, a composite key and two sequence columns", async () => {
    await runBoth(kitchen, specScenario(kitchen, path.join(root, "kitchen-files")));
  });

  it("dms change order: full-load race, file sequence without timestamps, partial images, a reload", async function () {
    this.timeout(40 * 60_000); // four runs, a reload among them
    const orders = DATASETS.find((s) => s.name === "orders")!;
    await runBoth(orders, dmsOrderScenario(orders, path.join(root, "dms-order-files")), "dms_order");
  });

  it("a double sequence column: the same latest sequence text on both engines", async () => {
    await runBoth(gauges, doubleSequenceScenario(gauges, path.join(root, "gauges-files")));
  });

  it("one field per record: empty lines are no rows, a quoted empty field is one", async () => {
    await runBoth(tags, oneFieldScenario(tags, path.join(root, "tags-files")));
  });

  it("headerless DMS files whose first column may hold I, U or D: the column types pick the layout", async () => {
    await runBoth(ACCOUNTS, layoutByTypeScenario(ACCOUNTS, path.join(root, "accounts-files")));
  });

  it("a spec without CDC, with its own delimiter, quote and null marker", async () => {
    await runBoth(snapshots, specScenario(snapshots, path.join(root, "snapshots-files")));
  });

  it("Parquet files holding every type (us, ms and UTC timestamps, decimals, floats, binary, nulls) and every Parquet file reason", async () => {
    await runBoth(typedParquet, await parquetScenario(path.join(root, "typed-parquet-files")));
  });

  it("JSON lines holding every kind of value (numbers as written) and every JSON lines file reason", async () => {
    await runBoth(typedJsonl, jsonlScenario(path.join(root, "typed-jsonl-files")));
  });

  it("rules at the edge of decimal(38): a range finer than the column's scale, a product that overflows", async () => {
    const files = new ScenarioFiles(path.join(root, "edge-rates-files"), edgeRates);
    const at = "2026-11-21T08:00:00.000Z";
    const manifest = { version: 1 as const, dataset: edgeRates.name, runId: "run-edge-1", createdAt: at, files: [files.file("a.csv", EDGE_RATES_CSV, at)] };
    await runBoth(edgeRates, [{ label: "edge-1", manifest }]);
  });

  it("JSON lines and Parquet datasets without CDC (bronze keeps its empty Op slot)", async () => {
    for (const [spec, runs] of await noCdcScenarios(path.join(root, "no-cdc-files"))) await runBoth(spec, runs);
  });

  it("a spec edit old rows no longer meet (the key moved to a column one leaves empty) is refused on both engines, then reverted", async () => {
    const files = new ScenarioFiles(path.join(root, "spec-edit-files"), editedKeys);
    const manifest = (runId: string, file: ManifestFile) => ({ version: 1 as const, dataset: editedKeys.name, runId, createdAt: file.receivedAt, files: [file] });
    const first = files.file("a.csv", EDITED_KEYS_CSV, "2026-11-21T08:00:00.000Z");
    const second = files.file("b.csv", "Op,item_id,alt_id,seq,name\nI,4,14,4,four\n", "2026-11-21T09:00:00.000Z");
    const rekeyed = defineDataset({ ...EDITED_KEYS, primaryKey: ["alt_id"] });
    await runBoth(editedKeys, [
      { label: "edit-1", manifest: manifest("run-edit-1", first) },
      { label: "edit-2", manifest: manifest("run-edit-2", second), spec: rekeyed, refusedBy: "bronze_rows_accounted" },
      { label: "edit-3", manifest: manifest("run-edit-3", second) },
    ]);
  });

  it("a DMS table that gained a column: older headerless files without it, with and without the timestamp", async () => {
    const files = new ScenarioFiles(path.join(root, "gained-files"), gainedColumn);
    const at = (h: number) => `2026-11-21T0${h}:00:00.000Z`;
    const row = (id: number, status: string) => `${id},100,2026-11-01 09:00:00,${status},10.00`;
    const sent = [
      files.file("LOAD00000001.csv", `${row(1, "paid")}\n${row(2, "paid")}\n`, at(1)),
      files.file("20261101-100000000.csv", `U,${row(1, "shipped")},2026-11-01 10:00:00.000000\nU,${row(3, "shipped")},2026-11-01 10:00:00.000000\n`, at(2)),
      files.file("20261101-110000000.csv", `U,${row(1, "delivered")},SAVE10,2026-11-01 11:00:00.000000\nU,${row(2, "lost")},,2026-11-01 11:00:00.000000\n`, at(3)),
    ];
    const manifest = { version: 1 as const, dataset: gainedColumn.name, runId: "run-gained-1", createdAt: at(3), files: sent };
    await runBoth(gainedColumn, [{ label: "gained-1", manifest }]);
  });

  it("DMS Parquet (DataFormat=parquet) in a dms dataset: a full load without Op, then a CDC file with Op", async () => {
    await runBoth(DATASETS.find((d) => d.name === "orders")!, await dmsParquetScenario(path.join(root, "dms-parquet-files")));
  });
});
