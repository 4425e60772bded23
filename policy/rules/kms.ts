// KMS rules: rotation on every symmetric customer managed key, and key policies that never grant
// "anyone" (Principal "*") without a condition pinning the caller to this account or a source.
import { C } from "../lib/controls";
import { PolicyRes, ResourceRule, isUnknown } from "../lib/model";
import { publicAllowProblems } from "../lib/policy-document";

export const KMS_KEY = "aws:kms/key:Key";
export const KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";

export function checkKeyRotation(res: PolicyRes): string[] {
  const spec = res.props.customerMasterKeySpec ?? res.props.keySpec;
  // Automatic rotation exists only for symmetric encryption keys.
  if (typeof spec === "string" && spec !== "SYMMETRIC_DEFAULT") return [];
  const rotation = res.props.enableKeyRotation;
  if (isUnknown(rotation) || rotation === true) return [];
  return ["enableKeyRotation must be true"];
}

export function keyPolicyProblems(policy: unknown): string[] {
  return publicAllowProblems(policy);
}

export function checkKeyPolicy(res: PolicyRes): string[] {
  return keyPolicyProblems(res.props.policy);
}

export const kmsRules: ResourceRule[] = [
  {
    kind: "resource",
    name: "kms-key-rotation",
    description: "Every symmetric customer managed KMS key rotates automatically. Covers KMS.4.",
    controls: [C.KMS_4],
    remediation: "Set enableKeyRotation: true on aws.kms.Key.",
    types: [KMS_KEY],
    check: checkKeyRotation,
  },
  {
    kind: "resource",
    name: "kms-no-wildcard-principal",
    description:
      'No KMS key policy allows Principal "*" (or NotPrincipal) without a scoping condition. Covers KMS.5.',
    controls: [C.KMS_5],
    remediation:
      "Name the exact roles and service principals in the key policy; add aws:SourceAccount/aws:SourceArn conditions.",
    types: [KMS_KEY, KMS_KEY_POLICY],
    check: checkKeyPolicy,
  },
];
