import { expect } from "chai";
import { defineDataset, getDataset } from "../../datasets";
import { expectedState, SourceFile } from "../../local/generator";

const orders = getDataset("orders");
const shipments = getDataset("shipments");
const HEADER = "order_id,customer_id,order_ts,status,total_amount,cdc_ts";
const CHANGE_HEADER = `Op,${HEADER}`;
const row = (id: number, ts: string, status = "paid", amount = "10.00"): string =>
  `${id},7,2026-01-02 03:04:05,${status},${amount},${ts}`;
const file = (key: string, header: string, ...rows: string[]): SourceFile => ({
  key,
  content: [header, ...rows].join("\n") + "\n",
});

describe("expected-state oracle", () => {
  it("treats every row of a full-load file (no Op column) as an insert", () => {
    const files = [file("orders/LOAD00000001.csv", HEADER, row(1, "2026-10-31 01:00:00"), row(2, "2026-10-31 02:00:00"))];

    const state = expectedState(orders, files);

    expect(state.silverKeys).to.deep.equal(["1", "2"]);
    expect(state.rowsRead).to.equal(2);
  });

  it("keeps the latest change by cdc_ts whatever order the files come in", () => {
    const a = file("orders/b.csv", CHANGE_HEADER, `U,${row(1, "2026-11-01 10:00:00.000002", "paid")}`);
    const b = file("orders/a.csv", CHANGE_HEADER, `U,${row(1, "2026-11-01 10:00:00.000001", "lost")}`);

    const forward = expectedState(orders, [a, b]);
    const backward = expectedState(orders, [b, a]);

    // "paid" (microsecond 2) wins over the unknown status "lost" (microsecond 1).
    expect(forward.silverKeys).to.deep.equal(["1"]);
    expect(backward.silverKeys).to.deep.equal(["1"]);
    expect(forward.current.get("1")?.values.status).to.equal("paid");
  });

  it("breaks cdc_ts ties by object key, then by row number", () => {
    const early = file("orders/20261101-000000000.csv", CHANGE_HEADER, `U,${row(1, "2026-11-01 10:00:00", "paid")}`);
    // Same instant written with a fraction: still a tie, and this key sorts later, so it wins.
    const late = file("orders/20261102-000000000.csv", CHANGE_HEADER, `U,${row(1, "2026-11-01 10:00:00.000000", "lost")}`);
    const sameFile = file(
      "orders/x.csv",
      CHANGE_HEADER,
      `U,${row(2, "2026-11-01 10:00:00", "lost")}`,
      `U,${row(2, "2026-11-01 10:00:00", "paid")}`,
    );

    const state = expectedState(orders, [late, sameFile, early]);

    expect(state.quarantineKeys).to.deep.equal(["1"]);
    expect(state.current.get("1")?.labels).to.deep.equal(["accepted_values:status"]);
    expect(state.silverKeys).to.deep.equal(["2"]);
  });

  it("removes deleted keys, brings re-inserted ones back, and never lets an older change win", () => {
    const files = [
      file("orders/LOAD00000001.csv", HEADER, row(1, "2026-10-31 01:00:00"), row(2, "2026-10-31 01:00:00"), row(3, "2026-10-31 01:00:00")),
      file("orders/c1.csv", CHANGE_HEADER, `D,${row(1, "2026-11-01 01:00:00")}`, `D,${row(2, "2026-11-01 01:00:00")}`),
      file("orders/c2.csv", CHANGE_HEADER, `I,${row(2, "2026-11-02 01:00:00")}`, `U,${row(1, "2026-10-31 05:00:00")}`),
    ];

    const state = expectedState(orders, files);

    expect(state.silverKeys).to.deep.equal(["2", "3"]);
    expect(state.deletedKeys).to.deep.equal(["1"]);
  });

  it("rejects rows whose key, cdc_ts or Op cannot be parsed; they never touch state", () => {
    const files = [
      file("orders/LOAD00000001.csv", HEADER, row(1, "2026-10-31 01:00:00")),
      file(
        "orders/c1.csv",
        CHANGE_HEADER,
        `X,${row(1, "2026-11-01 01:00:00")}`,
        `D,${row(1, "not-a-time")}`,
        `D,K1,7,2026-01-02 03:04:05,paid,1.00,2026-11-01 02:00:00`,
        `D,,7,2026-01-02 03:04:05,paid,1.00,2026-11-01 02:00:00`,
        `u,${row(1, "2026-11-01 03:00:00", "pending")}`,
      ),
    ];

    const state = expectedState(orders, files);

    expect(state.rejectedRows).to.equal(4);
    expect(state.silverKeys).to.deep.equal(["1"]);
    expect(state.current.get("1")?.values.status).to.equal("pending");
  });

  it("quarantines a current row with reason labels and heals it when a later change fixes it", () => {
    const bad = file("orders/c1.csv", CHANGE_HEADER, `I,${row(1, "2026-11-01 01:00:00", "paid", "-5.00")}`, `I,1x,,,,,2026-11-01 01:00:00`);
    const badTypes = file("orders/c2.csv", CHANGE_HEADER, `I,2,abc,yesterday,paid,1.00,2026-11-01 01:00:00`);
    const fix = file("orders/c3.csv", CHANGE_HEADER, `U,${row(1, "2026-11-02 01:00:00", "paid", "5.00")}`);

    const broken = expectedState(orders, [bad, badTypes]);
    const healed = expectedState(orders, [bad, badTypes, fix]);

    expect(broken.quarantineKeys).to.deep.equal(["1", "2"]);
    expect(broken.current.get("1")?.labels).to.deep.equal(["range:total_amount"]);
    expect(broken.current.get("2")?.labels).to.include.members(["bad_type:customer_id", "bad_type:order_ts"]);
    expect(healed.silverKeys).to.deep.equal(["1"]);
    expect(healed.rejectedRows).to.equal(1);
  });

  it("quarantines a file that lacks a required column as a whole", () => {
    const files = [file("orders/c1.csv", "Op,order_id,cdc_ts", "I,1,2026-11-01 01:00:00", "I,2,2026-11-01 01:00:00")];

    const state = expectedState(orders, files);

    expect(state.quarantinedFileRows).to.equal(2);
    expect(state.rejectedRows).to.equal(0);
    expect(state.current.size).to.equal(0);
  });

  it("evaluates the shipments expression rule (delivered before shipped)", () => {
    const header = "Op,shipment_id,order_id,carrier,shipped_at,delivered_at,cdc_ts";
    const files = [
      file(
        "shipments/c1.csv",
        header,
        "I,1,1,DHL,2026-01-02 00:00:00,2026-01-01 00:00:00,2026-11-01 01:00:00",
        "I,2,1,DHL,2026-01-02 00:00:00,,2026-11-01 01:00:00",
        'I,3,1,"DHL, Express",2026-01-02 00:00:00,2026-01-03 00:00:00,2026-11-01 01:00:00',
      ),
    ];

    const state = expectedState(shipments, files);

    expect(state.quarantineKeys).to.deep.equal(["1"]);
    expect(state.current.get("1")?.labels).to.deep.equal(["delivered_before_shipped"]);
    expect(state.silverKeys).to.deep.equal(["2", "3"]);
    expect(state.current.get("3")?.values.carrier).to.equal("DHL, Express");
  });

  it("evaluates a regex rule as RE2 and Java do (\\p{L}, \\x{..}, ASCII \\s), not as JavaScript reads the raw pattern", () => {
    const named = defineDataset({
      name: "named",
      prefix: "named/",
      format: "csv",
      columns: { id: "int", name: "string" },
      primaryKey: ["id"],
      rules: [{ kind: "regex", column: "name", pattern: "^\\p{L}+(\\s\\p{L}+)?\\x{21}?$" }],
    });
    const files = [file("named/a.csv", "id,name", "1,José", "2,Zoë Ann!", "3,p{L}", "4,Zoë\u00a0Ann")];

    const state = expectedState(named, files);

    // Raw `new RegExp` read \\p{L} as "p{L}" (passing row 3, quarantining 1 and 2) and \\s as any space (passing 4).
    expect(state.silverKeys).to.deep.equal(["1", "2"]);
    expect(state.quarantineKeys).to.deep.equal(["3", "4"]);
  });
});
