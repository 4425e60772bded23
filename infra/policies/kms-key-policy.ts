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

/** Principals that use the key, only through the named AWS services (kms:ViaService). */
export interface KeyUsers {
  /** Names the statements: `<sid>UseKey` (and `<sid>GrantToAwsServices`). */
  sid: string;
  arns: string[];
  /** Service prefixes, e.g. ["s3"]: the principal uses the key only through these services. */
  viaServices: string[];
  /** @default KEY_USE_ACTIONS */
  actions?: string[];
  /** Let them create grants for AWS resources (DynamoDB, Lambda, Glue do on their behalf). @default false */
  createGrants?: boolean;
  /** Only objects of these buckets (S3 encryption context: the bucket ARN with bucket keys). @default any */
  onlyBuckets?: string[];
}

export interface KeyPolicyInput {
  ctx: AccountContext;
  users: KeyUsers[];
  /** Log group ARNs (ArnLike patterns) CloudWatch Logs may encrypt with the key. @default none */
  logGroupArns?: string[];
  /**
   * Service principal -> ARNs (ArnLike patterns) of the sources it publishes for, e.g.
   * events.amazonaws.com -> this stack's rules (DLQ), cloudwatch.amazonaws.com -> its alarms (topic).
   */
  publishers?: Record<string, string[]>;
}

const viaService = (ctx: AccountContext, services: string[]) => sorted(services.map((s) => `${s}.${ctx.region}.amazonaws.com`));

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
  for (const group of input.users) {
    const arns = sorted(group.arns);
    if (arns.length === 0) continue;
    // kms:ViaService: the key is usable only inside the service that holds the data (an S3 read
    // right alone, or a direct kms:Decrypt, does not reach data through another path).
    const via = {
      StringEquals: { "kms:ViaService": viaService(ctx, group.viaServices) },
      ...(group.onlyBuckets
        ? { ArnLike: { "kms:EncryptionContext:aws:s3:arn": sorted(group.onlyBuckets.flatMap((b) => [b, `${b}/*`])) } }
        : {}),
    };
    statements.push({
      Sid: `${group.sid}UseKey`,
      Effect: "Allow",
      Principal: { AWS: arns },
      Action: group.actions ?? KEY_USE_ACTIONS,
      Resource: "*",
      Condition: via,
    });
    if (group.createGrants) {
      statements.push({
        Sid: `${group.sid}GrantToAwsServices`,
        Effect: "Allow",
        Principal: { AWS: arns },
        Action: ["kms:CreateGrant"],
        Resource: "*",
        Condition: { Bool: { "kms:GrantIsForAWSResource": true }, ...via },
      });
    }
  }
  const logGroups = sorted(input.logGroupArns ?? []);
  if (logGroups.length > 0) {
    statements.push({
      Sid: "CloudWatchLogsEncryptsLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
      Resource: "*",
      Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroups } },
    });
  }
  for (const [service, sources] of Object.entries(input.publishers ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    statements.push({
      Sid: `${service.split(".")[0].replace(/^./, (c) => c.toUpperCase())}PublishesToEncryptedQueuesAndTopics`,
      Effect: "Allow",
      Principal: { Service: service },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId }, ArnLike: { "aws:SourceArn": sorted(sources) } },
    });
  }
  return policy(statements);
}
