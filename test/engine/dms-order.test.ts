// Change order of a dms dataset (docs/dms.md "Ordering, full-load race, reload, partial images"): the DMS file sequence without a timestamp
// column, the full-load race, load generations (reload-target), and partial images
// (keep_previous). Every case is loaded file by file and all at once, and rebuilt with a full
// refresh: all three give the same silver.
import { expect } from "chai";
import { getDataset, type DatasetSpec } from "../../datasets";
import type { ManifestFile } from "../../engine/contracts";
import { receivedAtText } from "../../engine/duckdb/read-files";
import { TestWorkspace, expectConserved } from "./helpers";

// DMS with AddColumnName=true: full-load files have no Op column, CDC files have it first.
const LOAD_HEADER = "order_id,customer_id,order_ts,status,total_amount";
const CDC_HEADER = "Op,order_id,customer_id,order_ts,status,total_amount";
const lines = (header: string, ...rows: string[]) => [header, ...rows].join("\n") + "\n";
const SILVER = "SELECT order_id, customer_id, status, total_amount, cdc_ts FROM orders ORDER BY order_id";

type Rows = Record<string, unknown>[];

/** Silver after loading `files` one run each (in the given order), all in one run, and refreshed. */
async function silverThreeWays(spec: DatasetSpec | string, make: (ws: TestWorkspace) => ManifestFile[][]): Promise<Rows> {
  const results: Rows[] = [];
  for (const mode of ["one by one", "all at once"] as const) {
    const ws = new TestWorkspace();
    try {
      const batches = make(ws);
      const runs = mode === "one by one" ? batches : [batches.flat()];
      for (const files of runs) expectConserved(await ws.load(spec, files));
      results.push(await ws.query(SILVER));
      expectConserved(await ws.load(spec, [], { fullRefresh: true }));
      expect(await ws.query(SILVER), `${mode}: full refresh = incremental`).to.deep.equal(results[results.length - 1]);
    } finally {
      ws.cleanup();
    }
  }
  expect(results[1], "all at once = one by one").to.deep.equal(results[0]);
  return results[0];
}

/** Which batches, loaded one by one, a refresh_check turned into a full refresh (compile.ts regenerationCheck). */
async function switchedBatches(make: (ws: TestWorkspace) => ManifestFile[][]): Promise<number[]> {
  const ws = new TestWorkspace();
  try {
    const switched: number[] = [];
    for (const [i, files] of make(ws).entries()) {
      const onProgress = (p: { stage: string; message: string }) => {
        if (p.stage === "mode" && p.message.includes("reload generation")) switched.push(i);
      };
      expectConserved(await ws.load("orders", files, { onProgress }));
    }
    return switched;
  } finally {
    ws.cleanup();
  }
}

describe("engine (DuckDB): dms change order", function () {
  it("records receivedAt in the files ledger as ISO UTC with milliseconds (twin: csv_reader.received_at)", () => {
    expect(receivedAtText("2026-11-30T15:29:52Z")).to.equal("2026-11-30T15:29:52.000Z");
    expect(receivedAtText("2026-11-30T15:29:52.123456Z")).to.equal("2026-11-30T15:29:52.123Z");
    expect(receivedAtText("2026-11-30T17:29:52.5+02:00")).to.equal("2026-11-30T15:29:52.500Z");
    // Without a zone: UTC, whatever the machine's zone is.
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      expect(receivedAtText("2026-11-30T15:29:52")).to.equal("2026-11-30T15:29:52.000Z");
      expect(receivedAtText("2026-11-30 15:29:52.25")).to.equal("2026-11-30T15:29:52.250Z");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("orders changes without a timestamp column by the DMS file sequence and row position", async () => {
    // CDC files in date-partitioned folders: their object keys sort BEFORE the full-load file's,
    // and the later CDC file's folder sorts before the earlier one's: only the file sequence
    // (LOAD first, then CDC names) gives the right order. One CDC file updates and deletes key 2
    // in one transaction: row position decides.
    const silver = await silverThreeWays("orders", (ws) => [
      [ws.file("orders", "LOAD00000001.csv", lines(LOAD_HEADER, "1,100,2026-11-01 09:00:00,pending,10.00", "2,100,2026-11-01 09:00:00,pending,20.00", "3,100,2026-11-01 09:00:00,pending,30.00"), { key: "SALES/ORDERS/LOAD00000001.csv" })],
      [ws.file("orders", "c1.csv", lines(CDC_HEADER, "U,1,100,2026-11-01 09:00:00,paid,10.00", "U,2,100,2026-11-01 09:00:00,paid,20.00", "D,2,100,2026-11-01 09:00:00,paid,20.00", "U,3,100,2026-11-01 09:00:00,paid,30.00"), { key: "SALES/ORDERS/b/20261130-100000000.csv" })],
      [ws.file("orders", "c2.csv", lines(CDC_HEADER, "U,3,100,2026-11-01 09:00:00,shipped,30.00", "I,4,101,2026-11-01 09:00:00,pending,40.00"), { key: "SALES/ORDERS/a/20261130-110000000.csv" })],
    ]);
    expect(silver).to.deep.equal([
      { order_id: 1, customer_id: 100, status: "paid", total_amount: "10.00", cdc_ts: null },
      { order_id: 3, customer_id: 100, status: "shipped", total_amount: "30.00", cdc_ts: null },
      { order_id: 4, customer_id: 101, status: "pending", total_amount: "40.00", cdc_ts: null },
    ]);
  });

  it("loads files in reverse DMS order to the same silver", async () => {
    const silver = await silverThreeWays("orders", (ws) =>
      [
        [ws.file("orders", "LOAD00000001.csv", lines(LOAD_HEADER, "1,100,2026-11-01 09:00:00,pending,10.00"), { key: "orders/2026/11/30/load00000001.csv" })],
        [ws.file("orders", "c1.csv", lines(CDC_HEADER, "U,1,100,2026-11-01 09:00:00,paid,10.00"), { key: "orders/2026/11/30/20261130-100000000.csv" })],
        [ws.file("orders", "c2.csv", lines(CDC_HEADER, "U,1,100,2026-11-01 09:00:00,shipped,10.00"), { key: "orders/2026/11/30/20261130-110000000.csv" })],
      ].reverse(),
    );
    expect(silver.map((r) => r.status)).to.deep.equal(["shipped"]);
  });

  it("lets a key's CDC change follow its full-load row though the load's transfer timestamp is later (full-load race)", async () => {
    const header = `${LOAD_HEADER},cdc_ts`;
    const silver = await silverThreeWays("orders", (ws) => [
      // DMS stamps full-load rows with the transfer time (10:05), later than the update committed
      // during the load (10:01) and applied after it. Key 2's update and delete share a commit time.
      [ws.file("orders", "LOAD00000001.csv", lines(header, "1,100,2026-11-01 09:00:00,pending,10.00,2026-11-30 10:05:00", "2,100,2026-11-01 09:00:00,pending,20.00,2026-11-30 10:05:00"), { key: "orders/LOAD00000001.csv" })],
      [ws.file("orders", "c1.csv", lines(`Op,${header}`, "U,1,100,2026-11-01 09:00:00,paid,10.00,2026-11-30 10:01:00", "U,2,100,2026-11-01 09:00:00,paid,20.00,2026-11-30 10:02:00", "D,2,100,2026-11-01 09:00:00,paid,20.00,2026-11-30 10:02:00"), { key: "orders/20261130-100600000.csv" })],
    ]);
    expect(silver).to.deep.equal([{ order_id: 1, customer_id: 100, status: "paid", total_amount: "10.00", cdc_ts: "2026-11-30 10:01:00" }]);
  });

  it("orders changes without a timestamp before stamped ones (TimestampColumnName turned on)", async () => {
    // The later CDC file's name sorts first here, so only the timestamp (NULL lowest) decides.
    const silver = await silverThreeWays("orders", (ws) => [
      [ws.file("orders", "c1.csv", lines(CDC_HEADER, "I,1,100,2026-11-01 09:00:00,paid,10.00"), { key: "orders/20261130-110000000.csv" })],
      [ws.file("orders", "c2.csv", lines(`${CDC_HEADER},cdc_ts`, "U,1,100,2026-11-01 09:00:00,shipped,10.00,2026-11-30 10:00:00"), { key: "orders/20261130-100000000.csv" })],
    ]);
    expect(silver.map((r) => r.status)).to.deep.equal(["shipped"]);
  });

  const at = (h: string) => ({ receivedAt: `2026-11-30T${h}:00.000Z` });
  const reloadInOrder = (ws: TestWorkspace): ManifestFile[][] => [
    [ws.file("orders", "L1", lines(LOAD_HEADER, "1,100,2026-11-01 09:00:00,pending,10.00", "2,100,2026-11-01 09:00:00,pending,20.00", "3,100,2026-11-01 09:00:00,pending,30.00"), { key: "orders/LOAD00000001.csv", ...at("09:00") })],
    [ws.file("orders", "C1", lines(CDC_HEADER, "U,1,100,2026-11-01 09:00:00,paid,10.00", "U,2,100,2026-11-01 09:00:00,paid,20.00", "U,3,100,2026-11-01 09:00:00,paid,30.00"), { key: "orders/20261130-100000000.csv", ...at("10:00") })],
    // reload-target: the same object key again (a new version); key 3 is absent from it.
    [ws.file("orders", "L1b", lines(LOAD_HEADER, "1,100,2026-11-01 09:00:00,cancelled,11.00", "2,100,2026-11-01 09:00:00,refunded,21.00"), { key: "orders/LOAD00000001.csv", ...at("12:00") })],
    [ws.file("orders", "C2", lines(CDC_HEADER, "U,2,100,2026-11-01 09:00:00,delivered,21.00"), { key: "orders/20261130-121000000.csv", ...at("12:10") })],
  ];

  it("a reload (new LOAD versions received later) wins over every change of the earlier generation", async () => {
    const silver = await silverThreeWays("orders", reloadInOrder);
    expect(silver.map((r) => [r.order_id, r.status])).to.deep.equal([
      [1, "cancelled"],
      [2, "delivered"],
      [3, "paid"],
    ]);
    // Loaded in arrival order, the reload dates no file loaded before it: every run incremental.
    expect(await switchedBatches(reloadInOrder)).to.deep.equal([]);
  });

  // Files loaded out of arrival order (compile.ts regenerationCheck): the run that moves files
  // already loaded into another generation is a full refresh, the runs before it incremental.
  const [l1, c1, l1b, c2] = [0, 1, 2, 3];
  const outOfOrder: Array<[string, number[]]> = [
    // C2 was received after the reload but is loaded before it (the reload's event was lost and
    // re-driven by the reconciler).
    ["a reload loaded after a CDC file received later than it (a re-driven event) still orders that file after the reload", [l1, c1, c2, l1b]],
    // L1 (09:00) is loaded last: until then L1b was the key's only version (no reload), and C1's
    // paid beat it; with L1 in the ledger L1b is a reload and its rows beat C1's.
    ["the first version of a LOAD key loaded after its reload makes that reload's generation, whatever the load order", [c1, l1b, c2, l1]],
  ];
  for (const [name, order] of outOfOrder) {
    it(name, async () => {
      const late = (ws: TestWorkspace) => {
        const batches = reloadInOrder(ws);
        return order.map((i) => batches[i]);
      };
      const silver = await silverThreeWays("orders", late);
      expect(silver.map((r) => [r.order_id, r.status])).to.deep.equal([
        [1, "cancelled"],
        [2, "delivered"],
        [3, "paid"],
      ]);
      expect(await switchedBatches(late)).to.deep.equal([3]);
    });
  }

  it("a folder of DMS output copied in bulk (CDC files landing before the LOAD files) is ordered by the file sequence, not taken for a reload", async () => {
    // `aws s3 sync` / `cp -r` upload in name order: "2026..." sorts before "LOAD...", so the CDC
    // files arrive first. One version per key: no reload, the full load still comes first.
    const at = (h: string) => ({ receivedAt: `2026-11-30T${h}:00.000Z` });
    const silver = await silverThreeWays("orders", (ws) => [
      [ws.file("orders", "C1", lines(CDC_HEADER, "U,1,100,2026-11-01 09:00:00,paid,10.00", "D,2,100,2026-11-01 09:00:00,pending,20.00"), { key: "orders/20261130-100000000.csv", ...at("12:00") })],
      [ws.file("orders", "L1", lines(LOAD_HEADER, "1,100,2026-11-01 09:00:00,pending,10.00", "2,100,2026-11-01 09:00:00,pending,20.00"), { key: "orders/LOAD00000001.csv", ...at("12:01") })],
      [ws.file("orders", "L2", lines(LOAD_HEADER, "3,100,2026-11-01 09:00:00,pending,30.00"), { key: "orders/LOAD00000002.csv", ...at("12:02") })],
    ]);
    expect(silver.map((r) => [r.order_id, r.status])).to.deep.equal([
      [1, "paid"],
      [3, "pending"],
    ]);
  });

  describe("partial images", function () {
    const orders = getDataset("orders");
    // The normalized orders spec with other DMS options (as validate.ts would normalize them).
    const withDms = (dms: Partial<NonNullable<DatasetSpec["dms"]>>): DatasetSpec => ({ ...orders, dms: { ...orders.dms!, ...dms } });
    const load = (ws: TestWorkspace) => ws.file("orders", "LOAD00000001.csv", lines(LOAD_HEADER, "1,100,2026-11-01 09:00:00,pending,10.00", "2,100,2026-11-01 09:00:00,pending,20.00"));

    it("keeps an update's NULL / empty columns from the key's previous change, across runs and within one batch", async () => {
      const silver = await silverThreeWays("orders", (ws) => [
        [load(ws)],
        // key 1: amount not logged (empty), then status not logged: both keep the earlier values.
        [ws.file("orders", "c1.csv", lines(CDC_HEADER, "U,1,,2026-11-01 09:00:00,paid,", "U,1,100,2026-11-01 09:00:00,,12.00"), { key: "orders/20261130-100000000.csv" })],
        // key 2 across runs; key 5: an insert is taken as written (its empty status is quarantined).
        [ws.file("orders", "c2.csv", lines(CDC_HEADER, "U,2,,,shipped,", "I,5,100,2026-11-01 09:00:00,,50.00", "U,5,,,,51.00"), { key: "orders/20261130-110000000.csv" })],
      ]);
      expect(silver).to.deep.equal([
        { order_id: 1, customer_id: 100, status: "paid", total_amount: "12.00", cdc_ts: null },
        { order_id: 2, customer_id: 100, status: "shipped", total_amount: "20.00", cdc_ts: null },
      ]);
    });

    it("with noSupValue, keeps only the marked columns; a real NULL stays NULL", async () => {
      const spec = withDms({ noSupValue: "_NOSUP_" });
      const ws = new TestWorkspace();
      try {
        const files = [
          ws.file(spec, "LOAD00000001.csv", lines(LOAD_HEADER, "1,100,2026-11-01 09:00:00,pending,10.00", "2,100,2026-11-01 09:00:00,pending,20.00")),
          ws.file(spec, "c1.csv", lines(CDC_HEADER, "U,1,_NOSUP_,_NOSUP_,paid,_NOSUP_", "U,2,100,2026-11-01 09:00:00,paid,"), { key: "orders/20261130-100000000.csv" }),
        ];
        for (const f of files) expectConserved(await ws.load(spec, [f]));
        expect(await ws.query(SILVER)).to.deep.equal([{ order_id: 1, customer_id: 100, status: "paid", total_amount: "10.00", cdc_ts: null }]);
        expect(await ws.query("SELECT order_id, total_amount, _reasons FROM quarantine_orders")).to.deep.equal([
          { order_id: "2", total_amount: "", _reasons: "not_null:total_amount" },
        ]);
        const incremental = await ws.query(SILVER);
        expectConserved(await ws.load(spec, [], { fullRefresh: true }));
        expect(await ws.query(SILVER)).to.deep.equal(incremental);
      } finally {
        ws.cleanup();
      }
    });

    it("as_written takes an update's empty columns as they are", async () => {
      const spec = withDms({ partialImages: "as_written" });
      const ws = new TestWorkspace();
      try {
        expectConserved(await ws.load(spec, [load(ws), ws.file(spec, "c1.csv", lines(CDC_HEADER, "U,1,100,2026-11-01 09:00:00,paid,"), { key: "orders/20261130-100000000.csv" })]));
        expect(await ws.query("SELECT order_id, _reasons FROM quarantine_orders")).to.deep.equal([{ order_id: "1", _reasons: "not_null:total_amount" }]);
      } finally {
        ws.cleanup();
      }
    });
  });
});
