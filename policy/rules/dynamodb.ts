// DynamoDB rules for the audit table: point-in-time recovery, a customer managed key, and deletion
// protection wherever data is meant to be kept (prod, or any resource the program protects).
import { C } from "../lib/controls";
import { PolicyRes, ResourceRule, RuleConfig, get, isSet, isUnknown } from "../lib/model";

export const DYNAMODB_TABLE = "aws:dynamodb/table:Table";

export function checkPitr(res: PolicyRes): string[] {
  const enabled = get(res.props, "pointInTimeRecovery", "enabled");
  return isUnknown(enabled) || enabled === true ? [] : ["pointInTimeRecovery.enabled must be true"];
}

export function checkCmk(res: PolicyRes): string[] {
  const enabled = get(res.props, "serverSideEncryption", "enabled");
  const key = get(res.props, "serverSideEncryption", "kmsKeyArn");
  if (!isUnknown(enabled) && enabled !== true) {
    return ["serverSideEncryption.enabled must be true (otherwise an AWS owned key is used)"];
  }
  if (!isSet(key))
    return [
      "serverSideEncryption.kmsKeyArn must name a customer managed key (otherwise aws/dynamodb)",
    ];
  return [];
}

export function checkDeletionProtection(res: PolicyRes, config: RuleConfig): string[] {
  // Dev stacks may be torn down; prod (policy config) and protected resources may not.
  const required = config.environment === "prod" || res.protect;
  const value = res.props.deletionProtectionEnabled;
  if (!required || isUnknown(value) || value === true) return [];
  return [
    `deletionProtectionEnabled must be true ${res.protect ? "on a protected table" : "in the prod environment"}`,
  ];
}

export const dynamodbRules: ResourceRule[] = [
  {
    kind: "resource",
    name: "dynamodb-pitr",
    description: "Every DynamoDB table has point-in-time recovery. Covers DynamoDB.2.",
    controls: [C.DYNAMODB_2],
    remediation: "Set pointInTimeRecovery: { enabled: true }.",
    types: [DYNAMODB_TABLE],
    check: checkPitr,
  },
  {
    kind: "resource",
    name: "dynamodb-cmk",
    description:
      "Every DynamoDB table is encrypted with a customer managed KMS key (no FSBP control; AWS Config dynamodb-table-encrypted-kms).",
    controls: [C.NONE],
    remediation: "Set serverSideEncryption: { enabled: true, kmsKeyArn: <CMK ARN> }.",
    types: [DYNAMODB_TABLE],
    check: checkCmk,
  },
  {
    kind: "resource",
    name: "dynamodb-deletion-protection",
    description:
      "DynamoDB tables have deletion protection in prod (policy config environment=prod) and whenever the resource is protected. Covers DynamoDB.6.",
    controls: [C.DYNAMODB_6],
    remediation: "Set deletionProtectionEnabled: true for prod stacks.",
    types: [DYNAMODB_TABLE],
    check: checkDeletionProtection,
  },
];
