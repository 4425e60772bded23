// Reads IAM-style policy documents (identity, key and bucket policies). Programs pass them as JSON
// strings or objects; statements, actions, resources and principals may each be one value or a list.
import { UNKNOWN, Unknown, isUnknown } from "./model";

export interface Statement {
  sid?: string;
  effect: "Allow" | "Deny";
  actions: string[];
  notActions: string[];
  resources: string[];
  notResources: string[];
  /** Flattened principal values ("*" for a bare wildcard), with their kind ("AWS", "Service"...). */
  principals: { kind: string; value: string }[];
  hasNotPrincipal: boolean;
  condition: Record<string, Record<string, unknown>>;
}

function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (isUnknown(v) ? "<unknown>" : String(v)));
}

function principals(value: unknown): { kind: string; value: string }[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [{ kind: "*", value }];
  if (typeof value !== "object") return [];
  const out: { kind: string; value: string }[] = [];
  for (const [kind, v] of Object.entries(value as Record<string, unknown>)) {
    for (const s of strings(v)) out.push({ kind, value: s });
  }
  return out;
}

/**
 * Parses a policy document into statements. Returns UNKNOWN when the document (or part of it) is not
 * known yet, and throws with a clear message when it is not a policy document at all.
 */
export function parsePolicyDocument(doc: unknown): Statement[] | Unknown | undefined {
  if (doc === undefined || doc === null || doc === "") return undefined;
  if (isUnknown(doc)) return UNKNOWN;
  let parsed: unknown = doc;
  if (typeof doc === "string") {
    try {
      parsed = JSON.parse(doc);
    } catch {
      throw new Error(`policy document is not valid JSON: ${doc.slice(0, 80)}`);
    }
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const rawStatements = (parsed as Record<string, unknown>).Statement;
  if (isUnknown(rawStatements)) return UNKNOWN;
  const list = Array.isArray(rawStatements) ? rawStatements : rawStatements ? [rawStatements] : [];
  if (list.some((s) => isUnknown(s))) return UNKNOWN;
  return list.map((raw) => {
    const s = raw as Record<string, unknown>;
    return {
      sid: typeof s.Sid === "string" ? s.Sid : undefined,
      effect: s.Effect === "Deny" ? "Deny" : "Allow",
      actions: strings(s.Action),
      notActions: strings(s.NotAction),
      resources: strings(s.Resource),
      notResources: strings(s.NotResource),
      principals: principals(s.Principal),
      hasNotPrincipal: s.NotPrincipal !== undefined,
      condition: (s.Condition && typeof s.Condition === "object" ? s.Condition : {}) as Record<
        string,
        Record<string, unknown>
      >,
    } satisfies Statement;
  });
}

/** True when a principal entry means "anyone" ("*" or {"AWS": "*"}). */
export function hasWildcardPrincipal(statement: Statement): boolean {
  return statement.principals.some((p) => p.value === "*" && (p.kind === "*" || p.kind === "AWS"));
}

/** Value of one condition key under any operator, as strings (e.g. aws:SecureTransport). */
export function conditionValues(
  statement: Statement,
  key: string,
): { operator: string; values: string[] }[] {
  const out: { operator: string; values: string[] }[] = [];
  for (const [operator, operands] of Object.entries(statement.condition)) {
    if (!operands || typeof operands !== "object") continue;
    for (const [k, v] of Object.entries(operands)) {
      if (k.toLowerCase() === key.toLowerCase()) out.push({ operator, values: strings(v) });
    }
  }
  return out;
}

// A wildcard principal is acceptable only when a condition pins WHO calls to concrete values: an
// account, an organization, a source resource of a known account, a VPC or VPC endpoint. A key
// alone is not enough: kms:ViaService admits any account's caller through that service, and
// `aws:PrincipalAccount: "*"` or a negated operator constrains nothing.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
const ACCOUNT_ID = /^\d{12}$/;
const NO_WILDCARD = /^[^*?]+$/;
const PINNING_KEYS: Record<string, (value: string) => boolean> = {
  "aws:sourceaccount": (v) => ACCOUNT_ID.test(v),
  "aws:sourceowner": (v) => ACCOUNT_ID.test(v),
  "aws:principalaccount": (v) => ACCOUNT_ID.test(v),
  "aws:resourceaccount": (v) => ACCOUNT_ID.test(v),
  "kms:calleraccount": (v) => ACCOUNT_ID.test(v),
  "aws:principalorgid": (v) => /^o-[a-z0-9]{10,32}$/.test(v),
  "aws:sourceorgid": (v) => /^o-[a-z0-9]{10,32}$/.test(v),
  // An ARN pins the caller when its account field is a concrete account (S3 ARNs have none).
  "aws:sourcearn": (v) => arnAccountPinned(v),
  "aws:principalarn": (v) => arnAccountPinned(v),
  "aws:sourcevpce": (v) => /^vpce-[a-z0-9]+$/.test(v),
  "aws:sourcevpc": (v) => /^vpc-[a-z0-9]+$/.test(v),
};

function arnAccountPinned(arn: string): boolean {
  const parts = arn.split(":");
  return (
    parts.length >= 6 &&
    parts[0] === "arn" &&
    ACCOUNT_ID.test(parts[4]) &&
    NO_WILDCARD.test(parts.slice(0, 5).join(":"))
  );
}

// Operators that require the key to match: negations and ...IfExists admit requests without it,
// and ForAllValues on an absent key evaluates to true.
const MATCHING_OPERATOR =
  /^(ForAnyValue:)?(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)$/;

/** True when a condition restricts the caller to concrete accounts / orgs / sources. */
export function pinsCaller(statement: Statement): boolean {
  for (const [operator, operands] of Object.entries(statement.condition)) {
    if (!MATCHING_OPERATOR.test(operator) || !operands || typeof operands !== "object") continue;
    for (const [key, raw] of Object.entries(operands)) {
      const valid = PINNING_KEYS[key.toLowerCase()] as ((v: string) => boolean) | undefined;
      if (!valid) continue;
      const values = strings(raw);
      if (values.length > 0 && values.every((v) => v !== "<unknown>" && valid(v))) return true;
    }
  }
  return false;
}

/** Allow statements granting "anyone": Principal "*" without a pinning condition, NotPrincipal. */
export function publicAllowProblems(policy: unknown): string[] {
  const statements = parsePolicyDocument(policy);
  if (!statements || isUnknown(statements)) return [];
  const out: string[] = [];
  for (const s of statements) {
    if (s.effect !== "Allow") continue;
    const name = s.sid ? `statement "${s.sid}"` : "a statement";
    if (s.hasNotPrincipal) out.push(`${name} uses NotPrincipal with Allow`);
    if (hasWildcardPrincipal(s) && !pinsCaller(s)) {
      out.push(
        `${name} allows Principal "*" without a condition pinning the caller to a concrete account, organization or source (public)`,
      );
    }
  }
  return out;
}
