// Crash safety: a `datalake local` process killed with SIGKILL in the middle of a run (tables
// staged, nothing published) loses nothing. The restarted runtime resumes the run, picks up the
// files that arrived meanwhile, and ends with every file version accounted and silver exact:
// `datalake audit --verify` passes.
import { expect } from "chai";
import { ChildProcess, spawn } from "child_process";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { openQuerySession } from "../../engine/duckdb";
import { cli } from "../cli/helpers";
import { drop, expectAccounted, expectOracle, ordersCsv, startTestRuntime, tempWorkspace, TestRuntime } from "./support";

const ROOT = join(__dirname, "..", "..");

describe("local mode crash safety (kill -9 and restart)", function () {
  this.timeout(120_000);
  let ws: { dir: string; cleanup: () => void };
  let child: ChildProcess | undefined;
  let t: TestRuntime | undefined;
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await t?.runtime.stop();
    t = undefined;
    ws.cleanup();
  });

  const cases = [
    { stage: "audit", when: "between staging and publishing", publishedBeforeKill: false },
    // Its summary is not written yet: run again, the run finds its files in the ledger.
    // Committed (its publish record), its tables moved up to bronze, not the files ledger: the
    // restart finishes the publish first, so the resumed run finds its files loaded.
    { stage: "moved: bronze", when: "in the middle of its publish", publishedBeforeKill: true },
    { stage: "publish", when: "after publishing, before writing its summary", publishedBeforeKill: true },
    { stage: "done", when: "after publishing, before Glue recorded the end", publishedBeforeKill: true },
  ];
  for (const c of cases) {
    it(`finishes a run killed ${c.when}; every file accounted once with its counts, silver exact`, async () => {
      drop(ws.dir, "orders/one.csv", ordersCsv(1, 10));
      drop(ws.dir, "orders/two.csv", ordersCsv(20, 10));
      child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "crash-child.ts"), ws.dir, c.stage], {
        cwd: ROOT,
        stdio: "ignore",
      });
      const marker = join(ws.dir, "ops", "frozen");
      await waitFor(() => existsSync(marker), 90_000, "the child never reached the freeze point");
      const frozenRun = readFileSync(marker, "utf8");
      drop(ws.dir, "orders/three.csv", ordersCsv(40, 10)); // arrives while nobody is watching

      child.kill("SIGKILL");
      await new Promise((resolve) => child!.once("exit", resolve));
      const publishedBeforeRestart = existsSync(join(ws.dir, "silver", "orders", "_current.json"));
      t = await startTestRuntime(ws.dir);
      const report = await t.runtime.settle(90_000);

      expect(publishedBeforeRestart).to.equal(c.publishedBeforeKill);
      const items = await expectAccounted(t.runtime, "orders");
      expect(items.map((i) => i.key).sort()).to.deep.equal(["orders/one.csv", "orders/three.csv", "orders/two.csv"]);
      expect(items.map((i) => [i.status, i.rowsLoaded])).to.deep.equal(items.map(() => ["SUCCEEDED", 10]));
      expect((await t.runtime.audit.getRun(frozenRun))?.status).to.equal("SUCCEEDED");
      expect(t.events.some((e) => e.type === "run-started" && e.runId === frozenRun && e.attempt === 2)).to.equal(true);
      expect(report.failed).to.equal(0);
      await expectOracle(t.runtime, "orders");
      const session = await openQuerySession(ws.dir);
      try {
        const { rows } = await session.query("SELECT count(*) FROM orders");
        expect(Number(rows[0][0])).to.equal(30);
      } finally {
        session.close();
      }
      await t.runtime.stop();
      const verified = await cli("audit", "--verify", "--workspace", ws.dir);
      expect(verified.code, verified.stdout).to.equal(0);
    });
  }

  it("records a run killed after publishing and before its summary from its publish record, with a file it quarantined whole", async () => {
    drop(ws.dir, "orders/one.csv", ordersCsv(1, 10));
    drop(ws.dir, "orders/bad.csv", "no,such,header\n1,2,3\n");
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "crash-child.ts"), ws.dir, "publish"], { cwd: ROOT, stdio: "ignore" });
    await waitFor(() => existsSync(join(ws.dir, "ops", "frozen")), 90_000, "the child never reached the freeze point");
    child.kill("SIGKILL");
    await new Promise((resolve) => child!.once("exit", resolve));
    t = await startTestRuntime(ws.dir);
    await t.runtime.settle(90_000);

    const items = Object.fromEntries((await expectAccounted(t.runtime, "orders")).map((i) => [i.key, i]));
    expect(items["orders/one.csv"]).to.include({ status: "SUCCEEDED", rowsLoaded: 10 });
    expect(items["orders/bad.csv"]).to.include({ status: "QUARANTINED" });
    await t.runtime.stop();
    const verified = await cli("audit", "--verify", "--workspace", ws.dir);
    expect(verified.code, verified.stdout).to.equal(0);
  });

  it("builds the models a load published for when the process was killed before their build", async () => {
    drop(ws.dir, "customers/c1.csv", "customer_id,email,country,signup_date,Op,cdc_ts\n1,a@x.io,DE,2026-01-02,I,2026-11-01 10:00:00\n2,b@x.io,FR,2026-01-03,I,2026-11-01 10:00:01\n");
    child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "crash-child.ts"), ws.dir, "model"], { cwd: ROOT, stdio: "ignore" });
    await waitFor(() => existsSync(join(ws.dir, "ops", "frozen")), 90_000, "the child never started a model build");
    child.kill("SIGKILL");
    await new Promise((resolve) => child!.once("exit", resolve));

    t = await startTestRuntime(ws.dir);
    await t.runtime.settle(90_000);
    await t.runtime.stop();

    // Nothing was left to load: only the debt written before the publish rebuilds the dimension.
    expect(t.events.filter((e) => e.type === "run-started")).to.deep.equal([]);
    const dims = await cli("query", "--workspace", ws.dir, "--json", "SELECT customer_id FROM dim_customer WHERE customer_id IS NOT NULL ORDER BY 1");
    expect(dims.code, dims.stderr).to.equal(0);
    expect(JSON.parse(dims.stdout)).to.deep.equal([{ customer_id: 1 }, { customer_id: 2 }]);
  });
});

async function waitFor(check: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
