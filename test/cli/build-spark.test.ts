// @spark `datalake build` on a workspace loaded with `--engine spark`: every model of the
// reference star built by the Glue model job on local Spark + Iceberg (engine/spark/build-model.ts)
// holds exactly the rows the DuckDB build gives for the same generated files and the same PII key,
// read back through `query` (DuckDB over the Iceberg tables); same --json summary shape. The
// spark workspace is loaded through one Spark server (runLoadSpark, what `load --engine spark`
// runs), not a JVM per dataset, and `build` finds that server: on two shared cores a JVM start
// and its warm-up are minutes.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { DATASETS } from "../../datasets";
import type { ModelSummary } from "../../engine/duckdb/build-models";
import { modelDir } from "../../engine/duckdb/build-model";
import { currentSegments } from "../../engine/duckdb/segments";
import { compileModel } from "../../engine/models";
import { PII_KEY_FILE } from "../../engine/pii-key";
import { icebergWarehouse, runLoadSpark, sharedSparkServer } from "../../engine/spark";
import { manifestForFiles } from "../../local/cli-manifest";
import { generateDataset } from "../../local/generator";
import { claimWorkspaceEngine } from "../../local/workspace-engine";
import { MODELS } from "../../models";
import { drop, ordersCsv } from "../local/support";
import { cli, queryJson, tempDir } from "./helpers";

/** dim_date's rows: a day per date of the reference range 2020-01-01..2030-12-31, plus the unknown member. */
const DIM_DATE_ROWS = (Date.UTC(2030, 11, 31) - Date.UTC(2020, 0, 1)) / 86_400_000 + 1 + 1;

/** Every column as text, rows sorted: the form both engines' tables compare in. */
async function canonicalRows(workspace: string, model: string): Promise<string[]> {
  const plan = compileModel(MODELS.find((m) => m.name === model)!, { dialect: "duckdb", datasets: DATASETS, models: MODELS });
  const cols = plan.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(", ");
  const rows = await queryJson(workspace, `SELECT ${cols} FROM ${model}`);
  return rows.map((r) => JSON.stringify(plan.columns.map((c) => r[c.name] ?? null))).sort();
}

/** How the current version was written: a delta on the previous one (a DuckDB segment), or whole. */
function duckdbWrite(workspace: string, model: string): "delta" | "whole" {
  const segments = currentSegments(modelDir(workspace, model))!.segments;
  return segments.length > 1 && segments[segments.length - 1].keys ? "delta" : "whole";
}

/**
 * The same on Spark, from the table's newest Iceberg metadata (the local warehouse's files): a
 * delta ends in the INSERT of the recomputed rows (`append`), a whole write is an INSERT OVERWRITE.
 */
function sparkWrite(workspace: string, model: string): "delta" | "whole" {
  const dir = join(icebergWarehouse(workspace), "semantic", model, "metadata");
  const version = (f: string) => Number(/^v(\d+)\.metadata\.json$/.exec(f)?.[1] ?? -1);
  const newest = readdirSync(dir).sort((a, b) => version(a) - version(b)).pop()!;
  const meta = JSON.parse(readFileSync(join(dir, newest), "utf8")) as { refs: { main: { "snapshot-id": number } }; snapshots: Array<{ "snapshot-id": number; summary: { operation: string } }> };
  const main = meta.snapshots.find((s) => s["snapshot-id"] === meta.refs.main["snapshot-id"])!;
  return main.summary.operation === "append" ? "delta" : "whole";
}

describe("@spark datalake build --engine spark: the reference star equals the DuckDB build", function () {
  this.timeout(20 * 60_000);
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir("datalake-build-spark-")));
  after(() => cleanup());

  it("builds every model on Spark with the DuckDB build's rows, audits and summary shape", async () => {
    const duckWs = join(dir, "duck");
    const sparkWs = join(dir, "spark");
    // One PII key for both workspaces, so hashed columns (dim_customer.email) compare too.
    for (const ws of [duckWs, sparkWs]) {
      mkdirSync(join(ws, "secrets"), { recursive: true });
      writeFileSync(join(ws, PII_KEY_FILE), "0f1e2d3c4b5a69788796a5b4c3d2e1f0\n", { mode: 0o600 });
    }
    const t0 = Date.now();
    const phase = (what: string) => process.stderr.write(`      [${Math.round((Date.now() - t0) / 1000)} s] ${what}\n`);
    claimWorkspaceEngine(sparkWs, "spark");
    const server = await sharedSparkServer({ warehouse: icebergWarehouse(sparkWs), logFile: join(sparkWs, "ops", "spark.log"), shufflePartitions: 2 });
    phase("Spark ready");
    // The last change file of customers and orders is held back (a Spark load is a minute): the
    // second build is incremental, for the dimension and for the facts reading orders.
    const later: Array<{ spec: (typeof DATASETS)[number]; paths: string[] }> = [];
    const load = async (spec: (typeof DATASETS)[number], paths: string[]) => {
      const duck = await cli("load", "--dataset", spec.name, "--workspace", duckWs, "--json", "--no-build", ...paths);
      expect(duck.code, duck.stderr).to.equal(0);
      const manifest = await manifestForFiles(spec, paths, { workspace: sparkWs, fullRefresh: false });
      const spark = await runLoadSpark({ workspace: sparkWs, spec, manifest, server });
      expect(spark.status, spark.error).to.equal("SUCCEEDED");
    };
    for (const spec of DATASETS) {
      const paths = generateDataset(spec.name, { seed: 41, rows: 40, files: 2, outDir: join(dir, "gen") });
      const held = ["customers", "orders"].includes(spec.name) ? 1 : 0;
      await load(spec, paths.slice(0, paths.length - held));
      if (held > 0) later.push({ spec, paths: paths.slice(-held) });
      phase(`loaded ${spec.name}`);
    }
    // `build` runs on this same server (one per warehouse in a process), as `local` mode would.

    const refused = await cli("build", "--engine", "duckdb", "--workspace", sparkWs);
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim()).to.match(/^datalake build: workspace .* holds spark tables; build --engine spark/);

    const duck = await cli("build", "--workspace", duckWs, "--json");
    phase("DuckDB built");
    const spark = await cli("build", "--workspace", sparkWs, "--json");
    phase("Spark built");
    expect(duck.code, duck.stderr).to.equal(0);
    expect(spark.code, spark.stderr).to.equal(0);
    const view = (s: ModelSummary) => ({ model: s.model, kind: s.kind, status: s.status, rows: s.rows, audits: s.audits });
    const duckSummaries = JSON.parse(duck.stdout) as ModelSummary[];
    const sparkSummaries = JSON.parse(spark.stdout) as ModelSummary[];
    expect(sparkSummaries.map(view)).to.deep.equal(duckSummaries.map(view));
    expect(sparkSummaries.map((s) => s.model)).to.deep.equal(MODELS.map((m) => m.name).filter((n) => sparkSummaries.some((s) => s.model === n)));
    expect(sparkSummaries.map((s) => s.status)).to.deep.equal(MODELS.map(() => "built"));

    const sameTables = async (what: string) => {
      for (const model of MODELS) {
        const sparkRows = await canonicalRows(sparkWs, model.name);
        const duckRows = await canonicalRows(duckWs, model.name);
        expect(sparkRows.length, `${model.name} rows`).to.be.greaterThan(0);
        expect(sparkRows, `${what}: ${model.name}`).to.deep.equal(duckRows);
      }
    };
    await sameTables("first build");

    // The held-back changes: both engines build on their previous versions, recompute the same
    // rows, and give the same tables; then a Spark full refresh gives them again.
    for (const { spec, paths } of later) await load(spec, paths);
    const incremental = async (ws: string, ...flags: string[]) => {
      const run = await cli("build", "--workspace", ws, "--json", ...flags);
      expect(run.code, run.stderr).to.equal(0);
      return JSON.parse(run.stdout) as ModelSummary[];
    };
    const duckInc = await incremental(duckWs);
    const sparkInc = await incremental(sparkWs);
    phase("incremental builds");
    const work = (s: ModelSummary) => ({ model: s.model, rows: s.rows, mode: s.mode ?? null, recomputed: s.recomputed ?? null });
    expect(sparkInc.map(work)).to.deep.equal(duckInc.map(work));
    const incModels = sparkInc.filter((s) => s.kind !== "date");
    expect(incModels.map((s) => [s.model, s.mode])).to.deep.equal(incModels.map((s) => [s.model, "incremental"]));
    expect(incModels.some((s) => s.recomputed! < s.rows!), "some model recomputed only part of its rows").to.equal(true);
    await sameTables("incremental build");
    // Both engines decide alike whether a batch is a delta or compacts the table (rewritten whole).
    const writes = (ws: string, how: (ws: string, model: string) => string) => incModels.filter((s) => s.recomputed! > 0).map((s) => [s.model, how(ws, s.model)]);
    expect(writes(sparkWs, sparkWrite)).to.deep.equal(writes(duckWs, duckdbWrite));

    // A one-row batch (customer 15 moves to Spain): a delta on both engines, the same tables.
    const moved = join(dir, "moved", "customers", "20261103-010000000.csv");
    mkdirSync(join(dir, "moved", "customers"), { recursive: true });
    writeFileSync(moved, "U,15,user15.866@example.com,ES,2026-06-01\n");
    await load(DATASETS.find((d) => d.name === "customers")!, [moved]);
    const duckSmall = await incremental(duckWs);
    const sparkSmall = await incremental(sparkWs);
    expect(sparkSmall.map(work)).to.deep.equal(duckSmall.map(work));
    expect([duckdbWrite(duckWs, "dim_customer"), sparkWrite(sparkWs, "dim_customer")]).to.deep.equal(["delta", "delta"]);
    await sameTables("one-row batch");
    // --full-refresh reaches the Spark model job: one dimension rebuilt whole gives the same
    // table. (Every model rebuilt whole was a minute of this suite for what the first build and
    // the incremental ones show already: the same tables as DuckDB's, whose full and incremental
    // builds are equal by test/models/incremental.test.ts.)
    const sparkFull = await incremental(sparkWs, "--full-refresh", "--select", "dim_customer");
    phase("Spark full refresh");
    expect(sparkFull.map((s) => [s.model, s.mode, s.recomputed])).to.deep.equal([["dim_customer", "full", sparkFull[0].rows]]);
    await sameTables("Spark full refresh");
  });

  it("local --once --engine spark rebuilds the models a load affects, on Spark", async () => {
    const ws = join(dir, "local");
    drop(ws, "orders/a.csv", ordersCsv(1, 3));

    const run = await cli("local", "--once", "--engine", "spark", "--workspace", ws);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^run {2}orders\s+SUCCEEDED/m);
    // dim_date never published and fact_orders reads it: built first; dim_customer never did.
    expect(run.stdout).to.match(new RegExp(`^model dim_date\\s+BUILT\\s+\\d+  rows ${DIM_DATE_ROWS}, 3 audits passed`, "m"));
    expect(run.stdout).to.match(/^model fact_orders\s+SKIPPED\s+nothing published {2}dim_customer never published/m);
    const [row] = await queryJson<{ n: number }>(ws, "SELECT count(*) AS n FROM dim_date");
    expect(Number(row.n)).to.equal(DIM_DATE_ROWS);
  });
});
