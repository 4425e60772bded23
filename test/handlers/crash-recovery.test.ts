// Crashes between steps and a throttled audit table, against a real dynalite server. A crash is
// simulated by killing the deps bundle's DynamoDB access after a given write (every later call
// throws, as if the Lambda died there); recovery runs with a fresh bundle over the same table.
import { expect } from "chai";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { reconcile } from "../../handlers/core/reconcile";
import { expectVerified } from "./support/verify";
import { World, allFiles, assertAccounted as accounted, awsError, drainRuns, failedMetrics, is, putAndEvent, useWorlds } from "./support/world";

/** Every recovery ends accounted for, and `datalake audit --verify` proves it. */
async function assertAccounted(w: World) {
  const files = await accounted(w);
  await expectVerified(w);
  return files;
}

describe("handlers: crashes between steps and audit throttling (dynalite)", () => {
  let w: World;
  const stateChange = (event: unknown) => handleJobStateChange(w.fresh(), event);

  useWorlds((world) => (w = world), { limits: { staleStartSeconds: 900 } });

  async function expectCrash(p: Promise<unknown>): Promise<void> {
    let error: Error | undefined;
    await p.catch((err) => (error = err));
    expect(error?.name, "the invocation should have died").to.equal("SimulatedCrash");
  }

  describe("crash after the FILE write", () => {
    beforeEach(() => {
      w.db.crashAfter = is.fileWrite;
    });

    it("the redelivered event carries on and starts the run", async () => {
      const event = putAndEvent(w, "orders/a.csv");
      await expectCrash(handleFileArrival(w.deps, event));
      expect((await allFiles(w.audit))[0].status).to.equal("PENDING");
      expect(w.glue.startCalls).to.equal(0);

      const result = await handleFileArrival(w.fresh(), event);

      expect(result.outcome).to.equal("DUPLICATE");
      expect(w.glue.runs).to.have.length(1);
      await drainRuns(w, stateChange);
      await assertAccounted(w);
    });

    it("the reconciler starts the run when the event is not redelivered", async () => {
      await expectCrash(handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")));

      const report = await reconcile(w.fresh());

      expect(report.started).to.have.length(1);
      await drainRuns(w, stateChange);
      await assertAccounted(w);
    });
  });

  it("crash after taking the slot: later files wait; the reconciler frees the stale slot and starts one run", async () => {
    w.db.crashAfter = is.slotTake;
    await expectCrash(handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")));
    const healthy = w.fresh();
    const second = await handleFileArrival(healthy, putAndEvent(w, "orders/b.csv"));
    expect((second as any).run).to.include({ started: false, reason: "slot_held" });

    const early = await reconcile(healthy);
    expect(early.slotsReleased).to.deep.equal([]);
    expect(w.glue.startCalls).to.equal(0);
    w.clock.advance(901);
    const late = await reconcile(healthy);

    expect(late.slotsReleased).to.deep.equal(["orders"]);
    expect(late.started).to.have.length(1);
    expect((await w.glue.manifestOf(w.glue.runs[0].Id)).files).to.have.length(2);
    await drainRuns(w, stateChange);
    await assertAccounted(w);
  });

  it("crash after the RUN (QUEUED) write, before StartJobRun: the reconciler fails the run after staleStartSeconds and starts a new one", async () => {
    w.db.crashAfter = is.runWrite;
    w.objects.failPut = () => w.db.crashed; // the process is gone: no manifest, no StartJobRun
    await expectCrash(handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")));
    w.objects.failPut = undefined;
    const [queued] = await w.audit.listActiveRuns();
    const healthy = w.fresh();

    const early = await reconcile(healthy);
    expect(early.abandoned).to.deep.equal([]);
    expect(w.glue.startCalls).to.equal(0);
    w.clock.advance(901);
    const late = await reconcile(healthy);

    expect(late.abandoned).to.deep.equal([queued.runId]);
    expect((await w.audit.getRun(queued.runId))?.error).to.match(/^start_not_confirmed/);
    expect(failedMetrics(w)).to.deep.equal(["orders:start_not_confirmed"]);
    expect(late.started).to.have.length(1);
    await drainRuns(w, stateChange);
    const files = await assertAccounted(w);
    expect(files[0]).to.include({ status: "SUCCEEDED", runId: late.started[0] });
  });

  describe("crash after StartJobRun, before the RUN is marked RUNNING", () => {
    beforeEach(() => {
      w.glue.afterStart = () => {
        w.glue.afterStart = undefined;
        w.db.crashed = true;
      };
    });

    it("the reconciler adopts the run by its --run_id and the state event then finalizes it", async () => {
      await expectCrash(handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")));
      const [queued] = await w.audit.listActiveRuns();
      expect(queued.status).to.equal("QUEUED");

      const report = await reconcile(w.fresh());

      expect(report.adopted).to.deep.equal([queued.runId]);
      expect(await w.audit.getRun(queued.runId)).to.include({ status: "RUNNING", jobRunId: w.glue.runs[0].Id });
      expect((await allFiles(w.audit))[0]).to.include({ status: "RUNNING", runId: queued.runId });
      await drainRuns(w, stateChange);
      expect(w.glue.startCalls).to.equal(1);
      const files = await assertAccounted(w);
      expect(files[0].status).to.equal("SUCCEEDED");
    });

    it("the state event alone adopts and finalizes the run when it arrives first", async () => {
      await expectCrash(handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")));

      await drainRuns(w, stateChange);

      const [run] = await w.audit.listRuns("orders");
      expect(run).to.include({ status: "SUCCEEDED", adoptedBy: "job-state" });
      expect(w.glue.startCalls).to.equal(1);
      await assertAccounted(w);
    });

    it("a job that already finished by the time the reconciler adopts it is finalized at once", async () => {
      await expectCrash(handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")));
      await w.glue.complete(w.glue.runs[0].Id); // its state event is lost

      const report = await reconcile(w.fresh());

      expect(report.adopted).to.have.length(1);
      expect(report.finalized).to.have.length(1);
      await assertAccounted(w);
    });
  });

  describe("audit table throttled: nothing starts without an audit row", () => {
    for (const name of ["ProvisionedThroughputExceededException", "ThrottlingException"]) {
      it(`${name} on every call: the invocation fails (to be retried), no Glue run, no FILE item`, async () => {
        w.db.fault = () => awsError(name);
        const event = putAndEvent(w, "orders/a.csv");

        let error: Error | undefined;
        await handleFileArrival(w.deps, event).catch((err) => (error = err));

        expect(error?.name).to.equal(name);
        expect(w.glue.startCalls).to.equal(0);
        w.db.fault = undefined;
        expect(await allFiles(w.audit)).to.have.length(0);
        const retry = await handleFileArrival(w.deps, event);
        expect(retry.outcome).to.equal("PENDING");
        await drainRuns(w, stateChange);
        await assertAccounted(w);
      });
    }

    it("throttled RUN write: StartJobRun is never called, the slot is given back, the reconciler starts the run", async () => {
      w.db.fault = (c) => (is.runWrite(c) ? awsError("ProvisionedThroughputExceededException") : undefined);

      let error: Error | undefined;
      await handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")).catch((err) => (error = err));

      expect(error?.name).to.equal("ProvisionedThroughputExceededException");
      expect(w.glue.startCalls).to.equal(0);
      expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
      w.db.fault = undefined;
      const report = await reconcile(w.deps);
      expect(report.started).to.have.length(1);
      await drainRuns(w, stateChange);
      await assertAccounted(w);
    });

    it("manifest write fails after the RUN write: the RUN fails start_not_attempted with a RunFailed, the file waits", async () => {
      w.objects.failPut = () => true;

      let error: Error | undefined;
      await handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv")).catch((err) => (error = err));

      expect(error, "the invocation fails, to be retried").to.not.equal(undefined);
      w.objects.failPut = undefined;
      const [run] = await w.audit.listRuns("orders");
      expect(run.error).to.match(/^start_not_attempted/);
      expect(failedMetrics(w)).to.deep.equal(["orders:start_not_attempted"]);
      expect((await allFiles(w.audit))[0].status).to.equal("PENDING");
    });

    it("throttled while finalizing: the state event fails, a redelivery finalizes, FILE items are written once", async () => {
      await handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv"));
      const event = await w.glue.complete(w.glue.runs[0].Id);
      w.db.fault = (c) => (c.constructor?.name === "UpdateCommand" && String(c.input?.Key?.pk).startsWith("RUN#") ? awsError("ThrottlingException") : undefined);

      let error: Error | undefined;
      await handleJobStateChange(w.deps, event).catch((err) => (error = err));
      expect(error?.name).to.equal("ThrottlingException");
      w.db.fault = undefined;
      const retry = await handleJobStateChange(w.deps, event);

      expect(retry.outcome).to.equal("FINALIZED");
      expect((retry as any).finalize.finalized).to.equal(true);
      const [run] = await w.audit.listRuns("orders");
      expect(run.status).to.equal("SUCCEEDED");
      await assertAccounted(w);
    });
  });
});
