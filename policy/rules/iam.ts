// IAM rules: identity policies name exact actions and exact resources. "*" resources are allowed
// only for actions that have no resource-level permissions at all (the list below), because there
// is no narrower scope to write.
import { C } from "../lib/controls";
import { PolicyRes, ResourceRule, asArray, get, isUnknown } from "../lib/model";
import {
  Statement,
  hasWildcardPrincipal,
  parsePolicyDocument,
  pinsCaller,
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

/**
 * Where a resource ARN may end in a wildcard although it names resources by prefix: each entry
 * is a pattern over the whole ARN and the reason the program needs it. Everything else with `*`
 * or `?` in an ARN's name part (a bucket name, a table, a log group, a key) is a prefix wildcard
 * and is rejected: `arn:aws:s3:::datalake-*` grants every bucket anyone names that way.
 */
export const PREFIX_WILDCARD_EXCEPTIONS: { pattern: RegExp; reason: string }[] = [
  {
    // infra/policies/handler-policies.ts COMPACT_LIST_THRESHOLD: past 25 datasets the handlers'
    // job list becomes the stack's job-name prefix to stay under IAM's policy size quota.
    pattern: /^arn:aws[a-z-]*:glue:[a-z0-9-]+:\d{12}:job\/[a-z0-9]+(-[a-z0-9]+)+-\*$/,
    reason: "the stack's Glue job-name prefix (compact handler policy)",
  },
];

const HAS_WILDCARD = /[*?]/;

/** Why a resource ARN's wildcard is too broad, or undefined when it names exact resources. */
export function resourceWildcardProblem(arn: string): string | undefined {
  if (arn === "*" || !HAS_WILDCARD.test(arn)) return undefined; // "*" has its own check
  if (PREFIX_WILDCARD_EXCEPTIONS.some((e) => e.pattern.test(arn))) return undefined;
  const parts = arn.split(":");
  if (parts[0] !== "arn" || parts.length < 6) return "is not an ARN";
  const [, partition, service, region, account] = parts;
  if (HAS_WILDCARD.test([partition, service, region, account].join(":")))
    return "has a wildcard partition, service, region or account";
  const name = parts.slice(5).join(":");
  if (service === "s3") {
    // Object keys are paths: any key prefix under an exact bucket name is a scope, not a wildcard.
    const bucket = name.split("/")[0];
    return HAS_WILDCARD.test(bucket) ? "has a wildcard in the bucket name" : undefined;
  }
  // Children of one exactly named resource: the streams of a log group, the indexes/streams of a
  // table.
  const children = [
    /^log-group:[^*?]+:(log-stream:)?\*$/,
    /^table\/[^*?/]+\/(index|stream)\/\*$/,
  ];
  if (children.some((c) => c.test(name))) return undefined;
  return "has a prefix wildcard where a full resource name is expected";
}

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
    // s3:Get* grants every present and future Get action (GetObjectAcl, GetBucketPolicy...).
    const partial = actions.filter(
      (a) => HAS_WILDCARD.test(a) && a !== "*" && !serviceWildcards.includes(a),
    );
    if (partial.length > 0)
      out.push(`${name}: wildcard actions ${partial.join(", ")}; name each action`);
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
    for (const r of s.resources.filter((r) => !broad.includes(r))) {
      const problem = resourceWildcardProblem(r);
      if (problem) out.push(`${name}: ${r} ${problem}; name the exact resources`);
    }
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

/**
 * The condition key that names WHO a web identity is, per federated principal: `<issuer>:sub` for
 * OIDC providers (e.g. token.actions.githubusercontent.com:sub = repo:<owner>/<repo>:...), the
 * identity pool (`:aud`) for Cognito. Without it, every identity of the issuer (every GitHub
 * repository in the world) can assume the role.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
 */
function webIdentityKey(federated: string): string | undefined {
  const oidc = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(federated);
  if (oidc) return `${oidc[1]}:sub`;
  if (federated === "cognito-identity.amazonaws.com") return `${federated}:aud`;
  if (["accounts.google.com", "graph.facebook.com", "www.amazon.com"].includes(federated))
    return `${federated}:sub`;
  return undefined; // SAML providers and others: not a web identity
}

// A subject pattern that matches any identity of the issuer ("*", "repo:*", "repo:*:*").
const ANY_SUBJECT = /^([A-Za-z]+:)?[*?:/]*$/;

function pinsWebIdentity(statement: Statement, key: string): boolean {
  return Object.entries(statement.condition).some(
    ([operator, operands]) =>
      /^(ForAnyValue:)?(StringEquals|StringLike)$/.test(operator) &&
      Object.entries(operands ?? {}).some(([k, v]) => {
        if (k.toLowerCase() !== key.toLowerCase()) return false;
        const values = asArray(v).map(String);
        return values.length > 0 && values.every((value) => !ANY_SUBJECT.test(value));
      }),
  );
}

export function checkTrustPolicy(res: PolicyRes): string[] {
  const statements = parsePolicyDocument(res.props.assumeRolePolicy);
  if (!statements || isUnknown(statements)) return [];
  const out: string[] = [];
  for (const s of statements) {
    if (s.effect !== "Allow") continue;
    if (hasWildcardPrincipal(s) && !pinsCaller(s))
      out.push(
        'trust policy lets Principal "*" assume the role without a condition pinning the caller to a concrete account, organization or source',
      );
    for (const p of s.principals.filter((p) => p.kind === "Federated")) {
      const key = webIdentityKey(p.value);
      if (key && !pinsWebIdentity(s, key))
        out.push(
          `trust policy lets every identity of ${p.value} assume the role: add a StringEquals/StringLike condition on ${key} naming the allowed subjects`,
        );
    }
  }
  return out;
}

export const iamRules: ResourceRule[] = [
  {
    kind: "resource",
    name: "iam-no-wildcards",
    description:
      'No IAM identity policy allows "*", service:* or partial wildcard (s3:Get*) actions, NotAction/NotResource, Resource "*" (or an ARN naming every resource of a type) where the actions support a scope, prefix-wildcard resource names (arn:aws:s3:::datalake-*), or decrypt on all KMS keys. Covers IAM.1, IAM.21, KMS.1, KMS.2.',
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
      'No role trust policy lets Principal "*" assume it without a condition pinning the caller, and no web-identity (OIDC) trust omits the subject condition (no FSBP control).',
    controls: [C.NONE],
    remediation:
      "Trust exact service principals or role ARNs; for OIDC add a StringEquals condition on <issuer>:sub (e.g. repo:<owner>/<repo>:environment:prod).",
    types: [IAM.role],
    check: checkTrustPolicy,
  },
];
