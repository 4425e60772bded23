// Resource policies of the DLQ and the alert topic: only the named rules / this account's alarms.
import { AccountContext, PolicyDocument, Statement, policy, sorted } from "./document";

function denyInsecureQueueTransport(queueArn: string): Statement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "sqs:*",
    Resource: queueArn,
    Condition: { Bool: { "aws:SecureTransport": false } },
  };
}

/** EventBridge may dead-letter events of exactly these rules (ARNs, or one `rule/<prefix>*` pattern). */
export function deadLetterQueuePolicyDocument(queueArn: string, ruleArns: string[]): PolicyDocument {
  const exact = ruleArns.every((a) => !a.includes("*"));
  return policy([
    denyInsecureQueueTransport(queueArn),
    {
      Sid: "EventBridgeRulesDeadLetter",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: exact ? { ArnEquals: { "aws:SourceArn": sorted(ruleArns) } } : { ArnLike: { "aws:SourceArn": sorted(ruleArns) } },
    },
  ]);
}

export function tlsOnlyQueuePolicyDocument(queueArn: string): PolicyDocument {
  return policy([denyInsecureQueueTransport(queueArn)]);
}

/** CloudWatch alarms of this stack (name prefix) may publish to the alert topic. */
export function alertTopicPolicyDocument(ctx: AccountContext, topicArn: string, alarmNamePrefix: string): PolicyDocument {
  return policy([
    {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        ArnLike: { "aws:SourceArn": `arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${alarmNamePrefix}*` },
        StringEquals: { "aws:SourceAccount": ctx.accountId },
      },
    },
  ]);
}
