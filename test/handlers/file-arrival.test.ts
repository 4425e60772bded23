// file-arrival against a real dynalite server: the happy path, duplicates, key encodings and bad input.
import { expect } from "chai";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { reconcile } from "../../handlers/core/reconcile";
import { LANDING, World, assertAccounted, drainRuns, fixture, objectCreated, putAndEvent, useWorlds } from "./support/world";

describe("handlers: file-arrival (dynalite)", () => {
  let w: World;
  const arrive = (event: unknown) => handleFileArrival(w.deps, event);
  const stateChange = (event: unknown) => handleJobStateChange(w.deps, event);

  const makeWorld = useWorlds((world) => (w = world));

  it("records a new object version PENDING, starts one run with a manifest and marks the file RUNNING", async () => {
    const event = putAndEvent(w, "orders/2026/11/21/LOAD00000001.csv", 5242);

    const result = await arrive(event);

    expect(result.outcome).to.equal("PENDING");
    expect(w.glue.runs).to.have.length(1);
    const run = w.glue.runs[0];
    expect(run.JobName).to.equal("datalake-dev-orders");
    expect(Object.keys(run.Arguments!).sort()).to.deep.equal(["--dataset", "--manifest_uri", "--run_id"]);
    expect(run.Arguments!["--dataset"]).to.equal("orders");
    const runId = run.Arguments!["--run_id"];
    expect(run.Arguments!["--manifest_uri"]).to.equal(`s3://datalake-dev-ops/manifests/orders/${runId}.json`);
    const manifest = await w.glue.manifestOf(run.Id);
    expect(manifest).to.include({ version: 1, dataset: "orders", runId });
    expect(manifest.files).to.have.length(1);
    expect(manifest.files[0]).to.include({ bucket: LANDING, key: "orders/2026/11/21/LOAD00000001.csv", size: 5242, versionId: "v000001" });
    const file = await w.audit.getFile(manifest.files[0].fileId);
    expect(file).to.include({ status: "RUNNING", runId, dataset: "orders", receivedAt: "2026-11-21T10:15:30.000Z" });
    const stored = await w.audit.getRun(runId);
    expect(stored).to.include({ status: "RUNNING", jobRunId: run.Id, fileCount: 1 });
    expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(runId);
  });

  it("the real-shaped fixture event routes to orders", async () => {
    const event = fixture("s3-object-created.json");
    const o = event.detail.object;
    // Make the fixture's version exist in the store under the same id.
    w.objects.put(LANDING, o.key, o.size);
    event.detail.object["version-id"] = "v000001";

    const result = await arrive(event);

    expect(result.outcome).to.equal("PENDING");
    expect((await w.audit.listFiles("orders"))[0]).to.include({ key: o.key, size: o.size });
  });

  it("routes a key under its dataset's prefix in another case (a DMS task writing Oracle's ORDERS/) to that dataset", async () => {
    const result = await arrive(putAndEvent(w, "ORDERS/LOAD00000001.csv", 100));

    expect(result.outcome).to.equal("PENDING");
    expect(w.glue.runs.map((r) => r.JobName)).to.deep.equal(["datalake-dev-orders"]);
    expect((await w.audit.listFiles("orders"))[0]).to.include({ key: "ORDERS/LOAD00000001.csv", dataset: "orders" });
  });

  describe("a new version with the content of the last successfully loaded one", () => {
    const put = (key: string, content: string) => arrive(putAndEvent(w, key, 100, LANDING, content));
    const finish = async (state: "SUCCEEDED" | "FAILED") => {
      const run = w.glue.running()[0];
      await stateChange(await w.glue.complete(run.Id, state));
    };

    it("is SKIPPED duplicate_content, naming the loaded version; other content loads", async () => {
      await put("orders/a.csv", "bytes-1");
      await finish("SUCCEEDED");

      const same = await put("orders/a.csv", "bytes-1");
      const changed = await put("orders/a.csv", "bytes-2");

      expect(same).to.include({ outcome: "SKIPPED", reason: "duplicate_content" });
      const skipped = await w.audit.getFile((same as { fileId: string }).fileId);
      expect(skipped).to.include({ status: "SKIPPED", reason: "duplicate_content" });
      expect(skipped?.note).to.match(/^same content as .*#v000001, loaded successfully$/);
      expect(changed.outcome).to.equal("PENDING");
      await finish("SUCCEEDED");
      await assertAccounted(w);
    });

    it("loads again after a FAILED load of that content, and compares with the latest loaded version only", async () => {
      await put("orders/a.csv", "bytes-1");
      await finish("SUCCEEDED");
      await put("orders/a.csv", "bytes-2");
      await finish("FAILED");

      const retry = await put("orders/a.csv", "bytes-2");
      await finish("SUCCEEDED");
      const back = await put("orders/a.csv", "bytes-1");

      expect(retry.outcome).to.equal("PENDING");
      // bytes-1 is no longer the key's latest loaded content: going back to it is a change.
      expect(back.outcome).to.equal("PENDING");
    });

    it("is compared per key: the same bytes under another key load", async () => {
      await put("orders/a.csv", "bytes-1");
      await finish("SUCCEEDED");

      expect((await put("orders/b.csv", "bytes-1")).outcome).to.equal("PENDING");
    });
  });

  it("same event twice: one FILE item, one run", async () => {
    const event = putAndEvent(w, "orders/a.csv");

    const first = await arrive(event);
    const second = await arrive(event);

    expect(first.outcome).to.equal("PENDING");
    expect(second.outcome).to.equal("DUPLICATE");
    expect(w.glue.runs).to.have.length(1);
    await drainRuns(w, stateChange);
    const files = await assertAccounted(w);
    expect(files[0].status).to.equal("SUCCEEDED");
  });

  it("identical events in parallel: one FILE item, one run", async () => {
    const event = putAndEvent(w, "orders/a.csv");

    const results = await Promise.all(Array.from({ length: 5 }, () => arrive(JSON.parse(JSON.stringify(event)))));

    expect(results.map((r) => r.outcome).sort()).to.deep.equal(["DUPLICATE", "DUPLICATE", "DUPLICATE", "DUPLICATE", "PENDING"]);
    expect(w.glue.runs).to.have.length(1);
    await drainRuns(w, stateChange);
    await assertAccounted(w);
  });

  it("files arriving while a run is active wait, and the finishing run starts one run for all of them", async () => {
    await arrive(putAndEvent(w, "orders/1.csv"));
    for (let i = 2; i <= 6; i++) await arrive(putAndEvent(w, `orders/${i}.csv`));
    expect(w.glue.runs).to.have.length(1);

    await drainRuns(w, stateChange);

    expect(w.glue.runs).to.have.length(2);
    expect((await w.glue.manifestOf(w.glue.runs[1].Id)).files).to.have.length(5);
    const files = await assertAccounted(w);
    expect(files.every((f) => f.status === "SUCCEEDED")).to.equal(true);
  });

  it("concurrent arrivals racing with finishing runs: every file loaded exactly once", async () => {
    // Each started run finishes on its own a moment later, while arrivals keep coming.
    const finishing: Promise<unknown>[] = [];
    w.glue.afterStart = () => {
      const run = w.glue.runs[w.glue.runs.length - 1];
      finishing.push(new Promise((r) => setTimeout(r, 20)).then(async () => stateChange(await w.glue.complete(run.Id))));
    };
    const events = Array.from({ length: 40 }, (_, i) => putAndEvent(w, `orders/race/${i}.csv`));

    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => { while (next < events.length) await arrive(events[next++]); }));
    for (let i = 0; i < finishing.length; i++) await finishing[i];
    await reconcile(w.deps);
    for (let i = 0; i < finishing.length; i++) await finishing[i];

    const files = await assertAccounted(w);
    expect(files.every((f) => f.status === "SUCCEEDED")).to.equal(true);
    expect(w.glue.runs.length).to.be.lessThan(40);
  });

  it("caps a run at maxFilesPerRun and leaves the rest PENDING for the next run", async () => {
    w = await makeWorld({ limits: { maxFilesPerRun: 3 } });
    await arrive(putAndEvent(w, "orders/0.csv"));
    for (let i = 1; i <= 7; i++) await arrive(putAndEvent(w, `orders/${i}.csv`));

    await drainRuns(w, stateChange);

    const sizes = await Promise.all(w.glue.runs.map(async (r) => (await w.glue.manifestOf(r.Id)).files.length));
    expect(sizes).to.deep.equal([1, 3, 3, 1]);
    await assertAccounted(w);
  });

  it("older sequencer after a newer one: both versions recorded once and both loaded", async () => {
    const older = putAndEvent(w, "orders/same-key.csv");
    const newer = putAndEvent(w, "orders/same-key.csv");

    await arrive(newer);
    await arrive(older);
    await drainRuns(w, stateChange);

    const files = await assertAccounted(w);
    expect(files.map((f) => f.versionId).sort()).to.deep.equal(["v000001", "v000002"]);
    expect(files.every((f) => f.status === "SUCCEEDED")).to.equal(true);
  });

  it("unversioned bucket: an older PUT whose bytes were overwritten is SKIPPED as superseded", async () => {
    w = await makeWorld({ versioned: false });
    const older = putAndEvent(w, "orders/same-key.csv");
    const newer = putAndEvent(w, "orders/same-key.csv");

    await arrive(newer);
    const result = await arrive(older);
    await drainRuns(w, stateChange);

    expect(result).to.include({ outcome: "SKIPPED", reason: "superseded" });
    const files = await assertAccounted(w);
    expect(files.map((f) => f.status).sort()).to.deep.equal(["SKIPPED", "SUCCEEDED"]);
    expect(files.find((f) => f.status === "SUCCEEDED")!.fileId).to.match(/#etag2:/);
  });

  for (const key of [
    "orders/with space/file name.csv",
    "orders/plus+sign.csv",
    "orders/literal%2Bpercent.csv",
    "orders/dt=2026-11-21/part=1.csv",
    "orders/ünïcödé/日本語-ファイル.csv",
    "orders/a/b/c/d/e/f/g/h/i/j/deep.csv",
  ]) {
    it(`decodes and routes the key ${JSON.stringify(key)}`, async () => {
      const event = putAndEvent(w, key);

      const result = await arrive(event);
      await drainRuns(w, stateChange);

      expect(result.outcome).to.equal("PENDING");
      const files = await assertAccounted(w);
      expect(files[0]).to.include({ key, status: "SUCCEEDED" });
      expect((await w.glue.manifestOf(w.glue.runs[0].Id)).files[0].key).to.equal(key);
    });
  }

  it("an event carrying the literal (unencoded) key still finds the object", async () => {
    const v = w.objects.put(LANDING, "orders/a+b.csv", 10);
    const event = objectCreated(LANDING, "orders/a+b.csv", { ...v, size: 10 });
    event.detail.object.key = "orders/a+b.csv"; // decodes to "orders/a b.csv", which does not exist

    const result = await arrive(event);

    expect(result.outcome).to.equal("PENDING");
    await drainRuns(w, stateChange);
    expect((await assertAccounted(w))[0].key).to.equal("orders/a+b.csv");
  });

  describe("keys that do not decode, or decode to another object", () => {
    /** The event as EventBridge may deliver it: the key raw, not form-encoded. */
    const rawEvent = (key: string, v: { versionId: string | null; etag: string; sequencer: string }, size = 100) => {
      const event = objectCreated(LANDING, key, { ...v, size });
      event.detail.object.key = key;
      return event;
    };

    it("a raw '%' in the key (not URL encoding) is recorded under the raw key and loaded", async () => {
      const key = "orders/discount 100%.csv";
      const event = rawEvent(key, w.objects.put(LANDING, key));

      const result = await arrive(event);
      await drainRuns(w, stateChange);

      expect(result.outcome).to.equal("PENDING");
      expect((await assertAccounted(w))[0]).to.include({ key, status: "SUCCEEDED" });
    });

    it("an undecodable key whose object is gone still gets one visible FILE item (SKIPPED undecodable_key), once", async () => {
      const key = "orders/discount 100%.csv";
      const event = rawEvent(key, w.objects.put(LANDING, key));
      w.objects.delete(LANDING, key);

      const first = await arrive(event);
      const again = await arrive(event);

      expect(first).to.include({ outcome: "SKIPPED", reason: "undecodable_key" });
      expect(again.outcome).to.equal("DUPLICATE");
      const [file, ...rest] = await w.audit.listFiles("orders");
      expect(rest).to.have.length(0);
      expect(file).to.include({ key, status: "SKIPPED", reason: "undecodable_key" });
      expect(w.glue.startCalls).to.equal(0);
      // Not only an audit row: one FileUnidentified (the alarm's series), not one per redelivery.
      expect(w.metrics.unidentified.map((m) => `${m.dataset}:${m.reason}`)).to.deep.equal(["orders:undecodable_key"]);
    });

    it("unversioned: an event for literal 'a+b.csv' while 'a b.csv' exists files the object whose etag it names", async () => {
      w = await makeWorld({ versioned: false });
      const spaced = w.objects.put(LANDING, "orders/a b.csv");
      const plus = w.objects.put(LANDING, "orders/a+b.csv");
      // "orders/a+b.csv" is both the form-encoding of "a b.csv" and the raw "a+b.csv".
      const forPlus = rawEvent("orders/a+b.csv", plus);
      const forSpaced = objectCreated(LANDING, "orders/a b.csv", { ...spaced, size: 100 });

      const r1 = await arrive(forPlus);
      const r2 = await arrive(forSpaced);
      await drainRuns(w, stateChange);

      expect([r1.outcome, r2.outcome]).to.deep.equal(["PENDING", "PENDING"]);
      expect(w.metrics.unidentified, "both objects were identified").to.deep.equal([]);
      const files = await assertAccounted(w);
      expect(files.map((f) => `${f.key}:${f.status}`).sort()).to.deep.equal(["orders/a b.csv:SUCCEEDED", "orders/a+b.csv:SUCCEEDED"]);
    });

    it("versioned: the key whose HeadObject shows the event's size is chosen, not merely one that exists", async () => {
      const spaced = w.objects.put(LANDING, "orders/a b.csv", 100);
      const plus = w.objects.put(LANDING, "orders/a+b.csv", 7);
      // A store that ignores the version id on the wrong key (S3 answers per key and version).
      const head = w.objects.headObject.bind(w.objects);
      w.objects.headObject = (bucket, key) => head(bucket, key);

      const result = await arrive(rawEvent("orders/a+b.csv", plus, 7));

      expect(result.outcome).to.equal("PENDING");
      const files = await w.audit.listFiles("orders");
      expect(files.map((f) => f.key)).to.deep.equal(["orders/a+b.csv"]);
      expect(spaced.versionId).to.not.equal(plus.versionId);
    });

    it("a 400 to HeadObject with the version id on another reading of the key means 'not this key', not a retry", async () => {
      w.objects.put(LANDING, "orders/a b.csv");
      const plus = w.objects.put(LANDING, "orders/a+b.csv");
      // Should S3 answer a version id of another key with 400 InvalidArgument instead of 404.
      const head = w.objects.headObject.bind(w.objects);
      w.objects.headObject = async (bucket, key, versionId) => {
        if (key === "orders/a b.csv" && versionId !== undefined) throw Object.assign(new Error("Invalid version id specified"), { name: "InvalidArgument", $metadata: { httpStatusCode: 400 } });
        return head(bucket, key, versionId);
      };

      const result = await arrive(rawEvent("orders/a+b.csv", plus));

      expect(result.outcome).to.equal("PENDING");
      expect((await w.audit.listFiles("orders")).map((f) => f.key)).to.deep.equal(["orders/a+b.csv"]);
    });

    it("keys with ':' and '=' delivered raw are filed under that key", async () => {
      const key = "orders/dt=2026-11-21/10:15:30.csv";

      const result = await arrive(rawEvent(key, w.objects.put(LANDING, key)));
      await drainRuns(w, stateChange);

      expect(result.outcome).to.equal("PENDING");
      expect((await assertAccounted(w))[0]).to.include({ key, status: "SUCCEEDED" });
    });
  });

  it("zero-byte object: SKIPPED with reason, no run", async () => {
    const result = await arrive(putAndEvent(w, "orders/empty.csv", 0));

    expect(result).to.include({ outcome: "SKIPPED", reason: "empty_object" });
    expect(w.glue.startCalls).to.equal(0);
    await assertAccounted(w);
  });

  it("prefix/ folder markers: SKIPPED with reason, no run", async () => {
    const r1 = await arrive(putAndEvent(w, "orders/", 0));
    const r2 = await arrive(putAndEvent(w, "orders/2026/11/", 0));

    expect(r1).to.include({ outcome: "SKIPPED", reason: "folder_marker" });
    expect(r2).to.include({ outcome: "SKIPPED", reason: "folder_marker" });
    expect(w.glue.startCalls).to.equal(0);
    await assertAccounted(w);
  });

  it("object deleted before the handler runs: SKIPPED with SOURCE_MISSING, no run", async () => {
    const event = putAndEvent(w, "orders/gone.csv");
    w.objects.delete(LANDING, "orders/gone.csv");

    const result = await arrive(event);

    expect(result).to.include({ outcome: "SKIPPED", reason: "SOURCE_MISSING" });
    expect(w.glue.startCalls).to.equal(0);
    const [file] = await assertAccounted(w);
    expect(file).to.include({ status: "SKIPPED", reason: "SOURCE_MISSING" });
  });

  it("unknown prefix: SKIPPED (recorded under _unrouted) without a HeadObject or a run", async () => {
    const result = await arrive(putAndEvent(w, "invoices/2026/x.csv"));

    expect(result).to.include({ outcome: "SKIPPED", reason: "unknown_prefix" });
    expect(w.objects.calls.head).to.equal(0);
    const [file] = await assertAccounted(w);
    expect(file).to.include({ dataset: "_unrouted", status: "SKIPPED" });
  });

  it("malformed events are rejected with a clear reason and never throw (no retry storm)", async () => {
    const good = putAndEvent(w, "orders/x.csv");
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ ...good, source: "aws.ec2" }, /source/],
      [{ ...good, "detail-type": "Object Deleted" }, /detail-type/],
      [{ ...good, detail: { object: good.detail.object } }, /bucket\.name/],
      [{ ...good, detail: { ...good.detail, object: { size: 1 } } }, /object\.key/],
    ];

    for (const [event, reason] of cases) {
      const result = await arrive(event);
      expect(result.outcome).to.equal("REJECTED");
      expect((result as { reason: string }).reason).to.match(reason);
    }
    expect(w.db.calls).to.equal(0);
    expect(w.glue.startCalls).to.equal(0);
    // The object behind the good event is still accounted for once its real event arrives.
    await arrive(good);
    await drainRuns(w, stateChange);
    await assertAccounted(w);
  });

  it("events for another bucket are ignored", async () => {
    const event = putAndEvent(w, "orders/x.csv", 10, "some-other-bucket");

    const result = await arrive(event);

    expect(result.outcome).to.equal("IGNORED");
    expect(w.db.calls).to.equal(0);
  });
});
