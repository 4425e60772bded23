// A load killed during its publish (engine/duckdb/publish-journal.ts). The disk as a kill -9 left
// it is copied at each point of the publish (the progress callback runs synchronously between
// two writes, so the copy is exactly that instant); the next load runs on the copy, over the same
// file. Whatever the point, every row of the file is in bronze, state, silver, quarantine or
// rejects exactly once, and accounted for once: by the killed run once it committed (its publish
// record, with its files ledger in place), by the next run otherwise.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { getDataset } from "../../datasets";
import type { ManifestFile, RunSummary } from "../../engine/contracts";
import { runLoad, type ProgressEvent } from "../../engine/duckdb";
import { ORDERS_HEADER, TestWorkspace, orderRow } from "./helpers";

const csv = (...rows: string[]) => [ORDERS_HEADER, ...rows].join("\n") + "\n";
const ORDERS = getDataset("orders");

/** What a row of each table is, run ids left out (they differ between the runs compared). */
const CONTENTS = {
  silver: "SELECT order_id, status FROM orders ORDER BY ALL",
  quarantine: "SELECT order_id, _reasons FROM quarantine_orders ORDER BY ALL",
  state: "SELECT order_id, status, _op, _file_id, _row_number FROM state_orders ORDER BY ALL",
  rejects: "SELECT order_id, _reasons FROM rejects_orders ORDER BY ALL",
  bronze: "SELECT order_id, _op, _file_id, _row_number FROM bronze_orders ORDER BY ALL",
};

/** Stage and message of the progress event at which the process is "killed". */
type KillPoint = [stage: string, message?: string];

describe("engine (DuckDB): a load killed during its publish", function () {
  this.timeout(120_000);
  let ws: TestWorkspace;
  let first: ManifestFile;
  let second: ManifestFile;
  let expected: Record<string, unknown>;
  const images: TestWorkspace[] = [];

  const load = (w: TestWorkspace, runId: string, files: ManifestFile[], onProgress?: (e: ProgressEvent) => void): Promise<RunSummary> =>
    runLoad({ workspace: w.dir, spec: ORDERS, manifest: { version: 1, dataset: "orders", runId, createdAt: "2026-11-21T08:00:00.000Z", files }, threads: 1, memoryLimit: "512MB", onProgress });

  /** Runs `runId` over `second` on `w`, and returns a copy of the disk as it was at `at` (the run itself goes on). */
  async function killedAt(w: TestWorkspace, runId: string, at: KillPoint): Promise<TestWorkspace> {
    const image = new TestWorkspace("publish-crash-image-");
    images.push(image);
    let taken = false;
    await load(w, runId, [second], (e) => {
      if (taken || e.stage !== at[0] || (at[1] !== undefined && e.message !== at[1])) return;
      fs.cpSync(w.dir, image.dir, { recursive: true });
      taken = true;
    });
    expect(taken, `the load reached ${at.join(": ")}`).to.equal(true);
    return image;
  }

  async function contents(w: TestWorkspace): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [table, sql] of Object.entries(CONTENTS)) out[table] = await w.query(sql);
    return out;
  }

  /** Rows of `second` the audit trail gets: from the killed run's record once its ledger is in place (cli-open-loads.ts), then from the next run. */
  function accounted(w: TestWorkspace, killedRunId: string, next: RunSummary): number {
    const loaded = (s: RunSummary) => s.files.filter((f) => f.outcome === "LOADED").reduce((n, f) => n + f.rowsRead, 0);
    const record = path.join(w.dir, "ops/summaries/orders", `${killedRunId}.publish.json`);
    const committed = fs.existsSync(path.join(w.dir, "bronze/orders/_files", `${killedRunId}.parquet`));
    return (committed && fs.existsSync(record) ? loaded(JSON.parse(fs.readFileSync(record, "utf8")) as RunSummary) : 0) + loaded(next);
  }

  before(async () => {
    // The reference: the same two files loaded with no kill.
    const clean = new TestWorkspace("publish-crash-clean-");
    images.push(clean);
    first = clean.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:00")));
    // An update, an insert, a row for quarantine and one rejected (no Op): every table gets a row.
    second = clean.file("orders", "b.csv", csv(orderRow("U", 1, "2026-11-02 10:00:00", "shipped"), orderRow("I", 3, "2026-11-02 10:00:00"), orderRow("I", 4, "2026-11-02 10:00:00", "bogus"), orderRow("?", 5, "2026-11-02 10:00:00")));
    await load(clean, "run-001", [first]);
    await load(clean, "run-002", [second]);
    expected = await contents(clean);
    expect((expected.bronze as unknown[]).length, "reference bronze").to.equal(6);
  });
  beforeEach(async () => {
    ws = new TestWorkspace("publish-crash-");
    images.push(ws);
    await load(ws, "run-001", [first]);
  });
  after(() => images.forEach((w) => w.cleanup()));

  const points: { at: KillPoint; committed: boolean }[] = [
    { at: ["audit"], committed: false },
    { at: ["journal"], committed: false },
    { at: ["commit"], committed: true },
    ...["silver", "quarantine", "state", "rejects", "bronze", "files"].map((role) => ({ at: ["moved", role] as KillPoint, committed: true })),
  ];
  for (const { at, committed } of points) {
    it(`killed at ${at.join(": ")}: the next load ${committed ? "finishes its publish, then finds the file loaded" : "removes its staging and loads the file"}; each row once`, async () => {
      const killed = await killedAt(ws, "run-002", at);

      const next = await load(killed, "run-003", [second]);

      expect(next.status, next.error).to.equal("SUCCEEDED");
      expect(next.files[0].outcome).to.equal(committed ? "ALREADY_LOADED" : "LOADED");
      expect(await contents(killed)).to.deep.equal(expected);
      expect(accounted(killed, "run-002", next), "rows of b.csv in the audit trail").to.equal(4);
      expect(fs.existsSync(path.join(killed.dir, "_staging")), "staging left").to.equal(false);
      if (!committed) expect(fs.existsSync(path.join(killed.dir, "ops/summaries/orders/run-002.publish.json")), "no record of a run that never committed").to.equal(false);
    });
  }

  for (const role of ["silver", "state", "bronze", "files"]) {
    it(`killed again while the next load finishes the publish (after its ${role}): the load after that finishes it; each row once`, async () => {
      const killed = await killedAt(ws, "run-002", ["moved", "silver"]);
      const killedTwice = await killedAt(killed, "run-003", ["moved", `${role} (run run-002)`]);

      const next = await load(killedTwice, "run-004", [second]);

      expect(next.files[0].outcome).to.equal("ALREADY_LOADED");
      expect(await contents(killedTwice)).to.deep.equal(expected);
      expect(accounted(killedTwice, "run-002", next)).to.equal(4);
      expect(fs.existsSync(path.join(killedTwice.dir, "_staging"))).to.equal(false);
    });
  }

  it("the same run resumed after its commit point under a changed plan (local restarted after a spec edit): it finishes its publish and its record stands", async () => {
    const killed = await killedAt(ws, "run-002", ["moved", "silver"]);
    const recordFile = path.join(killed.dir, "ops/summaries/orders/run-002.publish.json");
    const record = fs.readFileSync(recordFile, "utf8");
    // Another rule: another plan fingerprint, so a run executed again would rebuild in full.
    const edited = { ...ORDERS, rules: [...ORDERS.rules, { kind: "not_null" as const, column: "status" }] };

    const resumed = await runLoad({ workspace: killed.dir, spec: edited, manifest: { version: 1, dataset: "orders", runId: "run-002", createdAt: "2026-11-21T08:00:00.000Z", files: [second] }, threads: 1, memoryLimit: "512MB" });

    expect(resumed.files.map((f) => [f.outcome, f.rowsRead])).to.deep.equal([["LOADED", 4]]);
    expect(fs.readFileSync(recordFile, "utf8"), "the publish record").to.equal(record);
    expect(await contents(killed)).to.deep.equal(expected);
    expect(fs.existsSync(path.join(killed.dir, "_staging")), "staging left").to.equal(false);
  });

  it("a publish whose move fails after the record is left committed: the run rejects, the next load finishes it", async () => {
    const failing = load(ws, "run-002", [second], (e) => {
      if (e.stage === "moved" && e.message === "state") throw new Error("disk full (test)");
    });

    await failing.then(
      () => expect.fail("the load resolved"),
      (e: Error) => expect(e.message).to.equal("publish of run run-002 cut short after its publish record (disk full (test)): the next load of the dataset finishes it"),
    );
    expect(fs.existsSync(path.join(ws.dir, "_staging/orders/run-002/_publish.json")), "the journal is kept").to.equal(true);
    const next = await load(ws, "run-003", [second]);
    expect(next.files[0].outcome).to.equal("ALREADY_LOADED");
    expect(await contents(ws)).to.deep.equal(expected);
  });
});
