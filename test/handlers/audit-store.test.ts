// The audit store on a real dynalite server: the schema, conditional forward-only writes, the
// run-slot lease, sparse indexes and the CLI list queries.
import { expect } from "chai";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { AuditStore } from "../../handlers/audit/store";
import { AUDIT_TABLE_SCHEMA } from "../../handlers/audit/schema";
import { ensureAuditTable } from "../../handlers/audit/ensure-table";
import type { FileItem, RunItem } from "../../handlers/audit/items";
import { DynaliteServer, startDynalite } from "./support/dynalite";

function file(n: number, over: Partial<FileItem> = {}): FileItem {
  return {
    kind: "FILE",
    fileId: `s3://landing/orders/${n}.csv#v${n}`,
    dataset: "orders",
    bucket: "landing",
    key: `orders/${n}.csv`,
    versionId: `v${n}`,
    etag: `e${n}`,
    sequencer: `S${n}`,
    size: 10,
    status: "PENDING",
    receivedAt: `2026-11-21T10:0${n}:00.000Z`,
    recordedAt: `2026-11-21T10:0${n}:01.000Z`,
    ...over,
  };
}

function run(runId: string, over: Partial<RunItem> = {}): RunItem {
  return { kind: "RUN", runId, dataset: "orders", jobName: "job", status: "QUEUED", createdAt: "2026-11-21T10:00:00.000Z", ...over };
}

describe("handlers: audit store (dynalite)", () => {
  let server: DynaliteServer;
  let store: AuditStore;
  let doc: DynamoDBDocumentClient;
  const now = Date.parse("2026-11-21T12:00:00Z");

  before(async () => {
    server = await startDynalite();
    doc = DynamoDBDocumentClient.from(server.client);
  });
  after(async () => {
    await server.close();
  });
  beforeEach(async () => {
    store = new AuditStore(doc, await server.newTable(), { finishedTtlDays: 10, now: () => now });
  });

  it("creates the table from AUDIT_TABLE_SCHEMA with its three GSIs", async () => {
    const { Table } = await server.client.send(new DescribeTableCommand({ TableName: store.tableName }));

    expect(Table?.KeySchema?.map((k) => k.AttributeName)).to.deep.equal(["pk", "sk"]);
    expect(Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName).sort()).to.deep.equal(["byDataset", "byJobRun", "outstanding"]);
    expect(Table?.BillingModeSummary?.BillingMode).to.equal("PAY_PER_REQUEST");
    expect(AUDIT_TABLE_SCHEMA.ttlAttribute).to.equal("expiresAt");
  });

  it("ensureAuditTable is idempotent", async () => {
    await ensureAuditTable(server.client, store.tableName);

    const { Table } = await server.client.send(new DescribeTableCommand({ TableName: store.tableName }));
    expect(Table?.TableStatus).to.equal("ACTIVE");
  });

  it("records a FILE once; the second write returns the stored item", async () => {
    const first = await store.createFile(file(1));
    const second = await store.createFile(file(1, { size: 999 }));

    expect(first.created).to.equal(true);
    expect(second.created).to.equal(false);
    expect(second.item.size).to.equal(10);
  });

  it("moves a FILE forward only: a second final status is refused", async () => {
    await store.createFile(file(1));

    const ok = await store.finalizeFile(file(1).fileId, { status: "SUCCEEDED", counts: { rowsRead: 3, rowsLoaded: 3, rowsQuarantined: 0, rowsRejected: 0 } }, "r1");
    const again = await store.finalizeFile(file(1).fileId, { status: "FAILED", reason: "late" }, "r1");

    expect(ok).to.equal(true);
    expect(again).to.equal(false);
    expect(await store.getFile(file(1).fileId)).to.include({ status: "SUCCEEDED", runId: "r1", rowsLoaded: 3 });
  });

  it("replaces a FAILED file with a retry's outcome (datalake load), and nothing else", async () => {
    await store.createFile(file(7, { status: "FAILED", reason: "run_failed: boom" }));
    await store.createFile(file(8, { status: "SUCCEEDED" }));

    const retried = await store.replaceFailedFile(file(7, { status: "SUCCEEDED", rowsRead: 3 }));
    const overSucceeded = await store.replaceFailedFile(file(8, { status: "FAILED" }));

    expect(retried).to.equal(true);
    expect(await store.getFile(file(7).fileId)).to.include({ status: "SUCCEEDED", rowsRead: 3 }).and.not.have.property("reason");
    expect(overSucceeded).to.equal(false);
    expect((await store.getFile(file(8).fileId))?.status).to.equal("SUCCEEDED");
  });

  it("a run cannot finalize a file claimed by another run", async () => {
    await store.createFile(file(1));
    await store.markFileRunning(file(1).fileId, "r1");

    const other = await store.finalizeFile(file(1).fileId, { status: "SUCCEEDED" }, "r2");

    expect(other).to.equal(false);
    expect((await store.getFile(file(1).fileId))?.status).to.equal("RUNNING");
  });

  it("sets the TTL only on finished items", async () => {
    await store.createFile(file(1));
    const raw = async () => (await doc.send(new GetCommand({ TableName: store.tableName, Key: { pk: `FILE#${file(1).fileId}`, sk: "FILE" } }))).Item!;
    expect((await raw()).expiresAt).to.equal(undefined);

    await store.finalizeFile(file(1).fileId, { status: "SUCCEEDED" });

    expect((await raw()).expiresAt).to.equal(Math.floor(now / 1000) + 10 * 86_400);
  });

  it("lists pending files from the sparse index only while they are PENDING", async () => {
    for (const n of [3, 1, 2]) await store.createFile(file(n));
    await store.createFile(file(4, { status: "SKIPPED", reason: "empty_object" }));

    expect((await store.listPendingFiles("orders", 10)).map((f) => f.key)).to.deep.equal(["orders/1.csv", "orders/2.csv", "orders/3.csv"]);
    expect(await store.listPendingFiles("orders", 2)).to.have.length(2);
    await store.markFileRunning(file(1).fileId, "r1");
    await store.finalizeFile(file(2).fileId, { status: "FAILED", reason: "x" });
    expect((await store.listPendingFiles("orders", 10)).map((f) => f.key)).to.deep.equal(["orders/3.csv"]);
    expect(await store.listPendingFiles("customers", 10)).to.deep.equal([]);
  });

  it("lists files of a dataset by time range, oldest or newest first", async () => {
    for (const n of [1, 2, 3, 4]) await store.createFile(file(n));

    const range = await store.listFiles("orders", { since: "2026-11-21T10:02", until: "2026-11-21T10:04" });
    const newest = await store.listFiles("orders", { newestFirst: true, limit: 2 });

    expect(range.map((f) => f.key)).to.deep.equal(["orders/2.csv", "orders/3.csv"]);
    expect(newest.map((f) => f.key)).to.deep.equal(["orders/4.csv", "orders/3.csv"]);
  });

  it("finds a run by its Glue job run id and lists only QUEUED/RUNNING runs as active", async () => {
    await store.putRun(run("r1"));
    await store.putRun(run("r2"));
    await store.updateRun("r1", ["QUEUED"], { status: "RUNNING", jobRunId: "jr_1" });
    await store.updateRun("r2", ["QUEUED"], { status: "FAILED", error: "x" });

    expect((await store.getRunByJobRunId("jr_1"))?.runId).to.equal("r1");
    expect(await store.getRunByJobRunId("jr_404")).to.equal(undefined);
    expect((await store.listActiveRuns()).map((r) => r.runId)).to.deep.equal(["r1"]);
    expect((await store.listRuns("orders")).map((r) => r.status)).to.deep.equal(["RUNNING", "FAILED"]);
  });

  it("refuses a RUN transition from a status it is not in", async () => {
    await store.putRun(run("r1", { status: "QUEUED" }));
    await store.updateRun("r1", ["QUEUED"], { status: "SUCCEEDED" });

    expect(await store.updateRun("r1", ["QUEUED", "RUNNING"], { status: "FAILED" })).to.equal(false);
    expect(await store.updateRun("missing", ["QUEUED"], { status: "FAILED" })).to.equal(false);
    expect((await store.getRun("r1"))?.status).to.equal("SUCCEEDED");
  });

  it("the run slot is exclusive until released or its lease expires", async () => {
    const lease = 60_000;

    expect(await store.tryTakeSlot("orders", "r1", now, lease)).to.equal(true);
    expect(await store.tryTakeSlot("orders", "r2", now + 1, lease)).to.equal(false);
    expect(await store.releaseSlot("orders", "r2")).to.equal(false);
    expect(await store.tryTakeSlot("orders", "r3", now + lease + 1, lease)).to.equal(true);
    expect(await store.releaseSlot("orders", "r1")).to.equal(false);
    expect(await store.releaseSlot("orders", "r3")).to.equal(true);
    expect(await store.tryTakeSlot("orders", "r4", now, lease)).to.equal(true);
    expect((await store.getSlot("orders"))?.activeRunId).to.equal("r4");
  });

  it("reads many files consistently in batches of 100", async () => {
    const ids = Array.from({ length: 101 }, (_, n) => `f${n}`);
    await Promise.all(ids.map((fileId, n) => store.createFile(file(n, { fileId, receivedAt: `2026-11-21T10:00:00.${String(n).padStart(3, "0")}Z` }))));

    const got = await store.getFilesConsistent([...ids, "missing"]);

    expect(got.map((f) => f.fileId).sort()).to.deep.equal([...ids].sort());
  });
});
