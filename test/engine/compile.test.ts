// compilePlan is pure data: serializable, mode-aware, dialect-specific only through the table.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { expect } from "chai";
import { DATASETS, getDataset } from "../../datasets";
import { compilePlan, ruleLabel, stepsFor } from "../../engine";
import { stepsAfterSwitch } from "../../engine/plan";

describe("engine: compilePlan", () => {
  it("produces plain JSON: a plan survives a JSON round trip unchanged", () => {
    for (const spec of DATASETS) {
      for (const dialect of ["duckdb", "spark"] as const) {
        const plan = compilePlan(spec, { dialect });
        expect(JSON.parse(JSON.stringify(plan)), `${spec.name}/${dialect}`).to.deep.equal(plan);
      }
    }
  });

  it("does not load DuckDB when the pure engine entry is imported (the Pulumi program imports it)", () => {
    const root = path.resolve(__dirname, "../..");
    const script =
      "require('ts-node').register({ transpileOnly: true });" +
      "require('./engine');" +
      "process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('@duckdb'))));";
    const loaded = execFileSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });

    expect(loaded).to.equal("false");
  });

  it("holds both modes unless compiled for one, and stepsFor picks the right state source", () => {
    const spec = getDataset("orders");
    const both = compilePlan(spec, { dialect: "duckdb" });
    const refreshOnly = compilePlan(spec, { dialect: "duckdb", fullRefresh: true });

    const reads = (mode: "incremental" | "full_refresh") =>
      stepsFor(both, mode).flatMap((s) => (s.kind === "read_table" ? [s.table] : []));
    // A dms dataset also reads the files ledger in both modes (its load generations); keep_previous
    // also bronze, for the keys a late change re-fills (refill_keys: rows read only for those).
    // A full refresh reads rejects: bronze rows rejected when read are accounted for already.
    expect(reads("incremental")).to.deep.equal(["files", "bronze", "state"]);
    expect(reads("full_refresh")).to.deep.equal(["files", "bronze", "rejects"]);
    expect(refreshOnly.modes).to.deep.equal(["full_refresh"]);
    expect(() => stepsFor(refreshOnly, "incremental")).to.throw(/compiled for full_refresh/);
  });

  it("a dms plan checks for a full refresh after the steps both modes run, and a switch continues with the full refresh's steps", () => {
    for (const spec of DATASETS) {
      const plan = compilePlan(spec, { dialect: "duckdb" });
      const at = plan.steps.findIndex((s) => s.kind === "refresh_check");
      expect(at >= 0, spec.name).to.equal(spec.format === "dms");
      if (at < 0) continue;
      expect(plan.steps.slice(0, at).every((s) => s.when === undefined), `${spec.name}: steps before the check`).to.equal(true);
      const ran = stepsFor(plan, "incremental");
      const check = ran.find((s) => s.kind === "refresh_check")!;
      const switched = stepsAfterSwitch(plan, ran, check);
      const full = stepsFor(plan, "full_refresh");
      // The switched run is the full refresh's, with the check where the incremental run had it.
      expect(switched.filter((s) => s !== check)).to.deep.equal(full);
      expect(switched.indexOf(check)).to.equal(ran.indexOf(check));
    }
  });

  it("renders dialect differences through the function table only", () => {
    const spec = getDataset("customers");
    const duck = JSON.stringify(compilePlan(spec, { dialect: "duckdb" }).steps);
    const spark = JSON.stringify(compilePlan(spec, { dialect: "spark" }).steps);

    expect(duck).to.include("regexp_matches(").and.not.include("RLIKE");
    expect(spark).to.include(" RLIKE ").and.not.include("regexp_matches");
    expect(spark).to.include("`customer_id`");
  });

  it("computes state_winners once on Spark (the state delta reads it three times), and keeps it a view on DuckDB", () => {
    const spec = getDataset("orders"); // dms keep_previous: winners, then fill chain
    const step = (dialect: "duckdb" | "spark", name: string) => {
      const found = compilePlan(spec, { dialect }).steps.find((s) => s.kind === "sql" && s.name === name);
      return found?.kind === "sql" ? found : undefined;
    };
    const reads = (sql: string) => sql.match(/\bstate_winners\b/g)?.length ?? 0;
    const readers = ["fill_chain", "state_delta"].map((name) => reads(step("spark", name)!.sql));

    expect(readers.reduce((a, b) => a + b, 0), "reads of state_winners (fill_chain, state_delta)").to.be.greaterThan(1);
    expect(step("spark", "state_winners")?.materialize).to.equal("table");
    expect(step("duckdb", "state_winners")?.materialize).to.equal("view");
  });

  it("labels rules with the names datasets/validate.ts gives them", () => {
    const labels = (name: string) => getDataset(name).rules.map(ruleLabel);

    expect(labels("orders")).to.deep.equal([
      "not_null:customer_id",
      "not_null:order_ts",
      "not_null:status",
      "not_null:total_amount",
      "accepted_values:status",
      "range:total_amount",
    ]);
    expect(labels("shipments")).to.deep.equal(["delivered_before_shipped"]);
    expect(labels("customers")).to.deep.equal(["regex:country"]);
  });

  it("declares the tables with lineage, partitions and reasons", () => {
    const plan = compilePlan(getDataset("orders"), { dialect: "spark" });
    const names = (role: keyof typeof plan.tables) => plan.tables[role].columns.map((c) => c.name);

    expect(plan.tables.silver).to.include({ name: "orders", writeMode: "replace" });
    expect(plan.tables.silver.partitionBy).to.deep.equal(["order_year", "order_month"]);
    expect(names("silver")).to.include.members(["order_year", "order_month", "_source_key", "_row_number"]);
    expect(names("bronze").slice(-7)).to.deep.equal(["_op", "_source_key", "_source_version", "_file_id", "_row_number", "_run_id", "_data_date"]);
    expect(plan.tables.bronze.partitionBy).to.deep.equal(["_data_date"]);
    expect(names("quarantine")).to.include("_reasons");
    expect(plan.tables.rejects).to.include({ name: "rejects_orders", writeMode: "append" });
    expect(plan.publish.order[plan.publish.order.length - 1], "the ledger commits last").to.equal("files");
  });
});
