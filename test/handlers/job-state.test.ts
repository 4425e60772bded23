// job-state and the reconciler's finalization against a real dynalite server: outcomes from the
// run summary, failed Glue states, duplicate / late / lost state events.
import { expect } from "chai";
import { summaryKey } from "../../engine/contracts";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { reconcile } from "../../handlers/core/reconcile";
import { publishFollowUp } from "../../handlers/core/run-finalize";
import { FILE_EXTRA_COLUMNS_KEPT } from "../../handlers/core/run-fields";
import { stateChangeEvent } from "./support/fake-glue";
import { OPS, World, allFiles, assertAccounted, drainRuns, failedMetrics, fixture, putAndEvent, useWorlds } from "./support/world";

describe("handlers: job-state and reconciler finalization (dynalite)", () => {
  let w: World;
  const arrive = (event: unknown) => handleFileArrival(w.deps, event);
  const stateChange = (event: unknown) => handleJobStateChange(w.deps, event);

  const worldWith = useWorlds((world) => (w = world));

  /** One run holding `keys` (the first arrival starts a run; the rest ride the second run). */
  async function runWith(keys: string[]): Promise<string> {
    for (const k of keys) await arrive(putAndEvent(w, k));
    return w.glue.runs[0].Id;
  }

  it("maps summary outcomes to FILE statuses with per-file counts", async () => {
    await runWith(["orders/0-first.csv", "orders/a-loaded.csv", "orders/b-quarantined.csv", "orders/c-already.csv"]);
    await stateChange(await w.glue.complete(w.glue.runs[0].Id));
    const jobRunId = w.glue.runs[1].Id;
    const outcomes: Record<string, any> = {
      "orders/a-loaded.csv": { outcome: "LOADED", rowsRead: 5, rowsLoaded: 4, rowsQuarantined: 1, rowsRejected: 0, extraColumns: ["note"] },
      "orders/b-quarantined.csv": { outcome: "QUARANTINED", reason: "missing_column:status", rowsRead: 3, rowsLoaded: 0, rowsQuarantined: 3, rowsRejected: 0 },
      "orders/c-already.csv": { outcome: "ALREADY_LOADED", rowsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, rowsRejected: 0 },
    };

    const result = await stateChange(await w.glue.complete(jobRunId, "SUCCEEDED", { outcome: (f) => outcomes[f.key] }));

    expect(result.outcome).to.equal("FINALIZED");
    const files = await assertAccounted(w);
    const byKey = Object.fromEntries(files.map((f) => [f.key, f]));
    expect(byKey["orders/a-loaded.csv"]).to.include({ status: "SUCCEEDED", rowsRead: 5, rowsLoaded: 4, rowsQuarantined: 1, rowsRejected: 0 });
    expect(byKey["orders/a-loaded.csv"].extraColumns).to.deep.equal(["note"]);
    expect(byKey["orders/b-quarantined.csv"]).to.include({ status: "QUARANTINED", reason: "missing_column:status", rowsQuarantined: 3, rowsRejected: 0 });
    expect(byKey["orders/c-already.csv"]).to.include({ status: "SKIPPED", reason: "already_loaded" });
    const run = (await w.audit.listRuns("orders"))[1];
    expect(run).to.include({ status: "SUCCEEDED", glueState: "SUCCEEDED", executionSeconds: 60, dpuSeconds: 120 });
    expect(run.counts?.silverRows).to.equal(9);
    expect(run.audits?.[0].name).to.equal("pk_unique");
    expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
  });

  for (const state of ["FAILED", "TIMEOUT", "STOPPED", "ERROR"] as const) {
    it(`Glue ${state}: RUN and its files FAILED with the reason, slot released`, async () => {
      const jobRunId = await runWith(["orders/a.csv"]);

      await stateChange(await w.glue.complete(jobRunId, state));

      const [file] = await assertAccounted(w);
      expect(file.status).to.equal("FAILED");
      // The event's message is the reason Glue gives (GetJobRun's ErrorMessage is the fallback).
      expect(file.reason).to.equal(`run_failed: glue_${state.toLowerCase()}: Job run ${state.toLowerCase()}`);
      const [run] = await w.audit.listRuns("orders");
      expect(run).to.include({ status: "FAILED", glueState: state });
      expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
      // TIMEOUT, OOM and driver crashes write no summary: the handler's RunFailed is their only alarm.
      expect(failedMetrics(w)).to.deep.equal([`orders:glue_${state.toLowerCase()}`]);
      expect(w.metrics.failed[0].fields).to.include({ runId: run.runId });
    });
  }

  it("a duplicate failed state event emits no second RunFailed", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);
    const event = await w.glue.complete(jobRunId, "TIMEOUT");

    await stateChange(event);
    await stateChange(event);
    await reconcile(w.deps);

    expect(failedMetrics(w)).to.deep.equal(["orders:glue_timeout"]);
  });

  it("a RUN -> FAILED whose answer was lost and whose SDK retry failed its condition still emits RunFailed", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);
    const event = await w.glue.complete(jobRunId, "FAILED");
    w.db.lostAnswer = (c) => c.constructor.name === "UpdateCommand" && String(c.input.Key.pk).startsWith("RUN#") && c.input.ExpressionAttributeValues[":status"] === "FAILED";

    await stateChange(event);
    w.db.lostAnswer = undefined;
    await stateChange(event);

    expect((await w.audit.listRuns("orders"))[0].status).to.equal("FAILED");
    expect(failedMetrics(w)).to.deep.equal(["orders:glue_failed"]);
  });

  it("a successful run emits no RunFailed", async () => {
    await runWith(["orders/a.csv"]);

    await drainRuns(w, stateChange);

    expect(failedMetrics(w)).to.deep.equal([]);
  });

  it("a summary that reports FAILED (audit failure) fails the run even though Glue SUCCEEDED", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);

    await stateChange(await w.glue.complete(jobRunId, "SUCCEEDED", { summaryStatus: "FAILED" }));

    const [file] = await assertAccounted(w);
    expect(file).to.include({ status: "FAILED", reason: "run_failed: audit failed: pk_unique", rowsRead: 10 });
    expect((await w.audit.listRuns("orders"))[0]).to.include({ status: "FAILED", error: "audit failed: pk_unique" });
    expect(failedMetrics(w)).to.deep.equal(["orders:load_failed"]);
  });

  it("Glue SUCCEEDED without a run summary fails the run with summary_missing", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);

    await stateChange(await w.glue.complete(jobRunId, "SUCCEEDED", { writeSummary: false }));

    const [file] = await assertAccounted(w);
    expect(file.reason).to.match(/^run_failed: summary_missing/);
    expect(failedMetrics(w)).to.deep.equal(["orders:summary_missing"]);
  });

  // A summary that cannot be read counts as missing: the publish record, else Glue's state, decides.
  const unreadable: Array<[string, (key: string) => void]> = [
    ["not JSON", (key) => {
      const get = w.objects.getJson.bind(w.objects);
      w.objects.getJson = async (bucket: string, k: string) => (k === key ? Promise.reject(new SyntaxError("Unexpected token } in JSON")) : get(bucket, k)) as never;
    }],
    ["not shaped as a summary", (key) => void w.objects.putJson(OPS, key, { status: "SUCCEEDED", files: "all of them", counts: {} })],
  ];
  for (const [what, spoil] of unreadable) {
    it(`a run summary that is ${what}: finalized from the publish record, or FAILED summary_unreadable, never stuck RUNNING`, async () => {
      const published = await runWith(["orders/a.csv"]);
      const completed = await w.glue.complete(published, "SUCCEEDED", { writeSummary: true, publishRecord: true });
      const [run] = await w.audit.listRuns("orders");
      spoil(summaryKey("orders", run.runId));

      await stateChange(completed);

      const [file] = await assertAccounted(w);
      expect(file).to.include({ status: "SUCCEEDED", rowsRead: 10 });
      const [done] = await w.audit.listRuns("orders");
      expect(done.status).to.equal("SUCCEEDED");
      expect(done.note).to.match(/^summary_unreadable \(not (JSON|a run summary).*\): counts from the publish record \(the run published, then wrote a summary that cannot be read\)$/);
      expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
    });
  }

  it("a run summary that cannot be read and no publish record: the run FAILED summary_unreadable, the slot freed", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);
    const completed = await w.glue.complete(jobRunId, "SUCCEEDED", { writeSummary: true });
    const [run] = await w.audit.listRuns("orders");
    await w.objects.putJson(OPS, summaryKey("orders", run.runId), ["not", "a", "summary"]);

    await stateChange(completed);

    const [file] = await assertAccounted(w);
    expect(file.reason).to.match(/^run_failed: summary_unreadable \(not a run summary/);
    expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
    expect(failedMetrics(w)).to.deep.equal(["orders:summary_missing"]);
  });

  for (const state of ["FAILED", "TIMEOUT", "SUCCEEDED"] as const) {
    it(`published, then the summary was lost (Glue ${state}): RUN and files SUCCEEDED from the publish record, no RunFailed`, async () => {
      const jobRunId = await runWith(["orders/a.csv"]);

      await stateChange(await w.glue.complete(jobRunId, state, { writeSummary: false, publishRecord: true }));

      const [file] = await assertAccounted(w);
      expect(file).to.include({ status: "SUCCEEDED", rowsRead: 10, rowsLoaded: 9, rowsQuarantined: 1 });
      const run = (await w.audit.listRuns("orders")).find((r) => r.jobRunId === jobRunId)!;
      expect(run).to.include({ status: "SUCCEEDED", glueState: state });
      expect(run.error).to.equal(undefined);
      expect(run.note).to.match(/^summary_missing: counts from the publish record/);
      expect(run.counts?.silverRows).to.equal(9);
      expect(failedMetrics(w)).to.deep.equal([]);
    });
  }

  it("a SUCCEEDED summary wins over a later Glue TIMEOUT: the data was published before it", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);

    await stateChange(await w.glue.complete(jobRunId, "TIMEOUT", { writeSummary: true }));

    const [file] = await assertAccounted(w);
    expect(file.status).to.equal("SUCCEEDED");
    const run = (await w.audit.listRuns("orders")).find((r) => r.jobRunId === jobRunId)!;
    expect(run).to.include({ status: "SUCCEEDED", glueState: "TIMEOUT" });
    expect(run.note).to.equal("glue_timeout (Job run timeout) after the summary was written");
    expect(failedMetrics(w)).to.deep.equal([]);
  });

  // A publish cut short: the run committed (SUCCEEDED summary or publish record), then a
  // fast-forward failed or Glue killed it. The runner of the next run finishes it before reading;
  // that run must not wait for the next file.
  describe("a publish cut short", () => {
    const runOf = async (jobRunId: string) => (await w.audit.listRuns("orders")).find((r) => r.jobRunId === jobRunId)!;

    it("starts a run without files that finishes it; its clean end clears the request", async () => {
      const first = await runWith(["orders/a.csv"]);

      await stateChange(await w.glue.complete(first, "FAILED", { writeSummary: true }));

      expect(w.glue.runs, "a run starts with no file pending").to.have.length(2);
      const finisher = w.glue.runs[1];
      expect((await w.glue.manifestOf(finisher.Id)).files).to.deep.equal([]);
      const cutShort = await runOf(first);
      const finishing = await runOf(finisher.Id);
      expect(cutShort).to.include({ status: "SUCCEEDED", glueState: "FAILED" });
      expect(finishing).to.include({ status: "RUNNING", fileCount: 0, note: `finishes the publish of run ${cutShort.runId}` });
      expect((await w.audit.getSlot("orders"))?.finishPublishOf).to.equal(cutShort.runId);

      await stateChange(await w.glue.complete(finisher.Id));

      expect(await runOf(finisher.Id)).to.include({ status: "SUCCEEDED", fileCount: 0 });
      expect((await w.audit.getSlot("orders"))?.finishPublishOf).to.equal(undefined);
      expect((await reconcile(w.deps)).started, "nothing left to finish").to.deep.equal([]);
      await assertAccounted(w);
    });

    it("a pending file's run finishes it instead (no run without files)", async () => {
      const first = await runWith(["orders/a.csv", "orders/b.csv"]);

      await stateChange(await w.glue.complete(first, "TIMEOUT", { publishRecord: true }));

      expect(w.glue.runs).to.have.length(2);
      expect((await w.glue.manifestOf(w.glue.runs[1].Id)).files.map((f) => f.key)).to.deep.equal(["orders/b.csv"]);
      await stateChange(await w.glue.complete(w.glue.runs[1].Id));
      expect((await w.audit.getSlot("orders"))?.finishPublishOf).to.equal(undefined);
      expect(w.glue.runs).to.have.length(2);
    });

    it("a run without files that fails clears the request: it alarms once instead of looping", async () => {
      const first = await runWith(["orders/a.csv"]);
      await stateChange(await w.glue.complete(first, "FAILED", { writeSummary: true }));

      await stateChange(await w.glue.complete(w.glue.runs[1].Id, "FAILED", { writeSummary: false }));

      expect(w.glue.runs).to.have.length(2);
      expect(await runOf(w.glue.runs[1].Id)).to.include({ status: "FAILED", fileCount: 0 });
      expect((await w.audit.getSlot("orders"))?.finishPublishOf).to.equal(undefined);
      expect((await reconcile(w.deps)).started).to.deep.equal([]);
      expect(failedMetrics(w)).to.deep.equal(["orders:glue_failed"]);
    });

    it("a crash between its RUN write and its slot release: the reconciler frees the slot and still starts the run that finishes it", async () => {
      const first = await runWith(["orders/a.csv"]);
      await w.glue.complete(first, "FAILED", { writeSummary: true });
      w.db.crashAfter = (c: any) => c.constructor?.name === "UpdateCommand" && String(c.input?.Key?.pk).startsWith("RUN#");
      await stateChange(stateChangeEvent("datalake-dev-orders", first, "FAILED")).catch(() => undefined);
      expect(await runOf(first)).to.include({ status: "SUCCEEDED", glueState: "FAILED" });

      // The scheduled reconciler comes before Lambda's retry of the event, which then finds the slot free.
      const report = await reconcile(w.fresh());
      await handleJobStateChange(w.fresh(), stateChangeEvent("datalake-dev-orders", first, "FAILED"));

      expect(report.slotsReleased).to.deep.equal(["orders"]);
      expect(report.started, "a run without files finishes the committed publish").to.have.length(1);
      expect((await w.glue.manifestOf(w.glue.runs[1].Id)).files).to.deep.equal([]);
    });

    it("a run without files never asks for another, however it ends (a SUCCEEDED summary, then TIMEOUT): no loop", async () => {
      const first = await runWith(["orders/a.csv"]);
      await stateChange(await w.glue.complete(first, "TIMEOUT", { writeSummary: true }));
      for (let i = 0; i < 5 && w.glue.running().length > 0; i++) {
        await stateChange(await w.glue.complete(w.glue.running()[0].Id, "TIMEOUT", { writeSummary: true }));
      }

      expect(w.glue.runs, "the run, and one run without files").to.have.length(2);
      expect((await w.audit.getSlot("orders"))?.finishPublishOf).to.equal(undefined);
    });

    it("keeps the request when the run without files never reached Glue (start_failed, then a crash before its release)", () => {
      const run = { runId: "r", fileCount: 0 };
      expect(publishFollowUp(run, "FAILED", "")).to.equal(undefined);
      expect(publishFollowUp({ ...run, jobRunId: "jr" }, "FAILED", "FAILED")).to.equal(null);
      expect(publishFollowUp({ ...run, jobRunId: "jr" }, "SUCCEEDED", "TIMEOUT")).to.equal(null);
      expect(publishFollowUp({ runId: "r", fileCount: 2, jobRunId: "jr" }, "SUCCEEDED", "FAILED")).to.equal("r");
    });

    it("with the state event lost, the reconciler finalizes the run and starts the one that finishes it", async () => {
      const first = await runWith(["orders/a.csv"]);
      await w.glue.complete(first, "TIMEOUT", { publishRecord: true }); // event lost

      const report = await reconcile(w.deps);

      expect(report.finalized).to.have.length(1);
      expect(report.started).to.have.length(1);
      expect((await w.glue.manifestOf(w.glue.runs[1].Id)).files).to.deep.equal([]);
    });
  });

  // DynamoDB refuses an item over 400 KB: a RUN whose final write is refused stayed RUNNING for
  // ever (slot held, every reconciler pass failing and re-requesting its models).
  describe("a RUN item of a run with huge drift warnings", () => {
    const columns = Array.from({ length: 150 }, (_, i) => `source_added_column_${String(i).padStart(3, "0")}`);

    /** 120 backlog files in one run, each with 150 new columns: ~450 KB of drift warnings. Returns the run's id and its job run. */
    async function driftedBacklog(): Promise<{ runId: string; jobRunId: string }> {
      await arrive(putAndEvent(w, "orders/0000.csv"));
      for (let i = 1; i <= 120; i++) await arrive(putAndEvent(w, `orders/batch/file-${String(i).padStart(4, "0")}.csv`));
      await stateChange(await w.glue.complete(w.glue.runs[0].Id));
      const big = w.glue.runs.find((r) => r.JobRunState === "RUNNING" && !w.glue.isModelRun(r.Id))!;
      await w.glue.complete(big.Id, "SUCCEEDED", { outcome: () => ({ extraColumns: columns }) });
      const runId = big.Arguments!["--run_id"];
      const summary: any = await w.objects.getJson(OPS, summaryKey("orders", runId));
      summary.driftWarnings = summary.files.map((f: any) => `${f.key}: extra column(s) ${columns.join(", ")}`);
      await w.objects.putJson(OPS, summaryKey("orders", runId), summary);
      return { runId, jobRunId: big.Id };
    }

    it("is finalized with the first 20 warnings and their count; the slot is freed", async () => {
      const { runId, jobRunId } = await driftedBacklog();

      await stateChange(stateChangeEvent("datalake-dev-orders", jobRunId, "SUCCEEDED"));

      const run = await w.audit.getRun(runId);
      expect(run).to.include({ status: "SUCCEEDED", driftWarningCount: 120 });
      expect(run?.driftWarnings).to.have.length(20);
      expect(run?.driftWarnings?.[0]).to.match(/^orders\/batch\/file-0001\.csv: extra column\(s\) source_added_column_000, .*\.\.\. \(\d+ more characters in the run summary\)$/);
      expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
      expect((await reconcile(w.deps)).errors).to.deep.equal([]);
    });

    it("with its state event lost, reconciler passes request its models once, not once per pass", async () => {
      w = await worldWith({ modelGraph: { fct_orders: { job: "datalake-dev-model-fct_orders", on: ["orders"], after: [], plan: "p1" } } });
      await driftedBacklog(); // state event lost
      const before = (await w.audit.models.get("fct_orders"))?.requested ?? 0;

      for (let pass = 0; pass < 4; pass++) {
        for (const m of w.glue.running().filter((r) => w.glue.isModelRun(r.Id))) await stateChange(await w.glue.complete(m.Id));
        expect((await reconcile(w.deps)).errors, `pass ${pass}`).to.deep.equal([]);
      }

      expect(((await w.audit.models.get("fct_orders"))?.requested ?? 0) - before).to.be.at.most(2);
    });
  });

  // The same 400 KB limit on a FILE item: a JSON-lines file whose rows carry keys of their own (a
  // producer writing a map as top-level keys, `{"order_id": 1, "sku_8271635": 2}`) has the union
  // of those keys as its extra columns, all of them in the run summary.
  describe("a FILE item of a file with a huge number of extra columns", () => {
    const columns = Array.from({ length: 20_000 }, (_, i) => `attributes_sku_${String(i).padStart(6, "0")}_quantity`);

    it("is finalized with the first extra columns and their count; the RUN, the slot and the reconciler are clean", async () => {
      const jobRunId = await runWith(["orders/skus.jsonl"]);

      await stateChange(await w.glue.complete(jobRunId, "SUCCEEDED", { outcome: () => ({ extraColumns: columns }) }));

      const [file] = await assertAccounted(w);
      expect(file).to.include({ status: "SUCCEEDED", extraColumnCount: 20_000 });
      expect(file.extraColumns).to.deep.equal(columns.slice(0, FILE_EXTRA_COLUMNS_KEPT));
      expect((await w.audit.listRuns("orders"))[0].status).to.equal("SUCCEEDED");
      expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
      expect((await reconcile(w.deps)).errors).to.deep.equal([]);
    });

    it("keeps a short list whole, without a count", async () => {
      const jobRunId = await runWith(["orders/note.jsonl"]);

      await stateChange(await w.glue.complete(jobRunId, "SUCCEEDED", { outcome: () => ({ extraColumns: ["note"] }) }));

      const [file] = await assertAccounted(w);
      expect(file.extraColumns).to.deep.equal(["note"]);
      expect(file.extraColumnCount).to.equal(undefined);
    });
  });

  it("lost state event of a run that published and lost its summary: the reconciler records it SUCCEEDED", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);
    await w.glue.complete(jobRunId, "TIMEOUT", { publishRecord: true }); // event lost

    const report = await reconcile(w.deps);

    expect(report.finalized).to.have.length(1);
    const [file] = await assertAccounted(w);
    expect(file.status).to.equal("SUCCEEDED");
    expect(failedMetrics(w)).to.deep.equal([]);
  });

  it("a file missing from the summary fails alone with missing_from_summary, and alarms once", async () => {
    await runWith(["orders/0.csv", "orders/a.csv", "orders/b.csv"]);
    await stateChange(await w.glue.complete(w.glue.runs[0].Id));
    const jobRunId = w.glue.runs[1].Id;
    const event = await w.glue.complete(jobRunId);
    const summary: any = await w.objects.getJson(OPS, summaryKey("orders", w.glue.runs[1].Arguments!["--run_id"]));
    summary.files = summary.files.filter((f: any) => f.key !== "orders/b.csv");
    await w.objects.putJson(OPS, summaryKey("orders", summary.runId), summary);

    await stateChange(event);
    await stateChange(event);

    const files = Object.fromEntries((await assertAccounted(w)).map((f) => [f.key, f]));
    expect(files["orders/a.csv"].status).to.equal("SUCCEEDED");
    expect(files["orders/b.csv"]).to.include({ status: "FAILED", reason: "missing_from_summary" });
    expect(failedMetrics(w)).to.deep.equal(["orders:files_unaccounted"]);
  });

  it("duplicate and late state events are no-ops; FAILED never overwrites SUCCEEDED", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);
    const succeeded = await w.glue.complete(jobRunId);
    await stateChange(succeeded);
    const before = await assertAccounted(w);

    const dup = await stateChange(succeeded);
    const late = await stateChange(stateChangeEvent("datalake-dev-orders", jobRunId, "FAILED", "late failure"));

    expect((dup as any).finalize.finalized).to.equal(false);
    expect((late as any).finalize.finalized).to.equal(false);
    const after = await assertAccounted(w);
    expect(after).to.deep.equal(before);
    expect(after[0].status).to.equal("SUCCEEDED");
    expect((await w.audit.listRuns("orders"))[0].status).to.equal("SUCCEEDED");
    expect(w.glue.runs).to.have.length(1);
  });

  it("a state event of another Glue run of the same run id (StartJobRun sent twice) leaves the RUN to its recorded job run", async () => {
    // The first StartJobRun created a run and its answer was lost; the second created the run
    // the RUN records. The first fails at once while the recorded one goes on to publish.
    const start = w.glue.startJobRun.bind(w.glue);
    let stray: string | undefined;
    w.glue.startJobRun = async (job, args) => {
      if (stray === undefined) stray = (await start(job, args)).JobRunId;
      return start(job, args);
    };
    await arrive(putAndEvent(w, "orders/a.csv"));
    const [first, recorded] = w.glue.runs;
    expect(first.Id).to.equal(stray);
    first.JobRunState = "FAILED";

    const early = await stateChange(stateChangeEvent(first.JobName!, first.Id, "FAILED", "failed at startup"));

    expect(early).to.include({ outcome: "UNKNOWN_RUN" });
    expect((await w.audit.listRuns("orders"))[0]).to.include({ status: "RUNNING", jobRunId: recorded.Id });
    await stateChange(await w.glue.complete(recorded.Id));
    expect((await w.audit.listRuns("orders"))[0].status).to.equal("SUCCEEDED");
    // (assertAccounted would refuse the stray run's manifest naming the file too.)
    expect((await allFiles(w.audit)).map((f) => [f.key, f.status])).to.deep.equal([["orders/a.csv", "SUCCEEDED"]]);
    expect(failedMetrics(w)).to.deep.equal([]);
  });

  it("a finishing run starts the next run for files that arrived meanwhile", async () => {
    const jobRunId = await runWith(["orders/a.csv", "orders/b.csv", "orders/c.csv"]);

    const result = await stateChange(await w.glue.complete(jobRunId));

    expect((result as any).next).to.include({ started: true, fileCount: 2 });
    await drainRuns(w, stateChange);
    await assertAccounted(w);
  });

  it("lost state event: the reconciler finalizes from GetJobRun and starts the next run", async () => {
    const jobRunId = await runWith(["orders/a.csv", "orders/b.csv"]);
    await w.glue.complete(jobRunId); // event lost

    const report = await reconcile(w.deps);

    expect(report.finalized).to.have.length(1);
    expect(report.started).to.have.length(1);
    await drainRuns(w, stateChange);
    const files = await assertAccounted(w);
    expect(files.every((f) => f.status === "SUCCEEDED")).to.equal(true);
  });

  it("a run Glue no longer knows is failed by the reconciler with a RunFailed", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);
    w.glue.runs.splice(w.glue.runs.findIndex((r) => r.Id === jobRunId), 1); // past Glue's 90-day history

    const report = await reconcile(w.deps);

    expect(report.finalized).to.have.length(1);
    expect(failedMetrics(w)).to.deep.equal(["orders:glue_error"]);
  });

  it("the reconciler leaves a run that is still RUNNING alone", async () => {
    await runWith(["orders/a.csv"]);

    const report = await reconcile(w.deps);

    expect(report.finalized).to.deep.equal([]);
    expect((await w.audit.listActiveRuns())[0].status).to.equal("RUNNING");
    expect(w.glue.runs).to.have.length(1);
  });

  it("a crash after the RUN write but before the slot release is repaired by the reconciler", async () => {
    const jobRunId = await runWith(["orders/a.csv"]);
    await w.glue.complete(jobRunId);
    w.db.crashAfter = (c) => c.constructor?.name === "UpdateCommand" && String(c.input?.Key?.pk).startsWith("RUN#");
    await handleJobStateChange(w.deps, stateChangeEvent("datalake-dev-orders", jobRunId, "SUCCEEDED")).catch(() => undefined);
    expect((await w.audit.getSlot("orders"))?.activeRunId).to.be.a("string");
    const waiting = await handleFileArrival(w.fresh(), putAndEvent(w, "orders/b.csv"));
    expect((waiting as any).run.reason).to.equal("slot_held");

    const report = await reconcile(w.fresh());

    expect(report.slotsReleased).to.deep.equal(["orders"]);
    expect(report.started).to.have.length(1);
    await drainRuns(w, (e) => handleJobStateChange(w.fresh(), e));
    await assertAccounted(w);
  });

  it("ignores other jobs, non-final states and malformed events", async () => {
    const other = await stateChange(stateChangeEvent("someone-elses-job", "jr_1", "SUCCEEDED"));
    const running = await stateChange(stateChangeEvent("datalake-dev-orders", "jr_1", "RUNNING"));
    const malformed = await stateChange({ source: "aws.glue", "detail-type": "Glue Job State Change", detail: { state: "SUCCEEDED" } });
    const unknown = await stateChange(fixture("glue-job-state-succeeded.json"));

    expect(other.outcome).to.equal("IGNORED");
    expect(running.outcome).to.equal("IGNORED");
    expect(malformed).to.deep.equal({ outcome: "REJECTED", reason: "detail.jobName is missing" });
    expect(unknown.outcome).to.equal("UNKNOWN_RUN");
  });
});
