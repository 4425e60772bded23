import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { basename, join } from "path";
import { DATASETS, getDataset } from "../../datasets";
import { generateDataset, generateInMemory, MemoryFile, readCsvRows, sameShapeReferences } from "../../local/generator";
import { parseTimestampMicros } from "../../local/generator/parse-values";
import { profileFor } from "../../local/generator/generate";
import { Rng } from "../../local/generator/prng";
import { headerlessLayout } from "../../engine/file-layout";

type Raw = Record<string, string | null>;
const TS6 = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;

/** Rows of the change files with their file, keeping only rows whose key, cdc_ts and Op are valid. */
function validChanges(files: MemoryFile[], keyColumn: string): (Raw & { file: string })[] {
  return files
    .filter((f) => !basename(f.key).startsWith("LOAD"))
    .flatMap((f) => readCsvRows(f.content).map((r) => ({ ...r, file: f.key }) as Raw & { file: string }))
    .filter((r) => /^\d+$/.test(r[keyColumn] ?? "") && parseTimestampMicros(r.cdc_ts ?? "") !== undefined && ["I", "U", "D"].includes(r.Op ?? ""));
}

describe("sample-data generator", () => {
  it("writes the same bytes for the same seed and different bytes for another seed", () => {
    const options = { rows: 600, files: 3, badShare: 0.1 };

    const a = generateInMemory("orders", { format: "csv", seed: 42, ...options }).files;
    const b = generateInMemory("orders", { format: "csv", seed: 42, ...options }).files;
    const c = generateInMemory("orders", { format: "csv", seed: 43, ...options }).files;

    expect(b).to.deep.equal(a);
    expect(c.map((f) => f.content)).to.not.deep.equal(a.map((f) => f.content));
  });

  it("streams to disk exactly what it generates in memory, full load first", () => {
    const dir = mkdtempSync(join(tmpdir(), "datalake-gen-"));
    try {
      const paths = generateDataset("payments", { format: "csv", seed: 5, rows: 500, files: 3, outDir: dir });
      const memory = generateInMemory("payments", { format: "csv", seed: 5, rows: 500, files: 3 }).files;

      expect(paths.map((p) => p.slice(dir.length + 1))).to.deep.equal(memory.map((f) => f.key));
      expect(paths.map((p) => readFileSync(p, "utf8"))).to.deep.equal(memory.map((f) => f.content));
      expect(basename(paths[0])).to.equal("LOAD00000001.csv");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes a DMS full load without Op and timestamped change files with Op first", () => {
    const { files, report } = generateInMemory("customers", { format: "csv", seed: 1, rows: 400, files: 4 });

    const [load, ...changes] = files;
    expect(load.key).to.equal("customers/LOAD00000001.csv");
    expect(load.content.split("\n")[0]).to.equal("customer_id,email,country,signup_date,cdc_ts");
    expect(changes).to.have.length(4);
    for (const f of changes) {
      expect(f.key).to.match(/^customers\/\d{8}-\d{9}\.csv$/);
      expect(f.content.split("\n")[0]).to.equal("Op,customer_id,email,country,signup_date,cdc_ts");
    }
    expect(report.files.reduce((n, f) => n + f.rows, 0)).to.equal(400);
    expect(files.reduce((n, f) => n + readCsvRows(f.content).length, 0)).to.equal(400);
  });

  describe("contains every CDC feature (orders, 3000 rows)", () => {
    const { files, report } = generateInMemory("orders", { format: "csv", seed: 11, rows: 3000, files: 4, badShare: 0.05 });
    const changes = validChanges(files, "order_id");
    const tsMicros = (ts: string): number => Number(parseTimestampMicros(ts));

    it("has inserts, updates and deletes", () => {
      const ops = new Set(changes.map((r) => r.Op));

      expect([...ops].sort()).to.deep.equal(["D", "I", "U"]);
    });

    it("re-inserts deleted keys", () => {
      const deletedAt = new Map<string, number>();
      for (const r of changes) if (r.Op === "D") deletedAt.set(r.order_id as string, tsMicros(r.cdc_ts as string));

      const reinserted = changes.filter((r) => r.Op === "I" && tsMicros(r.cdc_ts as string) > (deletedAt.get(r.order_id as string) ?? Infinity));

      expect(reinserted.length).to.be.greaterThan(0);
    });

    it("has a later file name holding earlier cdc_ts (out-of-order files)", () => {
      const maxTs = (key: string) => Math.max(...changes.filter((r) => r.file === key).map((r) => tsMicros(r.cdc_ts as string)));
      const names = files.slice(1).map((f) => f.key);

      const outOfOrder = names.some((a, i) => names.slice(i + 1).some((b) => maxTs(b) < maxTs(a)));

      expect(outOfOrder).to.equal(true);
    });

    it("has duplicate rows", () => {
      const lines = files.slice(1).flatMap((f) => f.content.split("\n").slice(1).filter(Boolean));

      expect(new Set(lines).size).to.be.lessThan(lines.length);
    });

    it("has equal cdc_ts for one key with different values, within a file and across files", () => {
      const groups = new Map<string, (Raw & { file: string })[]>();
      for (const r of changes) {
        const k = `${r.order_id}@${r.cdc_ts}`;
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      const ties = [...groups.values()].filter((g) => new Set(g.map((r) => JSON.stringify({ ...r, file: "" }))).size > 1);

      expect(ties.some((g) => new Set(g.map((r) => r.file)).size === 1)).to.equal(true);
      expect(ties.some((g) => new Set(g.map((r) => r.file)).size > 1)).to.equal(true);
    });

    it("writes microsecond cdc_ts (and some with fewer digits)", () => {
      const stamps = changes.map((r) => r.cdc_ts as string);

      expect(stamps.filter((t) => TS6.test(t)).length).to.be.greaterThan(stamps.length / 2);
      expect(stamps.some((t) => !TS6.test(t))).to.equal(true);
    });

    it("has late changes older than a delete of the same key", () => {
      const deletes = changes.filter((r) => r.Op === "D");

      const lateAfterDelete = changes.some((r) =>
        deletes.some((d) => d.order_id === r.order_id && d.file < r.file && tsMicros(r.cdc_ts as string) < tsMicros(d.cdc_ts as string)),
      );

      expect(lateAfterDelete).to.equal(true);
    });

    it("has every kind of bad row, at about the configured share", () => {
      const bad = Object.entries(report.kinds).filter(([k]) => k.startsWith("quarantine:") || k.startsWith("reject:"));
      const badRows = bad.reduce((n, [, c]) => n + c, 0);

      expect(bad.map(([k]) => k)).to.include.members([
        "reject:bad_key",
        "reject:bad_cdc_ts",
        "reject:bad_op",
        "quarantine:unknown_status",
        "quarantine:negative_amount",
        "quarantine:bad_type:order_ts",
        "quarantine:bad_type:customer_id",
      ]);
      expect(bad.some(([k]) => k.startsWith("quarantine:null_required:"))).to.equal(true);
      expect(badRows).to.be.within(3000 * 0.025, 3000 * 0.1);
    });
  });

  for (const spec of DATASETS) {
    it(`makes every corruption of ${spec.name} and matches its spec's columns`, () => {
      const { files, report } = generateInMemory(spec.name, { format: "csv", seed: 3, rows: 3000, files: 2, badShare: 0.3 });

      const kinds = Object.keys(report.kinds).filter((k) => k.startsWith("quarantine:"));
      expect(kinds.length).to.be.at.least(profileFor(spec).corruptions.length);
      expect(files[0].content.split("\n")[0]).to.equal(spec.columns.map((c) => c.name).join(","));
    });
  }

  it("never puts a bad Op in a headerless DMS file's first record, whose layout decides the file (a bad row, not a file quarantined whole)", () => {
    const spec = getDataset("shipments");
    const misfits: string[] = [];

    for (let seed = 1; seed <= 20; seed++) {
      const { files, report } = generateInMemory(spec.name, { format: "dms-csv", seed, rows: 400, files: 4, badShare: 0.5 });
      for (const f of files.filter((file) => !basename(file.key).startsWith("LOAD"))) {
        const first = f.content.split("\n")[0].split(",");
        const layout = headerlessLayout({ fileName: f.key, first, columns: report.columns, opColumn: "Op", timestampColumn: "cdc_ts" });
        if ("reason" in layout) misfits.push(`seed ${seed} ${f.key}: ${layout.reason}`);
      }
      expect(report.kinds["reject:bad_op"] ?? 0, `seed ${seed}: bad Ops elsewhere`).to.be.greaterThan(0);
    }

    expect(misfits).to.deep.equal([]);
  });

  it("references the keys of datasets generated with the same shape (orders name generated customers, items name orders and products)", () => {
    const shape = { rows: 400, files: 3, badShare: 0 };
    const references = sameShapeReferences(shape);
    const keysOf = (name: string, column: string): Set<string> => {
      const load = generateInMemory(name, { format: "csv", seed: 3, ...shape }).files.filter((f) => basename(f.key).startsWith("LOAD"));
      return new Set(load.flatMap((f) => readCsvRows(f.content).map((r) => r[column] as string)));
    };
    const refsOf = (name: string, column: string, options: object = { references }): string[] =>
      generateInMemory(name, { format: "csv", seed: 9, ...shape, ...options }).files.flatMap((f) => readCsvRows(f.content).map((r) => r[column] as string));
    const customers = keysOf("customers", "customer_id");
    const orders = keysOf("orders", "order_id");
    const products = keysOf("products", "product_id");
    expect(customers.size).to.equal(references.customers);

    for (const [name, column, keys] of [["orders", "customer_id", customers], ["order_items", "order_id", orders], ["order_items", "product_id", products], ["payments", "order_id", orders], ["shipments", "order_id", orders]] as const) {
      const named = refsOf(name, column);
      expect(named.length, `${name}.${column}`).to.be.greaterThan(100);
      expect(named.filter((k) => !keys.has(k)), `${name}.${column} naming no generated key`).to.deep.equal([]);
    }
    // Without references (a dataset generated on its own) the ranges are the large defaults.
    const alone = refsOf("orders", "customer_id", {});
    expect(alone.filter((k) => !customers.has(k)).length).to.be.greaterThan(alone.length / 2);
  });

  it("writes no bad rows with badShare 0 and plain daily batches without anomalies", () => {
    const { files, report } = generateInMemory("orders", { format: "csv", seed: 9, rows: 2000, files: 5, badShare: 0, anomalies: false });

    expect(Object.keys(report.kinds).sort()).to.deep.equal(["delete", "insert", "update"]);
    const maxTs = files.slice(1).map((f) => readCsvRows(f.content).map((r) => r.cdc_ts as string).sort().pop());
    expect(maxTs).to.deep.equal([...maxTs].sort());
    expect(files.slice(1).map((f) => f.key)).to.deep.equal(files.slice(1).map((f) => f.key).sort());
  });

  it("uses its own seeded PRNG (same sequence for the same seed)", () => {
    const a = new Rng(7);
    const b = new Rng(7);

    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    const seqB = Array.from({ length: 5 }, () => b.nextUint32());

    expect(seqA).to.deep.equal(seqB);
    expect(new Set(seqA).size).to.equal(5);
  });

  it("fails with a clear error for an unknown dataset", () => {
    expect(() => generateInMemory("nope", { format: "csv", seed: 1, rows: 10 })).to.throw(/unknown dataset "nope"/);
  });

  it("reads its output back as the spec's columns", () => {
    const { files } = generateInMemory("products", { format: "csv", seed: 2, rows: 300 });

    const rows = files.flatMap((f) => readCsvRows(f.content));

    expect(rows.some((r) => r.brand === "Umbrella, Inc.")).to.equal(true);
    expect(rows.some((r) => r.brand === 'The "Best" Co')).to.equal(true);
    expect(Object.keys(rows[0])).to.deep.equal(getDataset("products").columns.map((c) => c.name));
  });
});
