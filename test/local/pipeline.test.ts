// Local mode end to end: files dropped into landing/ go through versioning, EventBridge-shaped
// events, the real handlers, the in-process Glue and the DuckDB engine. After each scenario every
// dropped file version has exactly one terminal FILE item and silver matches the oracle.
import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { exitCode } from "../../local/commands/local";
import { defaultHandlers } from "../../local/runtime/defaults";
import { drop, expectAccounted, expectOracle, ordersCsv, startTestRuntime, tempWorkspace, TestRuntime } from "./support";

describe("local mode pipeline (end to end)", function () {
  this.timeout(120_000);
  let ws: { dir: string; cleanup: () => void };
  let t: TestRuntime | undefined;
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(async () => {
    await t?.runtime.stop();
    t = undefined;
    ws.cleanup();
  });

  it("loads files whose names hold spaces, +, %, = and unicode under their exact keys", async () => {
    const keys = ["orders/a b.csv", "orders/x+y.csv", "orders/p%20q.csv", "orders/dt=2026-11-01/k=v.csv", "orders/ünïcødé 訂單.csv"];
    keys.forEach((key, i) => drop(ws.dir, key, ordersCsv(100 * (i + 1), 3)));
    t = await startTestRuntime(ws.dir);

    const report = await t.runtime.settle(90_000);

    const items = await expectAccounted(t.runtime, "orders");
    expect(items.map((i) => i.key).sort()).to.deep.equal([...keys].sort());
    expect(items.map((i) => i.status)).to.deep.equal(keys.map(() => "SUCCEEDED"));
    expect(report.failed).to.equal(0);
    await expectOracle(t.runtime, "orders");
  });

  it("gives a file dropped twice a new version, skipped as duplicate_content when its bytes are the same", async () => {
    drop(ws.dir, "orders/same.csv", ordersCsv(1, 5));
    t = await startTestRuntime(ws.dir);
    await t.runtime.settle(60_000);

    drop(ws.dir, "orders/same.csv", ordersCsv(1, 5));
    await t.runtime.settle(60_000);

    const items = await expectAccounted(t.runtime, "orders");
    expect(items).to.have.length(2);
    expect(new Set(items.map((i) => i.versionId)).size).to.equal(2);
    expect(items.map((i) => [i.status, i.reason])).to.deep.equal([["SUCCEEDED", undefined], ["SKIPPED", "duplicate_content"]]);
    await expectOracle(t.runtime, "orders");
  });

  it("accounts for a burst of 200 small files with a few coalesced runs", async () => {
    t = await startTestRuntime(ws.dir);
    for (let i = 0; i < 200; i++) drop(ws.dir, `orders/burst/f${String(i).padStart(3, "0")}.csv`, ordersCsv(1000 + i * 2, 2));

    const report = await t.runtime.settle(120_000);

    const items = await expectAccounted(t.runtime, "orders");
    expect(items).to.have.length(200);
    expect(items.every((i) => i.status === "SUCCEEDED")).to.equal(true);
    const runs = await t.runtime.audit.listRuns("orders");
    expect(runs.length).to.be.within(1, 20);
    expect(runs.filter((r) => r.status === "SUCCEEDED")).to.have.length(report.runs);
    await expectOracle(t.runtime, "orders");
  });

  it("quarantines a bad file with its reason while the good files next to it load", async () => {
    drop(ws.dir, "orders/good-1.csv", ordersCsv(1, 4));
    drop(ws.dir, "orders/bad.csv", "order_id,customer_id,order_ts,total_amount,Op,cdc_ts\n9,1,2026-10-31 09:00:00,1.00,I,2026-11-01 10:00:00\n");
    drop(ws.dir, "orders/good-2.csv", ordersCsv(50, 4));
    t = await startTestRuntime(ws.dir);

    const report = await t.runtime.settle(60_000);

    const items = await expectAccounted(t.runtime, "orders");
    const bad = items.find((i) => i.key === "orders/bad.csv")!;
    expect(bad.status).to.equal("QUARANTINED");
    expect(bad.reason).to.match(/status/);
    expect(items.filter((i) => i.key !== "orders/bad.csv").map((i) => i.status)).to.deep.equal(["SUCCEEDED", "SUCCEEDED"]);
    expect(report.quarantined).to.equal(1);
    await expectOracle(t.runtime, "orders");
  });

  it("finalizes runs through the reconciler when every Glue state-change event is lost", async () => {
    drop(ws.dir, "customers/c1.csv", "customer_id,email,country,signup_date,Op,cdc_ts\n1,a@x.io,DE,2026-01-02,I,2026-11-01 10:00:00\n2,b@x.io,FR,2026-01-03,I,2026-11-01 10:00:01\n");
    let dropped = 0;
    t = await startTestRuntime(ws.dir, {
      faults: {
        dropEvent: (e) => e["detail-type"] === "Glue Job State Change" && ++dropped > 0,
      },
    });

    await t.runtime.settle(60_000);

    expect(dropped).to.be.greaterThan(0);
    const items = await expectAccounted(t.runtime, "customers");
    expect(items.map((i) => i.status)).to.deep.equal(["SUCCEEDED"]);
    const runs = await t.runtime.audit.listRuns("customers");
    expect(runs.map((r) => r.status)).to.deep.equal(["SUCCEEDED"]);
    await expectOracle(t.runtime, "customers");
  });

  it("does not settle while a scheduled reconciler pass has finalized a run's files but not yet its RUN", async () => {
    drop(ws.dir, "customers/c1.csv", "customer_id,email,country,signup_date,Op,cdc_ts\n1,a@x.io,DE,2026-01-02,I,2026-11-01 10:00:00\n");
    let slowed = 0;
    t = await startTestRuntime(ws.dir, {
      reconcileEveryMs: 50, // the timer's pass, not settle's own, finalizes the run
      faults: { dropEvent: (e) => e["detail-type"] === "Glue Job State Change" },
      handlers: {
        ...defaultHandlers,
        // The RUN write lands 1.5 s after the FILE items (run-finalize.ts writes them first).
        reconcile: (deps) => {
          const audit = Object.create(deps.audit) as typeof deps.audit;
          audit.updateRun = async (...args: Parameters<typeof deps.audit.updateRun>) => {
            slowed++;
            await new Promise((resolve) => setTimeout(resolve, 1500));
            return deps.audit.updateRun(...args);
          };
          return defaultHandlers.reconcile({ ...deps, audit });
        },
      },
    });

    await t.runtime.settle(60_000);

    expect(slowed).to.be.greaterThan(0);
    const items = await expectAccounted(t.runtime, "customers");
    expect(items.map((i) => i.status)).to.deep.equal(["SUCCEEDED"]);
    expect((await t.runtime.audit.listRuns("customers")).map((r) => r.status)).to.deep.equal(["SUCCEEDED"]);
  });

  it("dead-letters an event whose handler keeps failing, reports it, and does not hang --once", async () => {
    drop(ws.dir, "orders/x.csv", ordersCsv(1, 2));
    t = await startTestRuntime(ws.dir, {
      handlers: {
        ...defaultHandlers,
        fileArrival: async () => {
          throw new Error("audit table unavailable");
        },
      },
    });

    const report = await t.runtime.settle(60_000);

    expect(report.undelivered).to.deep.equal(["orders/x.csv"]);
    expect(exitCode(report)).to.equal(1);
    const letters = readFileSync(join(t.runtime.paths.ops, "dead-letters.jsonl"), "utf8").trim().split("\n");
    expect(JSON.parse(letters[0]).error).to.match(/audit table unavailable/);
  });

  it("keeps a version's bytes so replacing the file later cannot change what was recorded", async () => {
    drop(ws.dir, "orders/r.csv", ordersCsv(1, 2));
    t = await startTestRuntime(ws.dir);
    await t.runtime.settle(60_000);
    const first = t.runtime.versions.latestOf("orders/r.csv")!;

    drop(ws.dir, "orders/r.csv", ordersCsv(1, 3, "2026-11-02 10:00:00"));
    await t.runtime.settle(60_000);

    const second = t.runtime.versions.latestOf("orders/r.csv")!;
    expect(second.versionId).to.not.equal(first.versionId);
    expect(readdirSync(t.runtime.paths.versions)).to.include.members([first.versionId, second.versionId]);
    await expectAccounted(t.runtime, "orders");
    await expectOracle(t.runtime, "orders");
  });
});
