import { expect } from "chai";
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "fs";
import { join } from "path";
import { DATASETS, getDataset } from "../../datasets";
import type { RunSummary } from "../../engine/contracts";
import { expectedState, generateDataset } from "../../local/generator";
import { csv } from "../local/support";
import { cli, cliWith, queryJson, tempDir } from "./helpers";

const sourceFiles = (root: string, paths: string[]) =>
  paths.map((p) => ({ key: p.slice(root.length + 1), content: readFileSync(p, "utf8") }));

describe("datalake load + query (end to end, in-process)", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-")));
  afterEach(() => cleanup());

  for (const spec of DATASETS) {
    it(`loads generated ${spec.name} files and publishes exactly the oracle's silver and quarantine keys`, async () => {
      const out = join(dir, "gen");
      const workspace = join(dir, "ws");
      const paths = generateDataset(spec.name, { format: "csv", seed: 21, rows: 240, files: 3, badShare: 0.1, outDir: out });
      const expected = expectedState(spec, sourceFiles(out, paths));
      const key = spec.primaryKey[0];

      const load = await cli("load", "--dataset", spec.name, "--workspace", workspace, "--json", ...paths);
      const silver = await queryJson(workspace, `SELECT ${key} AS k, _source_key, _row_number FROM ${spec.target.table}`);
      const quarantine = await queryJson(workspace, `SELECT ${key} AS k FROM quarantine_${spec.name}`);
      const sorted = (keys: string[]) => [...keys].sort();

      expect(load.code, load.stderr).to.equal(0);
      const [summary] = JSON.parse(load.stdout) as RunSummary[];
      expect(summary.status).to.equal("SUCCEEDED");
      expect(summary.files.map((f) => f.outcome)).to.deep.equal(paths.map(() => "LOADED"));
      expect(summary.counts.rowsRead).to.equal(expected.rowsRead);
      expect(summary.counts.rejectedRows).to.equal(expected.rejectedRows);
      expect(sorted(silver.map((r) => String(r.k)))).to.deep.equal(sorted(expected.silverKeys));
      // The winning change of every key (ties included) is the one the contract picks.
      const byKey = new Map(silver.map((r) => [String(r.k), r]));
      const picked = expected.silverKeys.map((k) => [k, byKey.get(k)?._source_key, Number(byKey.get(k)?._row_number)]);
      const winners = expected.silverKeys.map((k) => [k, expected.current.get(k)?.sourceKey, expected.current.get(k)?.rowNumber]);
      expect(picked).to.deep.equal(winners);
      expect(sorted(quarantine.map((r) => String(r.k)))).to.deep.equal(sorted(expected.quarantineKeys));
      expect(expected.quarantineKeys.length).to.be.greaterThan(0);
    });
  }

  it("loads a folder's files, recursively in path order, skipping names starting with . or _ (as Spark does)", async () => {
    const folder = join(dir, "dms out");
    mkdirSync(join(folder, "2026", "11", "30"), { recursive: true });
    mkdirSync(join(folder, "_temporary"), { recursive: true });
    const header = "order_id,customer_id,order_ts,status,total_amount";
    writeFileSync(join(folder, "a.csv"), `${header}\n1,10,2026-11-01 10:00:00,paid,10.50\n`);
    writeFileSync(join(folder, "2026", "11", "30", "b.csv"), `${header}\n2,10,2026-11-01 10:00:00,paid,1.00\n`);
    writeFileSync(join(folder, "_SUCCESS"), "");
    writeFileSync(join(folder, ".DS_Store"), "\u0000\u0001");
    writeFileSync(join(folder, "_temporary", "c.csv"), `${header}\n3,10,2026-11-01 10:00:00,paid,1.00\n`);
    const workspace = join(dir, "ws");

    const run = await cli("load", "--dataset", "orders", "--workspace", workspace, "--json", "--no-build", folder);

    expect(run.code, run.stderr).to.equal(0);
    const [summary] = JSON.parse(run.stdout) as RunSummary[];
    // In path order: "2026/11/30/b.csv" before "a.csv".
    expect(summary.files.map((f) => [f.key, f.outcome])).to.deep.equal([
      ["orders/b.csv", "LOADED"],
      ["orders/a.csv", "LOADED"],
    ]);
    expect((await queryJson(workspace, "SELECT order_id FROM orders ORDER BY 1")).map((r) => Number(r.order_id))).to.deep.equal([1, 2]);
    const empty = join(dir, "empty");
    mkdirSync(join(empty, "sub"), { recursive: true });
    const none = await cli("load", "--dataset", "orders", "--workspace", workspace, empty);
    expect([none.code, none.stderr.trim()]).to.deep.equal([1, `datalake load: no files in ${empty}`]);
  });

  it("gives the same silver when the files arrive one run at a time in reverse order", async () => {
    const spec = getDataset("orders");
    const out = join(dir, "gen");
    const paths = generateDataset("orders", { format: "csv", seed: 8, rows: 300, files: 4, badShare: 0.05, outDir: out });
    const expected = expectedState(spec, sourceFiles(out, paths));
    const workspace = join(dir, "ws");

    for (const path of [...paths].reverse()) {
      const run = await cli("load", "--dataset", "orders", "--workspace", workspace, path);
      expect(run.code, run.stderr).to.equal(0);
    }
    const silver = await queryJson(workspace, "SELECT order_id FROM orders ORDER BY 1");

    expect(silver.map((r) => String(r.order_id))).to.deep.equal(expected.silverKeys);
  });

  it("reports a reloaded file as ALREADY_LOADED and leaves silver unchanged", async () => {
    const out = join(dir, "gen");
    const workspace = join(dir, "ws");
    const paths = generateDataset("products", { format: "csv", seed: 4, rows: 120, files: 1, outDir: out });
    await cli("load", "--dataset", "products", "--workspace", workspace, ...paths);
    const before = await queryJson(workspace, "SELECT count(*) AS n, sum(unit_price) AS s FROM products");

    const again = await cli("load", "--dataset", "products", "--workspace", workspace, ...paths);
    const after = await queryJson(workspace, "SELECT count(*) AS n, sum(unit_price) AS s FROM products");

    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/SKIPPED\s+products\/LOAD00000001\.csv.*already_loaded/);
    expect(after).to.deep.equal(before);
  });

  describe("bytes changed back to a version loaded before (an undo)", () => {
    /** One order whose status is `status`, at the same cdc_ts in every version: only arrival orders them. */
    const order = (status: string) =>
      csv(["Op", "order_id", "customer_id", "order_ts", "status", "total_amount", "cdc_ts"], [["I", 1, 7, "2026-10-31 09:00:00", status, "12.50", "2026-11-01 10:00:00"]]);

    /** `load` of `file` with `content` (and, when given, that mtime): its one file's outcome and silver's status. */
    async function loadAs(workspace: string, file: string, content: string, mtime?: Date): Promise<[string, unknown]> {
      writeFileSync(file, content);
      if (mtime) utimesSync(file, mtime, mtime);
      const run = await cli("load", "--dataset", "orders", "--workspace", workspace, "--no-build", "--json", file);
      expect(run.code, run.stderr).to.equal(0);
      const [summary] = JSON.parse(run.stdout) as RunSummary[];
      const [silver] = await queryJson(workspace, "SELECT status FROM orders WHERE order_id = 1");
      return [summary.files[0].outcome, silver.status];
    }

    it("loads them as a new version that wins over the bytes in between, as a PUT on S3; loaded again in a row, ALREADY_LOADED", async () => {
      const workspace = join(dir, "ws");
      const file = join(dir, "exports", "orders.csv");
      mkdirSync(join(dir, "exports"));

      const runs = [];
      for (const status of ["pending", "paid", "pending", "pending", "paid"]) runs.push(await loadAs(workspace, file, order(status)));

      expect(runs).to.deep.equal([
        ["LOADED", "pending"],
        ["LOADED", "paid"],
        ["LOADED", "pending"],
        ["ALREADY_LOADED", "pending"],
        ["LOADED", "paid"],
      ]);
    });

    it("orders the copy after the bytes in between when it kept its old modification time (cp -p, mv of a backup)", async () => {
      const workspace = join(dir, "ws");
      const file = join(dir, "orders.csv");
      const v1At = new Date("2026-11-02T00:00:00Z");

      const runs = [
        await loadAs(workspace, file, order("pending"), v1At),
        await loadAs(workspace, file, order("paid"), new Date("2026-11-03T00:00:00Z")),
        await loadAs(workspace, file, order("pending"), v1At),
      ];

      expect(runs).to.deep.equal([
        ["LOADED", "pending"],
        ["LOADED", "paid"],
        ["LOADED", "pending"],
      ]);
    });
  });

  it("rebuilds the same silver with --full-refresh", async () => {
    const out = join(dir, "gen");
    const workspace = join(dir, "ws");
    const paths = generateDataset("customers", { format: "csv", seed: 6, rows: 150, files: 2, outDir: out });
    await cli("load", "--dataset", "customers", "--workspace", workspace, ...paths);
    const before = await queryJson(workspace, "SELECT customer_id, email, country FROM customers ORDER BY 1");

    const refresh = await cli("load", "--dataset", "customers", "--workspace", workspace, "--full-refresh", paths[0]);
    const after = await queryJson(workspace, "SELECT customer_id, email, country FROM customers ORDER BY 1");

    expect(refresh.code, refresh.stderr).to.equal(0);
    expect(after).to.deep.equal(before);
  });

  it("prints a readable per-file table and the run counts", async () => {
    const out = join(dir, "gen");
    const paths = generateDataset("payments", { format: "csv", seed: 2, rows: 60, files: 1, outDir: out });

    const run = await cli("load", "--dataset", "payments", "--workspace", join(dir, "ws"), ...paths);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^status\s+file\s+read\s+loaded\s+quarantined\s+rejected/);
    expect(run.stdout).to.match(/SUCCEEDED\s+payments\/LOAD00000001\.csv\s+\d+/);
    expect(run.stdout).to.match(/payments run cli-\S+: SUCCEEDED; read 60, rejected \d+, current \d+ = silver \d+ \+ quarantine \d+/);
  });

  it("warns when every row of a file is rejected (another dataset's file), and a full refresh of no file lists no files", async () => {
    const ws = join(dir, "ws");
    const file = join(dir, "cust-change.csv");
    // A headerless customers change file given to orders: I/U is read as order_id.
    writeFileSync(file, "I,1,Ann,ann@x.com,2026-11-01 09:00:00\nU,2,Bob,bob@x.com,2026-11-01 09:00:00\n");

    const run = await cli("load", "--dataset", "orders", "--no-build", "--workspace", ws, file);
    const refresh = await cli("load", "--dataset", "orders", "--no-build", "--full-refresh", "--workspace", ws);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("warning: every row of orders/cust-change.csv was rejected (rejects_orders says why): is it a file of dataset orders, its columns in the spec's order?");
    expect(refresh.code, refresh.stderr).to.equal(0);
    expect(refresh.stdout).to.match(/^orders run cli-\S+: SUCCEEDED; read 0/);
  });

  it("reports each engine step on stderr when a person watches a terminal, and stays quiet in scripts", async () => {
    const paths = generateDataset("payments", { format: "csv", seed: 2, rows: 60, files: 1, outDir: join(dir, "gen") });

    const terminal = await cliWith({ interactive: true }, "load", "--dataset", "payments", "--workspace", join(dir, "a"), ...paths);
    const script = await cli("load", "--dataset", "payments", "--workspace", join(dir, "b"), ...paths);

    expect(terminal.code, terminal.stderr).to.equal(0);
    expect(terminal.stderr).to.match(/^\[\d+ ms\] read_files: \d+ file\(s\) accepted/m);
    expect(terminal.stderr).to.match(/^\[\d+ ms\] publish: version v000001$/m);
    expect(script.stderr).to.equal("");
    expect(script.stdout).to.equal(terminal.stdout.replace(/cli-\S+:/, script.stdout.match(/cli-\S+:/)![0]));
  });

  it("prints query results as a table with a row count", async () => {
    const out = join(dir, "gen");
    const workspace = join(dir, "ws");
    const paths = generateDataset("shipments", { format: "csv", seed: 2, rows: 40, files: 1, outDir: out });
    await cli("load", "--dataset", "shipments", "--workspace", workspace, ...paths);

    const run = await cli("query", "--workspace", workspace, "SELECT 'a' AS x, 7 AS n, NULL AS z UNION ALL SELECT 'bb', 12, NULL");

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout.split("\n")).to.deep.equal(["x    n  z", "--  --  ----", "a    7  NULL", "bb  12  NULL", "(2 rows)"]);
  });
});
