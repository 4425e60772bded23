// Logical-name parts of Lake Formation grants per principal. A path-less role keeps its bare name
// (the names existing stacks already have: renaming a grant makes Pulumi create the new one and
// then delete the old one, which revokes the permission both describe). A role or user with a path,
// or a user, adds a short hash of its whole ARN, so `role/team-a/Analyst` and `role/team-b/Analyst`
// (or `user/Analyst`) never share a name.
import { createHash } from "crypto";

/** Principals Lake Formation grants and admins may be: IAM roles and users (with optional paths). */
export const IAM_ROLE_OR_USER = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/([A-Za-z0-9+=,.@_-]+\/)*[A-Za-z0-9+=,.@_-]+$/;

export function principalLabel(arn: string): string {
  const [, kind, path] = /:(role|user)\/(.*)$/.exec(arn) ?? [];
  const name = (arn.split(/[/:]/).pop() ?? arn).replace(/[^A-Za-z0-9_-]/g, "-");
  if (kind === "role" && path !== undefined && !path.includes("/")) return name;
  return `${name}-${createHash("sha256").update(arn).digest("hex").slice(0, 8)}`;
}
