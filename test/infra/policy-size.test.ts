import { expect } from "chai";
import { COMPACT_LIST_THRESHOLD, HandlerPolicyInput, fileArrivalPolicyDocument, jobStatePolicyDocument, reconcilerPolicyDocument } from "../../infra/policies/handler-policies";
import { glueJobPolicyDocument } from "../../infra/policies/glue-job-policy";
import { keyPolicyDocument } from "../../infra/policies/kms-key-policy";

const ctx = { partition: "aws", region: "eu-west-1", accountId: "123456789012" };
/** IAM counts policy size without whitespace. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html */
const iamSize = (doc: unknown) => JSON.stringify(doc).replace(/\s/g, "").length;

function handlerInput(datasets: number): HandlerPolicyInput {
  const names = Array.from({ length: datasets }, (_, i) => `dataset_number_${i}`);
  return {
    ctx,
    auditTableArn: "arn:aws:dynamodb:eu-west-1:123456789012:table/datalake-prod-audit",
    auditIndexNames: ["byDataset", "outstanding", "byJobRun"],
    opsBucketArn: "arn:aws:s3:::datalake-prod-ops-1234567",
    landingBucketArn: "arn:aws:s3:::datalake-prod-landing-1234567",
    landingPrefixes: names.map((n) => `${n}/`),
    glueJobNames: names.map((n) => `datalake-prod-${n}`),
    glueJobNamePrefix: "datalake-prod-",
    keyArns: ["arn:aws:kms:eu-west-1:123456789012:key/a", "arn:aws:kms:eu-west-1:123456789012:key/b"],
    logGroupArn: "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/datalake-prod-file-arrival",
    failureQueueArn: "arn:aws:sqs:eu-west-1:123456789012:failures",
  };
}

describe("infra: policy sizes at scale", () => {
  it("keeps the handlers' inline policies under IAM's 10,240 characters at the threshold and for 100 datasets", () => {
    for (const datasets of [COMPACT_LIST_THRESHOLD, 100]) {
      for (const build of [fileArrivalPolicyDocument, jobStatePolicyDocument, reconcilerPolicyDocument]) {
        expect(iamSize(build(handlerInput(datasets))), `${build.name} ${datasets}`).to.be.below(10_240);
      }
    }
  });

  it("lists exact prefixes and jobs up to the threshold, then the stack's name prefix", () => {
    const small = fileArrivalPolicyDocument(handlerInput(COMPACT_LIST_THRESHOLD)).Statement;
    expect(small.find((s) => s.Sid === "StartJobRuns")!.Resource).to.have.length(COMPACT_LIST_THRESHOLD);
    const large = fileArrivalPolicyDocument(handlerInput(COMPACT_LIST_THRESHOLD + 1)).Statement;
    expect(large.find((s) => s.Sid === "StartJobRuns")!.Resource).to.deep.equal([
      "arn:aws:glue:eu-west-1:123456789012:job/datalake-prod-*",
    ]);
    expect(large.find((s) => s.Sid === "HeadLandingObjects")!.Resource).to.deep.equal(["arn:aws:s3:::datalake-prod-landing-1234567/*"]);
  });

  it("limits file-arrival's landing ListBucket to the prefixes up to the threshold, then to the bucket its objects span", () => {
    const small = fileArrivalPolicyDocument(handlerInput(COMPACT_LIST_THRESHOLD)).Statement;
    const smallList = small.find((s) => s.Sid === "LandingMissingIs404")!;
    expect(smallList.Resource).to.equal("arn:aws:s3:::datalake-prod-landing-1234567");
    // Each prefix in its declared, lower- and upper-case spellings (lower case is the declared one here).
    expect(smallList.Condition!.StringLike["s3:prefix"]).to.have.length(2 * COMPACT_LIST_THRESHOLD).and.include.members(["dataset_number_0/*", "DATASET_NUMBER_0/*"]);

    const large = fileArrivalPolicyDocument(handlerInput(COMPACT_LIST_THRESHOLD + 1)).Statement;
    const largeList = large.find((s) => s.Sid === "LandingMissingIs404")!;
    expect(largeList).to.deep.equal({
      Sid: "LandingMissingIs404",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: "arn:aws:s3:::datalake-prod-landing-1234567",
    });
  });

  it("keeps a Glue job policy small whatever the number of datasets", () => {
    const doc = glueJobPolicyDocument({
      ctx,
      dataset: "orders",
      landingBucketArn: "arn:aws:s3:::l",
      landingPrefix: "orders/",
      zoneBucketArns: ["arn:aws:s3:::b", "arn:aws:s3:::s", "arn:aws:s3:::q"],
      opsBucketArn: "arn:aws:s3:::o",
      artifactKeys: ["scripts/x.py", "libs/y.zip", "plans/orders/z.json"],
      dataKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/a",
      logKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/b",
      roleName: "orders-job-role-1234567",
      securityConfigurationName: "datalake-prod-glue",
      databaseNames: ["a_bronze", "a_silver", "a_quarantine"],
      tables: ["a_silver/orders"],
      metricsNamespace: "Datalake/prod",
    });
    expect(iamSize(doc)).to.be.below(10_240);
  });

  it("keeps a key policy naming 100 job roles under KMS's 32 KB", () => {
    const roles = Array.from({ length: 103 }, (_, i) => `arn:aws:iam::123456789012:role/datalake-prod-dataset_number_${i}-job-role-1234567`);
    expect(iamSize(keyPolicyDocument({ ctx, users: [{ sid: "ServiceRoles", arns: roles, viaServices: ["s3"], createGrants: true }], logGroupArns: ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/x"] }))).to.be.below(32_768);
  });
});
