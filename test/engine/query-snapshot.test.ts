// A query session reads the tables as they were at one moment with no publish half done
// (engine/duckdb/query-snapshot.ts). The disk of a load stopped right after its publish record
// (before any move) is copied, as publish-crash.test.ts does, and queried.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { getDataset } from "../../datasets";
import type { ManifestFile } from "../../engine/contracts";
import { openQuerySession, runLoad } from "../../engine/duckdb";
import { finishPublishes } from "../../engine/duckdb/publish-journal";
import { consistentViews } from "../../engine/duckdb/query-snapshot";
import { ORDERS_HEADER, TestWorkspace, orderRow } from "./helpers";

const csv = (...rows: string[]) => [ORDERS_HEADER, ...rows].join("\n") + "\n";
// A key quarantined by the second run: between the moves of silver and quarantine, a session
// reading pointers one by one saw it in both tables.
const KEYS = "SELECT (SELECT string_agg(CAST(order_id AS VARCHAR), ',' ORDER BY order_id) FROM orders) AS silver, (SELECT string_agg(CAST(order_id AS VARCHAR), ',' ORDER BY order_id) FROM quarantine_orders) AS quarantine";

describe("engine (DuckDB): a query session reads one moment with no publish half done", function () {
  this.timeout(120_000);
  const workspaces: TestWorkspace[] = [];
  after(() => workspaces.forEach((w) => w.cleanup()));

  /** A workspace after run-001, and a copy of it as run-002 left it right after its publish record. */
  async function committedNotMoved(): Promise<TestWorkspace> {
    const ws = new TestWorkspace("query-snapshot-");
    const image = new TestWorkspace("query-snapshot-image-");
    workspaces.push(ws, image);
    const load = (runId: string, files: ManifestFile[], onProgress?: Parameters<typeof runLoad>[0]["onProgress"]) =>
      runLoad({ workspace: ws.dir, spec: getDataset("orders"), manifest: { version: 1, dataset: "orders", runId, createdAt: "2026-11-21T08:00:00.000Z", files }, threads: 1, memoryLimit: "512MB", onProgress });
    const first = ws.file("orders", "a.csv", csv(orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:00")));
    const second = ws.file("orders", "b.csv", csv(orderRow("U", 2, "2026-11-02 10:00:00", "bogus"), orderRow("I", 3, "2026-11-02 10:00:00")));
    await load("run-001", [first]);
    let copied = false;
    await load("run-002", [second], (e) => {
      if (e.stage !== "commit" || copied) return;
      fs.cpSync(ws.dir, image.dir, { recursive: true });
      copied = true;
    });
    expect(copied, "the load reached its commit point").to.equal(true);
    return image;
  }

  async function keys(dir: string, publishWaitMs: number): Promise<{ row: unknown[]; unfinished: string[] }> {
    const session = await openQuerySession(dir, { threads: 1, publishWaitMs });
    try {
      return { row: (await session.query(KEYS)).rows[0], unfinished: session.unfinished };
    } finally {
      session.close();
    }
  }

  it("waits for a publish under way, then reads all of its tables", async () => {
    const image = await committedNotMoved();
    // What the next load does first (publish-journal.ts), while the session waits.
    const finisher = setTimeout(() => finishPublishes(image.dir, ["orders"]), 200);
    try {
      const { row, unfinished } = await keys(image.dir, 30_000);
      expect(unfinished).to.deep.equal([]);
      expect(row, "silver and quarantine of run-002").to.deep.equal(["1,3", "2"]);
    } finally {
      clearTimeout(finisher);
    }
  });

  it("opens past the wait on a publish a stopped load left unfinished, and names it", async () => {
    const image = await committedNotMoved();
    const { row, unfinished } = await keys(image.dir, 100);
    expect(unfinished).to.deep.equal(["orders run run-002"]);
    expect(row, "the tables of run-001: no move was made").to.deep.equal(["1,2", null]);
    expect(fs.existsSync(path.join(image.dir, "_staging/orders/run-002/_publish.json")), "a query finishes nothing").to.equal(true);
  });

  it("collects the views again when a pointer moved while it collected them", async () => {
    const ws = new TestWorkspace("query-snapshot-pointer-");
    workspaces.push(ws);
    const pointer = path.join(ws.dir, "silver", "orders", "_current.json");
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    fs.writeFileSync(pointer, JSON.stringify({ version: "v000001" }));
    let calls = 0;
    const { views } = await consistentViews(ws.dir, () => {
      calls++;
      // A publish moves silver's pointer during the first collection only.
      if (calls === 1) fs.writeFileSync(pointer, JSON.stringify({ version: "v000002" }));
      return fs.readFileSync(pointer, "utf8");
    });
    expect(calls).to.equal(2);
    expect(JSON.parse(views)).to.deep.equal({ version: "v000002" });
  });
});
