// Whole-program check: the Pulumi program evaluated under the shared mocks for the dev and the prod
// stack, with every policy of the pack run over the recorded resources. Zero mandatory violations.
import { expect } from "chai";
import { evaluateRules, formatFindings } from "../../policy/evaluate";
import { RULES } from "../../policy/rules";
import { ProgramRun } from "../mocks";
import { devRun, prodRun } from "../infra/program-runs";
import { fromRecorded } from "./recorded";

const STACKS: { stack: "dev" | "prod"; run: () => Promise<ProgramRun> }[] = [
  { stack: "dev", run: devRun },
  { stack: "prod", run: prodRun },
];

describe("policy pack over the whole program (mocks)", function () {
  this.timeout(120_000);

  for (const { stack, run } of STACKS) {
    describe(`${stack} stack`, () => {
      it("has zero mandatory violations", async () => {
        const resources = (await run()).resources.map(fromRecorded);

        const findings = evaluateRules(resources, { environment: stack });

        expect(findings, `\n${formatFindings(findings)}\n`).to.deep.equal([]);
      });

      it("exercises the rules on real resources (buckets, keys, functions, jobs, targets, tables)", async () => {
        const types = new Set((await run()).resources.map((r) => r.type));

        for (const type of [
          "aws:s3/bucket:Bucket",
          "aws:kms/key:Key",
          "aws:lambda/function:Function",
          "aws:glue/job:Job",
          "aws:cloudwatch/eventTarget:EventTarget",
          "aws:dynamodb/table:Table",
          "aws:lakeformation/dataLakeSettings:DataLakeSettings",
        ]) {
          expect(types.has(type), type).to.equal(true);
        }
      });
    });
  }

  it("catches a violation injected into the recorded program (the check is live)", async () => {
    const resources = (await devRun()).resources.map(fromRecorded);
    const versioning = resources.find(
      (r) => r.type === "aws:s3/bucketVersioning:BucketVersioning",
    )!;

    const findings = evaluateRules(
      resources.filter((r) => r !== versioning),
      { environment: "dev" },
      RULES,
    );

    expect(findings.map((f) => f.rule)).to.include("s3-versioning");
  });
});
