// The role Lake Formation assumes to access registered (SSE-KMS) locations: the zone buckets
// and the data key, nothing else.
// https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html
import { AccountContext, PolicyDocument, policy, sorted } from "./document";

export function registrationRolePolicyDocument(ctx: AccountContext, bucketArns: string[], keyArn: string): PolicyDocument {
  const buckets = sorted(bucketArns);
  return policy([
    { Sid: "ListRegisteredBuckets", Effect: "Allow", Action: ["s3:ListBucket"], Resource: buckets },
    {
      Sid: "ReadWriteRegisteredData",
      Effect: "Allow",
      Action: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      Resource: buckets.map((b) => `${b}/*`),
    },
    {
      Sid: "UseDataKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
      Resource: keyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${ctx.region}.amazonaws.com` } },
    },
  ]);
}
