import { expect } from "chai";
import { MOCK_ACCOUNT } from "../mocks";
import { ALARM_LIST_THRESHOLD, alertTopicPolicyDocument } from "../../infra/policies/queue-topic-policies";
import { T, doc, prodRun } from "./program-runs";

describe("infra: alert topic policy", () => {
  it("denies publishing and subscribing without TLS, like the queues and buckets", async () => {
    const run = await prodRun();
    const topicArn = run.named("monitoring-alerts", T.topic).state.arn;
    const deny = doc(run.named("monitoring-alerts-policy", T.topicPolicy)).Statement.find((s) => s.Effect === "Deny");
    expect(deny).to.deep.equal({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "sns:*",
      Resource: topicArn,
      Condition: { Bool: { "aws:SecureTransport": false } },
    });
  });

  it("names the alarms by the stack's prefix past ALARM_LIST_THRESHOLD, keeping the policy under SNS's 30 KB at 150 datasets", () => {
    const ctx = { partition: "aws", region: "eu-west-1", accountId: MOCK_ACCOUNT };
    const prefix = "datalake-production-eu-west-1";
    const ids = Array.from({ length: 150 }, (_, i) => [`erp_dataset_number_${i}-failed-runs`, `erp_dataset_number_${i}-stale`]).flat();
    const arns = ids.map((id) => `arn:aws:cloudwatch:eu-west-1:${MOCK_ACCOUNT}:alarm:${prefix}-${id}`);
    const topic = `arn:aws:sns:eu-west-1:${MOCK_ACCOUNT}:alerts`;

    const compact = alertTopicPolicyDocument(ctx, topic, arns, prefix);
    const exact = alertTopicPolicyDocument(ctx, topic, arns.slice(0, ALARM_LIST_THRESHOLD), prefix);

    expect(JSON.stringify(compact).length).to.be.below(30 * 1024);
    expect(compact.Statement[1].Condition).to.deep.equal({
      ArnLike: { "aws:SourceArn": [`arn:aws:cloudwatch:eu-west-1:${MOCK_ACCOUNT}:alarm:${prefix}-*`] },
      StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
    });
    expect(exact.Statement[1].Condition?.ArnEquals?.["aws:SourceArn"]).to.have.length(ALARM_LIST_THRESHOLD);
  });

  it("lets exactly this stack's alarms publish (a datalake-prod* pattern would match a prod-eu stack)", async () => {
    const run = await prodRun();
    const allow = doc(run.named("monitoring-alerts-policy", T.topicPolicy)).Statement.find((s) => s.Effect === "Allow");
    const alarmArns = run.ofType(T.alarm).map((a) => `arn:aws:cloudwatch:eu-west-1:${MOCK_ACCOUNT}:alarm:${a.inputs.name}`).sort();
    expect(allow.Condition).to.deep.equal({
      ArnEquals: { "aws:SourceArn": alarmArns },
      StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT },
    });
  });
});
