// Physical names built from the project, stack and dataset names, fitted to AWS limits.
//
// Rule (stable, so a name never changes between two `pulumi up` of the same stack):
// - the name prefix is `<project>-<stack>` with every character other than letters, digits, `_`
//   and `-` replaced by `-` (Pulumi allows `.` in stack names; Lambda, KMS aliases and dashboards
//   do not);
// - a name within its limit is used as is (existing stacks keep every name);
// - a longer name becomes its first (limit - 9) characters, `-`, and the first 8 hex digits of
//   the SHA-256 of the whole name: unique per full name, and it still starts with the prefix;
// - a stack name so long that the prefix would not survive in a 64-character name is refused.
import { createHash } from "crypto";

/** Length limits of the names this program sets (characters). */
export const NAME_LIMITS = {
  lambdaFunction: 64,
  eventRule: 64,
  glueJob: 255,
  dynamoTable: 255,
  alarm: 255,
} as const;

const HASH_LENGTH = 8;

/** The longest prefix every fitted name keeps whole (`<prefix>-` in a 64-character name). */
export const MAX_NAME_PREFIX = Math.min(NAME_LIMITS.lambdaFunction, NAME_LIMITS.eventRule) - HASH_LENGTH - 2;

export function namePrefix(project: string, stack: string): string {
  return `${project}-${stack}`.replace(/[^A-Za-z0-9_-]/g, "-");
}

export function fitName(name: string, limit: number): string {
  if (name.length <= limit) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, HASH_LENGTH);
  return `${name.slice(0, limit - HASH_LENGTH - 1)}-${hash}`;
}
