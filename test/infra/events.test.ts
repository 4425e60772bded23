import { expect } from "chai";
import { MODELS } from "../../models";
import { DATASETS } from "../../datasets";
import { eventPatternFor, matchEventPattern } from "../../datasets/routing";
import { EVENT_MAX_AGE_SECONDS, EVENT_MAX_RETRY_ATTEMPTS } from "../../infra/defaults";
import { glueJobStatePattern } from "../../datasets/routing";
import { MOCK_ACCOUNT } from "../mocks";
import { T, devRun, doc, targetedRuleArns } from "./program-runs";

function objectCreated(bucket: string, key: string) {
  return {
    version: "0",
    source: "aws.s3",
    "detail-type": "Object Created",
    account: MOCK_ACCOUNT,
    region: "eu-west-1",
    detail: { bucket: { name: bucket }, object: { key, size: 10, etag: "e", sequencer: "01" } },
  };
}

describe("infra: events", () => {
  it("declares one file-arrival rule per dataset whose pattern is routing.eventPatternFor(spec, landing)", async () => {
    const run = await devRun();
    const landing = run.named("storage-landing", T.bucket).state.bucket;
    for (const spec of DATASETS) {
      const rule = run.named(`${spec.name}-arrival-rule`, T.rule);
      expect(rule.inputs.name).to.equal(`datalake-dev-arrival-${spec.name}`);
      expect(JSON.parse(rule.inputs.eventPattern)).to.deep.equal(eventPatternFor(spec, landing));
    }
  });

  it("routes a sample event to the rule of its dataset and to no other rule", async () => {
    const run = await devRun();
    const landing = run.named("storage-landing", T.bucket).state.bucket;
    const patterns = DATASETS.map((s) => ({ name: s.name, pattern: JSON.parse(run.named(`${s.name}-arrival-rule`, T.rule).inputs.eventPattern) }));
    for (const spec of DATASETS) {
      // In any case: a DMS task writes the folder as the source names it (Oracle: ORDERS/).
      for (const prefix of [spec.prefix, spec.prefix.toUpperCase()]) {
        const event = objectCreated(landing, `${prefix}2026/11/21/LOAD00000001.csv`);
        const matched = patterns.filter((p) => matchEventPattern(p.pattern, event)).map((p) => p.name);
        expect(matched, prefix).to.deep.equal([spec.name]);
      }
      expect(patterns.find((p) => p.name === spec.name)!.pattern.detail.object.key).to.deep.equal([{ prefix: { "equals-ignore-case": spec.prefix } }]);
    }
    const strays = [
      objectCreated(landing, "unknown/file.csv"),
      objectCreated(landing, `x${DATASETS[0].prefix}file.csv`),
      objectCreated("someone-elses-bucket", `${DATASETS[0].prefix}file.csv`),
      { ...objectCreated(landing, `${DATASETS[0].prefix}file.csv`), "detail-type": "Object Deleted" },
    ];
    for (const event of strays) expect(patterns.filter((p) => matchEventPattern(p.pattern, event))).to.be.empty;
  });

  it("sets both retry settings and the DLQ on every target, and scopes invoke permissions to the rule", async () => {
    const run = await devRun();
    const dlqArn = run.named("dlq-events", T.queue).state.arn;
    const targets = run.ofType(T.target);
    expect(targets).to.have.length(DATASETS.length + 2);
    for (const target of targets) {
      expect(target.inputs.deadLetterConfig, target.name).to.deep.equal({ arn: dlqArn });
      expect(target.inputs.retryPolicy.maximumRetryAttempts, target.name).to.be.a("number");
      expect(target.inputs.retryPolicy.maximumEventAgeInSeconds, target.name).to.be.a("number");
    }
    for (const spec of DATASETS) {
      expect(run.named(`${spec.name}-arrival-target`, T.target).inputs.retryPolicy).to.deep.equal({
        maximumRetryAttempts: EVENT_MAX_RETRY_ATTEMPTS,
        maximumEventAgeInSeconds: EVENT_MAX_AGE_SECONDS,
      });
      const permission = run.named(`${spec.name}-arrival-invoke`, T.permission);
      expect(permission.inputs).to.include({
        principal: "events.amazonaws.com",
        sourceArn: run.named(`${spec.name}-arrival-rule`, T.rule).state.arn,
        function: "datalake-dev-file-arrival",
      });
    }
  });

  it("lets EventBridge dead-letter only from this stack's rules, into a KMS-encrypted queue", async () => {
    const run = await devRun();
    const dlq = run.named("dlq-events", T.queue);
    expect(dlq.inputs.kmsMasterKeyId).to.equal(run.named("keys-ops", T.key).state.arn);
    const allow = doc(run.named("dlq-events-policy", T.queuePolicy)).Statement.find((s) => s.Effect === "Allow");
    const ruleArns = targetedRuleArns(run);
    expect(ruleArns).to.have.length(DATASETS.length + 2);
    expect(allow.Condition.ArnEquals["aws:SourceArn"]).to.deep.equal(ruleArns);
  });

  it("watches exactly this stack's Glue jobs and schedules the reconciler", async () => {
    const run = await devRun();
    const pattern = JSON.parse(run.named("glue-job-state-rule", T.rule).inputs.eventPattern);
    expect(pattern).to.deep.equal({
      source: ["aws.glue"],
      "detail-type": ["Glue Job State Change"],
      // Load jobs and model jobs: job-state finalizes both.
      detail: { jobName: [...DATASETS, ...MODELS].map((s) => `datalake-dev-${s.name}`).sort() },
    });
    expect(matchEventPattern(pattern, { source: "aws.glue", "detail-type": "Glue Job State Change", detail: { jobName: "datalake-prod-orders" } })).to.equal(false);
    expect(run.named("reconcile-rule", T.rule).inputs.scheduleExpression).to.equal("rate(5 minutes)");
  });

  it("keeps the Glue state pattern within EventBridge's 2048-character quota for many datasets", () => {
    const few = glueJobStatePattern(["datalake-dev-b", "datalake-dev-a"], "datalake-dev-");
    expect(few.detail).to.deep.equal({ jobName: ["datalake-dev-a", "datalake-dev-b"] });
    const names = Array.from({ length: 100 }, (_, i) => `datalake-dev-dataset_${i}`);
    const many = glueJobStatePattern(names, "datalake-dev-");
    expect(JSON.stringify(many).length).to.be.at.most(2048);
    expect(names.every((jobName) => matchEventPattern(many, { source: "aws.glue", "detail-type": "Glue Job State Change", detail: { jobName } }))).to.equal(true);
  });

  it("keeps every file-arrival pattern within the quota", async () => {
    const run = await devRun();
    for (const rule of run.ofType(T.rule)) expect((rule.inputs.eventPattern ?? "").length, rule.name).to.be.at.most(2048);
  });
});
