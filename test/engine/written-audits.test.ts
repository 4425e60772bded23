// Row-level audits read the rows a run wrote (`written_<role>`, engine/audits.ts), and table totals
// are counted once (`table_totals`): each audit must still fail on a bad write. A test crafts one
// by editing a step of the compiled plan, then expects a FAILED run that published nothing.
import { expect } from "chai";
import type { LoadPlan } from "../../engine/plan";
import { versionSegments } from "../../engine/duckdb/segments";
import { readPointer, zoneDir } from "../../engine/duckdb/workspace";
import { ORDERS_HEADER, TestWorkspace, expectConserved, orderRow } from "./helpers";

const csv = (...rows: string[]) => [ORDERS_HEADER, ...rows].join("\n") + "\n";
const at = (minute: number) => `2026-11-01 10:${String(minute).padStart(2, "0")}:00`;
const BATCH = csv(orderRow("U", 3, at(1), "shipped"), orderRow("U", 5, at(1), "delivered"), orderRow("I", 101, at(1)));

/** A plan whose sql step `name` selects `wrap(<its SQL>)` instead (in every mode that has it). */
function editStep(name: string, wrap: (sql: string) => string): (plan: LoadPlan) => LoadPlan {
  return (plan) => {
    const steps = plan.steps.map((s) => (s.kind === "sql" && s.name === name ? { ...s, sql: wrap(s.sql) } : s));
    if (steps.every((s, i) => s === plan.steps[i])) throw new Error(`the plan has no sql step ${name}`);
    return { ...plan, steps };
  };
}

const twice = (sql: string) => `SELECT * FROM (${sql}) a UNION ALL SELECT * FROM (${sql}) b`;

/** An audit that fails with the row count of `relation`: shows what the run registered there. */
const rowsOf = (relation: string) => ({ name: `rows_of_${relation}`, description: "probe", sql: `SELECT COUNT(*) AS violations FROM ${relation}` });

describe("engine (DuckDB): audits of the rows a run wrote", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  /** 100 orders, 20 of them quarantined, so a small batch adds a segment to every table. */
  async function base(): Promise<void> {
    const rows = Array.from({ length: 100 }, (_, i) => orderRow("I", i + 1, at(0), i < 80 ? "paid" : "bogus"));
    expectConserved(await ws.load("orders", [ws.file("orders", "base.csv", csv(...rows))]));
  }

  /** Loads `batch` with the plan edited by `editPlan`: it must fail, name `audit` and publish nothing. */
  async function expectCaught(audit: string, editPlan: (plan: LoadPlan) => LoadPlan, opts: { fullRefresh?: boolean; batch?: string } = {}) {
    const before = ws.snapshot();
    const summary = await ws.load("orders", [ws.file("orders", "batch.csv", opts.batch ?? BATCH)], { editPlan, fullRefresh: opts.fullRefresh });
    expect(summary.status).to.equal("FAILED");
    expect(summary.published).to.equal(null);
    expect(summary.audits.find((a) => a.name === audit), audit).to.include({ passed: false });
    expect(ws.snapshot(), "every published file is unchanged").to.deep.equal(before);
    return summary;
  }

  it("registers the upserted rows as written_* on a segment, and the whole table on a full refresh", async () => {
    await base();
    const probes = ["written_state", "written_silver", "written_quarantine", "staged_silver"].map(rowsOf);

    const batch = await ws.load("orders", [ws.file("orders", "b1.csv", BATCH)], { extraAudits: probes });
    const refresh = await ws.load("orders", [], { extraAudits: probes, fullRefresh: true });

    const counts = (s: typeof batch) => probes.map((p) => s.audits.find((a) => a.name === p.name)!.violations);
    // The probes fail both runs, so the refresh rebuilds the base load. The batch changed keys 3,
    // 5 and 101: three state and silver rows written, no quarantine row.
    expect(counts(batch)).to.deep.equal([3, 3, 0, 81]);
    expect(counts(refresh)).to.deep.equal([100, 80, 20, 80]);
  });

  it("fails a merge that writes one key twice (silver_primary_key_unique)", async () => {
    await base();
    const summary = await expectCaught("silver_primary_key_unique", editStep("silver_changes", twice));
    expect(summary.audits.find((a) => a.name === "silver_primary_key_unique")!.violations).to.equal(3);
  });

  it("fails a state merge that writes one key twice (state_primary_key_unique)", async () => {
    await base();
    await expectCaught("state_primary_key_unique", editStep("state_delta", twice));
  });

  it("fails a merge whose written row's key is not among the keys it replaced (quarantine_written_keys_replaced)", async () => {
    await base();
    // Order 90 stays quarantined with a new value: its row is written under key 90, its replaced key says 1090.
    const batch = csv(orderRow("U", 90, at(1), "lost"));
    const summary = await expectCaught(
      "quarantine_written_keys_replaced",
      editStep("quarantine_changes", (sql) => `SELECT * REPLACE (_pk_1 + 1000 AS _pk_1) FROM (${sql}) q`),
      { batch },
    );
    expect(summary.audits.find((a) => a.name === "quarantine_written_keys_replaced")!.violations).to.equal(1);
  });

  it("checks the keys of a merge written whole (a compaction) as it checks a segment's", async () => {
    await base();
    // Six of the 20 quarantined orders change: past a quarter of quarantine's rows, so the merge
    // writes it whole (segments.ts shouldCompact), keeping the rows of keys it does not name. Each
    // written row names key + 1000, so the kept row of its own key would stay beside it.
    const batch = csv(...[90, 91, 92, 93, 94, 95].map((id) => orderRow("U", id, at(1), "lost")));
    const summary = await expectCaught(
      "quarantine_written_keys_replaced",
      editStep("quarantine_changes", (sql) => `SELECT * REPLACE (_pk_1 + 1000 AS _pk_1) FROM (${sql}) q`),
      { batch },
    );
    expect(summary.audits.find((a) => a.name === "quarantine_written_keys_replaced"), JSON.stringify(summary.audits)).to.include({ violations: 6 });
    // The same batch unedited: a whole write (no segment added) that passes.
    const clean = await ws.load("orders", [ws.file("orders", "clean.csv", batch)]);
    expect(clean.status).to.equal("SUCCEEDED");
    const dir = zoneDir(ws.dir, "quarantine", "orders");
    expect(versionSegments(dir, readPointer(dir)!.version).segments).to.have.length(1);
  });

  it("fails a written row with a wrong partition value (partition_values_valid)", async () => {
    await base();
    await expectCaught("partition_values_valid", editStep("silver_changes", (sql) => `SELECT * REPLACE (order_month % 12 + 1 AS order_month) FROM (${sql}) q`));
  });

  it("fails a written row with a NULL in a not-null column (silver_not_null)", async () => {
    await base();
    await expectCaught("silver_not_null", editStep("silver_changes", (sql) => `SELECT * REPLACE (CAST(NULL AS BIGINT) AS customer_id) FROM (${sql}) q`));
  });

  it("fails a run whose current keys are not silver + quarantine rows (current_rows_conserved)", async () => {
    await base();
    // Every changed key leaves silver and lands nowhere.
    const summary = await expectCaught("current_rows_conserved", editStep("silver_changes", (sql) => `SELECT * REPLACE (TRUE AS _delete) FROM (${sql}) q`));
    expect(summary.audits.find((a) => a.name === "current_rows_conserved")!.violations).to.equal(3);
    expect(summary.counts).to.include({ currentRows: 101, silverRows: 78, quarantineRows: 20 });
  });

  it("audits every row of a table written whole (a full refresh)", async () => {
    await base();
    await expectCaught("silver_primary_key_unique", editStep("silver", (sql) => `SELECT * FROM (${sql}) a UNION ALL (SELECT * FROM (${sql}) b LIMIT 1)`), { fullRefresh: true });
  });
});
