// Partial images (dms keep_previous) whatever the arrival split (docs/dms.md "Partial images"):
// a change that arrives in a later run but orders before the key's state row (a late CDC file, a
// full load landing after CDC files) must re-fill the unlogged columns of the updates after it,
// so loading files in any runs, in any order, gives the silver and quarantine of one run and of a
// full refresh.
import { expect } from "chai";
import type { Manifest, ManifestFile } from "../../engine/contracts";
import { generateInMemory } from "../../local/generator";
import { Rng } from "../../local/generator/prng";
import { getDataset } from "../../datasets";
import { runLoad } from "../../engine/duckdb";
import { dmsOrderScenario } from "../parity/scenarios";
import { TestWorkspace, expectConserved } from "./helpers";

// Run-dependent lineage (_run_id) left out: the same changes, loaded in other runs.
const SILVER = "SELECT * EXCLUDE (_run_id) FROM shipments ORDER BY shipment_id";
const QUARANTINE = "SELECT * EXCLUDE (_run_id) FROM quarantine_shipments ORDER BY shipment_id, _source_key, _row_number";

type Rows = Record<string, unknown>[];
interface Tables {
  silver: Rows;
  quarantine: Rows;
}
interface Source {
  name: string;
  content: string;
}

/** Silver and quarantine after loading `runs` (lists of indexes into `files`) one run each, then after a full refresh. */
async function loadRuns(files: Source[], runs: number[][]): Promise<{ incremental: Tables; refreshed: Tables }> {
  const ws = new TestWorkspace();
  try {
    const entries: ManifestFile[] = files.map((f) => ws.file("shipments", f.name, f.content));
    const tables = async (): Promise<Tables> => ({ silver: await ws.query(SILVER), quarantine: await ws.query(QUARANTINE) });
    for (const run of runs) expectConserved(await ws.load("shipments", run.map((i) => entries[i])));
    const incremental = await tables();
    expectConserved(await ws.load("shipments", [], { fullRefresh: true }));
    return { incremental, refreshed: await tables() };
  } finally {
    ws.cleanup();
  }
}

/** Every split gives the one-run tables, and each equals its own full refresh. */
async function expectSplitsAgree(files: Source[], splits: number[][][]): Promise<Tables> {
  const one = await loadRuns(files, [files.map((_, i) => i)]);
  expect(one.refreshed, "one run = full refresh").to.deep.equal(one.incremental);
  for (const runs of splits) {
    const split = await loadRuns(files, runs);
    const label = JSON.stringify(runs);
    expect(split.incremental.silver, `${label}: silver = one run`).to.deep.equal(one.incremental.silver);
    expect(split.incremental.quarantine, `${label}: quarantine = one run`).to.deep.equal(one.incremental.quarantine);
    expect(split.refreshed, `${label}: full refresh = one run`).to.deep.equal(one.incremental);
  }
  return one.incremental;
}

// Headerless DMS CSV, layout Op?,shipment_id,order_id,carrier,shipped_at,delivered_at.
const LOAD = { name: "LOAD00000001.csv", content: "17,5,DHL,2026-04-01 10:00:00,2026-04-03 10:00:00\n" };

describe("engine (DuckDB): dms partial images, whatever the arrival split", function () {
  it("fills an update from a full load that lands in a later run", async () => {
    const cdc = { name: "20261102-010000000.csv", content: "U,17,5,UPS,2026-04-01 10:00:00,\n" };
    const { silver } = await expectSplitsAgree([LOAD, cdc], [[[1], [0]]]);
    expect(silver.map((r) => [r.carrier, r.delivered_at])).to.deep.equal([["UPS", "2026-04-03 10:00:00"]]);
  });

  it("re-fills an update from a late change ordered between its earlier anchor and it", async () => {
    // W (second CDC file) leaves delivered_at unlogged: filled from the full load at first, then
    // from the late first CDC file (04-05), which orders between them.
    const late = { name: "20261102-010000000.csv", content: "U,17,5,UPS,2026-04-01 10:00:00,2026-04-05 10:00:00\n" };
    const w = { name: "20261102-020000000.csv", content: "U,17,5,FedEx,,\n" };
    const { silver } = await expectSplitsAgree([LOAD, late, w], [[[0, 2], [1]], [[2], [1], [0]]]);
    expect(silver.map((r) => [r.carrier, r.shipped_at, r.delivered_at])).to.deep.equal([["FedEx", "2026-04-01 10:00:00", "2026-04-05 10:00:00"]]);
  });

  it("labels a re-filled update as the one-run load does (quarantine follows the filled values)", async () => {
    // The late full load fills delivered_at earlier than shipped_at: delivered_before_shipped.
    const load = { name: "LOAD00000001.csv", content: "17,5,DHL,2026-04-01 10:00:00,2026-03-30 10:00:00\n" };
    const cdc = { name: "20261102-010000000.csv", content: "U,17,5,UPS,,\n" };
    await expectSplitsAgree([load, cdc], [[[1], [0]]]);
    const { incremental } = await loadRuns([load, cdc], [[1], [0]]);
    expect(incremental.silver).to.deep.equal([]);
    expect(incremental.quarantine.map((r) => [r.carrier, r.delivered_at, r._reasons])).to.deep.equal([["UPS", "2026-03-30 10:00:00", "delivered_before_shipped"]]);
  });

  it("gives one run's silver and quarantine for seeded splits and orders of generated DMS files with partial images", async () => {
    const rng = new Rng(11);
    const files = generateInMemory("shipments", { format: "dms-csv", seed: 7, rows: 80, files: 4, anomalies: true, badShare: 0.05 }).files.map((f) => ({
      name: f.key.slice("shipments/".length),
      content: partialImages(f.content, rng),
    }));
    expect(files.map((f) => f.name)[0]).to.equal("LOAD00000001.csv");
    const splits: number[][][] = [];
    for (let n = 0; n < 5; n++) {
      const order = shuffled(files.map((_, i) => i), rng);
      const runs: number[][] = [[]];
      for (const i of order) {
        if (runs[runs.length - 1].length > 0 && rng.float() < 0.5) runs.push([]);
        runs[runs.length - 1].push(i);
      }
      splits.push(runs);
    }
    await expectSplitsAgree(files, splits);
  });

  it("records in state which rows left a column unlogged (_partial_image), alike after an incremental run, a refill and a full refresh", async () => {
    // Only a partial row is re-filled when a late change orders before it (compile.ts
    // refillKeys). 17: updated in full, so the late file changes nothing; 18: delivered_at
    // unlogged (filled from the full load, then re-filled from the late file); 19: inserted;
    // 20: deleted.
    const load = { name: "LOAD00000001.csv", content: ["17,5,DHL,2026-04-01 10:00:00,2026-04-03 10:00:00", "18,6,DHL,2026-04-01 10:00:00,2026-04-03 10:00:00", "20,8,DHL,,"].join("\n") + "\n" };
    const late = { name: "20261102-010000000.csv", content: ["U,17,5,DPD,2026-04-01 10:00:00,2026-04-04 10:00:00", "U,18,6,DPD,2026-04-01 10:00:00,2026-04-05 10:00:00"].join("\n") + "\n" };
    const cdc = { name: "20261102-020000000.csv", content: ["U,17,5,UPS,2026-04-02 10:00:00,2026-04-06 10:00:00", "U,18,6,UPS,2026-04-02 10:00:00,", "I,19,7,UPS,,", "D,20,8,DHL,,"].join("\n") + "\n" };
    const state = "SELECT shipment_id, carrier, delivered_at, _partial_image FROM state_shipments ORDER BY shipment_id";
    const expected = [
      ["17", "UPS", "2026-04-06 10:00:00", false],
      ["18", "UPS", "2026-04-05 10:00:00", true],
      ["19", "UPS", "", false],
      ["20", "DHL", "", false],
    ];
    const ws = new TestWorkspace();
    try {
      const [l, t, c] = [load, late, cdc].map((f) => ws.file("shipments", f.name, f.content));
      const rows = async () => (await ws.query(state)).map((r) => [r.shipment_id, r.carrier, r.delivered_at, r._partial_image]);
      expectConserved(await ws.load("shipments", [l]));
      expectConserved(await ws.load("shipments", [c]));
      expect((await rows()).map((r) => r[3]), "an incremental run, filled from state").to.deep.equal([false, true, false, false]);
      expectConserved(await ws.load("shipments", [t]));
      expect(await rows(), "after the late file (refill)").to.deep.equal(expected);
      expectConserved(await ws.load("shipments", [], { fullRefresh: true }));
      expect(await rows(), "full refresh").to.deep.equal(expected);
    } finally {
      ws.cleanup();
    }
  });

  it("the parity scenario 'dms change order' (late CDC file, late full-load file) equals a full refresh after every run", async () => {
    // The scenario Spark runs too (test/parity): here each incremental run's tables are checked
    // against a full refresh of the same workspace, which run 2's late files used to break.
    const orders = getDataset("orders");
    const ws = new TestWorkspace();
    try {
      const tables = async () => ({
        silver: await ws.query("SELECT * EXCLUDE (_run_id) FROM orders ORDER BY order_id"),
        quarantine: await ws.query("SELECT * EXCLUDE (_run_id) FROM quarantine_orders ORDER BY order_id, _source_key, _row_number"),
      });
      const load = async (manifest: Manifest) => expectConserved(await runLoad({ workspace: ws.dir, spec: orders, manifest, threads: 1, memoryLimit: "512MB" }));
      const runs = dmsOrderScenario(orders, `${ws.dir}/files`).filter((r) => !r.manifest.fullRefresh);
      for (const [i, run] of runs.entries()) {
        await load(run.manifest);
        const incremental = await tables();
        if (i === 1) {
          // Key 3: filled from the late CDC file (10:02:30), not the full load; key 7: from the late LOAD00000002.
          const rows = await ws.query("SELECT order_id, customer_id, status, total_amount FROM orders WHERE order_id IN (3, 7) ORDER BY order_id");
          expect(rows.map((r) => [r.order_id, r.customer_id, r.status, r.total_amount])).to.deep.equal([
            [3, 102, "paid", "33.00"],
            [7, 107, "paid", "70.00"],
          ]);
        }
        await load({ ...run.manifest, runId: `${run.manifest.runId}-refresh`, files: [], fullRefresh: true });
        expect(await tables(), `${run.label}: incremental = full refresh`).to.deep.equal(incremental);
      }
    } finally {
      ws.cleanup();
    }
  });
});

/** Blanks each non-key column of a CDC update with probability 0.4 (an unlogged column). */
function partialImages(content: string, rng: Rng): string {
  return content
    .split("\n")
    .map((line) => {
      if (!line.startsWith("U,")) return line;
      expect(line, "generated update without quotes").not.to.include('"');
      const fields = line.split(",");
      return fields.map((v, i) => (i >= 3 && rng.float() < 0.4 ? "" : v)).join(",");
    })
    .join("\n");
}

function shuffled<T>(xs: T[], rng: Rng): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
