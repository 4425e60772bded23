// Key policies: the account administers the key, and only the named roles and AWS services use
// it. In a key policy "Resource": "*" means "this key".
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
import { AccountContext, PolicyDocument, Statement, policy, sorted } from "./document";

/** Administration without use: the account cannot decrypt data through IAM delegation alone. */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

export const KEY_USE_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];

export interface KeyPolicyInput {
  ctx: AccountContext;
  /** Roles/users that encrypt and decrypt with the key (sorted in the document). */
  userArns: string[];
  /** Let CloudWatch Logs encrypt log groups of this account and region. */
  cloudWatchLogs?: boolean;
  /** Service principals (e.g. events.amazonaws.com for an encrypted DLQ) that publish to encrypted queues/topics. */
  publishingServices?: string[];
}

export function keyPolicyDocument(input: KeyPolicyInput): PolicyDocument {
  const { ctx } = input;
  const statements: Statement[] = [
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.accountId}:root` },
      Action: KEY_ADMIN_ACTIONS,
      Resource: "*",
    },
    {
      // The deployer creates the CMK-encrypted audit table: DynamoDB needs a grant made by the
      // caller. Only grants for AWS resources, so no principal can decrypt through this statement.
      Sid: "AccountGrantsToAwsServices",
      Effect: "Allow",
      Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.accountId}:root` },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
    },
  ];
  const users = sorted(input.userArns);
  if (users.length > 0) {
    statements.push(
      { Sid: "NamedRolesUseKey", Effect: "Allow", Principal: { AWS: users }, Action: KEY_USE_ACTIONS, Resource: "*" },
      {
        // DynamoDB, Glue and Lambda create grants on the caller's behalf.
        Sid: "NamedRolesGrantToAwsServices",
        Effect: "Allow",
        Principal: { AWS: users },
        Action: ["kms:CreateGrant"],
        Resource: "*",
        Condition: { Bool: { "kms:GrantIsForAWSResource": true } },
      },
    );
  }
  if (input.cloudWatchLogs) {
    statements.push({
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
      Resource: "*",
      Condition: {
        ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:*` },
      },
    });
  }
  const services = sorted(input.publishingServices ?? []);
  if (services.length > 0) {
    statements.push({
      Sid: "ServicesPublishToEncryptedQueuesAndTopics",
      Effect: "Allow",
      Principal: { Service: services },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
    });
  }
  return policy(statements);
}
