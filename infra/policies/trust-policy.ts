// Trust policies: which AWS service may assume a role, only on behalf of this account.
import { AccountContext, PolicyDocument, policy } from "./document";

export function serviceTrustPolicy(ctx: AccountContext, service: string): PolicyDocument {
  return policy([
    {
      Sid: "ServiceAssumesRole",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      // Confused-deputy guard: the service acts for this account only.
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    },
  ]);
}
