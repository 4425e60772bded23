// Model builds on AWS (handlers/core/model-runs.ts) against a real dynalite server, with the
// reference star's graph as the Pulumi program computes it (infra/model-graph.ts): a published
// load makes the models reading its dataset due, dimensions build before the facts that read
// them, builds coalesce, failures are recorded and alarm, and the reconciler repairs lost events.
import { expect } from "chai";
import { DATASETS } from "../../datasets";
import type { RunItem } from "../../handlers/audit/items";
import { parseModelGraph } from "../../handlers/env";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { requestModels, startReadyModels } from "../../handlers/core/model-runs";
import { reconcile } from "../../handlers/core/reconcile";
import type { ModelGraph } from "../../handlers/ports";
import { modelGraph } from "../../infra/model-graph";
import { MODELS } from "../../models";
import { expectVerified } from "./support/verify";
import { World, failedMetrics, putAndEvent, useWorlds } from "./support/world";

const GRAPH: ModelGraph = modelGraph(
  MODELS,
  DATASETS,
  Object.fromEntries(MODELS.map((m) => [m.name, `datalake-dev-${m.name}`])),
  (spec) => ({ model: spec.name }),
);

describe("handlers: model builds after loads (dynalite)", () => {
  let w: World;
  const stateChange = (event: unknown) => handleJobStateChange(w.deps, event);
  useWorlds((world) => (w = world), { modelGraph: GRAPH });

  /** Lands one file of `dataset` and ends its load run with `state` (the event reaches job-state). */
  async function load(dataset: string, state: "SUCCEEDED" | "FAILED" = "SUCCEEDED", startFailures: string[] = []): Promise<void> {
    const before = w.glue.runs.length;
    await handleFileArrival(w.deps, putAndEvent(w, `${dataset}/f-${before}.csv`));
    const run = w.glue.runs[before];
    expect(run, `a load run of ${dataset} started`).to.not.equal(undefined);
    // Refusals for the model starts job-state makes once the load is finalized.
    w.glue.startFailures.push(...startFailures);
    await stateChange(await w.glue.complete(run.Id, state));
  }

  /** As after a deploy the reconciler has already built: every model's plan requested and handled. */
  async function deployed(): Promise<void> {
    for (const [model, node] of Object.entries(GRAPH)) {
      await w.audit.models.requestForPlan(model, node.plan, new Date(w.clock.now()).toISOString());
      await w.audit.models.markHandled(model, 1);
    }
  }

  /** Model builds Glue is running, by model name. */
  const building = () =>
    w.glue
      .running()
      .filter((r) => w.glue.isModelRun(r.Id))
      .map((r) => r.JobName.replace("datalake-dev-", ""))
      .sort();

  /** Ends the running build of `model` and delivers its event; returns job-state's result. */
  async function finishBuild(model: string, opts: { summaryStatus?: "SUCCEEDED" | "FAILED"; state?: "SUCCEEDED" | "FAILED" } = {}) {
    const run = w.glue.running().find((r) => r.JobName === `datalake-dev-${model}`);
    expect(run, `a build of ${model} is running`).to.not.equal(undefined);
    return stateChange(await w.glue.completeModel(run!.Id, model, opts.state, { summaryStatus: opts.summaryStatus }));
  }

  /** A model's RUN items in request order (the manual clock gives them one createdAt). */
  const modelRuns = async (model: string): Promise<RunItem[]> => (await w.audit.listRuns(model)).sort((a, b) => (a.covers ?? 0) - (b.covers ?? 0));

  it("a customers load builds dim_customer first, then the facts that read it", async () => {
    await load("customers");

    expect(building(), "only the dimension starts").to.deep.equal(["dim_customer"]);
    const [run] = await modelRuns("dim_customer");
    expect(run).to.include({ model: true, status: "RUNNING", covers: 1, jobName: "datalake-dev-dim_customer" });
    expect(w.glue.runs.at(-1)!.Arguments).to.deep.equal({ "--run_id": run.runId });

    // A build in flight holds its model's slot: `audit --verify` sees its open RUN as live, not stuck.
    await expectVerified(w);
    const result = await finishBuild("dim_customer");

    expect(result.outcome).to.equal("FINALIZED");
    expect(building(), "the facts reading dim_customer").to.deep.equal(["fact_order_items", "fact_orders", "fact_payments"]);
    const [done] = await modelRuns("dim_customer");
    expect(done).to.include({ status: "SUCCEEDED", glueState: "SUCCEEDED", rows: 42, version: `snap-${w.glue.runs.find((r) => r.JobName === "datalake-dev-dim_customer")!.Id}` });
    expect(done.audits?.[0]).to.include({ name: "surrogate_key_unique", passed: true });
    expect(await w.audit.models.get("dim_customer")).to.include({ requested: 1, handled: 1 }).and.not.have.property("activeRunId");
    for (const fact of ["fact_orders", "fact_order_items", "fact_payments"]) await finishBuild(fact);
    expect(building()).to.deep.equal([]);
    expect((await modelRuns("fact_shipments")).length, "a fact not reading customers").to.equal(0);
  });

  it("loads that publish while a build runs are covered by exactly one more build", async () => {
    await load("products");
    expect(building()).to.deep.equal(["dim_product"]);
    await load("products");
    await load("products");
    expect(building(), "one build of a model at a time").to.deep.equal(["dim_product"]);

    await finishBuild("dim_product");

    expect(building()).to.deep.equal(["dim_product"]);
    const runs = await modelRuns("dim_product");
    expect(runs.map((r) => [r.status, r.covers])).to.deep.equal([
      ["SUCCEEDED", 1],
      ["RUNNING", 3],
    ]);
    expect(building()).to.not.include("fact_order_items");
    await finishBuild("dim_product");
    expect(building(), "the fact waited for both dimension builds").to.deep.equal(["fact_order_items"]);
    await finishBuild("fact_order_items");
    expect(building()).to.deep.equal([]);
    expect(await w.audit.models.get("dim_product")).to.include({ requested: 3, handled: 3 });
  });

  it("a failed load requests no build", async () => {
    await load("customers", "FAILED");
    expect(building()).to.deep.equal([]);
    expect(await w.audit.models.get("dim_customer")).to.equal(undefined);
  });

  it("a build whose audit fails is FAILED with the reason, alarms once, is not retried, and its facts still build", async () => {
    await load("customers");

    await finishBuild("dim_customer", { summaryStatus: "FAILED" });

    const [run] = await modelRuns("dim_customer");
    expect(run).to.include({ status: "FAILED", error: "audit failed: surrogate_key_unique", version: null });
    expect(failedMetrics(w)).to.deep.equal(["dim_customer:build_failed"]);
    expect(building(), "facts read the last published dim_customer").to.deep.equal(["fact_order_items", "fact_orders", "fact_payments"]);
    for (const fact of ["fact_orders", "fact_order_items", "fact_payments"]) await finishBuild(fact);
    expect(await w.audit.models.get("dim_customer")).to.include({ requested: 1, handled: 1 });
    expect(await startReadyModels(w.deps), "nothing is due").to.deep.equal([]);
  });

  it("Glue ending a build without a summary fails it with Glue's state", async () => {
    await load("shipments");
    expect(building()).to.deep.equal(["fact_shipments"]);

    await finishBuild("fact_shipments", { state: "FAILED" });

    const [run] = await modelRuns("fact_shipments");
    expect(run.status).to.equal("FAILED");
    expect(run.error).to.match(/^glue_failed/);
    expect(failedMetrics(w)).to.deep.equal(["fact_shipments:glue_failed"]);
  });

  it("the reconciler finalizes a build whose state event was lost, then starts what waited for it", async () => {
    await deployed();
    await load("customers");
    const jobRun = w.glue.running()[0];
    await w.glue.completeModel(jobRun.Id, "dim_customer"); // the event is lost
    w.clock.advance(60);

    const report = await reconcile(w.deps);

    expect(report.finalized).to.have.length(1);
    expect((await modelRuns("dim_customer"))[0].status).to.equal("SUCCEEDED");
    expect(building()).to.include.members(["fact_orders", "fact_order_items", "fact_payments"]);
  });

  it("a throttled start leaves the build due, and the reconciler starts it", async () => {
    await deployed();
    await load("products", "SUCCEEDED", ["ThrottlingException", "ThrottlingException", "ThrottlingException"]);
    expect(building()).to.deep.equal([]);
    const [failed] = await modelRuns("dim_product");
    expect(failed.status).to.equal("FAILED");
    expect(failed.error).to.match(/^start_failed/);
    expect(await w.audit.models.get("dim_product"), "still due").to.include({ requested: 2, handled: 1 });

    await reconcile(w.deps);

    expect(building()).to.include("dim_product");
    expect(failedMetrics(w)).to.include("dim_product:start_failed");
  });

  it("a refused start (no such job) is not retried in a loop", async () => {
    await load("products");
    await finishBuild("dim_product");
    await finishBuild("fact_order_items");
    await load("products", "SUCCEEDED", ["EntityNotFoundException"]);
    const latest = (await modelRuns("dim_product")).at(-1)!;
    expect(latest.error).to.match(/^start_rejected/);
    expect(await w.audit.models.get("dim_product")).to.include({ requested: 2, handled: 2 });
    expect(failedMetrics(w)).to.deep.equal(["dim_product:start_rejected"]);
  });

  it("a crash after taking a model's slot is repaired: slot freed after staleStartSeconds, build started", async () => {
    await deployed();
    w.db.crashAfter = (c) => c.constructor?.name === "UpdateCommand" && String(c.input?.Key?.pk) === "MODEL#dim_product" && /activeRunId = :run/.test(c.input?.UpdateExpression);
    await handleFileArrival(w.deps, putAndEvent(w, "products/a.csv"));
    await stateChange(await w.glue.complete(w.glue.runs[0].Id)).catch(() => undefined);
    expect(building()).to.deep.equal([]);
    expect((await w.audit.models.get("dim_product"))?.activeRunId).to.be.a("string");

    const early = await reconcile(w.fresh());
    expect(early.slotsReleased).to.not.include("dim_product");
    w.clock.advance(901);
    const late = await reconcile(w.fresh());

    expect(late.slotsReleased).to.include("dim_product");
    expect(building()).to.include("dim_product");
  });

  it("the reconciler builds every model once per deployed plan, dimensions first, and again after a plan changes", async () => {
    const first = await reconcile(w.deps);
    expect(first.modelsRequested.sort()).to.deep.equal(MODELS.map((m) => m.name).sort());
    expect(building(), "dimensions first").to.deep.equal(["dim_customer", "dim_date", "dim_product"]);
    expect((await reconcile(w.deps)).modelsRequested, "requested once").to.deep.equal([]);
    for (const dim of ["dim_customer", "dim_date", "dim_product"]) await finishBuild(dim);
    expect(building()).to.deep.equal(["fact_order_items", "fact_orders", "fact_payments", "fact_shipments"]);
    for (const fact of building()) await finishBuild(fact);

    const edited = await newDeploy({ ...GRAPH, dim_date: { ...GRAPH.dim_date, plan: "edited" } });
    const second = await reconcile(edited);

    expect(second.modelsRequested).to.deep.equal(["dim_date"]);
    expect(building()).to.deep.equal(["dim_date"]);
  });

  /**
   * Runs one start pass (job-state of another run, or the reconciler) during which the customers
   * load is finalized (dim_customer and its facts requested), just after the pass read dim_customer.
   */
  async function startPassRacingCustomersLoad(): Promise<void> {
    const states = w.deps.audit.models;
    const get = states.get.bind(states);
    let published = false;
    states.get = async (model: string) => {
      const state = await get(model);
      if (model === "dim_customer" && !published) {
        published = true;
        await requestModels(w.fresh(), "customers", "load-customers");
      }
      return state;
    };
    try {
      await startReadyModels(w.deps);
    } finally {
      states.get = get;
    }
  }

  /** Finishes builds (and reconciles) until none runs; the job-run index of each model's last build. */
  async function settle(): Promise<(model: string) => number> {
    await reconcile(w.fresh());
    for (let round = 0; round < 10 && building().length > 0; round++) for (const model of building()) await finishBuild(model);
    expect(building()).to.deep.equal([]);
    return (model) => w.glue.runs.map((r) => r.JobName).lastIndexOf(`datalake-dev-${model}`);
  }

  it("a load publishing during a start pass does not start a fact before its new dimension", async () => {
    await deployed();

    await startPassRacingCustomersLoad();

    expect(building(), "no fact reading dim_customer starts before it builds").to.not.include("fact_orders");
    const last = await settle();
    expect(last("fact_orders"), "fact_orders built after dim_customer").to.be.greaterThan(last("dim_customer"));
  });

  it("a fact already due when a load publishes during a start pass is built again after its new dimension", async () => {
    await deployed();
    // An orders load made fact_orders due (its start was throttled: the reconciler retries it).
    await w.audit.models.request("fact_orders", "load-orders", new Date(w.clock.now()).toISOString());

    await startPassRacingCustomersLoad();

    const last = await settle();
    expect(last("fact_orders"), "fact_orders rebuilt after dim_customer").to.be.greaterThan(last("dim_customer"));
  });

  /** The same world's stores and Glue, with the handlers of a new deploy (another graph). */
  async function newDeploy(graph: ModelGraph) {
    return { ...w.fresh(), modelGraph: graph };
  }
});

describe("handlers: MODEL_GRAPH", () => {
  it("round-trips the graph the Pulumi program computes", () => {
    expect(parseModelGraph(JSON.stringify(GRAPH))).to.deep.equal(GRAPH);
    expect(parseModelGraph(undefined)).to.deep.equal({});
  });

  it("refuses a malformed graph in one line naming the model", () => {
    expect(() => parseModelGraph("{")).to.throw(/MODEL_GRAPH is not JSON/);
    expect(() => parseModelGraph(JSON.stringify({ dim_x: { job: "j", on: [], after: ["dim_y"], plan: "p" } }))).to.throw("MODEL_GRAPH: model dim_x reads unknown model(s) dim_y");
    expect(() => parseModelGraph(JSON.stringify({ dim_x: { job: "j", on: "customers", after: [], plan: "p" } }))).to.throw(/model dim_x needs job/);
  });

  it("is what infra derives from the reference star: triggers by dataset, facts after their dimensions", () => {
    expect(GRAPH.dim_date).to.include({ job: "datalake-dev-dim_date" });
    expect(GRAPH.dim_date.on).to.deep.equal([]);
    expect(GRAPH.dim_customer.on).to.deep.equal(["customers"]);
    expect(GRAPH.fact_orders.on.sort()).to.deep.equal(["customers", "orders"]);
    expect(GRAPH.fact_orders.after.sort()).to.deep.equal(["dim_customer", "dim_date"]);
    expect(GRAPH.fact_order_items.on.sort()).to.deep.equal(["customers", "order_items", "orders", "products"]);
    expect(GRAPH.fact_shipments.after).to.deep.equal(["dim_date"]);
  });
});
