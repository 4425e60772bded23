// Write-audit-publish on the local workspace: versions, pointers, rollback, retention, and a
// failed audit that leaves every published byte as it was.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { getDataset } from "../../datasets";
import { KEEP_VERSIONS, listVersions, planRollback, rollbackTable } from "../../engine/duckdb";
import { ORDERS_HEADER, TestWorkspace, expectConserved, orderRow } from "./helpers";

const csv = (...rows: string[]) => [ORDERS_HEADER, ...rows].join("\n") + "\n";
const FAILING_AUDIT = { name: "test_always_fails", description: "injected by the test", sql: "SELECT 3 AS violations" };

describe("engine (DuckDB): publish, audits and rollback", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("publishes a new version behind an atomically replaced pointer and writes the summary", async () => {
    const s1 = await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
    const s2 = await ws.load("orders", [ws.file("orders", "b.csv", csv(orderRow("I", 2, "2026-11-01 10:00:00")))]);

    expect(s1.published).to.deep.equal({ silverVersion: "v000001", quarantineVersion: "v000001" });
    expect(s2.published?.silverVersion).to.equal("v000002");
    const pointer = JSON.parse(fs.readFileSync(path.join(ws.dir, "silver/orders/_current.json"), "utf8"));
    expect(pointer).to.include({ version: "v000002", runId: s2.runId });
    expect(listVersions(ws.dir, "orders").map((v) => [v.version, v.rows, v.current])).to.deep.equal([
      ["v000001", 1, false],
      ["v000002", 2, true],
    ]);
    const written = JSON.parse(fs.readFileSync(path.join(ws.dir, "ops/summaries/orders", `${s2.runId}.json`), "utf8"));
    expect(written).to.deep.equal(s2);
    expect(fs.existsSync(path.join(ws.dir, "_staging")), "no staging left behind").to.equal(false);
  });

  it("a summary write that fails after the publish leaves the publish record written before it", async () => {
    // Arrange: a directory sits where the summary goes, so its write fails after the publish.
    fs.mkdirSync(path.join(ws.dir, "ops/summaries/orders/run-001.json/taken"), { recursive: true });

    let error: Error | undefined;
    await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]).catch((e) => (error = e));

    expect(error, "the load fails (the local Glue run ends FAILED)").to.be.instanceOf(Error);
    expect(await ws.query("SELECT order_id FROM orders")).to.have.length(1);
    // job-state finds the record and records the run SUCCEEDED (test/handlers/job-state.test.ts).
    const record = JSON.parse(fs.readFileSync(path.join(ws.dir, "ops/summaries/orders/run-001.publish.json"), "utf8"));
    expect(record).to.include({ status: "SUCCEEDED", runId: "run-001" });
    expect(record.files.map((f: { outcome: string }) => f.outcome)).to.deep.equal(["LOADED"]);
  });

  it("fails the run on a failed audit, publishes nothing and leaves every published file byte-for-byte unchanged", async () => {
    await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
    const before = ws.snapshot();
    const b = ws.file("orders", "b.csv", csv(orderRow("U", 1, "2026-11-02 10:00:00", "shipped"), orderRow("X", 2, "2026-11-02 10:00:00")));

    const failed = await ws.load("orders", [b], { extraAudits: [FAILING_AUDIT] });

    expect(failed.status).to.equal("FAILED");
    expect(failed.published).to.equal(null);
    expect(failed.error).to.match(/test_always_fails \(3 violation\(s\): injected by the test\)/);
    expect(failed.audits.find((a) => a.name === "test_always_fails")).to.include({ passed: false, violations: 3 });
    expect(ws.snapshot()).to.deep.equal(before);
    expect(await ws.query("SELECT status FROM orders")).to.deep.equal([{ status: "paid" }]);

    const retried = await ws.load("orders", [b]);
    expectConserved(retried);
    expect(retried.files[0].outcome, "a failed run does not mark its files loaded").to.equal("LOADED");
    expect(await ws.query("SELECT status FROM orders")).to.deep.equal([{ status: "shipped" }]);
  });

  for (const stage of ["read_files", "sql", "stage", "audit"]) {
    it(`stops a load aborted after its first ${stage} step: rejects with the reason and publishes nothing`, async () => {
      await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
      const before = ws.snapshot();
      const stop = new AbortController();
      const b = ws.file("orders", "b.csv", csv(orderRow("U", 1, "2026-11-02 10:00:00", "shipped")));

      const load = ws.load("orders", [b], {
        signal: stop.signal,
        onProgress: (e) => {
          if (e.stage === stage) stop.abort(new Error("job timeout (test)"));
        },
      });

      await load.then(
        () => expect.fail("the aborted load resolved"),
        (e: Error) => expect(e.message).to.equal("job timeout (test)"),
      );
      expect(ws.snapshot()).to.deep.equal(before);
      expect(fs.existsSync(path.join(ws.dir, "_staging"))).to.equal(false);
      const retried = await ws.load("orders", [b]);
      expect(retried.files[0].outcome, "an aborted run does not mark its files loaded").to.equal("LOADED");
    });
  }

  it("interrupts the query running when the load is aborted (a never-ending audit), and publishes nothing", async () => {
    await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
    const before = ws.snapshot();
    const stop = new AbortController();
    // Days of work unless DuckDB is interrupted: the test's timeout fails it if the abort is lost.
    const endless = { name: "endless", description: "test", sql: "SELECT COUNT(*) AS violations FROM range(1000000000000) t(x) WHERE x % 7 = 9" };
    const b = ws.file("orders", "b.csv", csv(orderRow("U", 1, "2026-11-02 10:00:00", "shipped")));

    const load = ws.load("orders", [b], {
      extraAudits: [endless],
      onProgress: (e) => {
        if (e.stage === "stage" && e.message.startsWith("files")) setTimeout(() => stop.abort(new Error("job timeout (test)")), 200);
      },
      signal: stop.signal,
    });

    await load.then(
      () => expect.fail("the aborted load resolved"),
      (e: Error) => expect(e.message).to.equal("job timeout (test)"),
    );
    expect(ws.snapshot()).to.deep.equal(before);
  }).timeout(60_000);

  it("publishes nothing when the last check before the publish throws (datalake load: a file changed while read)", async () => {
    await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
    const before = ws.snapshot();
    const b = ws.file("orders", "b.csv", csv(orderRow("U", 1, "2026-11-02 10:00:00", "shipped")));

    const load = ws.load("orders", [b], { beforePublish: () => { throw new Error("b.csv changed (test)"); } });

    await load.then(
      () => expect.fail("the stopped load resolved"),
      (e: Error) => expect(e.message).to.equal("b.csv changed (test)"),
    );
    expect(ws.snapshot()).to.deep.equal(before);
    expect((await ws.load("orders", [b])).files[0].outcome).to.equal("LOADED");
  });

  it("reports an audit whose SQL errors as failed instead of publishing", async () => {
    const broken = { name: "broken", description: "bad SQL", sql: "SELECT violations FROM no_such_relation" };

    const summary = await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))], { extraAudits: [broken] });

    expect(summary.status).to.equal("FAILED");
    expect(summary.audits.find((a) => a.name === "broken")?.detail).to.match(/^audit error: /);
    expect(fs.existsSync(path.join(ws.dir, "silver/orders/_current.json"))).to.equal(false);
  });

  it("rolls back to the previous version, or to a named one, moving quarantine along", async () => {
    await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
    await ws.load("orders", [ws.file("orders", "b.csv", csv(orderRow("I", 2, "2026-11-01 10:00:00", "bogus")))]);
    await ws.load("orders", [ws.file("orders", "c.csv", csv(orderRow("I", 3, "2026-11-01 10:00:00")))]);

    const back = await rollbackTable(ws.dir, "orders");
    const afterFirst = await ws.query("SELECT order_id FROM orders ORDER BY order_id");
    const toFirst = await rollbackTable(ws.dir, "orders", "v000001");

    expect(back).to.deep.include({ table: "orders", dataset: "orders", from: "v000003", to: "v000002" });
    expect(afterFirst).to.deep.equal([{ order_id: 1 }]);
    expect(toFirst.to).to.equal("v000001");
    expect(await ws.query("SELECT COUNT(*) AS n FROM quarantine_orders")).to.deep.equal([{ n: 0 }]);
    expect(listVersions(ws.dir, "orders").find((v) => v.current)?.version).to.equal("v000001");
    expect(() => planRollback(ws.dir, "orders", "v000042")).to.throw(/no version v000042/);
    expect(() => planRollback(ws.dir, "orders")).to.throw(/no version older than v000001/);
    expect(() => planRollback(ws.dir, "orders", "v000003")).to.throw(/v000003 is not older than the current version v000001: rollback only goes back/);
    expect(() => planRollback(ws.dir, "dim_nothing")).to.throw(/no published table dim_nothing/);
  });

  it("refuses to roll back a table its dataset no longer loads into (target renamed), before moving anything", async () => {
    await ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
    await ws.load("orders", [ws.file("orders", "b.csv", csv(orderRow("I", 2, "2026-11-01 10:00:00")))]);
    const renamed = { ...getDataset("orders"), target: { ...getDataset("orders").target, table: "orders_v2" } };
    await ws.load(renamed, [ws.file(renamed, "c.csv", csv(orderRow("I", 3, "2026-11-01 10:00:00")))]);

    // It used to start, stop half way (state at v000003, not v000002) and block every later command.
    expect(() => planRollback(ws.dir, "orders")).to.throw(/^silver orders is at v000002 but state of orders is at v000003: orders no longer loads into orders/);
    expect(listVersions(ws.dir, "orders_v2").find((v) => v.current)?.version).to.equal("v000003");
    expect(await ws.load(renamed, [ws.file(renamed, "d.csv", csv(orderRow("I", 4, "2026-11-01 10:00:00")))])).to.deep.include({ status: "SUCCEEDED" });
  });

  it("publishes no version for a run that read no file (each one loaded before, or quarantined whole)", async () => {
    const file = ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")));
    await ws.load("orders", [file]);

    const again = await ws.load("orders", [file, ws.file("orders", "empty.csv", "")]);

    expectConserved(again);
    expect(again).to.include({ status: "SUCCEEDED", published: null });
    expect(again.files.map((f) => f.outcome)).to.deep.equal(["ALREADY_LOADED", "QUARANTINED"]);
    expect(again.counts).to.include({ silverRows: 1, currentRows: 1 });
    expect(listVersions(ws.dir, "orders").map((v) => v.version)).to.deep.equal(["v000001"]);
    const refreshed = await ws.load("orders", [], { fullRefresh: true });
    expect(refreshed.published?.silverVersion, "a full refresh publishes").to.equal("v000002");
  });

  it("refuses a bad DATALAKE_KEEP_VERSIONS before the run, not after its publish", async () => {
    const saved = process.env.DATALAKE_KEEP_VERSIONS;
    process.env.DATALAKE_KEEP_VERSIONS = "abc";
    try {
      const load = ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]);
      await load.then(
        () => expect.fail("the load ran"),
        (err: Error) => expect(err.message).to.equal('DATALAKE_KEEP_VERSIONS must be a whole number of versions, got "abc"'),
      );
    } finally {
      if (saved === undefined) delete process.env.DATALAKE_KEEP_VERSIONS;
      else process.env.DATALAKE_KEEP_VERSIONS = saved;
    }
    expect(fs.existsSync(path.join(ws.dir, "silver")), "nothing published").to.equal(false);
  });

  it(`keeps the current version plus the previous ${KEEP_VERSIONS}`, async () => {
    for (let i = 1; i <= KEEP_VERSIONS + 3; i++) {
      await ws.load("orders", [ws.file("orders", `f${i}.csv`, csv(orderRow("I", i, "2026-11-01 10:00:00")))]);
    }

    const versions = listVersions(ws.dir, "orders");

    expect(versions).to.have.length(KEEP_VERSIONS + 1);
    expect(versions[versions.length - 1]).to.include({ version: `v${String(KEEP_VERSIONS + 3).padStart(6, "0")}`, current: true });
    expect(fs.readdirSync(path.join(ws.dir, "state/orders")).filter((d) => d.startsWith("v"))).to.have.length(KEEP_VERSIONS + 1);
  });

  it("loads two datasets side by side in one workspace", async () => {
    const customers = "Op,customer_id,email,country,signup_date,cdc_ts\nI,1,a@x.com,DE,2024-01-02,2026-11-01 10:00:00\n";

    const [o, c] = await Promise.all([
      ws.load("orders", [ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00")))]),
      ws.load("customers", [ws.file("customers", "c.csv", customers)]),
    ]);

    expectConserved(o);
    expectConserved(c);
    expect(await ws.query("SELECT (SELECT COUNT(*) FROM orders) AS o, (SELECT COUNT(*) FROM customers) AS c")).to.deep.equal([{ o: 1, c: 1 }]);
    expect(fs.readdirSync(path.join(ws.dir, "_tmp/duckdb")), "spill directories are removed").to.deep.equal([]);
  });

  it("offers silver, quarantine_, rejects_, state_ and bronze_<dataset> as query views, partitions included", async () => {
    const file = ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:00", "bogus"), orderRow("?", 3, "2026-11-01 10:00:00")));
    await ws.load("orders", [file]);

    expect(await ws.tables()).to.deep.equal(["bronze_orders", "orders", "quarantine_orders", "rejects_orders", "state_orders"]);
    expect(await ws.query("SELECT order_year, order_month, total_amount FROM orders")).to.deep.equal([
      { order_year: 2026, order_month: 11, total_amount: "10.00" },
    ]);
    expect(fs.existsSync(path.join(ws.dir, "silver/orders/v000001/order_year=2026/order_month=11"))).to.equal(true);
  });
});
