// Local mode builds models after loads publish (local/runtime/model-builder.ts): dimensions
// before facts, every model run a RUN item, a failed model reported without failing the loads.
import { expect } from "chai";
import { DATASETS } from "../../datasets";
import { buildModels, openQuerySession } from "../../engine/duckdb";
import { modelsAffectedBy } from "../../engine/models/order";
import type { ModelPlan } from "../../engine/models/plan";
import { exitCode } from "../../local/commands/local";
import type { ModelDone } from "../../local/runtime/progress";
import type { DimensionSpec, FactSpec, ModelSpec } from "../../models/define";
import { MODELS } from "../../models";
import { drop, ordersCsv, startTestRuntime, tempWorkspace, TestRuntime } from "./support";

const ref = (column: string) => ({ lookup: null, column });
const dim = (name: string): DimensionSpec => ({
  kind: "dimension", name, source: "orders", naturalKey: "order_id", surrogateKey: "k", attributes: [], deletes: "close", inferredMembers: false, sourceFile: "t",
});
const fact: FactSpec = {
  kind: "fact", name: "fact_o", source: "payments", grain: ["id"], lookups: [],
  dimensions: [{ dimension: "dim_o", role: "o", keyColumn: "o_key", naturalKey: ref("order_id"), asOf: ref("paid_at") }],
  dates: [], measures: [], degenerate: [], partitionBy: null, sourceFile: "t",
};
// fact_o listed first: the build still runs it after dim_o.
const registry: ModelSpec[] = [fact, dim("dim_o"), dim("dim_bad")];

/** dim_*: the orders' (id, status); dim_bad's audit refuses every row. fact_o: dim_o's rows. */
function compile(spec: ModelSpec): ModelPlan {
  const columns = [{ name: "id", type: "bigint" as const }, { name: "v", type: "string" as const }];
  const inputs: ModelPlan["inputs"] =
    spec.kind === "fact" ? [{ relation: "d", zone: "semantic", model: "dim_o" }] : [{ relation: "src", zone: "silver", dataset: "orders" }];
  const sql = spec.kind === "fact" ? "SELECT id, v FROM d" : "SELECT order_id AS id, status AS v FROM src";
  const audits = spec.name === "dim_bad" ? [{ name: "never", sql: "SELECT COUNT(*) AS violations FROM staged", description: "" }] : [];
  return { model: spec.name, kind: spec.kind, dialect: "duckdb", inputs, steps: [{ name: "out", sql, materialize: "view" }], output: "out", columns, audits };
}

describe("local mode model builds", function () {
  this.timeout(180_000);
  let ws: { dir: string; cleanup: () => void };
  let t: TestRuntime | undefined;
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(async () => {
    await t?.runtime.stop();
    t = undefined;
    ws.cleanup();
  });

  it("rebuilds the models a published load affects, dims first; records each; a failed model fails no load", async () => {
    const calls: string[][] = [];
    drop(ws.dir, "orders/a.csv", ordersCsv(1, 4));
    t = await startTestRuntime(ws.dir, {
      buildModels: (changed) => {
        calls.push(changed);
        return buildModels(ws.dir, registry, { changed, compile, datasets: DATASETS });
      },
    });

    const report = await t.runtime.settle(90_000);

    expect(calls).to.deep.equal([["orders"]]);
    const models = t.events.filter((e): e is ModelDone => e.type === "model");
    expect(models.map((m) => [m.model, m.status, m.version])).to.deep.equal([
      ["dim_o", "built", "v000001"],
      ["dim_bad", "failed", null],
      ["fact_o", "built", "v000001"],
    ]);
    expect(models[1].error).to.equal("audit failed, nothing published: never (4 violation(s))");
    expect(report).to.include({ modelRuns: 3, failed: 0 });
    expect(report.failedModels).to.deep.equal([`dim_bad:${models[1].runId}`]);
    expect(exitCode(report)).to.equal(0);
    for (const m of models) {
      const run = await t.runtime.audit.getRun(m.runId);
      expect(run, m.model).to.include({ dataset: m.model, jobName: "datalake build", model: true, status: m.status === "built" ? "SUCCEEDED" : "FAILED" });
    }
    await t.runtime.stop();
    const session = await openQuerySession(ws.dir, { threads: 1, memoryLimit: "512MB" });
    try {
      expect((await session.query("SELECT id, v FROM fact_o ORDER BY id")).rows).to.deep.equal([1, 2, 3, 4].map((id) => [id, "paid"]));
    } finally {
      session.close();
    }
  });

  it("builds the registry's affected models by default after a DuckDB load", async () => {
    drop(ws.dir, "orders/a.csv", ordersCsv(1, 3));
    t = await startTestRuntime(ws.dir);

    const report = await t.runtime.settle(90_000);

    const models = t.events.filter((e): e is ModelDone => e.type === "model");
    // Plus the never-published date dimension the facts read (no load ever changes it).
    expect(models.map((m) => m.model)).to.deep.equal(["dim_date", ...modelsAffectedBy(["orders"], MODELS).map((m) => m.name)]);
    expect(report.failed).to.equal(0);
  });
});
