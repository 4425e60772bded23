import { expect } from "chai";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { openQuerySession, openSession, runModelPlan, semanticDir } from "../../engine/duckdb";
import type { Session } from "../../engine/duckdb/session";
import { buildOrder, compileModel } from "../../engine/models/compile-model";
import { compileDateDimension } from "../../engine/models/date-dimension";
import type { ModelPlan } from "../../engine/models/plan";
import { main } from "../../local/cli";
import { recordingIo } from "../../local/cli-io";
import { defineDateDimension, getModel } from "../../models";

const spec = defineDateDimension({ name: "dim_date", range: { from: "2024-01-01", to: "2024-01-31" } });

async function query(ws: string, sql: string): Promise<Record<string, unknown>[]> {
  const q = await openQuerySession(ws);
  try {
    const { columns, rows } = await q.query(sql);
    return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  } finally {
    q.close();
  }
}

// A plan that counts the rows of its own previous version: shows what `previous` held.
const counter = (): ModelPlan => ({
  model: "dim_counter",
  kind: "dimension",
  dialect: "duckdb",
  inputs: [{ relation: "previous", zone: "semantic", model: "dim_counter" }],
  steps: [{ name: "counted", materialize: "view", sql: "SELECT CAST(COUNT(*) + 1 AS BIGINT) AS n FROM previous UNION ALL SELECT n FROM previous" }],
  output: "counted",
  columns: [{ name: "n", type: "bigint" }],
  audits: [],
});

describe("model executor on a DuckDB workspace (write-audit-publish)", () => {
  let ws: string;
  let session: Session;
  beforeEach(async () => {
    ws = mkdtempSync(join(tmpdir(), "ws-models-"));
    session = await openSession({ threads: 1 });
  });
  afterEach(() => {
    session.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it("publishes a version whose audits pass, readable by name in `datalake query`", async () => {
    const first = await runModelPlan(session, ws, compileDateDimension(spec, { dialect: "duckdb" }), "run-1");
    const second = await runModelPlan(session, ws, compileDateDimension(spec, { dialect: "duckdb" }), "run-2");

    expect(first).to.deep.include({ status: "published", version: "v000001", rows: 32 });
    expect(second).to.deep.include({ status: "published", version: "v000002" });
    expect(await query(ws, "SELECT COUNT(*) AS n, MIN(date_key) AS lo, MAX(date_key) AS hi FROM dim_date")).to.deep.equal([{ n: 32, lo: -1, hi: 20240131 }]);
  });

  it("publishes nothing when an audit fails: the last published version stays", async () => {
    await runModelPlan(session, ws, compileDateDimension(spec, { dialect: "duckdb" }), "run-1");
    const plan = compileDateDimension(spec, { dialect: "duckdb" });
    plan.steps.push({ name: "bad_rows", materialize: "view", sql: "SELECT * FROM date_rows UNION ALL SELECT * FROM date_rows WHERE date_key = 20240102" });
    plan.output = "bad_rows";

    const result = await runModelPlan(session, ws, plan, "run-2");

    expect(result).to.deep.include({ status: "audit_failed", version: "v000001", rows: 33 });
    expect(result.audits).to.deep.include({ date_key_unique: 1, unknown_member: 0 });
    expect(readdirSync(semanticDir(ws, "dim_date")).sort()).to.deep.equal(["_current.json", "v000001"]);
    expect(existsSync(join(ws, "_staging", "semantic", "dim_date", "run-2"))).to.equal(false);
    expect(await query(ws, "SELECT COUNT(*) AS n FROM dim_date")).to.deep.equal([{ n: 32 }]);
  });

  it("gives a model its previous version (empty on the first build and on --full-refresh)", async () => {
    const counts = async (runId: string, fullRefresh = false) => {
      await runModelPlan(session, ws, counter(), runId, { fullRefresh });
      return (await query(ws, "SELECT n FROM dim_counter ORDER BY n")).map((r) => Number(r.n));
    };

    expect(await counts("r1")).to.deep.equal([1]);
    expect(await counts("r2")).to.deep.equal([1, 2]);
    expect(await counts("r3", true)).to.deep.equal([1]);
  });

  it("refuses a missing input in one line", async () => {
    const plan: ModelPlan = { ...counter(), inputs: [{ relation: "customers", zone: "silver", dataset: "customers" }] };
    const err = await runModelPlan(session, ws, plan, "r1").catch((e: Error) => e);
    expect((err as Error).message).to.equal("model dim_counter: input customers (silver of customers: load the dataset first) has nothing published yet");
  });

  it("orders plans after the models they read; a cycle is an error", () => {
    const reads = (model: string, ...models: string[]): ModelPlan => ({
      ...counter(),
      model,
      inputs: [{ relation: "previous", zone: "semantic", model }, ...models.map((m) => ({ relation: m, zone: "semantic" as const, model: m }))],
    });
    const order = buildOrder([reads("fact_a", "dim_b", "dim_date"), reads("dim_b"), reads("fact_c", "fact_a"), reads("dim_date")]).map((p) => p.model);

    expect(order).to.deep.equal(["dim_b", "dim_date", "fact_a", "fact_c"]);
    expect(() => buildOrder([reads("dim_x", "dim_y"), reads("dim_y", "dim_x")])).to.throw("models read each other in a cycle: dim_x, dim_y");
  });

  it("`datalake build --select dim_date` builds and publishes it; an unknown model is a usage error", async () => {
    const io = recordingIo();
    const code = await main(["build", "--select", "dim_date", "--workspace", ws], io);

    expect(code, io.stderr.join("\n")).to.equal(0);
    const days = compileModel(getModel("dim_date"), "duckdb").audits.find((a) => a.name === "one_row_per_day")!.description.match(/of the (\d+) days/)![1];
    expect(io.stdout).to.deep.equal([`dim_date  published v000001  rows ${Number(days) + 1}  3 audit(s) passed`]);

    const bad = recordingIo();
    expect(await main(["build", "--select", "dim_nope", "--workspace", ws], bad)).to.equal(2);
    expect(bad.stderr[0]).to.match(/^datalake build: unknown model "dim_nope" \(known: dim_date, /);
  });
});
