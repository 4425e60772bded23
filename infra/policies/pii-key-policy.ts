// A hashing Glue job reads the stack's PII hash key secret, and only that secret. The secret is
// encrypted with the data key, which the job otherwise uses only through S3 (glue-job-policy.ts):
// decrypting it goes through Secrets Manager, and only there.
import { AccountContext, PolicyDocument, policy } from "./document";

export function piiKeyReadPolicyDocument(ctx: AccountContext, secretArn: string, dataKeyArn: string): PolicyDocument {
  return policy([
    { Sid: "ReadPiiHashKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
    {
      Sid: "DecryptPiiHashKey",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: dataKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${ctx.region}.amazonaws.com` } },
    },
  ]);
}
