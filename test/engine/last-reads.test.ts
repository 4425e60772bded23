// dropsAfterLastRead: a run's temp tables are dropped after their last reader, never before one.
import { expect } from "chai";
import { DATASETS, getDataset } from "../../datasets";
import { compilePlan, stepsFor, type PlanStep, type RunMode } from "../../engine";
import { dropsAfterLastRead } from "../../engine/duckdb/last-reads";

const table = (name: string, sql: string): PlanStep => ({ kind: "sql", name, sql, materialize: "table", description: name });
const view = (name: string, sql: string): PlanStep => ({ kind: "sql", name, sql, materialize: "view", description: name });

describe("engine: dropsAfterLastRead", () => {
  it("keeps a table until the last step that reads it through a view", () => {
    const steps: PlanStep[] = [
      table("wide", "SELECT * FROM incoming"),
      view("narrow", "SELECT a FROM wide"),
      table("other", "SELECT 1 AS x"),
      { kind: "stage", table: "rejects", from: "narrow", output: "staged_rejects" },
      view("later", "SELECT x FROM other"),
    ];

    const drops = dropsAfterLastRead(steps, ["SELECT COUNT(*) FROM staged_rejects"]);

    expect([...drops]).to.deep.equal([[3, ["wide"]], [4, ["other"]]]);
  });

  it("never drops a table the audits or the summary read, directly or through a view", () => {
    const steps: PlanStep[] = [table("counts", "SELECT 1 AS n"), view("counted", "SELECT n FROM counts"), table("t", "SELECT 2 AS m")];

    const drops = dropsAfterLastRead(steps, ["SELECT n FROM counted", "SELECT m FROM t"]);

    expect(drops.size).to.equal(0);
  });

  it("does not take a relation for one whose name it starts", () => {
    const steps: PlanStep[] = [table("incoming_parsed", "SELECT 1 AS x"), table("parsed_copy", "SELECT x FROM incoming_parsed_2")];

    expect(dropsAfterLastRead(steps, []).size).to.equal(0);
  });

  for (const mode of ["incremental", "full_refresh"] as RunMode[]) {
    it(`frees incoming_parsed before silver is written (${mode}, every dataset)`, () => {
      for (const spec of DATASETS) {
        const plan = compilePlan(getDataset(spec.name), { dialect: "duckdb" });
        const steps = stepsFor(plan, mode);
        const finals = [...plan.audits.map((a) => a.sql), plan.summary.counts, plan.summary.files];

        const drops = dropsAfterLastRead(steps, finals);

        const dropped = [...drops].find(([, names]) => names.includes("incoming_parsed"))?.[0];
        const silver = steps.findIndex((s) => (s.kind === "stage" || s.kind === "merge") && s.table === "silver");
        expect(dropped, spec.name).to.be.a("number");
        expect(dropped!, spec.name).to.be.lessThan(silver);
      }
    });
  }
});
