// Incremental model builds stored as segments (engine/duckdb/build-model.ts writeTable): a batch
// writes the rows it recomputed and the keys they replace on top of the previous version, the
// table read back equals a full refresh after every batch, a build that changed nothing adds no
// segment, a large change compacts the table into one, and the row-level audits read what the
// build wrote. Also: a type-1 change (same windows, same surrogate keys) re-keys no fact row.
import { expect } from "chai";
import { defineDataset } from "../../datasets";
import { buildModels, type BuildModelsOptions, type ModelSummary } from "../../engine/duckdb";
import { modelDir, type ModelVersionMeta } from "../../engine/duckdb/build-model";
import { readPointer, readVersionMeta } from "../../engine/duckdb/workspace";
import { compileModel } from "../../engine/models";
import { TestWorkspace } from "../engine/helpers";
import { factVisits as visitsFact, memberDimension, visits } from "./visits";

const members = defineDataset({
  name: "members",
  prefix: "members/",
  format: "csv",
  columns: { member_id: "string", city: "string", tier: "string", updated_at: "timestamp" },
  primaryKey: ["member_id"],
  cdc: { opColumn: "op", sequenceColumns: ["updated_at"] },
  target: { table: "members" },
});
const dimMember = memberDimension([{ name: "city", scd: 2 }, { name: "tier", scd: 1 }], false, "test/models/segments.test.ts");
const factVisits = visitsFact("test/models/segments.test.ts");
const DATASETS = [members, visits];
const MODELS = [dimMember, factVisits];

const id = (i: number) => `m${String(i).padStart(2, "0")}`;
const MEMBERS = "op,member_id,city,tier,updated_at";
const VISITS = "visit_id,member_id,visit_day,spend";
const member = (op: string, i: number, city: string, tier: string, at: string) => `${op},${id(i)},${city},${tier},${at}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** Batches in load order: [members lines, visits lines]. */
const BATCHES: Array<{ members?: string[]; visits?: string[] }> = [
  // 40 members, one visit each on 02-01.
  { members: range(1, 40).map((i) => member("I", i, "Oslo", "gold", "2026-01-01 00:00:00")), visits: range(1, 40).map((i) => `${i},${id(i)},2026-02-01,1.5`) },
  // A type-1 change only: m01's one version gets the new tier in place, its window and surrogate
  // key stay, so visit 1 keeps its key and is not recomputed.
  { members: [member("U", 1, "Oslo", "silver", "2026-03-01 00:00:00")] },
  // m02 moves before its visit (a new window: visit 2 re-keyed); a new visit of m03.
  { members: [member("U", 2, "Rome", "gold", "2026-01-15 00:00:00")], visits: ["41,m03,2026-02-02,2.5"] },
  // Nothing new.
  {},
  // 12 members move before their visits: 24 dimension rows and 12 visits re-keyed, so far over a
  // quarter of each table: both compacted.
  { members: range(10, 21).map((i) => member("U", i, "Bern", "gold", "2026-01-20 00:00:00")) },
];

async function loadBatch(ws: TestWorkspace, batch: (typeof BATCHES)[number], name: string): Promise<void> {
  for (const [spec, header, lines] of [[members, MEMBERS, batch.members], [visits, VISITS, batch.visits]] as const) {
    if (!lines) continue;
    const summary = await ws.load(spec, [ws.file(spec, `${name}.csv`, `${[header, ...lines].join("\n")}\n`)]);
    expect(summary.status, JSON.stringify(summary.error ?? "")).to.equal("SUCCEEDED");
  }
}

async function canonical(ws: TestWorkspace, model: string): Promise<string[]> {
  const plan = compileModel(MODELS.find((m) => m.name === model)!, { dialect: "duckdb", datasets: DATASETS, models: MODELS });
  const rows = await ws.query(`SELECT ${plan.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(", ")} FROM ${model}`);
  return rows.map((r) => JSON.stringify(plan.columns.map((c) => r[c.name] ?? null))).sort();
}

/** The current version's data folders, oldest first. */
function segments(ws: TestWorkspace, model: string): string[] {
  const dir = modelDir(ws.dir, model);
  const meta = readVersionMeta(dir, readPointer(dir)!.version) as ModelVersionMeta;
  return meta.segments!.map((s) => s.data);
}

const byModel = (summaries: ModelSummary[]) => Object.fromEntries(summaries.map((s) => [s.model, s]));

describe("models: incremental builds write segments (DuckDB)", function () {
  this.timeout(5 * 60_000);
  let inc: TestWorkspace;
  let full: TestWorkspace;
  before(() => {
    inc = new TestWorkspace("segments-inc-");
    full = new TestWorkspace("segments-full-");
  });
  after(() => {
    inc.cleanup();
    full.cleanup();
  });

  /** Per batch: rows recomputed, and the current version's data folders after the build. */
  const EXPECTED = [
    { recomputed: { dim_member: 41, fact_visits: 40 }, segments: { dim_member: ["v000001"], fact_visits: ["v000001"] } },
    { recomputed: { dim_member: 2, fact_visits: 0 }, segments: { dim_member: ["v000001", "v000002"], fact_visits: ["v000001"] } },
    { recomputed: { dim_member: 3, fact_visits: 2 }, segments: { dim_member: ["v000001", "v000002", "v000003"], fact_visits: ["v000001", "v000003"] } },
    { recomputed: { dim_member: 1, fact_visits: 0 }, segments: { dim_member: ["v000001", "v000002", "v000003"], fact_visits: ["v000001", "v000003"] } },
    // Both over a quarter: dim_member 24 + 2 + 3 of 41 rows, fact_visits 12 + 2 of 40.
    { recomputed: { dim_member: 25, fact_visits: 12 }, segments: { dim_member: ["v000005"], fact_visits: ["v000005"] } },
  ];

  BATCHES.forEach((batch, i) => {
    it(`batch ${i + 1}: equals the full refresh; recomputed ${JSON.stringify(EXPECTED[i].recomputed)}; segments as expected`, async () => {
      await loadBatch(inc, batch, `batch-${i + 1}`);
      await loadBatch(full, batch, `batch-${i + 1}`);
      const built = byModel(await buildModels(inc.dir, MODELS, { datasets: DATASETS }));
      const refreshed = byModel(await buildModels(full.dir, MODELS, { datasets: DATASETS, fullRefresh: true }));
      for (const model of MODELS) {
        expect(built[model.name].status, `${model.name}: ${built[model.name].error}`).to.equal("built");
        expect(refreshed[model.name].status, `${model.name}: ${refreshed[model.name].error}`).to.equal("built");
        expect(await canonical(inc, model.name), model.name).to.deep.equal(await canonical(full, model.name));
        expect(built[model.name].recomputed, model.name).to.equal(EXPECTED[i].recomputed[model.name as "dim_member"]);
        expect(segments(inc, model.name), model.name).to.deep.equal(EXPECTED[i].segments[model.name as "dim_member"]);
        expect(segments(full, model.name), `${model.name} (full refresh)`).to.have.length(1);
      }
    });
  });

  it("a bad key in the rows a build writes fails member_key_resolves: nothing is published", async () => {
    await loadBatch(inc, { visits: ["42,m04,2026-02-03,3.5"] }, "batch-bad");
    const before = readPointer(modelDir(inc.dir, "fact_visits"))!.version;
    const summaries = byModel(
      await buildModels(inc.dir, MODELS, {
        datasets: DATASETS,
        select: "fact_visits",
        compile: (spec, ctx) => {
          const plan = compileModel(spec, ctx);
          // The segment's rows name a member version that does not exist.
          return plan.delta ? { ...plan, delta: { ...plan.delta, rows: `SELECT * REPLACE (CAST(999 AS BIGINT) AS member_key) FROM (${plan.delta.rows}) r` } } : plan;
        },
      }),
    );
    expect(summaries.fact_visits.status).to.equal("failed");
    expect(summaries.fact_visits.error).to.match(/^audit failed, nothing published: member_key_resolves \(1 violation\(s\)\)$/);
    expect(readPointer(modelDir(inc.dir, "fact_visits"))!.version).to.equal(before);
    // Built as compiled, the same batch publishes.
    expect(byModel(await buildModels(inc.dir, MODELS, { datasets: DATASETS, select: "fact_visits" })).fact_visits).to.include({ status: "built", recomputed: 1 });
  });

  it("a table written whole runs an audit's sqlWhole, a segment its sql", async () => {
    // Each variant of the key audit replaced by a constant count: the failure names which ran.
    const compile: NonNullable<BuildModelsOptions["compile"]> = (spec, ctx) => {
      const plan = compileModel(spec, ctx);
      const audits = plan.audits.map((a) => (a.sqlWhole === undefined ? a : { ...a, sql: "SELECT CAST(2 AS BIGINT) AS violations", sqlWhole: "SELECT CAST(3 AS BIGINT) AS violations" }));
      return { ...plan, audits };
    };
    const build = async (fullRefresh: boolean) => byModel(await buildModels(inc.dir, MODELS, { datasets: DATASETS, select: "fact_visits", fullRefresh, compile })).fact_visits;
    expect((await build(true)).error).to.equal("audit failed, nothing published: member_key_resolves (3 violation(s))");
    await loadBatch(inc, { visits: ["43,m05,2026-02-04,4.5"] }, "batch-variants");
    expect((await build(false)).error).to.equal("audit failed, nothing published: member_key_resolves (2 violation(s))");
  });
});
