// `datalake build`, `query` over semantic tables and the builds a `load` triggers. The verbs run
// the registry (models/) through compileModel: whatever each kind's compiler does today, these
// check the contract around it (order, --select, exit codes, RUN items, load not failing).
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { DATASETS } from "../../datasets";
import { buildModels, type ModelSummary } from "../../engine/duckdb";
import { buildOrder, modelsAffectedBy } from "../../engine/models/order";
import type { ModelPlan } from "../../engine/models/plan";
import { generateDataset } from "../../local/generator";
import { recordingModelRuns } from "../../local/cli-workspace-audit";
import { openWorkspaceAudit } from "../../local/runtime/audit-access";
import { claimWorkspaceEngine, workspaceEngine } from "../../local/workspace-engine";
import { MODELS } from "../../models";
import { cli, queryJson, tempDir } from "./helpers";

describe("datalake build", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-build-")));
  afterEach(() => cleanup());

  const oneLine = (text: string) => expect(text.trim().split("\n")).to.have.length(1);

  it("refuses an unknown model, an unknown flag and a missing workspace with one line", async () => {
    const unknown = await cli("build", "--select", "dim_nope", "--workspace", dir);
    const flag = await cli("build", "--selct", "dim_date");
    const missing = await cli("build", "--workspace", join(dir, "none"));

    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.equal(`datalake build: unknown model "dim_nope" (known: ${MODELS.map((m) => m.name).join(", ")})`);
    expect(flag.code).to.equal(2);
    expect(flag.stderr).to.match(/^datalake build: unknown flag --selct \(see datalake build --help\)$/);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^datalake build: workspace .* does not exist/);
    for (const run of [unknown, flag, missing]) oneLine(run.stderr);
    const help = await cli("build", "--help");
    expect(help.stdout).to.match(/--select MODEL/);
    expect(help.stdout).to.match(/--full-refresh/);
    expect(help.stdout).to.match(/--engine duckdb\|spark/);
  });

  it("builds with the workspace's engine: the other engine, or a bad one, is refused in one line", async () => {
    const spark = join(dir, "spark-ws");
    claimWorkspaceEngine(spark, "spark");
    const duck = join(dir, "duck-ws");
    claimWorkspaceEngine(duck, "duckdb");
    const onSpark = await cli("build", "--engine", "duckdb", "--workspace", spark);
    const onDuck = await cli("build", "--engine", "spark", "--workspace", duck);
    const bad = await cli("build", "--engine", "flink", "--workspace", duck);
    expect(onSpark.code).to.equal(1);
    expect(onSpark.stderr).to.equal(`datalake build: workspace ${spark} holds spark tables; build --engine spark (or load --engine duckdb into another --workspace)`);
    expect(onDuck.code).to.equal(1);
    expect(onDuck.stderr).to.equal(`datalake build: workspace ${duck} holds duckdb tables; build --engine duckdb (or load --engine spark into another --workspace)`);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal('datalake build: --engine must be duckdb or spark, got "flink"');
  });

  it("a first load on one engine that wrote no tables (Spark not installed) does not bind the workspace to it", () => {
    const ws = join(dir, "failed-spark-ws");
    claimWorkspaceEngine(ws, "spark"); // then the Spark run failed before writing a table

    claimWorkspaceEngine(ws, "duckdb");

    expect(workspaceEngine(ws)).to.equal("duckdb");
    mkdirSync(join(ws, "silver"));
    expect(() => claimWorkspaceEngine(ws, "spark")).to.throw(`workspace ${ws} holds duckdb tables; load --engine spark into another --workspace`);
  });

  it("builds every model in dependency order, records each run, exits 1 when one failed; --select builds one; a load builds what it changed", async () => {
    const ws = join(dir, "ws");
    const files = generateDataset("customers", { format: "csv", seed: 3, rows: 40, files: 1, outDir: join(dir, "gen") });

    // A load that publishes rebuilds the models of its dataset, and does not fail when they do.
    const load = await cli("load", "--dataset", "customers", "--workspace", ws, ...files);
    expect(load.code, load.stderr).to.equal(0);
    const modelLines = load.stdout.split("\n").filter((l) => l.startsWith("model "));
    // The date dimension has never published and the facts read it: it is built first.
    expect(modelLines.map((l) => l.split(":")[0])).to.deep.equal(["dim_date", ...modelsAffectedBy(["customers"], MODELS).map((m) => m.name)].map((m) => `model ${m}`));
    expect(modelLines.length).to.be.greaterThan(0);

    // Under --json stdout stays the one JSON array; the model lines go to stderr.
    const products = generateDataset("products", { format: "csv", seed: 3, rows: 20, files: 1, outDir: join(dir, "gen2") });
    const jsonLoad = await cli("load", "--dataset", "products", "--workspace", ws, "--json", ...products);
    expect(jsonLoad.code, jsonLoad.stderr).to.equal(0);
    expect(JSON.parse(jsonLoad.stdout)).to.have.length(1);
    expect(jsonLoad.stderr.split("\n").map((l) => l.split(":")[0])).to.deep.equal(modelsAffectedBy(["products"], MODELS).map((m) => `model ${m.name}`));

    const all = await cli("build", "--workspace", ws, "--json");
    const summaries = JSON.parse(all.stdout) as ModelSummary[];
    expect(summaries.map((s) => s.model)).to.deep.equal(buildOrder(MODELS).map((m) => m.name));
    expect(all.code).to.equal(summaries.some((s) => s.status === "failed") ? 1 : 0);
    for (const s of summaries.filter((m) => m.status === "failed")) expect(s.error, s.model).to.be.a("string").and.not.match(/\n/);

    // Every model that ran is a RUN item with its status and audits.
    const opened = await openWorkspaceAudit(ws);
    try {
      for (const s of summaries.filter((m) => m.status !== "skipped")) {
        const run = await opened.audit.getRun(s.runId);
        expect(run, s.model).to.include({ dataset: s.model, jobName: "datalake build", model: true, status: s.status === "built" ? "SUCCEEDED" : "FAILED" });
        expect(run?.audits).to.deep.equal(s.audits);
      }
    } finally {
      await opened.close();
    }

    // The CLI lists them: `audit --runs` names a model like a dataset; a model has no files.
    const listed = await cli("audit", "--workspace", ws, "--runs", "--dataset", "dim_customer", "--json");
    const modelRuns = JSON.parse(listed.stdout) as Array<{ dataset: string; model?: boolean }>;
    expect(modelRuns.length, listed.stderr).to.be.greaterThan(0);
    expect(modelRuns.every((r) => r.dataset === "dim_customer" && r.model === true)).to.equal(true);
    const noFiles = await cli("audit", "--workspace", ws, "--dataset", "dim_customer");
    expect([noFiles.code, noFiles.stderr.trim()]).to.deep.equal([2, "datalake audit: dim_customer is a model: its builds are runs (audit --runs --dataset dim_customer); files belong to datasets"]);

    const one = await cli("build", "--workspace", ws, "--select", "dim_customer");
    expect(one.stdout.split("\n").filter((l) => /^\S+: /.test(l)).map((l) => l.split(":")[0])).to.deep.equal(["dim_customer"]);
    expect(one.stdout).to.match(/^1 model\(s\): \d built, \d failed, \d skipped$/m);

    // A --full-refresh load may change silver rows without a new bronze row (a spec edit, a
    // regenerated DMS reload): the models it affects are rebuilt in full too.
    const refreshed = await cli("load", "--dataset", "customers", "--workspace", ws, "--full-refresh");
    expect(refreshed.code, refreshed.stderr).to.equal(0);
    expect(refreshed.stdout).to.match(/^model dim_customer: .*full refresh requested/m);
    expect(refreshed.stdout).to.not.match(/^model .*\bincremental\b/m);
  });

  it("records each model run as it ends: a build stopped after its first model has that model's RUN item", async () => {
    const ws = join(dir, "ws");
    mkdirSync(join(ws, "ops"), { recursive: true });
    const at = "2026-12-01T00:00:00.000Z";
    const built: ModelSummary = { model: "dim_date", kind: "date", status: "built", runId: "build-test-1", startedAt: at, finishedAt: at, rows: 1, audits: [], durationMs: 5, version: "v000001" };

    const stopped = recordingModelRuns(ws, async (record) => {
      record(built);
      record({ ...built, model: "dim_customer", status: "skipped", runId: "build-test-2" });
      throw new Error("stopped (test)");
    });

    await stopped.then(() => expect.fail("the build resolved"), (e: Error) => expect(e.message).to.equal("stopped (test)"));
    const opened = await openWorkspaceAudit(ws);
    try {
      expect(await opened.audit.getRun("build-test-1")).to.include({ dataset: "dim_date", model: true, status: "SUCCEEDED" });
      expect(await opened.audit.getRun("build-test-2"), "a skipped model ran nothing").to.equal(undefined);
    } finally {
      await opened.close();
    }
  });

  it("initial load: orders older than the DMS full load that copied their customer find its first version; a customer first inserted by CDC does not reach back", async () => {
    const ws = join(dir, "ws");
    const put = (key: string, text: string) => {
      mkdirSync(dirname(join(dir, key)), { recursive: true });
      writeFileSync(join(dir, key), text);
      return join(dir, key);
    };
    // AddColumnName=true, TimestampColumnName=cdc_ts: the full load copied customer 1 on 11-01.
    const customers = [
      put("customers/LOAD00000001.csv", "cdc_ts,customer_id,email,country,signup_date\n2026-11-01 00:00:00.000000,1,a@example.com,PT,2020-01-01\n"),
      put("customers/20261103-000000000.csv", "Op,cdc_ts,customer_id,email,country,signup_date\nI,2026-11-02 00:00:00.000000,2,b@example.com,DE,2026-11-02\nU,2026-11-03 00:00:00.000000,1,a@example.com,ES,2020-01-01\n"),
    ];
    const orders = put(
      "orders/LOAD00000001.csv",
      "cdc_ts,order_id,customer_id,order_ts,status,total_amount\n" +
        ["100,1,2025-06-01 10:00:00", "101,2,2025-06-01 10:00:00", "102,1,2026-11-04 10:00:00", "103,2,2026-11-05 10:00:00"].map((r) => `2026-11-01 00:00:00.000000,${r},paid,10.00`).join("\n") +
        "\n",
    );
    for (const [dataset, files] of [["customers", customers], ["orders", [orders]]] as const) {
      const load = await cli("load", "--dataset", dataset, "--workspace", ws, "--no-build", ...files);
      expect(load.code, load.stderr).to.equal(0);
    }
    const built = await cli("build", "--workspace", ws);
    expect(built.code, built.stdout + built.stderr).to.equal(0);

    const rows = await queryJson<{ order_id: number; customer_id: number | null; country: string | null; valid_from: string }>(
      ws,
      "SELECT f.order_id, c.customer_id, c.country, CAST(c.valid_from AS VARCHAR) AS valid_from FROM fact_orders f JOIN dim_customer c USING (customer_key) ORDER BY 1",
    );
    expect(rows.map((r) => [Number(r.order_id), r.customer_id === null ? null : Number(r.customer_id), r.country, r.valid_from])).to.deep.equal([
      [100, 1, "PT", "1900-01-01 00:00:00"], // placed a year before the copy: the full-load version
      [101, null, null, "1900-01-01 00:00:00"], // customer 2 was inserted on 11-02: the unknown member
      [102, 1, "ES", "2026-11-03 00:00:00"],
      [103, 2, "DE", "2026-11-02 00:00:00"],
    ]);
  });

  it("load --no-build publishes the load and builds no model", async () => {
    const ws = join(dir, "ws");
    const files = generateDataset("products", { format: "csv", seed: 5, rows: 20, files: 1, outDir: join(dir, "gen") });
    const load = await cli("load", "--dataset", "products", "--workspace", ws, "--no-build", ...files);
    expect(load.code, load.stderr).to.equal(0);
    expect(load.stdout + load.stderr).not.to.match(/^model /m);
    const built = await cli("build", "--workspace", ws, "--select", "dim_product", "--json");
    const [summary] = JSON.parse(built.stdout) as ModelSummary[];
    expect(summary, built.stderr).to.include({ model: "dim_product", status: "built" });
    expect(summary.version).to.equal("v000001"); // the load built no earlier version
  });

  it("query reads published semantic tables by model name, next to silver tables", async () => {
    const ws = join(dir, "ws");
    const files = generateDataset("products", { format: "csv", seed: 4, rows: 30, files: 1, outDir: join(dir, "gen") });
    expect((await cli("load", "--dataset", "products", "--workspace", ws, ...files)).code).to.equal(0);
    const silver = DATASETS.find((d) => d.name === "products")!.target.table;
    const plan = (model: string): ModelPlan => ({
      model, kind: "dimension", dialect: "duckdb",
      inputs: [{ relation: "src", zone: "silver", dataset: "products" }],
      steps: [{ name: "out", sql: "SELECT product_id, brand FROM src", materialize: "view" }],
      output: "out", columns: [{ name: "product_id", type: "bigint" }, { name: "brand", type: "string" }], audits: [],
    });
    const built = await buildModels(ws, [{ kind: "dimension", name: "dim_item", source: "products", naturalKey: "product_id", surrogateKey: "item_key", attributes: [], deletes: "close", inferredMembers: false, sourceFile: "t" }], {
      compile: (spec) => plan(spec.name),
    });
    expect(built[0].status, built[0].error).to.equal("built");

    const [counts] = await queryJson<{ semantic: number; silver: number }>(ws, `SELECT (SELECT COUNT(*) FROM dim_item) AS semantic, (SELECT COUNT(*) FROM ${silver}) AS silver`);
    expect(counts.semantic).to.equal(counts.silver);
    expect(counts.silver).to.be.greaterThan(0);
  });
});
