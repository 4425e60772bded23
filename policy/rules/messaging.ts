// SQS and SNS rules: encrypted at rest with a customer managed key. SQS-managed SSE and the AWS
// managed aliases cannot be granted to EventBridge/CloudWatch in a key policy, so they do not count.
import { C } from "../lib/controls";
import { PolicyRes, ResourceRule, isSet } from "../lib/model";
import { publicAllowProblems } from "../lib/policy-document";

export const SQS_QUEUE = "aws:sqs/queue:Queue";
export const SNS_TOPIC = "aws:sns/topic:Topic";
export const SQS_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy";
export const SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";

function cmkProblems(res: PolicyRes, awsManagedAlias: string): string[] {
  const key = res.props.kmsMasterKeyId;
  if (!isSet(key)) {
    return res.props.sqsManagedSseEnabled === true
      ? ["SQS-managed SSE is not a customer managed key; set kmsMasterKeyId"]
      : ["kmsMasterKeyId must name a customer managed KMS key"];
  }
  if (typeof key === "string" && key.endsWith(awsManagedAlias))
    return [`kmsMasterKeyId is the AWS managed ${awsManagedAlias}`];
  return [];
}

export const checkQueueCmk = (res: PolicyRes) => cmkProblems(res, "alias/aws/sqs");
export const checkTopicCmk = (res: PolicyRes) => cmkProblems(res, "alias/aws/sns");

/** Queue and topic access policies: service principals scoped by aws:SourceArn, never "anyone". */
export function checkNotPublic(res: PolicyRes): string[] {
  return publicAllowProblems(res.props.policy);
}

export const messagingRules: ResourceRule[] = [
  {
    kind: "resource",
    name: "sqs-cmk-encryption",
    description: "Every SQS queue is encrypted with a customer managed KMS key. Covers SQS.1.",
    controls: [C.SQS_1],
    remediation: "Set kmsMasterKeyId to the CMK ARN on aws.sqs.Queue.",
    types: [SQS_QUEUE],
    check: checkQueueCmk,
  },
  {
    kind: "resource",
    name: "sns-cmk-encryption",
    description: "Every SNS topic is encrypted with a customer managed KMS key. Covers SNS.1.",
    controls: [C.SNS_1],
    remediation: "Set kmsMasterKeyId to the CMK ARN on aws.sns.Topic.",
    types: [SNS_TOPIC],
    check: checkTopicCmk,
  },
  {
    kind: "resource",
    name: "sqs-sns-no-public-policy",
    description:
      'No SQS queue or SNS topic access policy allows Principal "*" without an account/source condition. Covers SQS.3, SNS.4.',
    controls: [C.SQS_3, C.SNS_4],
    remediation:
      "Grant the exact service principal (events.amazonaws.com, cloudwatch.amazonaws.com) with an aws:SourceArn condition.",
    types: [SQS_QUEUE, SQS_QUEUE_POLICY, SNS_TOPIC, SNS_TOPIC_POLICY],
    check: checkNotPublic,
  },
];
