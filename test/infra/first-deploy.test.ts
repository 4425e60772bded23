import { expect } from "chai";
import { T, devRun, prodRun } from "./program-runs";

// A fresh account's first `pulumi up`: CloudWatch Logs (and SQS, SNS, DynamoDB) check the key
// policy when a CMK-encrypted resource is created, so each must wait for its key's policy.
describe("infra: first deploy order", () => {
  it("creates every CMK-encrypted log group, queue, topic and table after its key's policy", async () => {
    for (const run of [await devRun(), await prodRun()]) {
      const policyOf = (keyArn: string) => {
        const key = run.ofType(T.key).find((k) => k.state.arn === keyArn);
        expect(key, `key ${keyArn}`).to.not.equal(undefined);
        return run.ofType(T.keyPolicy).find((p) => p.inputs.keyId === key!.state.keyId)!;
      };
      const encrypted = [
        ...run.ofType(T.logGroup).map((r) => [r, r.inputs.kmsKeyId] as const),
        ...run.ofType(T.queue).map((r) => [r, r.inputs.kmsMasterKeyId] as const),
        ...run.ofType(T.topic).map((r) => [r, r.inputs.kmsMasterKeyId] as const),
        ...run.ofType(T.table).map((r) => [r, r.inputs.serverSideEncryption.kmsKeyArn] as const),
      ];
      expect(encrypted.length).to.be.greaterThan(6);
      for (const [resource, keyArn] of encrypted) {
        expect(keyArn, resource.name).to.be.a("string");
        expect(resource.dependencies, resource.name).to.include(policyOf(keyArn).urn);
      }
    }
  });
});
