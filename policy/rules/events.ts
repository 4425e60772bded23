// EventBridge rule: every target has a dead-letter queue and BOTH retry settings. Without
// maximumEventAgeInSeconds the default keeps retrying for 24 h; without a DLQ a failed delivery is
// silently dropped (ARCHITECTURE.md, Known pitfalls).
import { C } from "../lib/controls";
import { PolicyRes, ResourceRule, get, isSet, isUnknown } from "../lib/model";

export const EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget";

export function checkTargetDlqAndRetry(res: PolicyRes): string[] {
  const out: string[] = [];
  if (!isSet(get(res.props, "deadLetterConfig", "arn")))
    out.push("deadLetterConfig.arn must name an SQS dead-letter queue");
  const retry = get(res.props, "retryPolicy");
  if (isUnknown(retry)) return out;
  for (const key of ["maximumRetryAttempts", "maximumEventAgeInSeconds"]) {
    const value = get(retry, key);
    if (!isUnknown(value) && typeof value !== "number") out.push(`retryPolicy.${key} must be set`);
  }
  return out;
}

export const eventRules: ResourceRule[] = [
  {
    kind: "resource",
    name: "eventbridge-target-dlq-retry",
    description:
      "Every EventBridge target has a DLQ and sets both retryPolicy.maximumRetryAttempts and maximumEventAgeInSeconds (no FSBP control; nothing silently lost).",
    controls: [C.NONE],
    remediation:
      "Set deadLetterConfig.arn and retryPolicy { maximumRetryAttempts, maximumEventAgeInSeconds } on aws.cloudwatch.EventTarget.",
    types: [EVENT_TARGET],
    check: checkTargetDlqAndRetry,
  },
];
