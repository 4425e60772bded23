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
 * Past this many alarms the topic policy names them by the stack's prefix: SNS takes at most
 * 30 KB of policy, and 150 datasets' alarm ARNs on a region-named stack were 35 KB.
 */
export const ALARM_LIST_THRESHOLD = 100;

/**
 * TLS only, and exactly these alarms (ARNs) may publish to the alert topic: a name pattern like
 * `datalake-prod-*` would also match the alarms of a `prod-eu` stack in the same account, so it
 * stands in for the list only past ALARM_LIST_THRESHOLD (as the DLQ's rules and the ops key's
 * alarms do past theirs), with this account's alarms only.
 */
export function alertTopicPolicyDocument(ctx: AccountContext, topicArn: string, alarmArns: string[], alarmNamePrefix: string): PolicyDocument {
  const source: Record<string, Record<string, string[]>> =
    alarmArns.length > ALARM_LIST_THRESHOLD
      ? { ArnLike: { "aws:SourceArn": [`arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${alarmNamePrefix}-*`] } }
      : { ArnEquals: { "aws:SourceArn": sorted(alarmArns) } };
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
        ...source,
        StringEquals: { "aws:SourceAccount": ctx.accountId },
      },
    },
  ]);
}
