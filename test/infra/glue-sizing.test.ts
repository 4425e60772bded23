import { expect } from "chai";
import { getDataset } from "../../datasets";
import type { DatasetSpec, GlueSizing } from "../../datasets/define";
import { evaluateProgram } from "../mocks";
import { T } from "./program-runs";

const withGlue = (glue: GlueSizing): DatasetSpec => {
  const orders = getDataset("orders");
  return { ...orders, target: { ...orders.target, glue } };
};
const failure = (datasets: DatasetSpec[], stack = "dev") =>
  evaluateProgram({ stack, datasets }).then(
    () => undefined,
    (e: Error) => e,
  );

// A dataset's target.glue overrides the stack's glue config: the merged sizing must pass the same
// checks, or AWS rejects the job at `pulumi up` (after half the stack exists).
describe("infra: a dataset's Glue sizing override", () => {
  it("refuses a worker type Flex cannot run on when the stack runs Flex (dev), naming the spec file", async () => {
    const error = await failure([withGlue({ workerType: "G.4X" })]);
    expect(error?.message).to.match(/orders\.ts: target\.glue\.workerType: .*flex.*G\.1X or G\.2X.*G\.4X/);
  });

  it("refuses G.025X (streaming jobs only) for the glueetl load job", async () => {
    const error = await failure([withGlue({ workerType: "G.025X", flex: false })], "prod");
    expect(error?.message).to.match(/target\.glue\.workerType: G\.025X .*streaming/);
  });

  it("refuses Flex requested by the spec on the stack's G.2X+ default when the worker type does not allow it", async () => {
    const error = await failure([withGlue({ flex: true, workerType: "G.8X" })], "prod");
    expect(error?.message).to.match(/target\.glue\.flex/);
  });

  it("accepts a valid override and applies it", async () => {
    const run = await evaluateProgram({ stack: "dev", datasets: [withGlue({ workerType: "G.4X", flex: false, workers: 3 })] });
    expect(run.named("orders-job", T.glueJob).inputs).to.include({ workerType: "G.4X", numberOfWorkers: 3, executionClass: "STANDARD" });
  });
});
