import { expect } from "chai";
import { defineDataset, getDataset } from "../../datasets";
import { MAX_NAME_LENGTH } from "../../datasets/validate";
import { fitName } from "../../infra/names";
import { evaluateProgram, stackConfig } from "../mocks";
import { T, devRun, targetedRuleArns } from "./program-runs";

// AWS limits and character sets of the physical names the program sets.
const LIMITS: [string, string, number, RegExp][] = [
  [T.fn, "name", 64, /^[A-Za-z0-9_-]+$/],
  [T.rule, "name", 64, /^[.A-Za-z0-9_-]+$/],
  [T.logGroup, "name", 512, /^[A-Za-z0-9_./-]+$/],
  [T.table, "name", 255, /^[A-Za-z0-9_.-]+$/],
  [T.glueJob, "name", 255, /^[^\n]+$/],
  [T.glueSecurity, "name", 255, /^[A-Za-z0-9_-]+$/],
  [T.glueDatabase, "name", 255, /^[a-z0-9_]+$/],
  [T.alarm, "name", 255, /^[ -~]+$/],
  [T.dashboard, "dashboardName", 255, /^[A-Za-z0-9_-]+$/],
  [T.workgroup, "name", 128, /^[A-Za-z0-9._-]+$/],
  ["aws:kms/alias:Alias", "name", 256, /^alias\/[A-Za-z0-9/_-]+$/],
];

describe("infra: physical names", () => {
  for (const stack of ["feature-add-customer-subscriptions-pipeline", "team.dev"]) {
    it(`fits every physical name of stack ${stack} to its AWS limit and character set`, async () => {
      const run = await evaluateProgram({ stack, config: stackConfig("dev") });
      for (const [type, field, limit, charset] of LIMITS) {
        const names = run.ofType(type).map((r) => r.inputs[field] as string);
        expect(names, type).to.not.be.empty;
        for (const name of names) {
          expect(name.length, `${type} ${name}`).to.be.at.most(limit);
          expect(name, type).to.match(charset);
        }
      }
      // The DLQ policy and the handlers' policies name the rules and functions actually created.
      const ruleArns = targetedRuleArns(run);
      const dlqAllow = JSON.parse(run.named("dlq-events-policy", T.queuePolicy).inputs.policy).Statement.find((s: any) => s.Effect === "Allow");
      expect(dlqAllow.Condition.ArnEquals["aws:SourceArn"]).to.deep.equal(ruleArns);
    });
  }

  // Pulumi names these itself, `<logical name>-<7 hex>` (the pulumi-aws provider's AutoName): an
  // IAM role within 64, a Lambda permission within 100, a role policy within 128, and an
  // EventBridge target id within 255, although AWS takes only 64 and refuses it at deploy.
  it("fits the names Pulumi derives from the longest dataset name a spec may have", async () => {
    const name = "d".repeat(MAX_NAME_LENGTH);
    const spec = defineDataset({ name, prefix: "sfdc/splits/", format: "csv", columns: { split_id: "bigint", amount: "double" }, primaryKey: ["split_id"] });
    const run = await evaluateProgram({ stack: "feature-add-customer-subscriptions-pipeline", config: stackConfig("dev"), datasets: [spec, getDataset("orders")] });
    const autonamed = (logical: string) => `${logical}-abcdef0`;
    const tooLong: string[] = [];
    for (const [type, limit] of [[T.role, 64], [T.target, 64], [T.permission, 100], [T.rolePolicy, 128]] as const) {
      const resources = run.ofType(type);
      expect(resources, type).to.not.be.empty;
      for (const r of resources) if (autonamed(r.name).length > limit) tooLong.push(`${type} ${r.name}`);
    }
    expect(tooLong).to.deep.equal([]);
  });

  it("keeps names that fit unchanged (existing stacks replace nothing)", async () => {
    const run = await devRun();
    expect(run.named("file-arrival", T.fn).inputs.name).to.equal("datalake-dev-file-arrival");
    expect(run.named("orders-arrival-rule", T.rule).inputs.name).to.equal("datalake-dev-arrival-orders");
  });

  it("derives a stable name within the limit from a long one: a prefix and a hash of the whole name", () => {
    const long = "datalake-feature-add-customer-subscriptions-pipeline-file-arrival";
    const fitted = fitName(long, 64);
    expect(fitted).to.have.length(64);
    expect(fitted).to.match(/^datalake-feature-add-customer-subscriptions-pipeline-fi-[0-9a-f]{8}$/);
    expect(fitName(long, 64)).to.equal(fitted);
    expect(fitName(`${long}x`, 64)).to.not.equal(fitted);
    expect(fitName("short", 64)).to.equal("short");
  });

  it("refuses a stack name too long to keep in every name, with one clear error", async () => {
    const error = await evaluateProgram({ stack: "s".repeat(60), config: stackConfig("dev") }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/stack name "s+" is 60 characters: at most \d+/);
  });
});
