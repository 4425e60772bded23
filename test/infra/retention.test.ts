import { expect } from "chai";
import { RecordedResource } from "../mocks";
import { T, devRun, prodRun } from "./program-runs";

// Resources whose deletion loses data (or the means to decrypt it).
const DATA_BEARING = [T.bucket, T.key, T.table, T.glueDatabase, T.glueTable];

describe("infra: data retention per stack", () => {
  it("prod protects and retains every data-bearing resource", async () => {
    const run = await prodRun();
    const data = run.resources.filter((r) => (DATA_BEARING as readonly string[]).includes(r.type));
    expect(data.length).to.be.greaterThan(40);
    const unprotected = data.filter((r: RecordedResource) => !r.protect || !r.retainOnDelete).map((r) => r.name);
    expect(unprotected).to.deep.equal([]);
    for (const b of run.ofType(T.bucket)) expect(b.inputs.forceDestroy, b.name).to.equal(false);
    expect(run.named("audit", T.table).inputs.deletionProtectionEnabled).to.equal(true);
    for (const k of run.ofType(T.key)) expect(k.inputs.deletionWindowInDays).to.equal(30);
  });

  it("dev opts out: nothing protected, buckets emptied on destroy, no table deletion protection", async () => {
    const run = await devRun();
    expect(run.resources.filter((r) => r.protect || r.retainOnDelete).map((r) => r.name)).to.deep.equal([]);
    for (const b of run.ofType(T.bucket)) expect(b.inputs.forceDestroy, b.name).to.equal(true);
    expect(run.named("audit", T.table).inputs.deletionProtectionEnabled).to.equal(false);
    for (const k of run.ofType(T.key)) expect(k.inputs.deletionWindowInDays).to.equal(7);
  });

  it("does not protect non-data resources in prod (they can be replaced freely)", async () => {
    const run = await prodRun();
    const protectedTypes = new Set(run.resources.filter((r) => r.protect).map((r) => r.type));
    expect([...protectedTypes].sort()).to.deep.equal([...DATA_BEARING].sort());
  });
});

describe("infra: audit table", () => {
  it("is on-demand with PITR, the ops CMK, TTL and the handlers' indexes", async () => {
    const run = await prodRun();
    const table = run.named("audit", T.table).inputs;
    expect(table).to.include({ name: "datalake-prod-audit", billingMode: "PAY_PER_REQUEST", hashKey: "pk", rangeKey: "sk" });
    expect(table.pointInTimeRecovery).to.deep.equal({ enabled: true });
    expect(table.serverSideEncryption).to.deep.equal({ enabled: true, kmsKeyArn: run.named("keys-ops", T.key).state.arn });
    expect(table.ttl).to.deep.equal({ attributeName: "expiresAt", enabled: true });
    expect(table.globalSecondaryIndexes.map((g: any) => g.name).sort()).to.deep.equal(["byDataset", "byJobRun", "outstanding"]);
  });
});
