// StartJobRun failures against a real dynalite server: retryable errors back off and leave the
// file PENDING for the next run or the reconciler; permanent ones fail the file (no retry loop).
import { expect } from "chai";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { reconcile } from "../../handlers/core/reconcile";
import { World, assertAccounted, drainRuns, failedMetrics, putAndEvent, useWorlds } from "./support/world";

describe("handlers: StartJobRun faults (dynalite)", () => {
  let w: World;
  const arrive = (event: unknown) => handleFileArrival(w.deps, event);
  const stateChange = (event: unknown) => handleJobStateChange(w.deps, event);

  useWorlds((world) => (w = world), { limits: { startAttempts: 3, startBackoffMs: 100 } });

  it("a transient ConcurrentRunsExceeded is retried with backoff within the invocation", async () => {
    w.glue.startFailures.push("ConcurrentRunsExceededException");

    const result = await arrive(putAndEvent(w, "orders/a.csv"));

    expect(result.outcome).to.equal("PENDING");
    expect(w.glue.startCalls).to.equal(2);
    expect(w.glue.runs).to.have.length(1);
    expect(w.clock.sleeps).to.have.length(1);
    expect(w.clock.sleeps[0]).to.be.within(50, 100);
    await drainRuns(w, stateChange);
    await assertAccounted(w);
  });

  for (const name of ["ConcurrentRunsExceededException", "ThrottlingException", "ResourceNumberLimitExceededException"]) {
    it(`${name} on every attempt: file stays PENDING, slot free, the reconciler starts it later`, async () => {
      w.glue.startFailures.push(name, name, name);

      const result = await arrive(putAndEvent(w, "orders/a.csv"));

      expect(result).to.deep.include({ outcome: "PENDING" });
      expect((result as any).run).to.include({ started: false, reason: "start_retryable" });
      expect(w.glue.startCalls).to.equal(3);
      expect(w.clock.sleeps.length).to.equal(2);
      expect(w.clock.sleeps[1]).to.be.greaterThan(w.clock.sleeps[0] * 0.99);
      const [file] = await assertAccounted(w, { terminal: false });
      expect(file.status).to.equal("PENDING");
      expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
      const failedRun = await w.audit.getRun((result as any).run.runId);
      expect(failedRun?.status).to.equal("FAILED");
      expect(failedRun?.error).to.contain(name);
      expect(failedMetrics(w)).to.deep.equal(["orders:start_failed"]);

      const report = await reconcile(w.deps);

      expect(report.started).to.have.length(1);
      await drainRuns(w, stateChange);
      const files = await assertAccounted(w);
      expect(files[0].status).to.equal("SUCCEEDED");
    });
  }

  it("after a retryable failure, the next arrival starts a run that includes the waiting file", async () => {
    w.glue.startFailures.push("ThrottlingException", "ThrottlingException", "ThrottlingException");
    await arrive(putAndEvent(w, "orders/a.csv"));

    await arrive(putAndEvent(w, "orders/b.csv"));

    expect(w.glue.runs).to.have.length(1);
    expect((await w.glue.manifestOf(w.glue.runs[0].Id)).files.map((f) => f.key)).to.deep.equal(["orders/a.csv", "orders/b.csv"]);
    await drainRuns(w, stateChange);
    await assertAccounted(w);
  });

  for (const name of ["EntityNotFoundException", "InvalidInputException"]) {
    it(`${name}: FILE and RUN FAILED with the reason, one attempt, no retry loop`, async () => {
      w.glue.startFailures.push(name);

      const result = await arrive(putAndEvent(w, "orders/a.csv"));

      expect((result as any).run).to.include({ started: false, reason: "start_rejected" });
      expect(w.glue.startCalls).to.equal(1);
      const [file] = await assertAccounted(w);
      expect(file.status).to.equal("FAILED");
      expect(file.reason).to.match(new RegExp(`^start_rejected: ${name}`));
      expect((await w.audit.getRun((result as any).run.runId))?.status).to.equal("FAILED");
      expect((await w.audit.getSlot("orders"))?.activeRunId).to.equal(undefined);
      expect(failedMetrics(w)).to.deep.equal(["orders:start_rejected"]);

      await reconcile(w.deps);
      await reconcile(w.deps);

      expect(w.glue.startCalls).to.equal(1);
      expect(failedMetrics(w)).to.have.length(1);
    });
  }

  it("a dataset with no configured job fails its files with a reason and never calls Glue", async () => {
    delete (w.deps.jobNames as Record<string, string>).orders;
    try {
      const result = await arrive(putAndEvent(w, "orders/a.csv"));

      expect((result as any).run.reason).to.equal("start_rejected");
      const [file] = await assertAccounted(w);
      expect(file.reason).to.contain("no Glue job configured");
      expect(w.glue.startCalls).to.equal(0);
      expect(failedMetrics(w)).to.deep.equal(["orders:start_rejected"]);
    } finally {
      (w.deps.jobNames as Record<string, string>).orders = "datalake-dev-orders";
    }
  });

  it("an ambiguous failure (timeout after Glue accepted the run) is adopted by the reconciler, not started twice", async () => {
    w.glue.afterStart = () => {
      w.glue.afterStart = undefined;
      const err = new Error("socket hang up");
      err.name = "TimeoutError";
      throw err;
    };

    const result = await arrive(putAndEvent(w, "orders/a.csv"));

    expect((result as any).run.reason).to.equal("start_unconfirmed");
    expect((await w.audit.getRun((result as any).run.runId))?.status).to.equal("QUEUED");
    expect(failedMetrics(w), "an unconfirmed start is not a failure yet").to.deep.equal([]);
    const report = await reconcile(w.deps);
    expect(report.adopted).to.deep.equal([(result as any).run.runId]);
    expect(w.glue.startCalls).to.equal(1);
    const run = await w.audit.getRun((result as any).run.runId);
    expect(run).to.include({ status: "RUNNING", jobRunId: w.glue.runs[0].Id, adoptedBy: "reconciler" });
    await drainRuns(w, stateChange);
    const files = await assertAccounted(w);
    expect(files[0].status).to.equal("SUCCEEDED");
  });

  // Glue created the run, then answered with an error: its own (InternalService), or a refusal of
  // the SDK's automatic retry of the lost answer (ConcurrentRunsExceeded after 2 SDK attempts).
  const lostAnswers: Array<[string, () => Error]> = [
    ["InternalServiceException", () => Object.assign(new Error("internal"), { name: "InternalServiceException" })],
    ["ConcurrentRunsExceeded on the SDK's retry", () => Object.assign(new Error("busy"), { name: "ConcurrentRunsExceededException", $metadata: { attempts: 2 } })],
  ];
  for (const [what, error] of lostAnswers) {
    it(`${what} after Glue created the run: the RUN waits QUEUED and is adopted, never FAILED while its run publishes`, async () => {
      w.glue.afterStart = () => {
        w.glue.afterStart = undefined;
        throw error();
      };

      const result = await arrive(putAndEvent(w, "orders/a.csv"));

      expect((result as any).run.reason).to.equal("start_unconfirmed");
      expect(w.glue.startCalls, "no second StartJobRun").to.equal(1);
      expect((await w.audit.getRun((result as any).run.runId))?.status).to.equal("QUEUED");
      expect(failedMetrics(w)).to.deep.equal([]);
      const report = await reconcile(w.deps);
      expect(report.adopted).to.deep.equal([(result as any).run.runId]);
      await drainRuns(w, stateChange);
      const files = await assertAccounted(w);
      expect(files.map((f) => [f.status, f.runId])).to.deep.equal([["SUCCEEDED", (result as any).run.runId]]);
      expect(w.glue.runs).to.have.length(1);
      expect(failedMetrics(w)).to.deep.equal([]);
    });
  }
});
