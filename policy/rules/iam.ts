// IAM rules: identity policies name exact actions and exact resources. "*" resources are allowed
// only for actions that have no resource-level permissions at all (the list below), because there
// is no narrower scope to write.
import { C } from "../lib/controls";
import { PolicyRes, ResourceRule, asArray, get, isUnknown } from "../lib/model";
import {
  Statement,
  conditionKeys,
  hasWildcardPrincipal,
  parsePolicyDocument,
} from "../lib/policy-document";

export const IAM = {
  policy: "aws:iam/policy:Policy",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
  groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  role: "aws:iam/role:Role",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  policyAttachment: "aws:iam/policyAttachment:PolicyAttachment",
} as const;

/**
 * Actions that only accept Resource "*" (Service Authorization Reference: no resource types).
 * Lower-case; extend when a new one is needed, with its reference.
 */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE = new Set([
  "cloudwatch:putmetricdata",
  "cloudwatch:getmetricdata",
  "cloudwatch:listmetrics",
  "xray:puttracesegments",
  "xray:puttelemetryrecords",
  "lakeformation:getdataaccess",
  "logs:createlogdelivery",
  "logs:getlogdelivery",
  "logs:updatelogdelivery",
  "logs:deletelogdelivery",
  "logs:listlogdeliveries",
  "logs:describeresourcepolicies",
  "sts:getcalleridentity",
  "s3:listallmybuckets",
  "kms:listaliases",
  "kms:listkeys",
  "glue:getsecurityconfigurations",
  "athena:listworkgroups",
]);

// Decrypt-capable KMS actions (KMS.1 / KMS.2 look for these on all keys).
const KMS_DECRYPT = ["kms:decrypt", "kms:reencryptfrom", "kms:*", "kms:re*"];
const ALL_KMS_KEYS = /^arn:aws[a-z-]*:kms:[^:]*:[^:]*:key\/\*$/i;

// ARNs that name every resource of a type ("table/*", "log-group:*", every bucket): "*" in disguise.
// S3 ARNs carry no region/account and name a bucket first; ALL_BUCKETS_ARN covers them.
const WHOLE_SERVICE_ARN = /^arn:aws[a-z-]*:(?!s3:)[a-z0-9-]+:[^:]*:[^:]*:(\*|[A-Za-z-]+[/:]\*)$/;
const ALL_BUCKETS_ARN = /^arn:aws[a-z-]*:s3:::\*(\/\*)?$/;

// AWS managed policies that grant "*" actions or resources; replace with scoped inline policies.
const BROAD_MANAGED_POLICY =
  /:iam::aws:policy\/(.*\/)?(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]*FullAccess|AWSGlueServiceRole|AWSLambdaBasicExecutionRole)$/;

export function statementProblems(statements: Statement[], where: string): string[] {
  const out: string[] = [];
  statements.forEach((s, i) => {
    if (s.effect !== "Allow") return;
    const name = `${where} statement ${s.sid ? `"${s.sid}"` : `#${i + 1}`}`;
    const actions = s.actions.map((a) => a.toLowerCase());
    if (s.notActions.length > 0) out.push(`${name}: Allow with NotAction grants everything else`);
    if (s.notResources.length > 0)
      out.push(`${name}: Allow with NotResource grants every other resource`);
    if (actions.includes("*")) out.push(`${name}: Action "*" (full administrative privileges)`);
    const serviceWildcards = actions.filter((a) => /^[a-z0-9-]+:\*$/.test(a));
    if (serviceWildcards.length > 0)
      out.push(`${name}: service-wide wildcard actions ${serviceWildcards.join(", ")}`);
    if (s.resources.includes("<unknown>")) return;
    if (s.resources.includes("*")) {
      const scoped = actions.filter((a) => !ACTIONS_WITHOUT_RESOURCE_SCOPE.has(a));
      if (scoped.length > 0)
        out.push(
          `${name}: Resource "*" for actions that support resource scopes (${scoped.join(", ")})`,
        );
    }
    const broad = s.resources.filter((r) => WHOLE_SERVICE_ARN.test(r) || ALL_BUCKETS_ARN.test(r));
    if (broad.length > 0)
      out.push(
        `${name}: ${broad.join(", ")} names every resource of its type; scope it to this stack's resources`,
      );
    const decrypt = actions.filter((a) => KMS_DECRYPT.includes(a));
    if (decrypt.length > 0 && s.resources.some((r) => ALL_KMS_KEYS.test(r))) {
      out.push(`${name}: ${decrypt.join(", ")} on all KMS keys`);
    }
  });
  return out;
}

function documentProblems(doc: unknown, where: string): string[] {
  const statements = parsePolicyDocument(doc);
  if (!statements || isUnknown(statements)) return [];
  return statementProblems(statements, where);
}

export function checkIdentityPolicy(res: PolicyRes): string[] {
  if (res.type === IAM.role) {
    const inline = res.props.inlinePolicies;
    if (isUnknown(inline)) return [];
    return asArray(inline).flatMap((p, i) =>
      documentProblems(get(p, "policy"), `inline policy ${String(get(p, "name") ?? i)}`),
    );
  }
  return documentProblems(res.props.policy, "policy");
}

export function checkManagedPolicyArns(res: PolicyRes): string[] {
  const arns = res.type === IAM.role ? res.props.managedPolicyArns : res.props.policyArn;
  if (isUnknown(arns)) return [];
  return asArray(arns)
    .filter((arn): arn is string => typeof arn === "string" && BROAD_MANAGED_POLICY.test(arn))
    .map(
      (arn) => `attaches ${arn}, which grants "*" actions or resources; use a scoped inline policy`,
    );
}

export function checkTrustPolicy(res: PolicyRes): string[] {
  const statements = parsePolicyDocument(res.props.assumeRolePolicy);
  if (!statements || isUnknown(statements)) return [];
  return statements
    .filter((s) => s.effect === "Allow" && hasWildcardPrincipal(s) && conditionKeys(s).length === 0)
    .map(() => 'trust policy lets Principal "*" assume the role without a condition');
}

export const iamRules: ResourceRule[] = [
  {
    kind: "resource",
    name: "iam-no-wildcards",
    description:
      'No IAM identity policy allows "*" or service:* actions, NotAction/NotResource, Resource "*" (or an ARN naming every resource of a type) where the actions support a scope, or decrypt on all KMS keys. Covers IAM.1, IAM.21, KMS.1, KMS.2.',
    controls: [C.IAM_1, C.IAM_21, C.KMS_1, C.KMS_2],
    remediation:
      "Name exact actions and exact ARNs (bucket/prefix/*, table ARN, key ARN, job ARN).",
    types: [IAM.policy, IAM.rolePolicy, IAM.userPolicy, IAM.groupPolicy, IAM.role],
    check: checkIdentityPolicy,
  },
  {
    kind: "resource",
    name: "iam-no-broad-managed-policies",
    description:
      "Roles do not attach AWS managed policies that grant broad access (AdministratorAccess, *FullAccess, AWSGlueServiceRole, AWSLambdaBasicExecutionRole). Covers IAM.1.",
    controls: [C.IAM_1],
    remediation: "Replace the attachment with a RolePolicy scoped to this stack's resources.",
    types: [IAM.role, IAM.rolePolicyAttachment, IAM.policyAttachment],
    check: checkManagedPolicyArns,
  },
  {
    kind: "resource",
    name: "iam-trust-policy-scoped",
    description:
      'No role trust policy lets Principal "*" assume it without a condition (no FSBP control).',
    controls: [C.NONE],
    remediation: "Trust exact service principals or role ARNs.",
    types: [IAM.role],
    check: checkTrustPolicy,
  },
];
