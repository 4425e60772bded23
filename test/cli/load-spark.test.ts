// @spark `datalake load --engine spark` through the real CLI process (its own JVM, as a user runs
// it): the same summary and the same silver and quarantine as `--engine duckdb`, read back with
// `query --json` through a pipe; the models the load affects are rebuilt on its engine; a
// workspace of one engine refuses the other. A test of several loads runs the verb in-process.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import type { RunSummary } from "../../engine/contracts";
import { closeSharedSparkServer, icebergWarehouse } from "../../engine/spark";
import { generateDataset } from "../../local/generator";
import { summaryView } from "../parity/tables";
import { cli, runProcess, tempDir } from "./helpers";

const datalake = (...args: string[]) => runProcess(args);

describe("@spark datalake load --engine spark (real CLI processes)", function () {
  this.timeout(10 * 60_000);
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir("datalake-cli-spark-")));
  after(() => cleanup());

  it("loads like --engine duckdb, query reads the Iceberg tables, and the other engine is refused", async () => {
    const paths = generateDataset("orders", { format: "csv", seed: 31, rows: 200, files: 2, badShare: 0.1, outDir: join(dir, "gen") });
    const sparkWs = join(dir, "spark");
    const duckWs = join(dir, "duck");

    const spark = await datalake("load", "--engine", "spark", "--dataset", "orders", "--workspace", sparkWs, "--json", ...paths);
    const duck = await datalake("load", "--dataset", "orders", "--workspace", duckWs, "--json", ...paths);

    expect(spark.code, spark.stderr).to.equal(0);
    expect(duck.code, duck.stderr).to.equal(0);
    const [s] = JSON.parse(spark.stdout) as RunSummary[];
    const [d] = JSON.parse(duck.stdout) as RunSummary[];
    expect(summaryView(s)).to.deep.equal(summaryView(d));
    expect(s.counts.silverRows).to.be.greaterThan(0);
    // The models orders feeds, on each load's own engine: dim_date (never published, facts read
    // it) built, the facts skipped (their dimensions never published); versions differ by engine.
    const modelLines = (stderr: string) =>
      stderr.split("\n").filter((l) => l.startsWith("model ")).map((l) => l.replace(/built \S+,/, "built <version>,"));
    expect(modelLines(spark.stderr)).to.deep.equal(modelLines(duck.stderr));
    expect(modelLines(spark.stderr)).to.deep.equal([
      "model dim_date: built <version>, 4019 rows, 3 audits passed",
      "model fact_orders: skipped: dim_customer never published",
      "model fact_order_items: skipped: dim_product, dim_customer never published",
      "model fact_payments: skipped: dim_customer never published",
    ]);
    const dates = "SELECT date_key, full_date, fiscal_year FROM dim_date ORDER BY date_key";
    const ds = await datalake("query", "--workspace", sparkWs, "--json", dates);
    expect(ds.code, ds.stderr).to.equal(0);
    expect(JSON.parse(ds.stdout)).to.deep.equal(JSON.parse((await datalake("query", "--workspace", duckWs, "--json", dates)).stdout));

    const sql = "SELECT order_id, status, total_amount, order_ts, cdc_ts FROM orders ORDER BY order_id";
    const qs = await datalake("query", "--workspace", sparkWs, "--json", sql);
    const qd = await datalake("query", "--workspace", duckWs, "--json", sql);
    expect(qs.code, qs.stderr).to.equal(0);
    expect(JSON.parse(qs.stdout)).to.deep.equal(JSON.parse(qd.stdout));
    const quarantine = "SELECT order_id, _reasons FROM quarantine_orders ORDER BY order_id";
    expect(JSON.parse((await datalake("query", "--workspace", sparkWs, "--json", quarantine)).stdout)).to.deep.equal(
      JSON.parse((await datalake("query", "--workspace", duckWs, "--json", quarantine)).stdout),
    );

    const mixed = await datalake("load", "--dataset", "orders", "--workspace", sparkWs, paths[0]);
    expect(mixed.code).to.equal(1);
    expect(mixed.stderr.trim()).to.match(/^datalake load: workspace .* holds spark tables; load --engine duckdb into another --workspace$/);
  });
});

// The same verb in-process (main(argv), as `datalake` runs it): every load of one workspace then
// runs on the one local Glue the process starts for it, where four CLI processes started four
// JVMs: 114 s of a full mocha run, 61 s in-process (2 cores).
describe("@spark datalake load --engine spark (in-process, one local Glue for the workspace)", function () {
  this.timeout(10 * 60_000);
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir("datalake-cli-spark-")));
  after(async () => {
    await closeSharedSparkServer(icebergWarehouse(join(dir, "spark-undo")));
    cleanup();
  });

  it("loads bytes changed back to a version loaded before as a new version, as --engine duckdb does (the Iceberg files ledger names it)", async () => {
    const ws = join(dir, "spark-undo");
    const file = join(dir, "undo.csv");
    const order = (status: string) => `Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts\nI,1,10,2026-11-01 09:00:00,${status},5.00,2026-11-01 09:00:00\n`;
    const outcomes: string[] = [];
    for (const status of ["pending", "paid", "pending", "pending"]) {
      writeFileSync(file, order(status));
      const load = await cli("load", "--engine", "spark", "--no-build", "--dataset", "orders", "--workspace", ws, "--json", file);
      expect(load.code, load.stderr).to.equal(0);
      outcomes.push((JSON.parse(load.stdout) as RunSummary[])[0].files[0].outcome);
    }

    const silver = await cli("query", "--workspace", ws, "--json", "SELECT status FROM orders");

    expect(outcomes).to.deep.equal(["LOADED", "LOADED", "LOADED", "ALREADY_LOADED"]);
    expect(JSON.parse(silver.stdout)).to.deep.equal([{ status: "pending" }]);
  });
});
