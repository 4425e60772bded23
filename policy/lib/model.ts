// The plain data every rule works on. The pack (policy/pack.ts) and the tests both convert their
// resources into this shape, so rules are pure functions: resources in, violations out.

/**
 * Marks a value that is not known yet (a preview of a resource whose input depends on another
 * resource's output). Rules treat it as "set, value unknown": a presence check passes, a content
 * check is skipped (it runs again at `pulumi up`, when the value is known).
 */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): value is Unknown {
  return value === UNKNOWN;
}

/** One resource as the rules see it. */
export interface PolicyRes {
  /** Type token, e.g. "aws:s3/bucket:Bucket". */
  type: string;
  /** Logical name. */
  name: string;
  urn: string;
  /** Inputs (resource rules) or outputs ⊇ inputs (stack rules); unknown values are UNKNOWN. */
  props: Record<string, unknown>;
  /** Values other resources use to refer to this one (id, physical name, ARN, URL), when known. */
  refs: string[];
  /** Property name -> URNs of the resources that property's value came from (engine only). */
  propertyDeps: Record<string, string[]>;
  /** URNs of every resource this one depends on. */
  deps: string[];
  protect: boolean;
}

export interface Violation {
  message: string;
  /** The resource at fault (stack rules name it; resource rules use the validated resource). */
  urn?: string;
}

/** Policy-level configuration, set with `--policy-pack-config` (see policy/config/). */
export interface RuleConfig {
  /** "prod" turns on prod-only requirements for every resource; protected resources always get them. */
  environment?: string;
  supportedLambdaRuntimes?: string[];
  supportedGlueVersions?: string[];
}

/** A control of the AWS Security Hub catalog. */
export interface Control {
  id: string;
  /** FSBP when the control is part of AWS Foundational Security Best Practices v1.0.0. */
  standard: "FSBP" | "NIST 800-53 / CIS (not in FSBP)" | "none";
  title: string;
}

interface RuleBase {
  /** Unique policy name, kebab-case. */
  name: string;
  description: string;
  controls: Control[];
  remediation: string;
}

export interface ResourceRule extends RuleBase {
  kind: "resource";
  /** Type tokens this rule validates. */
  types: string[];
  check(res: PolicyRes, config: RuleConfig): string[];
}

export interface StackRule extends RuleBase {
  kind: "stack";
  check(resources: PolicyRes[], config: RuleConfig): Violation[];
}

export type Rule = ResourceRule | StackRule;

// ---------------------------------------------------------------------------------------------
// Small readers shared by the rule files. They never throw on odd shapes: a rule reports what is
// missing instead of crashing the whole pack.

export function get(value: unknown, ...path: (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (isUnknown(current)) return UNKNOWN;
    if (current === null || current === undefined || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** True when set to a non-empty value or not known yet. */
export function isSet(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (value === undefined || value === null) return false;
  if (typeof value === "string") return value.trim() !== "";
  return true;
}

export function ofType(resources: PolicyRes[], ...types: string[]): PolicyRes[] {
  return resources.filter((r) => types.includes(r.type));
}

export function label(res: PolicyRes): string {
  return `${res.type.split(":").pop()} "${res.name}"`;
}
