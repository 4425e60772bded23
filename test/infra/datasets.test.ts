import { expect } from "chai";
import { DATASETS, getDataset } from "../../datasets";
import { MODELS } from "../../models";
import { evaluateProgram } from "../mocks";
import { devRun } from "./program-runs";

describe("infra: datasets drive the program", () => {
  it("adding a dataset adds only its own tables, job, grants, rule and alarms", async () => {
    const all = await devRun();
    // fact_payments reads payments: it goes with it (the models' own additions: models.test.ts).
    const without = await evaluateProgram({ stack: "dev", datasets: DATASETS.filter((s) => s.name !== "payments"), models: MODELS.filter((m) => m.name !== "fact_payments") });
    const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
    const before = new Set(without.resources.map(key));
    const added = all.resources.filter((r) => !before.has(key(r)));

    expect(without.resources.every((r) => all.resources.some((a) => key(a) === key(r)))).to.equal(true);
    expect(added.length).to.equal(all.resources.length - without.resources.length);
    for (const r of added) expect(r.name, r.type).to.match(/^(payments-|monitoring-payments-|fact_payments-|monitoring-fact_payments-)/);
    expect(added.map((r) => r.name)).to.include.members([
      "payments-job",
      "payments-arrival-rule",
      "payments-tables-silver",
      `payments-grants-reader-DataAnalyst`,
      "monitoring-payments-stale",
    ]);
  });

  it("shows a spec schema edit in the preview as a new plan key on the job, and creates new tables with it", async () => {
    const orders = getDataset("orders");
    const changed = { ...orders, columns: [...orders.columns, { name: "channel", type: "string" as const, optional: true }] };
    const [before, after] = [await evaluateProgram({ stack: "dev", datasets: [orders] }), await evaluateProgram({ stack: "dev", datasets: [changed] })];
    const planUri = (run: typeof before) => run.named("orders-job", "aws:glue/job:Job").inputs.defaultArguments["--plan_uri"];
    expect(planUri(after)).to.not.equal(planUri(before));
    const fields = after.named("orders-tables-silver").inputs.openTableFormatInput.icebergInput.icebergTableInput.schema.fields;
    expect(fields.map((f: { name: string }) => f.name)).to.include("channel");
  });
});
