// A hashing Glue job reads the stack's PII hash key secret, and only that secret (its KMS key
// is already the job's: glue-job-policy.ts UseKeys).
import { PolicyDocument, policy } from "./document";

export function piiKeyReadPolicyDocument(secretArn: string): PolicyDocument {
  return policy([{ Sid: "ReadPiiHashKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn }]);
}
