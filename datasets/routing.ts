// One routing function for the whole product: the EventBridge rule patterns the Pulumi program
// declares, the file-arrival handler's dataset lookup and local mode's event routing all come
// from here, so a key that a rule delivers is a key the handler can route, and nothing else.
import type { DatasetSpec } from "./define";

/** The dataset that owns an object key (already URL-decoded), if any. */
export function routeObjectKey(specs: readonly DatasetSpec[], key: string): DatasetSpec | undefined {
  return specs.find((s) => keyMatches(s, key));
}

/**
 * A prefix matches keys in any letter case (a DMS task writes `<schema>/<table>/` as the source
 * names them: Oracle `SALES/ORDERS/`, PostgreSQL `sales/orders/`), as the rule's
 * `equals-ignore-case` does. With a suffix the whole key is matched exactly: EventBridge has no
 * case-insensitive wildcard. Letters fold in ASCII only (prefixes are ASCII: validate.ts).
 */
export function keyMatches(spec: Pick<DatasetSpec, "prefix" | "suffix">, key: string): boolean {
  if (spec.suffix !== undefined) return key.startsWith(spec.prefix) && key.endsWith(spec.suffix);
  return startsWithIgnoreCase(key, spec.prefix);
}

const asciiLower = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

function startsWithIgnoreCase(text: string, prefix: string): boolean {
  return text.length >= prefix.length && asciiLower(text.slice(0, prefix.length)) === asciiLower(prefix);
}

/**
 * The spellings of a dataset's prefix that S3 listings (the landing sweep) and IAM resource ARNs
 * cover, both being case-sensitive: as declared, all lower case and all upper case, the spellings
 * DMS sources write. A key under another mixed spelling is routed by its event but cannot be read
 * under these grants (docs/dms.md): declare the prefix as the source writes it.
 */
export function prefixSpellings(spec: Pick<DatasetSpec, "prefix" | "suffix">): string[] {
  if (spec.suffix !== undefined) return [spec.prefix];
  return caseSpellings(spec.prefix);
}

/** A prefix as declared, all lower case and all upper case (duplicates dropped). */
export function caseSpellings(prefix: string): string[] {
  return [...new Set([prefix, asciiLower(prefix), prefix.replace(/[a-z]/g, (c) => c.toUpperCase())])];
}

/** True when two prefixes can both match one key (any case): one starts with the other. */
export function prefixesOverlap(a: string, b: string): boolean {
  return startsWithIgnoreCase(a, b) || startsWithIgnoreCase(b, a);
}

export type EventPattern = Record<string, unknown>;

/**
 * The EventBridge pattern of a dataset's file-arrival rule. Prefixes and suffixes are limited to
 * characters S3 never URL-encodes in events, so matching the raw key equals matching the decoded one.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * The prefix matches in any case ("Begins with (ignore case)"); a suffix needs a wildcard, exact.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function eventPatternFor(spec: Pick<DatasetSpec, "prefix" | "suffix">, bucketName: string): EventPattern {
  const keyFilter =
    spec.suffix === undefined ? { prefix: { "equals-ignore-case": spec.prefix } } : { wildcard: `${spec.prefix}*${spec.suffix}` };
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: { bucket: { name: [bucketName] }, object: { key: [keyFilter] } },
  };
}

/** EventBridge's limit on an event pattern's size. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html */
export const EVENT_PATTERN_MAX_CHARS = 2048;

/**
 * The pattern of the rule that routes this stack's "Glue Job State Change" events to the job-state
 * handler (and local mode's in-process bus): exact job names while they fit the pattern size
 * limit, else the stack's job-name prefix.
 */
export function glueJobStatePattern(jobNames: string[], jobNamePrefix: string): EventPattern {
  const exact = { source: ["aws.glue"], "detail-type": ["Glue Job State Change"], detail: { jobName: [...jobNames].sort() } };
  if (JSON.stringify(exact).length <= EVENT_PATTERN_MAX_CHARS) return exact;
  return { ...exact, detail: { jobName: [{ prefix: jobNamePrefix }] } };
}

/**
 * Evaluates the subset of EventBridge pattern syntax this project emits (exact values, prefix,
 * prefix ignoring case, wildcard), so tests and local mode route events exactly as the deployed rules do.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 */
export function matchEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (typeof event !== "object" || event === null) return false;
  const record = event as Record<string, unknown>;
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = record[field];
    if (Array.isArray(expected)) return expected.some((m) => matchValue(m, actual));
    if (typeof expected === "object" && expected !== null) return matchEventPattern(expected as EventPattern, actual);
    return false;
  });
}

function matchValue(matcher: unknown, actual: unknown): boolean {
  if (typeof matcher !== "object" || matcher === null) return matcher === actual;
  if (typeof actual !== "string") return false;
  const m = matcher as { prefix?: string | { "equals-ignore-case": string }; wildcard?: string };
  if (typeof m.prefix === "string") return actual.startsWith(m.prefix);
  if (m.prefix !== undefined) return startsWithIgnoreCase(actual, m.prefix["equals-ignore-case"]);
  if (m.wildcard !== undefined) return wildcardToRegExp(m.wildcard).test(actual);
  return false;
}

function wildcardToRegExp(wildcard: string): RegExp {
  const escaped = wildcard.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "s");
}
