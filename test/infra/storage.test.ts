import { expect } from "chai";
import { MOCK_ACCOUNT } from "../mocks";
import { T, asList, devRun, doc, forBucket, prodRun } from "./program-runs";

const DATA_BUCKETS = ["landing", "bronze", "silver", "quarantine", "semantic", "ops", "athena"].map((b) => `storage-${b}`);
const ALL_BUCKETS = [...DATA_BUCKETS, "storage-access-logs"];

describe("infra: buckets", () => {
  it("creates exactly the eight platform buckets (semantic: the star schema's zone)", async () => {
    const run = await devRun();
    expect(run.ofType(T.bucket).map((b) => b.name).sort()).to.deep.equal([...ALL_BUCKETS].sort());
  });

  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: every data bucket is SSE-KMS with the data key (Athena results: the readers' key) and a bucket key`, async () => {
      const run = await (stack === "dev" ? devRun() : prodRun());
      const dataKeyArn = run.named("keys-data", T.key).state.arn;
      const athenaKeyArn = run.named("keys-athena", T.key).state.arn;
      for (const name of DATA_BUCKETS) {
        const [sse] = forBucket(run, T.sse, name);
        expect(sse, name).to.exist;
        const rule = sse.inputs.rules[0];
        const key = name === "storage-athena" ? athenaKeyArn : dataKeyArn;
        expect(rule.applyServerSideEncryptionByDefault, name).to.deep.equal({ sseAlgorithm: "aws:kms", kmsMasterKeyId: key });
        expect(rule.bucketKeyEnabled, name).to.equal(true);
      }
    });
  }

  it("refuses SSE-C uploads on every bucket: handlers and jobs could never read such an object", async () => {
    const run = await prodRun();
    for (const name of ALL_BUCKETS) {
      const [sse] = forBucket(run, T.sse, name);
      expect(sse.inputs.rules[0].blockedEncryptionTypes, name).to.deep.equal(["SSE-C"]);
    }
  });

  it("encrypts the access-log bucket with SSE-S3, the only encryption S3 log delivery supports", async () => {
    const run = await devRun();
    const [sse] = forBucket(run, T.sse, "storage-access-logs");
    expect(sse.inputs.rules[0].applyServerSideEncryptionByDefault).to.deep.equal({ sseAlgorithm: "AES256" });
  });

  it("blocks all public access, enforces ownership and enables versioning on every bucket", async () => {
    const run = await prodRun();
    for (const name of ALL_BUCKETS) {
      const [pab] = forBucket(run, T.publicAccess, name);
      expect(pab.inputs, name).to.include({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      expect(forBucket(run, T.ownership, name)[0].inputs.rule, name).to.deep.equal({ objectOwnership: "BucketOwnerEnforced" });
      expect(forBucket(run, T.versioning, name)[0].inputs.versioningConfiguration, name).to.deep.equal({ status: "Enabled" });
    }
  });

  it("denies non-TLS access to every bucket in its policy", async () => {
    const run = await devRun();
    for (const name of ALL_BUCKETS) {
      const policies = forBucket(run, T.bucketPolicy, name);
      expect(policies, name).to.have.length(1);
      const arn = run.named(name, T.bucket).state.arn;
      const deny = doc(policies[0]).Statement.find((s) => s.Sid === "DenyInsecureTransport");
      expect(deny, name).to.deep.include({ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": false } } });
      expect(deny.Resource, name).to.deep.equal([arn, `${arn}/*`]);
    }
  });

  it("lets S3 log delivery write only logs of this stack's buckets into the access-log bucket", async () => {
    const run = await devRun();
    const [policy] = forBucket(run, T.bucketPolicy, "storage-access-logs");
    const allow = doc(policy).Statement.find((s) => s.Effect === "Allow");
    const sources = DATA_BUCKETS.map((n) => run.named(n, T.bucket).state.arn).sort();
    expect(allow.Principal).to.deep.equal({ Service: "logging.s3.amazonaws.com" });
    expect(allow.Condition.ArnLike["aws:SourceArn"]).to.deep.equal(sources);
    expect(allow.Condition.StringEquals["aws:SourceAccount"]).to.equal(MOCK_ACCOUNT);
  });

  it("logs every data bucket to the access-log bucket under its own prefix", async () => {
    const run = await devRun();
    const logBucketId = `${run.named("storage-access-logs", T.bucket).name}-id`;
    for (const name of DATA_BUCKETS) {
      const [logging] = forBucket(run, T.logging, name);
      expect(logging.inputs, name).to.include({ targetBucket: logBucketId, targetPrefix: `${name}/` });
    }
    expect(forBucket(run, T.logging, "storage-access-logs")).to.be.empty;
  });

  it("aborts incomplete uploads and expires noncurrent versions everywhere, and expires landing objects", async () => {
    const run = await prodRun();
    for (const name of ALL_BUCKETS) {
      const rules = forBucket(run, T.lifecycle, name)[0].inputs.rules as any[];
      const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
      expect(byId["abort-incomplete-multipart"].abortIncompleteMultipartUpload.daysAfterInitiation, name).to.equal(1);
      expect(byId["expire-noncurrent-versions"].noncurrentVersionExpiration.noncurrentDays, name).to.equal(90);
      expect(byId["expire-current-objects"] === undefined, name).to.equal(!["storage-landing", "storage-athena"].includes(name));
    }
    const landing = forBucket(run, T.lifecycle, "storage-landing")[0].inputs.rules.find((r: any) => r.id === "expire-current-objects");
    expect(landing.expiration.days).to.equal(30);
  });

  it("has one notification config, on landing only, with EventBridge on", async () => {
    const run = await devRun();
    const notifications = run.ofType(T.notification);
    expect(notifications).to.have.length(1);
    expect(notifications[0].inputs).to.deep.equal({ bucket: `${run.named("storage-landing", T.bucket).name}-id`, eventbridge: true });
  });

  it("takes retention days from the stack config", async () => {
    const run = await devRun();
    const rules = forBucket(run, T.lifecycle, "storage-landing")[0].inputs.rules as any[];
    expect(rules.find((r) => r.id === "expire-current-objects").expiration.days).to.equal(7);
    expect(asList(rules.find((r) => r.id === "expire-noncurrent-versions").noncurrentVersionExpiration.noncurrentDays)).to.deep.equal([7]);
  });
});
