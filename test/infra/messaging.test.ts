import { expect } from "chai";
import { MOCK_ACCOUNT } from "../mocks";
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
