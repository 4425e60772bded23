// The landing sweep and file-arrival's key handling against the S3 API (moto server) and a real
// dynalite: every object version under a dataset prefix ends with exactly one FILE item, whether
// its event came, came late, came twice, or never came; and duplicate_content skips only what
// the key's newest loaded content already holds.
import { randomBytes } from "crypto";
import { expect } from "chai";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DATASETS } from "../../datasets";
import { routeObjectKey } from "../../datasets/routing";
import { AuditStore, type AuditDb } from "../../handlers/audit/store";
import type { FileItem } from "../../handlers/audit/items";
import { S3ObjectStore } from "../../handlers/aws/s3-object-store";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { reconcile } from "../../handlers/core/reconcile";
import { createHandlerDeps } from "../../handlers/deps";
import { RecordingRunMetrics } from "../../handlers/metrics";
import type { HandlerDeps, HandlerLimits, ObjectVersion } from "../../handlers/ports";
import { motoForTests, motoS3Client } from "../support/moto";
import { startDynalite, type DynaliteServer } from "./support/dynalite";
import { FakeGlue } from "./support/fake-glue";
import { JOB_NAMES, ManualClock, allFiles, objectCreated } from "./support/world";

describe("handlers: landing sweep and key readings (moto S3, dynalite)", function () {
  this.timeout(120_000);
  let s3: S3Client;
  let dynalite: DynaliteServer;
  let landing: string;
  let ops: string;
  let objects: S3ObjectStore;
  let glue: FakeGlue;
  let audit: AuditStore;
  let clock: ManualClock;
  let deps: HandlerDeps;
  let metrics: RecordingRunMetrics;

  before(async () => {
    s3 = motoS3Client((await motoForTests()).endpoint);
    dynalite = await startDynalite();
  });
  after(async () => {
    s3?.destroy();
    await dynalite?.close();
  });

  /** A fresh versioned landing bucket, ops bucket and audit table; the clock an hour ahead of S3's. */
  async function stack(limits: Partial<HandlerLimits> = {}, versioned = true, wrap: (db: AuditDb) => AuditDb = (db) => db): Promise<void> {
    const suffix = randomBytes(4).toString("hex");
    landing = `sweep-landing-${suffix}`;
    ops = `sweep-ops-${suffix}`;
    await s3.send(new CreateBucketCommand({ Bucket: landing }));
    if (versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: landing, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new CreateBucketCommand({ Bucket: ops }));
    const table = await dynalite.newTable();
    const doc = DynamoDBDocumentClient.from(dynalite.client, { marshallOptions: { removeUndefinedValues: true } });
    clock = new ManualClock(Date.now() + 3_600_000);
    audit = new AuditStore(wrap(doc), table, { now: () => clock.now() });
    objects = new S3ObjectStore(s3);
    glue = new FakeGlue(objects, ops);
    metrics = new RecordingRunMetrics();
    deps = createHandlerDeps({ audit, objects, glue, specs: DATASETS, jobNames: JOB_NAMES, opsBucket: ops, landingBucket: landing, limits: { startBackoffMs: 1, ...limits }, clock, metrics });
  }

  async function put(key: string, body = `bytes of ${key} ${randomBytes(4).toString("hex")}`) {
    const out = await s3.send(new PutObjectCommand({ Bucket: landing, Key: key, Body: body }));
    return { key, versionId: out.VersionId && out.VersionId !== "null" ? out.VersionId : null, etag: (out.ETag ?? "").replace(/"/g, ""), sequencer: "0A", size: Buffer.byteLength(body) };
  }

  /** The event as EventBridge may deliver it: the key exactly as given (raw or encoded). */
  function event(v: Awaited<ReturnType<typeof put>>, eventKey = v.key): Record<string, any> {
    const e = objectCreated(landing, v.key, v);
    e.detail.object.key = eventKey;
    return e;
  }

  async function everyVersion(): Promise<ObjectVersion[]> {
    const out: ObjectVersion[] = [];
    let from;
    do {
      const page = await objects.listVersions(landing, "", from, 1000);
      out.push(...page.versions);
      from = page.next;
    } while (from);
    return out;
  }

  /** Exactly one FILE item per routed object version, matched by key and version id; none extra. */
  async function assertEveryVersionFiledOnce(): Promise<FileItem[]> {
    const files = await allFiles(audit);
    const versions = (await everyVersion()).filter((v) => routeObjectKey(DATASETS, v.key) !== undefined);
    for (const v of versions) {
      const matches = files.filter((f) => f.bucket === landing && f.key === v.key && f.versionId === v.versionId);
      expect(matches, `FILE items for ${v.key}#${v.versionId}`).to.have.length(1);
    }
    expect(files.filter((f) => f.dataset !== "_unrouted").length, "FILE items without an object version").to.equal(versions.length);
    return files;
  }

  async function drain(): Promise<void> {
    for (let i = 0; i < 20 && glue.running().length > 0; i++) {
      for (const run of glue.running()) await handleJobStateChange(deps, await glue.complete(run.Id));
    }
  }

  describe("file-arrival on the S3 API", () => {
    beforeEach(() => stack());

    it("'a+b.csv' raw and 'a b.csv' encoded arrive as the same event key: each files its own object version", async () => {
      const spaced = await put("orders/a b.csv");
      const plus = await put("orders/a+b.csv");

      const r1 = await handleFileArrival(deps, event(plus, "orders/a+b.csv"));
      const r2 = await handleFileArrival(deps, event(spaced, "orders/a+b.csv"));

      expect([r1.outcome, r2.outcome]).to.deep.equal(["PENDING", "PENDING"]);
      const files = await assertEveryVersionFiledOnce();
      expect(files.map((f) => f.key).sort()).to.deep.equal(["orders/a b.csv", "orders/a+b.csv"]);
    });

    it("raw '%', ':' and '=' in keys: filed under the real key", async () => {
      const percent = await put("orders/discount 100%.csv");
      const colon = await put("orders/dt=2026-11-21/10:15:30.csv");

      const results = [await handleFileArrival(deps, event(percent)), await handleFileArrival(deps, event(colon))];

      expect(results.map((r) => r.outcome)).to.deep.equal(["PENDING", "PENDING"]);
      await assertEveryVersionFiledOnce();
    });

    it("unversioned bucket: an overwritten version neither reading holds is one SKIPPED key_ambiguous item naming both keys", async () => {
      await stack({}, false);
      const old = await put("orders/a b.csv");
      await put("orders/a b.csv");
      const plus = await put("orders/a+b.csv");

      const lost = await handleFileArrival(deps, event(old, "orders/a+b.csv"));
      const again = await handleFileArrival(deps, event(old, "orders/a+b.csv"));
      const loaded = await handleFileArrival(deps, event(plus, "orders/a+b.csv"));

      expect(lost).to.include({ outcome: "SKIPPED", reason: "key_ambiguous" });
      expect(again.outcome).to.equal("DUPLICATE");
      const item = await audit.getFile((lost as { fileId: string }).fileId);
      expect(item?.note).to.equal('objects under "orders/a b.csv", "orders/a+b.csv" exist, none holds this event\'s version');
      expect(loaded.outcome).to.equal("PENDING");
      expect((await audit.getFile((loaded as { fileId: string }).fileId))?.key).to.equal("orders/a+b.csv");
    });
  });

  describe("the sweep", () => {
    it("files every version whose event never came, once; late events and later sweeps add nothing", async () => {
      await stack();
      const delivered = await put("orders/2026/LOAD00000001.csv");
      const lost = [await put("orders/2026/LOAD00000002.csv"), await put("orders/a+b c.csv"), await put("orders/discount 100%.csv")];
      const second = await put("orders/2026/LOAD00000001.csv"); // a second version of a delivered key
      await put("invoices/elsewhere.csv"); // under no dataset prefix: only an event files it (as _unrouted)
      await handleFileArrival(deps, event(delivered));
      await drain();

      const report = await reconcile(deps);

      expect(report.errors).to.deep.equal([]);
      expect(report.swept).to.have.length(4);
      expect(report.started).to.have.length(1);
      await drain();
      const files = await assertEveryVersionFiledOnce();
      expect(files.every((f) => f.status === "SUCCEEDED"), JSON.stringify(files.map((f) => [f.key, f.status]))).to.equal(true);
      // The late (dead-lettered, then redriven) events of swept versions are duplicates.
      for (const v of [...lost, second]) expect((await handleFileArrival(deps, event(v))).outcome, v.key).to.equal("DUPLICATE");
      clock.advance(600);
      expect((await reconcile(deps)).swept).to.deep.equal([]);
      await assertEveryVersionFiledOnce();
    });

    it("files a version whose key is as long as S3 allows, by its event and by the sweep (index keys stay within DynamoDB's 1024 bytes)", async () => {
      await stack({}, true, (db) => new IndexKeyLimit(db));
      const key = `orders/${"k".repeat(1024 - "orders/".length - ".csv".length)}.csv`;
      const delivered = await put(key);
      const lost = await put(key);
      expect((await handleFileArrival(deps, event(delivered))).outcome).to.equal("PENDING");
      await drain();

      const report = await reconcile(deps);

      expect(report.errors).to.deep.equal([]);
      expect(report.swept).to.have.length(1);
      await drain();
      const files = await assertEveryVersionFiledOnce();
      expect(files.map((f) => [f.versionId, f.status]).sort()).to.deep.equal([[delivered.versionId, "SUCCEEDED"], [lost.versionId, "SUCCEEDED"]].sort());
    });

    it("a version the audit table refuses is reported and does not hold back the versions after it", async () => {
      await stack({ sweepMinAgeSeconds: 0 }, true, (db) => new RefuseKey(db, "orders/a-refused.csv"));
      await put("orders/a-refused.csv");
      const later = [await put("orders/b.csv"), await put("orders/c.csv")];

      const report = await reconcile(deps);

      expect(report.errors).to.have.length(1);
      expect(report.errors[0]).to.match(/^sweep orders\/a-refused\.csv \S+: ValidationException/);
      expect(metrics.reconcileFailures, "the reconciler-errors alarm's metric").to.deep.equal([1]);
      expect(report.swept).to.have.length(2);
      const files = await allFiles(audit);
      expect(files.map((f) => f.key).sort()).to.deep.equal(later.map((v) => v.key));
    });

    it("leaves versions younger than sweepMinAgeSeconds to their events", async () => {
      await stack();
      clock.t = Date.now(); // S3's and the handler's clocks agree: the objects are brand new
      await put("orders/young.csv");

      const report = await reconcile(deps);

      expect(report.swept).to.deep.equal([]);
      expect(await allFiles(audit)).to.have.length(0);
    });

    it("is bounded per invocation and resumes from the watermark stored in the audit table", async () => {
      await stack({ sweepPagesPerDataset: 1, sweepPageSize: 2 });
      for (let i = 1; i <= 5; i++) await put(`orders/f${i}.csv`);

      const sizes: number[] = [];
      for (let i = 0; i < 4; i++) sizes.push((await reconcile(deps)).swept.length);

      // The fourth page lists the prefix's upper-case spelling (ORDERS/, empty here).
      expect(sizes).to.deep.equal([2, 2, 1, 0]);
      expect((await audit.getSweepCursor("orders"))?.next).to.equal(undefined);
      await drain();
      await assertEveryVersionFiledOnce();
    });

    it("files versions under the prefix in its lower- and upper-case spellings (Oracle's ORDERS/), across pages and invocations", async () => {
      await stack({ sweepPagesPerDataset: 2, sweepPageSize: 2 });
      for (let i = 1; i <= 3; i++) await put(`ORDERS/LOAD0000000${i}.csv`);
      await put("orders/20261130-152952123.csv");
      // A mixed spelling is routed (its event files it) but S3 cannot list it case-insensitively.
      await put("Orders/mixed.csv");

      // Invocation 1: orders/ (one page), then ORDERS/ from its start; invocation 2: the rest of ORDERS/.
      const swept: string[] = [];
      for (let i = 0; i < 2; i++) swept.push(...(await reconcile(deps)).swept);

      const keys = (await allFiles(audit)).filter((f) => swept.includes(f.fileId)).map((f) => f.key).sort();
      expect(keys).to.deep.equal(["ORDERS/LOAD00000001.csv", "ORDERS/LOAD00000002.csv", "ORDERS/LOAD00000003.csv", "orders/20261130-152952123.csv"]);
      expect((await audit.getSweepCursor("orders"))?.next).to.equal(undefined);
      expect((await reconcile(deps)).swept).to.deep.equal([]);
    });

    it("stops filing when its time budget is spent and resumes the same page next time", async () => {
      await stack({ sweepBudgetSeconds: 1 });
      for (let i = 1; i <= 5; i++) await put(`orders/f${i}.csv`);
      // Every HeadObject takes 0.6 s of the sweep's budget.
      const head = objects.headObject.bind(objects);
      objects.headObject = async (...a) => (clock.advance(0.6), head(...a));

      const sizes: number[] = [];
      for (let i = 0; i < 4; i++) sizes.push((await reconcile(deps)).swept.length);

      expect(sizes).to.deep.equal([2, 2, 1, 0]);
      await drain();
      await assertEveryVersionFiledOnce();
    });

    it("a first pass does not reach back beyond the FILE items' TTL (an expired item is not a lost event)", async () => {
      await stack({ finishedTtlDays: 2, sweepLookbackSeconds: 3600 });
      await put("orders/old.csv");
      clock.advance(2 * 86_400);

      expect((await reconcile(deps)).swept).to.deep.equal([]);
    });

    it("a new pass checks only versions modified since the previous pass began (minus the lookback)", async () => {
      await stack({ sweepMinAgeSeconds: 0, sweepLookbackSeconds: 0 });
      // Every time here comes from S3's own LastModified (whole seconds), not this process's
      // clock: the emulator's clock need not agree with ours to the second (it did not in CI).
      const old = await put("orders/old.csv");
      const oldAt = await modifiedAt(old);
      clock.t = oldAt + 1000; // the first pass begins in the next whole second
      const first = await reconcile(deps);
      expect(first.swept, `reconciler errors: ${first.errors.join("; ")}`).to.have.length(1);
      const fresh = await putModifiedAfter("orders/new.csv", clock.t);
      clock.t = (await modifiedAt(fresh)) + 1000;
      const looked: string[] = [];
      const lookup = audit.getFilesConsistent.bind(audit);
      audit.getFilesConsistent = async (ids) => (looked.push(...ids), lookup(ids));

      const report = await reconcile(deps);

      expect(report.swept, `reconciler errors: ${report.errors.join("; ")}`).to.have.length(1);
      expect(looked).to.deep.equal([`s3://${landing}/${fresh.key}#${fresh.versionId}`]);
    });

    /** The version's LastModified as S3 lists it (epoch ms). */
    async function modifiedAt(put: { key: string; versionId: string | null }): Promise<number> {
      const v = (await everyVersion()).find((x) => x.key === put.key && x.versionId === put.versionId);
      if (!v) throw new Error(`${put.key}#${put.versionId} is not listed`);
      return Date.parse(v.lastModified);
    }

    /** Puts the key again until S3 stamps it at or after `t` (S3's clock, not ours). */
    async function putModifiedAfter(key: string, t: number) {
      for (let i = 0; i < 20; i++) {
        const v = await put(key);
        if ((await modifiedAt(v)) >= t) return v;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`S3 never stamped ${key} at or after ${new Date(t).toISOString()}`);
    }
  });

  // duplicate_content: file-arrival skips a version with the bytes of its key's last load, only
  // when that load is the key's newest content: never while another version is in flight, nor
  // after a version the sweep filed (no sequencer) loaded.
  describe("duplicate_content", () => {
    beforeEach(() => stack());
    let sequence = 0;

    /** A new version of `key` with the event S3 would send for it (sequencers grow per key). */
    async function version(key: string, body: string) {
      const v = await put(key, body);
      return { ...v, sequencer: (++sequence).toString(16).toUpperCase().padStart(18, "0") };
    }
    const arrive = (v: Awaited<ReturnType<typeof version>>) => handleFileArrival(deps, event(v));

    it("skips a version with the bytes of the last load, and loads one going back to earlier bytes", async () => {
      const key = "orders/2026/LOAD00000001.csv";
      await arrive(await version(key, "id,v\n1,A\n"));
      await drain();
      expect((await arrive(await version(key, "id,v\n1,A\n"))).outcome).to.equal("SKIPPED");
      await arrive(await version(key, "id,v\n1,B\n"));
      await drain();

      expect((await arrive(await version(key, "id,v\n1,A\n"))).outcome).to.equal("PENDING");
    });

    it("loads a version with the bytes of the last load while another version is still in flight", async () => {
      const key = "orders/2026/LOAD00000002.csv";
      await arrive(await version(key, "id,v\n1,A\n"));
      await drain();
      await arrive(await version(key, "id,v\n1,B\n")); // its run starts and holds the slot

      const back = await arrive(await version(key, "id,v\n1,A\n"));

      expect(back.outcome, "the producer went back to A while B was in flight").to.equal("PENDING");
      await drain();
    });

    it("loads a version with the bytes of the last load when other content was put in between and its event comes later", async () => {
      const key = "orders/2026/LOAD00000005.csv";
      await arrive(await version(key, "id,v\n1,A\n"));
      await drain();
      const b = await version(key, "id,v\n1,B\n");
      const backToA = await version(key, "id,v\n1,A\n");

      // Events out of order: A's comes first. Skipping it would leave B current once B loads.
      expect((await arrive(backToA)).outcome, "A after B is the key's newest content").to.equal("PENDING");
      expect((await arrive(b)).outcome).to.equal("PENDING");
      await drain();
      const items = await allFiles(audit);
      expect(items.filter((f) => f.key === key).map((f) => f.status)).to.deep.equal(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    });

    it("still skips re-copies when the versions in between are re-copies too", async () => {
      const key = "orders/2026/LOAD00000006.csv";
      await arrive(await version(key, "id,v\n1,A\n"));
      await drain();
      const touch = await version(key, "id,v\n1,A\n");
      const again = await version(key, "id,v\n1,A\n");

      expect((await arrive(again)).outcome, "the version in between holds the same bytes").to.equal("SKIPPED");
      expect((await arrive(touch)).outcome).to.equal("SKIPPED");
    });

    it("loads a version with the bytes loaded before a version the landing sweep filed (its event lost) and loaded", async () => {
      const key = "orders/2026/LOAD00000003.csv";
      await arrive(await version(key, "id,v\n1,A\n"));
      await drain();
      await put(key, "id,v\n1,B\n"); // no event: the sweep files it, without a sequencer
      expect((await reconcile(deps)).swept).to.have.length(1);
      await drain();

      expect((await arrive(await version(key, "id,v\n1,A\n"))).outcome).to.equal("PENDING");
    });

    it("an older version the sweep files late does not become the key's content over a later version's", async () => {
      const key = "orders/2026/LOAD00000004.csv";
      await arrive(await version(key, "id,v\n1,A\n"));
      await drain();
      await put(key, "id,v\n1,B\n"); // its event lost
      await arrive(await version(key, "id,v\n1,C\n"));
      await drain();
      expect((await reconcile(deps)).swept).to.have.length(1); // B, filed and loaded after C
      await drain();

      // B's load (no sequencer) did not record B as the key's content: B's bytes again load.
      expect((await arrive(await version(key, "id,v\n1,B\n"))).outcome).to.equal("PENDING");
    });
  });
});

/** DynamoDB's limit that dynalite does not apply: a key attribute, GSI keys too, of at most 1024 bytes. */
class IndexKeyLimit implements AuditDb {
  constructor(private readonly inner: AuditDb) {}
  send(command: any): Promise<any> {
    const item = command?.input?.Item as Record<string, unknown> | undefined;
    for (const attr of ["gsi1sk", "gsi2sk"]) {
      const value = item?.[attr];
      if (typeof value === "string" && Buffer.byteLength(value) > 1024) {
        return Promise.reject(validation(`Size limit exceeded for Index Key ${attr} Actual Size: ${Buffer.byteLength(value)} bytes Max Size: 1024 bytes`));
      }
    }
    return this.inner.send(command);
  }
}

/** Refuses every write of one object key's FILE item, as DynamoDB refuses an item it cannot take. */
class RefuseKey implements AuditDb {
  constructor(private readonly inner: AuditDb, private readonly key: string) {}
  send(command: any): Promise<any> {
    if (command?.input?.Item?.kind === "FILE" && command.input.Item.key === this.key) return Promise.reject(validation("Item size has exceeded the maximum allowed size"));
    return this.inner.send(command);
  }
}

function validation(message: string): Error {
  const err = new Error(`One or more parameter values were invalid: ${message}`);
  err.name = "ValidationException";
  return err;
}
