// duplicate_content (file-arrival skips a version with the bytes of its key's last load) against
// the S3 API (moto server) and dynalite: a version is skipped only when the last load is the
// key's newest content, never when another version is in flight or the landing sweep filed it.
import { randomBytes } from "crypto";
import { expect } from "chai";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DATASETS } from "../../datasets";
import { AuditStore } from "../../handlers/audit/store";
import { S3ObjectStore } from "../../handlers/aws/s3-object-store";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { reconcile } from "../../handlers/core/reconcile";
import { createHandlerDeps } from "../../handlers/deps";
import type { HandlerDeps } from "../../handlers/ports";
import { motoForTests, motoS3Client } from "../support/moto";
import { startDynalite, type DynaliteServer } from "./support/dynalite";
import { FakeGlue } from "./support/fake-glue";
import { JOB_NAMES, ManualClock, objectCreated } from "./support/world";

describe("handlers: duplicate_content only when the last load is the key's newest content (moto S3, dynalite)", function () {
  this.timeout(120_000);
  let s3: S3Client;
  let dynalite: DynaliteServer;
  let landing: string;
  let audit: AuditStore;
  let glue: FakeGlue;
  let deps: HandlerDeps;
  let sequence = 0;

  before(async () => {
    s3 = motoS3Client((await motoForTests()).endpoint);
    dynalite = await startDynalite();
  });
  after(async () => {
    s3?.destroy();
    await dynalite?.close();
  });
  beforeEach(async () => {
    const suffix = randomBytes(4).toString("hex");
    landing = `dup-landing-${suffix}`;
    const ops = `dup-ops-${suffix}`;
    await s3.send(new CreateBucketCommand({ Bucket: landing }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: landing, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new CreateBucketCommand({ Bucket: ops }));
    const doc = DynamoDBDocumentClient.from(dynalite.client, { marshallOptions: { removeUndefinedValues: true } });
    // An hour ahead of S3's clock: the sweep only files versions older than its minimum age.
    const clock = new ManualClock(Date.now() + 3_600_000);
    audit = new AuditStore(doc, await dynalite.newTable(), { now: () => clock.now() });
    const objects = new S3ObjectStore(s3);
    glue = new FakeGlue(objects, ops);
    deps = createHandlerDeps({ audit, objects, glue, specs: DATASETS, jobNames: JOB_NAMES, opsBucket: ops, landingBucket: landing, limits: { startBackoffMs: 1 }, clock });
  });

  /** A new version of `key`, with the event S3 would send (sequencers grow per key). */
  async function put(key: string, body: string) {
    const out = await s3.send(new PutObjectCommand({ Bucket: landing, Key: key, Body: body }));
    const sequencer = (++sequence).toString(16).toUpperCase().padStart(18, "0");
    return { key, versionId: out.VersionId!, etag: (out.ETag ?? "").replace(/"/g, ""), sequencer, size: Buffer.byteLength(body) };
  }
  const arrive = (v: Awaited<ReturnType<typeof put>>) => handleFileArrival(deps, objectCreated(landing, v.key, v));
  async function drain(): Promise<void> {
    for (let i = 0; i < 20 && glue.running().length > 0; i++) for (const r of glue.running()) await handleJobStateChange(deps, await glue.complete(r.Id));
  }

  it("skips a version with the bytes of the last load, and loads one going back to earlier bytes", async () => {
    const key = "orders/2026/LOAD00000001.csv";
    await arrive(await put(key, "id,v\n1,A\n"));
    await drain();
    expect((await arrive(await put(key, "id,v\n1,A\n"))).outcome).to.equal("SKIPPED");
    await arrive(await put(key, "id,v\n1,B\n"));
    await drain();

    expect((await arrive(await put(key, "id,v\n1,A\n"))).outcome).to.equal("PENDING");
  });

  it("loads a version with the bytes of the last load while another version is still in flight", async () => {
    const key = "orders/2026/LOAD00000002.csv";
    await arrive(await put(key, "id,v\n1,A\n"));
    await drain();
    await arrive(await put(key, "id,v\n1,B\n")); // its run starts and holds the slot

    const back = await arrive(await put(key, "id,v\n1,A\n"));

    expect(back.outcome, "the producer went back to A while B was in flight").to.equal("PENDING");
    await drain();
  });

  it("loads a version with the bytes loaded before a version the landing sweep filed (its event lost) and loaded", async () => {
    const key = "orders/2026/LOAD00000003.csv";
    await arrive(await put(key, "id,v\n1,A\n"));
    await drain();
    await put(key, "id,v\n1,B\n"); // no event: the sweep files it, without a sequencer
    expect((await reconcile(deps)).swept).to.have.length(1);
    await drain();

    expect((await arrive(await put(key, "id,v\n1,A\n"))).outcome).to.equal("PENDING");
  });
});
