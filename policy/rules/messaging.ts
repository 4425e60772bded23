// SQS and SNS rules: encrypted at rest with a customer managed key. SQS-managed SSE and the AWS
// managed aliases cannot be granted to EventBridge/CloudWatch in a key policy, so they do not count.
import { C } from "../lib/controls";
import { configsByTarget } from "../lib/join";
import {
  PolicyRes,
  ResourceRule,
  StackRule,
  Violation,
  isSet,
  isUnknown,
  label,
  ofType,
} from "../lib/model";
import {
  conditionValues,
  hasWildcardPrincipal,
  parsePolicyDocument,
  publicAllowProblems,
} from "../lib/policy-document";

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

/**
 * A Deny for everyone when aws:SecureTransport is false, covering the service's actions (SNS's
 * documented example denies sns:Publish). Undefined when satisfied or not known yet.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html
 */
export function transportDenyProblem(policy: unknown, service: "sqs" | "sns"): string | undefined {
  const statements = parsePolicyDocument(policy);
  if (isUnknown(statements)) return undefined;
  if (!statements) return "no access policy denying requests without TLS (aws:SecureTransport false)";
  const actions = service === "sqs" ? ["*", "sqs:*"] : ["*", "sns:*", "sns:publish"];
  const deny = statements.some(
    (st) =>
      st.effect === "Deny" &&
      hasWildcardPrincipal(st) &&
      st.actions.some((a) => actions.includes(a.toLowerCase())) &&
      conditionValues(st, "aws:SecureTransport").some(
        (c) => c.operator === "Bool" && c.values.some((v) => v.toLowerCase() === "false"),
      ),
  );
  return deny ? undefined : 'no Deny for Principal "*" with Bool aws:SecureTransport "false"';
}

/** Every queue and topic has an access policy (inline or joined) that denies non-TLS requests. */
export function checkTransportEncryption(all: PolicyRes[]): Violation[] {
  const out: Violation[] = [];
  const kinds = [
    { type: SQS_QUEUE, policyType: SQS_QUEUE_POLICY, prop: "queueUrl", service: "sqs" as const },
    { type: SNS_TOPIC, policyType: SNS_TOPIC_POLICY, prop: "arn", service: "sns" as const },
  ];
  for (const { type, policyType, prop, service } of kinds) {
    const owners = ofType(all, type);
    const joined = configsByTarget(ofType(all, policyType), prop, owners);
    for (const owner of owners) {
      const documents = [
        ...(owner.props.policy !== undefined ? [owner.props.policy] : []),
        ...(joined.get(owner.urn) ?? []).map((p) => p.props.policy),
      ];
      const problems = documents.length === 0
        ? [transportDenyProblem(undefined, service)]
        : documents.map((d) => transportDenyProblem(d, service));
      if (problems.every((p) => p !== undefined))
        out.push({ message: `${label(owner)}: ${problems[0]}`, urn: owner.urn });
    }
  }
  return out;
}

export const messagingRules: (ResourceRule | StackRule)[] = [
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
  {
    kind: "stack",
    name: "sqs-sns-tls-only",
    description:
      "Every SQS queue and SNS topic has an access policy denying requests without TLS (aws:SecureTransport false) (no FSBP control).",
    controls: [C.NONE],
    remediation:
      'Add a Deny statement: Principal "*", Action "sqs:*" / "sns:Publish", Condition Bool aws:SecureTransport "false" (QueuePolicy / TopicPolicy).',
    check: checkTransportEncryption,
  },
];
