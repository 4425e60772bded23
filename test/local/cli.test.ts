// The local-mode verbs as a user runs them (in-process through main()): `demo` loads all six
// reference datasets and shows the audit and a query; `local --once` exits non-zero only when
// something failed; `audit` prints the trail as a table or JSON.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { DATASETS } from "../../datasets";
import type { FileItem } from "../../handlers/audit/items";
import { main } from "../../local/cli";
import { recordingIo } from "../../local/cli-io";
import { exitCode } from "../../local/commands/local";
import { STAR_QUERY } from "../../local/commands/demo";
import { openQuerySession } from "../../engine/duckdb";
import { duckdbExecutor } from "../../local/runtime/defaults";
import { drop, expectAccounted, expectOracle, ordersCsv, startTestRuntime, tempWorkspace } from "./support";

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = recordingIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") };
}

describe("local mode CLI verbs (end to end)", function () {
  this.timeout(180_000);
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  it("demo loads all six datasets, prints the audit per dataset and a sample query", async () => {
    const run = await cli("demo", "--workspace", ws.dir, "--rows", "150");

    expect(run.code, run.stderr).to.equal(0);
    for (const spec of DATASETS.filter((s) => s.name !== "orders")) {
      const line = new RegExp(`^${spec.name}\\s+${spec.target.table}\\s+5\\s+5\\s+0\\s+0\\s+0\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$`, "m").exec(run.stdout);
      expect(line, `${spec.name}'s audit line`).to.not.equal(null);
      // --rows counts every data row of a dataset, full load and changes, as its help says.
      expect(line!.slice(1).reduce((n, c) => n + Number(c), 0), `${spec.name}: rows loaded + quarantined + rejected`).to.equal(150);
    }
    expect((await cli("demo", "--help")).stdout).to.match(/--rows N\s+data rows per dataset, full load \+ changes/);
    // orders: the five generated files load, the broken export is quarantined whole with its reason.
    expect(run.stdout).to.match(/^orders\s+orders\s+6\s+5\s+1\s+0\s+0\s/m);
    expect(run.stdout).to.not.include("was used before");
    // Five generated files per dataset, plus the orders export without a status column.
    const files = DATASETS.length * 5 + 1;
    expect(run.stdout).to.include(`${files} file(s) settled: ${files - 1} succeeded, 1 quarantined, 0 failed`);
    expect(run.stdout).to.include("quarantined whole: orders/export-without-status.csv (missing_column:status)");
    expect(run.stdout).to.match(/sample query: SELECT status/);
    expect(run.stdout).to.match(/^\s*status\b.*\borders\b/m);
    // The star: every model built (none failed), and the star query's revenue is all of silver's.
    expect(run.stdout).to.match(/\d+ model build\(s\), 0 failed/);
    expect(run.stdout).to.include(`star schema query: ${STAR_QUERY}`);
    expect(run.stdout).to.match(/^year\s+month\s+country\s+orders\s+revenue/m);
    const q = await openQuerySession(ws.dir);
    try {
      const [star] = (await q.query(`SELECT sum(revenue) AS revenue, sum(orders) AS orders FROM (${STAR_QUERY.replace(/ LIMIT 12$/, "")})`)).rows;
      const [silver] = (await q.query("SELECT sum(total_amount) AS revenue, count(*) AS orders FROM orders")).rows;
      expect(String(star[0])).to.equal(String(silver[0]));
      expect(Number(star[1])).to.equal(Number(silver[1]));
      // Orders name generated customers: most resolve to a customer version, not the unknown member.
      const [resolved] = (await q.query("SELECT count(*) FILTER (WHERE customer_key <> -1), count(*) FROM fact_orders")).rows;
      expect(Number(resolved[0]), "orders with a customer").to.be.greaterThan(Number(resolved[1]) * 0.75);
    } finally {
      q.close();
    }
    // The workspace it left behind satisfies both invariants for every dataset.
    const t = await startTestRuntime(ws.dir);
    try {
      for (const spec of DATASETS) {
        await expectAccounted(t.runtime, spec.name);
        await expectOracle(t.runtime, spec.name);
      }
    } finally {
      await t.runtime.stop();
    }
    // Again in the same workspace: said up front, and the same files count as skipped.
    const again = await cli("demo", "--workspace", ws.dir, "--rows", "150");
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include(`demo: ${ws.dir} was used before: files whose bytes loaded then are skipped (duplicate_content)`);
    expect(again.stdout).to.match(/^customers\s+customers\s+10\s+5\s+0\s+0\s+5\s/m);
  });

  it("local --once exits 0 when everything loaded and prints one line per file and run", async () => {
    drop(ws.dir, "orders/a.csv", ordersCsv(1, 3));
    drop(ws.dir, "orders/b.csv", ordersCsv(10, 3));

    const run = await cli("local", "--once", "--workspace", ws.dir);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^file orders\s+SUCCEEDED\s+orders\/a\.csv/m);
    expect(run.stdout).to.match(/^file orders\s+SUCCEEDED\s+orders\/b\.csv/m);
    expect(run.stdout).to.match(/^run  orders\s+SUCCEEDED/m);
    expect(run.stdout).to.match(/2 file\(s\) settled: 2 succeeded/);
  });

  it("local on a fresh workspace creates every dataset's landing folder, so the first `cp` works", async () => {
    const run = await cli("local", "--once", "--workspace", ws.dir);

    expect(run.code, run.stderr).to.equal(0);
    for (const spec of DATASETS) expect(existsSync(join(ws.dir, "landing", spec.prefix)), spec.prefix).to.equal(true);
    expect(run.stdout).to.match(/0 file\(s\) settled/);
  });

  it("a file copied again with the same bytes is SKIPPED duplicate_content; changed bytes load", async () => {
    drop(ws.dir, "orders/a.csv", ordersCsv(1, 3));
    expect((await cli("local", "--once", "--workspace", ws.dir)).code).to.equal(0);

    drop(ws.dir, "orders/a.csv", ordersCsv(1, 3));
    const again = await cli("local", "--once", "--workspace", ws.dir);
    drop(ws.dir, "orders/a.csv", ordersCsv(1, 4));
    const changed = await cli("local", "--once", "--workspace", ws.dir);

    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/^file orders\s+SKIPPED\s+orders\/a\.csv.*duplicate_content/m);
    expect(again.stdout).to.match(/1 file\(s\) settled: 0 succeeded, 0 quarantined, 0 failed, 1 skipped; 0 run\(s\)/);
    expect(changed.stdout).to.match(/^file orders\s+SUCCEEDED\s+orders\/a\.csv/m);
  });

  it("local --once exits 1 when a run failed, and the files end FAILED with the run's error", async () => {
    drop(ws.dir, "orders/a.csv", ordersCsv(1, 2));
    const t = await startTestRuntime(ws.dir, {
      executor: async () => {
        throw new Error("disk full");
      },
    });
    const report = await t.runtime.settle(60_000);
    const items = await expectAccounted(t.runtime, "orders");
    await t.runtime.stop();

    expect(exitCode(report)).to.equal(1);
    expect(report.failedRuns).to.have.length(1);
    expect(items.map((i) => i.status)).to.deep.equal(["FAILED"]);
    expect(items[0].reason).to.match(/disk full/);
  });

  it("stops a run that outlives the job timeout: TIMEOUT, its files FAILED, and the next load runs", async () => {
    drop(ws.dir, "orders/a.csv", ordersCsv(1, 2));
    let calls = 0;
    const t = await startTestRuntime(ws.dir, {
      // Long enough for the second run's tiny DuckDB load on a busy 2-core CI machine.
      jobTimeoutMs: 3000,
      // The first run hangs (a stuck engine) until the timeout aborts it; later runs load.
      executor: (input) => {
        if (++calls > 1) return duckdbExecutor(input);
        return new Promise((_, reject) => input.signal!.addEventListener("abort", () => reject(input.signal!.reason)));
      },
    });
    try {
      const first = await t.runtime.settle(60_000);
      drop(ws.dir, "orders/b.csv", ordersCsv(10, 3));
      const second = await t.runtime.settle(60_000);
      const items = await expectAccounted(t.runtime, "orders");

      expect(first.failedRuns).to.have.length(1);
      const timedOut = t.events.find((e) => e.type === "run-finished" && e.state === "TIMEOUT");
      expect(timedOut, JSON.stringify(t.events)).to.not.equal(undefined);
      const byKey = Object.fromEntries(items.map((i) => [i.key, i]));
      expect(byKey["orders/a.csv"].status).to.equal("FAILED");
      expect(byKey["orders/a.csv"].reason).to.match(/job timeout of 0\.05 min/);
      expect(byKey["orders/b.csv"].status).to.equal("SUCCEEDED");
      expect(second.failedRuns).to.have.length(1); // still only the timed-out one
    } finally {
      await t.runtime.stop();
    }
  });

  it("audit prints a table with file, version, status, counts, reason and run, and --json", async () => {
    drop(ws.dir, "orders/good.csv", ordersCsv(1, 3));
    drop(ws.dir, "orders/bad.csv", "order_id,cdc_ts\n1,2026-11-01 10:00:00\n");
    const once = await cli("local", "--once", "--workspace", ws.dir, "--json");

    const table = await cli("audit", "--workspace", ws.dir, "--dataset", "orders");
    const json = await cli("audit", "--workspace", ws.dir, "--json");
    const runs = await cli("audit", "--workspace", ws.dir, "--runs");

    expect(once.code, once.stderr).to.equal(0);
    expect(JSON.parse(once.stdout)).to.have.length(2);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/^dataset\s+file\s+version\s+status\s+loaded\s+quarantined\s+rejected\s+reason\s+run/m);
    expect(table.stdout).to.match(/^orders\s+orders\/good\.csv\s+\S+\s+SUCCEEDED\s+3\s+0\s+0\s+\S+/m);
    expect(table.stdout).to.match(/^orders\s+orders\/bad\.csv\s+\S+\s+QUARANTINED\s+.*missing_column/m);
    expect(runs.stdout).to.match(/^dataset\s+run\s+status\s+files\s+read\s+silver\s+quarantine\s+rejected/m);
    expect(runs.stdout).to.match(/^orders\s+\S+\s+SUCCEEDED\s+[12]\s+\d+/m);
    const items = JSON.parse(json.stdout) as FileItem[];
    expect(items.map((i) => i.key).sort()).to.deep.equal(["orders/bad.csv", "orders/good.csv"]);
  });
});
