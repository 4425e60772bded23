// The DuckDB model executor (engine/duckdb/build-model.ts) and build orchestration
// (build-models.ts, engine/models/order.ts), driven by hand-written ModelPlans: write-audit-publish
// per table, inputs from a real workspace, dependency order, --select, failed dimensions.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { DATASETS, defineDataset, getDataset } from "../../datasets";
import { buildModel, buildModels, modelDir, openQuerySession, type ModelSummary } from "../../engine/duckdb";
import { compileModel } from "../../engine/models";
import { buildOrder, modelsAffectedBy } from "../../engine/models/order";
import type { ModelPlan } from "../../engine/models/plan";
import { readPointer } from "../../engine/duckdb/workspace";
import type { DateDimensionSpec, DimensionSpec, FactSpec, ModelSpec } from "../../models/define";
import { defineDimension, MODELS } from "../../models";
import { expectedState, generateDataset } from "../../local/generator";
import { cli, tempDir } from "../cli/helpers";
import { TestWorkspace, expectConserved } from "../engine/helpers";

const ref = (column: string, lookup: string | null = null) => ({ lookup, column });
const dateDim = (name: string): DateDimensionSpec => ({ kind: "date", name, range: { from: "2024-01-01", to: "2024-01-31" }, fiscalYearStartMonth: 1, holidaysFile: null, sourceFile: "t" });
const dim = (name: string, source: string): DimensionSpec => ({
  kind: "dimension", name, source, naturalKey: "id", surrogateKey: "k", attributes: [{ name: "a", scd: 2 }], deletes: "close", inferredMembers: false, sourceFile: "t",
});
const fact = (name: string, source: string, dims: string[], opts: { lookup?: string; dates?: boolean } = {}): FactSpec => ({
  kind: "fact", name, source, grain: ["id"],
  lookups: opts.lookup ? [{ name: "l", dataset: opts.lookup, on: ref("x") }] : [],
  dimensions: dims.map((d) => ({ dimension: d, role: d, keyColumn: `${d}_key`, naturalKey: ref("x"), asOf: ref("t") })),
  dates: opts.dates ? [{ role: "d", keyColumn: "d_key", column: ref("t") }] : [],
  measures: [], degenerate: [], partitionBy: null, sourceFile: "t",
});

/** A plan selecting `sql` (reading `inputs`), with audits `audits`. */
function plan(model: string, sql: string, inputs: ModelPlan["inputs"] = [], audits: ModelPlan["audits"] = []): ModelPlan {
  return {
    model, kind: "dimension", dialect: "duckdb", inputs,
    steps: [{ name: "out", sql, materialize: "table" }],
    output: "out", columns: [{ name: "id", type: "bigint" }, { name: "v", type: "string" }], audits,
  };
}
const passing = { name: "nonempty", sql: "SELECT CASE WHEN COUNT(*) > 0 THEN 0 ELSE 1 END AS violations FROM staged", description: "rows" };
const failing = { name: "no_x", sql: "SELECT COUNT(*) AS violations FROM staged WHERE v = 'x'", description: "no v = x" };

async function rows(workspace: string, sql: string): Promise<unknown[][]> {
  const session = await openQuerySession(workspace, { threads: 1, memoryLimit: "512MB" });
  try {
    return (await session.query(sql)).rows;
  } finally {
    session.close();
  }
}

describe("buildModel: write-audit-publish of one semantic table", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("build-model-")));
  afterEach(() => cleanup());

  it("publishes only when every audit passes, and a failed audit or an error keeps the previous version", async () => {
    const ws = path.join(dir, "ws");
    const opts = { datasets: DATASETS, threads: 1, memoryLimit: "512MB" };
    const v1 = await buildModel(ws, plan("dim_t", "SELECT 1::BIGINT AS id, 'a' AS v UNION ALL SELECT 2, 'b'", [], [passing, failing]), opts);
    expect(v1.status, v1.error).to.equal("SUCCEEDED");
    expect(v1).to.include({ version: "v000001", rows: 2 });
    expect(await rows(ws, "SELECT id, v FROM dim_t ORDER BY id")).to.deep.equal([[1, "a"], [2, "b"]]);

    // The new table has a row the audit refuses: nothing published, v000001 still read.
    const bad = await buildModel(ws, plan("dim_t", "SELECT 3::BIGINT AS id, 'x' AS v", [], [passing, failing]), opts);
    expect(bad.status).to.equal("FAILED");
    expect(bad).to.include({ version: null, currentVersion: "v000001", rows: 1 });
    expect(bad.audits).to.deep.equal([{ name: "nonempty", passed: true, violations: 0 }, { name: "no_x", passed: false, violations: 1 }]);
    expect(bad.error).to.equal("audit failed, nothing published: no_x (1 violation(s))");

    // A step that fails mid-build: same.
    const broken = plan("dim_t", "SELECT 4::BIGINT AS id, 'c' AS v", [], [passing]);
    broken.steps.push({ name: "boom", sql: "SELECT * FROM no_such_relation", materialize: "table" });
    const err = await buildModel(ws, broken, opts);
    expect(err.status).to.equal("FAILED");
    expect(err.error).to.match(/no_such_relation/);
    // A broken audit query blocks the publish too.
    const auditErr = await buildModel(ws, plan("dim_t", "SELECT 5::BIGINT AS id, 'e' AS v", [], [{ name: "broken", sql: "SELECT nope FROM staged", description: "" }]), opts);
    expect(auditErr.status).to.equal("FAILED");
    expect(auditErr.audits[0]).to.include({ name: "broken", passed: false });

    expect(readPointer(modelDir(ws, "dim_t"))?.version).to.equal("v000001");
    expect(fs.readdirSync(modelDir(ws, "dim_t")).filter((n) => n.startsWith("v"))).to.deep.equal(["v000001"]);
    expect(await rows(ws, "SELECT id, v FROM dim_t ORDER BY id")).to.deep.equal([[1, "a"], [2, "b"]]);
    expect(fs.existsSync(path.join(ws, "_staging"))).to.equal(false);

    const v2 = await buildModel(ws, plan("dim_t", "SELECT 6::BIGINT AS id, 'f' AS v", [], [passing]), opts);
    expect(v2).to.include({ status: "SUCCEEDED", version: "v000002" });
    expect(await rows(ws, "SELECT id, v FROM dim_t")).to.deep.equal([[6, "f"]]);
  });

  it("registers silver, bronze, semantic, previous and file inputs from the workspace", async () => {
    const spec = getDataset("customers");
    const ws = path.join(dir, "ws");
    const out = path.join(dir, "gen");
    const files = generateDataset("customers", { format: "csv", seed: 5, rows: 60, files: 2, badShare: 0.1, outDir: out });
    const expected = expectedState(spec, files.map((p) => ({ key: p.slice(out.length + 1), content: fs.readFileSync(p, "utf8") })));
    const load = await cli("load", "--dataset", "customers", "--workspace", ws, ...files);
    expect(load.code, load.stderr).to.equal(0);
    const csv = path.join(dir, "extra.csv");
    fs.writeFileSync(csv, "code,label\n07,seven\n");
    const opts = { datasets: DATASETS, threads: 1, memoryLimit: "512MB" };

    // Counts of every input as one row each: (input, n).
    const counting = (model: string) =>
      plan(
        model,
        `SELECT 1::BIGINT AS id, 'silver=' || (SELECT COUNT(*) FROM silver_customers) || ' bronze=' || (SELECT COUNT(*) FROM bronze) ||
           ' prev=' || (SELECT COUNT(*) FROM previous) || ' file=' || (SELECT code || label FROM extra) AS v`,
        [
          { relation: "silver_customers", zone: "silver", dataset: "customers" },
          { relation: "bronze", zone: "bronze", dataset: "customers" },
          { relation: "previous", zone: "semantic", model },
          { relation: "extra", zone: "file", path: csv },
        ],
        [passing],
      );
    const first = await buildModel(ws, counting("dim_c"), opts);
    expect(first.status, first.error).to.equal("SUCCEEDED");
    // Bronze keeps every row of every accepted file, rejected ones included.
    const text = (prev: number) => `silver=${expected.silverKeys.length} bronze=${expected.rowsRead} prev=${prev} file=07seven`;
    expect(await rows(ws, "SELECT v FROM dim_c")).to.deep.equal([[text(0)]]);
    // The second build sees the first as `previous`; a full refresh does not.
    await buildModel(ws, counting("dim_c"), opts);
    expect(await rows(ws, "SELECT v FROM dim_c")).to.deep.equal([[text(1)]]);
    await buildModel(ws, counting("dim_c"), { ...opts, fullRefresh: true });
    expect(await rows(ws, "SELECT v FROM dim_c")).to.deep.equal([[text(0)]]);

    // Another model's published table, by its model name.
    const reader = await buildModel(ws, plan("fact_c", "SELECT id, v FROM d", [{ relation: "d", zone: "semantic", model: "dim_c" }], [passing]), opts);
    expect(reader.status, reader.error).to.equal("SUCCEEDED");
    expect(await rows(ws, "SELECT v FROM fact_c")).to.deep.equal([[text(0)]]);
    // The files ledger (zone "files", added to ModelInput by the dimension compiler): one row per loaded file.
    const ledgerInput = { relation: "ledger", zone: "files", dataset: "customers" } as unknown as ModelPlan["inputs"][number];
    const ledger = await buildModel(ws, plan("dim_l", "SELECT COUNT(DISTINCT _source_key)::BIGINT AS id, 'l' AS v FROM ledger", [ledgerInput]), opts);
    expect(ledger.status, ledger.error).to.equal("SUCCEEDED");
    expect(await rows(ws, "SELECT id FROM dim_l")).to.deep.equal([[files.length]]);
    const oddInput = { relation: "odd", zone: "lake" } as unknown as ModelPlan["inputs"][number];
    expect((await buildModel(ws, plan("dim_l", "SELECT 1", [oddInput]), opts)).error).to.equal("model dim_l: input odd has an unknown zone lake");
    // A crashed build's staging leftovers are cleared by the next build of the model.
    fs.mkdirSync(path.join(ws, "_staging", "semantic", "dim_l", "crashed"), { recursive: true });
    await buildModel(ws, plan("dim_l", "SELECT 1::BIGINT AS id, 'x' AS v"), opts);
    expect(fs.existsSync(path.join(ws, "_staging"))).to.equal(false);

    const orphan = await buildModel(ws, plan("fact_d", "SELECT id, v FROM d", [{ relation: "d", zone: "semantic", model: "dim_none" }]), opts);
    expect(orphan.error).to.equal("model fact_d: input dim_none has no published version");
  });
});

describe("buildModels: order, --select, failed dimensions", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("build-models-")));
  afterEach(() => cleanup());

  const registry: ModelSpec[] = [
    fact("fact_b", "orders", ["dim_y"], { dates: true }),
    fact("fact_a", "order_items", ["dim_x", "dim_y"], { lookup: "orders" }),
    dim("dim_y", "products"),
    dateDim("cal"),
    dim("dim_x", "customers"),
  ];

  it("orders the date dimension, then dimensions, then facts; affected models follow the datasets a load changed", () => {
    expect(buildOrder(registry).map((m) => m.name)).to.deep.equal(["cal", "dim_y", "dim_x", "fact_b", "fact_a"]);
    expect(buildOrder(registry, "dim_x").map((m) => m.name)).to.deep.equal(["dim_x"]);
    expect(() => buildOrder(registry, "dim_q")).to.throw('unknown model "dim_q" (known: fact_b, fact_a, dim_y, cal, dim_x)');
    // customers: its dimension, and the fact reading that dimension.
    expect(modelsAffectedBy(["customers"], registry).map((m) => m.name)).to.deep.equal(["dim_x", "fact_a"]);
    // orders: fact_b's source and fact_a's lookup; no dimension.
    expect(modelsAffectedBy(["orders"], registry).map((m) => m.name)).to.deep.equal(["fact_b", "fact_a"]);
    expect(modelsAffectedBy(["payments"], registry)).to.deep.equal([]);
    // A dimension with inferred members reads its facts' datasets: orders (fact_b's source, fact_a's lookup) rebuild dim_y.
    const inferring = registry.map((m) => (m.name === "dim_y" ? { ...(m as DimensionSpec), inferredMembers: true } : m));
    expect(modelsAffectedBy(["orders"], inferring).map((m) => m.name)).to.deep.equal(["dim_y", "fact_b", "fact_a"]);
    expect(modelsAffectedBy(["payments"], inferring)).to.deep.equal([]);
    // Models reading each other in a cycle cannot be ordered: refused, one line.
    const cyclic = [fact("fact_z", "orders", ["fact_y"]), fact("fact_y", "orders", ["fact_z"])];
    expect(() => buildOrder(cyclic)).to.throw("models depend on each other in a cycle: fact_z, fact_y");
  });

  it("builds facts against the last published version of a dimension whose newest build failed; --select builds one model", async () => {
    const ws = path.join(dir, "ws");
    let dimValue = "v1";
    const started: string[] = [];
    // Hand-written compiler: a dimension with one row (dimValue; 'x' fails its audit), a fact
    // copying the rows of the dimensions it reads.
    const compile = (spec: ModelSpec): ModelPlan => {
      if (spec.kind === "fact") {
        const inputs = spec.dimensions.map((d) => ({ relation: d.dimension, zone: "semantic" as const, model: d.dimension }));
        return { ...plan(spec.name, inputs.map((i) => `SELECT id, v FROM ${i.relation}`).join(" UNION ALL "), inputs, [passing]), kind: "fact" };
      }
      if (spec.name === "cal") throw new Error("model cal: no compiler (a test failure)");
      const value = spec.name === "dim_x" ? dimValue : "y";
      return plan(spec.name, `SELECT ${spec.name === "dim_x" ? 1 : 2}::BIGINT AS id, '${value}' AS v`, [], [failing]);
    };
    const summarize = (s: ModelSummary[]) => s.map((m) => [m.model, m.status, m.version, m.error ?? null]);
    const run1 = await buildModels(ws, registry, { compile, onStart: (m) => started.push(m.name), datasets: DATASETS });
    expect(started).to.deep.equal(["cal", "dim_y", "dim_x", "fact_b", "fact_a"]);
    expect(summarize(run1)).to.deep.equal([
      ["cal", "failed", null, "model cal: no compiler (a test failure)"],
      ["dim_y", "built", "v000001", null],
      ["dim_x", "built", "v000001", null],
      ["fact_b", "built", "v000001", null],
      ["fact_a", "built", "v000001", null],
    ]);
    expect(run1[1].audits).to.deep.equal([{ name: "no_x", passed: true, violations: 0 }]);
    expect(await rows(ws, "SELECT id, v FROM fact_a ORDER BY id")).to.deep.equal([[1, "v1"], [2, "y"]]);

    // dim_x's new version fails its audit: fact_a still builds, from dim_x v000001.
    dimValue = "x";
    const run2 = await buildModels(ws, registry, { compile, changed: ["customers"], datasets: DATASETS });
    expect(summarize(run2)).to.deep.equal([
      ["dim_x", "failed", "v000001", "audit failed, nothing published: no_x (1 violation(s))"],
      ["fact_a", "built", "v000002", null],
    ]);
    expect(await rows(ws, "SELECT id, v FROM fact_a ORDER BY id")).to.deep.equal([[1, "v1"], [2, "y"]]);

    dimValue = "v3";
    const run3 = await buildModels(ws, registry, { compile, select: "dim_x", datasets: DATASETS });
    expect(summarize(run3)).to.deep.equal([["dim_x", "built", "v000002", null]]);
    // --select built nothing else: fact_a still holds dim_x's first value.
    expect(await rows(ws, "SELECT v FROM fact_a WHERE id = 1")).to.deep.equal([["v1"]]);
    expect(await rows(ws, "SELECT v FROM dim_x")).to.deep.equal([["v3"]]);
  });

  it("skips a fact whose dimension never published; every reference model compiles through the dispatcher", async () => {
    const ws = path.join(dir, "ws");
    const compile = (spec: ModelSpec): ModelPlan => {
      if (spec.kind !== "fact") throw new Error(`model ${spec.name}: boom`);
      const inputs = spec.dimensions.map((d) => ({ relation: d.dimension, zone: "semantic" as const, model: d.dimension }));
      return plan(spec.name, "SELECT 1::BIGINT AS id, 'a' AS v", inputs);
    };
    const run = await buildModels(ws, registry, { compile, select: "fact_a", datasets: DATASETS });
    expect(run.map((m) => [m.model, m.status, m.error])).to.deep.equal([["fact_a", "skipped", "dim_x, dim_y never published"]]);
    expect(fs.existsSync(modelDir(ws, "fact_a"))).to.equal(false);

    // The real dispatcher: a plan of the model's kind for both engines.
    for (const spec of MODELS) {
      for (const dialect of ["duckdb", "spark"] as const) {
        const compiled = compileModel(spec, { dialect, datasets: DATASETS, models: MODELS });
        expect([compiled.model, compiled.kind, compiled.dialect]).to.deep.equal([spec.name, spec.kind, dialect]);
      }
    }
  });
});

// A data team's own dimension whose source hashes a PII attribute (the reference dim_customer's
// email is `exclude`, not `hash`): its plan names a `pii_key` input, which the executor must key.
describe("buildModel: a dimension over a dataset with a hashed PII attribute", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("build-pii-")));
  afterEach(() => cleanup());

  const members = defineDataset({
    name: "members",
    prefix: "members/",
    format: "csv",
    columns: { member_id: "string", email: "string", tier: "string", cdc_ts: "timestamp" },
    primaryKey: ["member_id"],
    cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
    pii: [{ column: "email", mode: "hash" }],
  });
  const datasets = [...DATASETS, members];
  const dimMember = defineDimension({ name: "dim_member", source: "members", naturalKey: "member_id", attributes: { email: 1, tier: 2 } }, datasets);

  it("builds it, holding the same HMAC of the value as silver", async () => {
    const ws = new TestWorkspace("build-pii-ws-", path.join(dir, "ws"));
    const csv = "Op,member_id,email,tier,cdc_ts\nI,007,ana@example.com,gold,2026-01-01 00:00:00\n";
    expectConserved(await ws.load(members, [ws.file(members, "m.csv", csv)]));

    const plan = compileModel(dimMember, { dialect: "duckdb", datasets, models: [dimMember] });
    const built = await buildModel(ws.dir, plan, { datasets, threads: 1, memoryLimit: "512MB" });

    expect(built.status, built.error).to.equal("SUCCEEDED");
    expect(await rows(ws.dir, "SELECT d.member_id, d.email = s.email, d.tier FROM dim_member d JOIN members s USING (member_id)")).to.deep.equal([["007", true, "gold"]]);
  });
});
