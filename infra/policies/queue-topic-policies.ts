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

/**
 * TLS only, and exactly these alarms (ARNs) may publish to the alert topic: a name pattern like
 * `datalake-prod*` would also match the alarms of a `prod-eu` stack.
 */
export function alertTopicPolicyDocument(ctx: AccountContext, topicArn: string, alarmArns: string[]): PolicyDocument {
  return policy([
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "sns:*",
      Resource: topicArn,
      Condition: { Bool: { "aws:SecureTransport": false } },
    },
    {
      Sid: "CloudWatchAlarmsPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        ArnEquals: { "aws:SourceArn": sorted(alarmArns) },
        StringEquals: { "aws:SourceAccount": ctx.accountId },
      },
    },
  ]);
}
