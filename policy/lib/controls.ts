// AWS Security Hub controls the rules map to. Ids and titles checked against the Security Hub user
// guide (FSBP v1.0.0 control list, https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html).
// Some requirements have a Security Hub control outside FSBP (NIST 800-53 / CIS only) or none at
// all; the `standard` field says which, so the mapping never overclaims.
import { Control } from "./model";

const fsbp = (id: string, title: string): Control => ({ id, standard: "FSBP", title });
const other = (id: string, title: string): Control => ({
  id,
  standard: "NIST 800-53 / CIS (not in FSBP)",
  title,
});

export const C = {
  S3_1: fsbp("S3.1", "S3 general purpose buckets should have block public access settings enabled"),
  S3_2: fsbp("S3.2", "S3 general purpose buckets should block public read access"),
  S3_3: fsbp("S3.3", "S3 general purpose buckets should block public write access"),
  S3_5: fsbp("S3.5", "S3 general purpose buckets should require requests to use SSL"),
  S3_8: fsbp("S3.8", "S3 general purpose buckets should block public access"),
  S3_9: fsbp("S3.9", "S3 general purpose buckets should have server access logging enabled"),
  S3_12: fsbp(
    "S3.12",
    "ACLs should not be used to manage user access to S3 general purpose buckets",
  ),
  S3_13: fsbp("S3.13", "S3 general purpose buckets should have Lifecycle configurations"),
  S3_14: other("S3.14", "S3 general purpose buckets should have versioning enabled"),
  S3_17: other("S3.17", "S3 general purpose buckets should be encrypted at rest with AWS KMS keys"),
  KMS_1: fsbp(
    "KMS.1",
    "IAM customer managed policies should not allow decryption actions on all KMS keys",
  ),
  KMS_2: fsbp(
    "KMS.2",
    "IAM principals should not have IAM inline policies that allow decryption actions on all KMS keys",
  ),
  KMS_4: other("KMS.4", "AWS KMS key rotation should be enabled"),
  KMS_5: fsbp("KMS.5", "KMS keys should not be publicly accessible"),
  LAMBDA_1: fsbp("Lambda.1", "Lambda function policies should prohibit public access"),
  LAMBDA_2: fsbp("Lambda.2", "Lambda functions should use supported runtimes"),
  CLOUDWATCH_16: other(
    "CloudWatch.16",
    "CloudWatch log groups should be retained for a specified time period",
  ),
  DYNAMODB_2: fsbp("DynamoDB.2", "DynamoDB tables should have point-in-time recovery enabled"),
  DYNAMODB_6: fsbp("DynamoDB.6", "DynamoDB tables should have deletion protection enabled"),
  GLUE_4: fsbp("Glue.4", "AWS Glue Spark jobs should run on supported versions of AWS Glue"),
  SQS_1: fsbp("SQS.1", "Amazon SQS queues should be encrypted at rest"),
  SQS_3: fsbp("SQS.3", "SQS queue access policies should not allow public access"),
  SNS_4: fsbp("SNS.4", "SNS topic access policies should not allow public access"),
  SNS_1: other("SNS.1", "SNS topics should be encrypted at-rest using AWS KMS"),
  IAM_1: fsbp("IAM.1", 'IAM policies should not allow full "*" administrative privileges'),
  IAM_21: fsbp(
    "IAM.21",
    "IAM customer managed policies that you create should not allow wildcard actions for services",
  ),
  NONE: {
    id: "-",
    standard: "none",
    title: "no Security Hub control; platform requirement (ARCHITECTURE.md)",
  } as Control,
} as const;

export function controlIds(controls: Control[]): string {
  return controls
    .map((c) =>
      c.standard === "FSBP"
        ? c.id
        : c.standard === "none"
          ? "no FSBP control"
          : `${c.id} (not FSBP)`,
    )
    .join(", ");
}
