// Pure parts: environment reading, event parsing and key decoding, file ids, file outcomes.
import { expect } from "chai";
import { HANDLER_ENV } from "../../handlers/env-contract";
import { readHandlerEnv, requireEnv } from "../../handlers/env";
import { compareSequencers, decodeKey, parseObjectCreated } from "../../handlers/core/s3-event";
import { parseJobStateChange } from "../../handlers/core/job-state";
import { fileIdOf } from "../../handlers/core/file-id";
import { fileFinal } from "../../handlers/core/run-finalize";
import { classifyStartError } from "../../handlers/core/glue-errors";
import { glueError } from "../../handlers/ports";
import { emfRunMetrics } from "../../handlers/metrics";
import { METRIC_RUN_FAILED } from "../../infra/defaults";
import { fixture } from "./support/world";

const ENV = {
  [HANDLER_ENV.auditTable]: "audit",
  [HANDLER_ENV.opsBucket]: "ops",
  [HANDLER_ENV.landingBucket]: "landing",
  [HANDLER_ENV.glueJobs]: '{"orders":"job-orders"}',
  [HANDLER_ENV.metricsNamespace]: "Datalake/dev",
};

describe("handlers: env, events and pure helpers", () => {
  it("requireEnv names the missing variable", () => {
    expect(() => requireEnv("AUDIT_TABLE", {})).to.throw("missing required environment variable AUDIT_TABLE");
    expect(() => requireEnv("AUDIT_TABLE", { AUDIT_TABLE: " " })).to.throw(/AUDIT_TABLE/);
    expect(requireEnv("AUDIT_TABLE", { AUDIT_TABLE: "t" })).to.equal("t");
  });

  it("readHandlerEnv reads every variable and applies defaults", () => {
    const env = readHandlerEnv({ ...ENV, [HANDLER_ENV.maxFilesPerRun]: "50" });

    expect(env).to.deep.include({ auditTable: "audit", opsBucket: "ops", landingBucket: "landing", jobNames: { orders: "job-orders" }, metricsNamespace: "Datalake/dev" });
    expect(env.limits.maxFilesPerRun).to.equal(50);
    expect(env.limits.slotLeaseSeconds).to.equal(10_800);
  });

  it("readHandlerEnv rejects missing, non-JSON and non-numeric values with the variable name", () => {
    for (const name of [HANDLER_ENV.auditTable, HANDLER_ENV.opsBucket, HANDLER_ENV.landingBucket, HANDLER_ENV.glueJobs, HANDLER_ENV.metricsNamespace]) {
      const env: Record<string, string> = { ...ENV };
      delete env[name];
      expect(() => readHandlerEnv(env), name).to.throw(name);
    }
    expect(() => readHandlerEnv({ ...ENV, [HANDLER_ENV.glueJobs]: "orders=job" })).to.throw(/GLUE_JOBS is not JSON/);
    expect(() => readHandlerEnv({ ...ENV, [HANDLER_ENV.slotLeaseSeconds]: "soon" })).to.throw(/SLOT_LEASE_SECONDS/);
  });

  it("RunFailed is one EMF line: the alarm's metric name and {Dataset} series, plus {Dataset, Reason}", () => {
    const lines: string[] = [];
    const metrics = emfRunMetrics("Datalake/dev", () => 1_700_000_000_000, (line) => lines.push(line));

    metrics.runFailed("orders", "glue_timeout", { runId: "r1" });

    expect(lines).to.have.length(1);
    const emf = JSON.parse(lines[0]);
    expect(emf).to.deep.include({ Dataset: "orders", Reason: "glue_timeout", runId: "r1", [METRIC_RUN_FAILED]: 1 });
    expect(emf._aws).to.deep.equal({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [{ Namespace: "Datalake/dev", Dimensions: [["Dataset"], ["Dataset", "Reason"]], Metrics: [{ Name: METRIC_RUN_FAILED, Unit: "Count" }] }],
    });
  });

  it("parses the real-shaped Object Created fixtures", () => {
    const versioned = parseObjectCreated(fixture("s3-object-created.json"));
    const unversioned = parseObjectCreated(fixture("s3-object-created-unversioned.json"));

    expect(versioned).to.deep.equal({
      ok: true,
      value: {
        bucket: "datalake-dev-landing",
        rawKey: "orders/2026/11/21/LOAD00000001.csv",
        key: "orders/2026/11/21/LOAD00000001.csv",
        keys: ["orders/2026/11/21/LOAD00000001.csv"],
        undecodable: false,
        size: 5242,
        etag: "b1946ac92492d2347c6235b4d2611184",
        versionId: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
        sequencer: "00617F08299329D189",
        time: "2026-11-21T10:15:30.000Z",
      },
    });
    expect(unversioned.ok && unversioned.value.versionId).to.equal(null);
  });

  it("an Object Created key is read every way it may be meant, most likely first; an undecodable one raw", () => {
    const keysOf = (key: string) => {
      const event = fixture("s3-object-created.json");
      event.detail.object.key = key;
      const parsed = parseObjectCreated(event);
      return parsed.ok ? { keys: parsed.value.keys, key: parsed.value.key, undecodable: parsed.value.undecodable } : parsed.reason;
    };

    expect(keysOf("orders/a+b%2B.csv")).to.deep.equal({ keys: ["orders/a b+.csv", "orders/a+b%2B.csv", "orders/a+b+.csv"], key: "orders/a b+.csv", undecodable: false });
    expect(keysOf("orders/dt=2026:10.csv")).to.deep.equal({ keys: ["orders/dt=2026:10.csv"], key: "orders/dt=2026:10.csv", undecodable: false });
    expect(keysOf("orders/discount 100%.csv")).to.deep.equal({ keys: ["orders/discount 100%.csv"], key: "orders/discount 100%.csv", undecodable: true });
  });

  it("parses the Glue Job State Change fixtures", () => {
    const ok = parseJobStateChange(fixture("glue-job-state-succeeded.json"));
    const failed = parseJobStateChange(fixture("glue-job-state-failed.json"));
    const scheduled = parseJobStateChange(fixture("scheduled-event.json"));

    expect(ok.ok && ok.value).to.include({ jobName: "datalake-dev-orders", state: "SUCCEEDED" });
    expect(failed.ok && failed.value.message).to.match(/audit failed/);
    expect(scheduled.ok).to.equal(false);
  });

  it("decodes S3 form-encoded keys", () => {
    expect(decodeKey("orders/with+space.csv")).to.equal("orders/with space.csv");
    expect(decodeKey("orders/a%2Bb.csv")).to.equal("orders/a+b.csv");
    expect(decodeKey("orders/dt%3D2026.csv")).to.equal("orders/dt=2026.csv");
    expect(decodeKey("orders/%E6%97%A5.csv")).to.equal("orders/日.csv");
    expect(decodeKey("orders/%ZZ.csv")).to.equal(undefined);
  });

  it("orders sequencers of different lengths by right-padding", () => {
    expect(compareSequencers("00617F08299329D189", "00617F08299329D18A")).to.equal(-1);
    expect(compareSequencers("0A", "0A00")).to.equal(0);
    expect(compareSequencers("0B", "0A99")).to.equal(1);
  });

  it("builds file ids from the version, else etag and sequencer", () => {
    expect(fileIdOf("b", "k/x.csv", "v1", "e", "s")).to.equal("s3://b/k/x.csv#v1");
    expect(fileIdOf("b", "k/x.csv", null, "e", "s")).to.equal("s3://b/k/x.csv#e:s");
  });

  it("maps file outcomes of a run summary", () => {
    const base = { fileId: "f", key: "k", versionId: null, rowsRead: 1, rowsLoaded: 1, rowsQuarantined: 0, rowsRejected: 0 };

    expect(fileFinal("SUCCEEDED", { ...base, outcome: "LOADED" }).status).to.equal("SUCCEEDED");
    expect(fileFinal("SUCCEEDED", { ...base, outcome: "QUARANTINED", reason: "not_utf8" })).to.include({ status: "QUARANTINED", reason: "not_utf8" });
    expect(fileFinal("SUCCEEDED", { ...base, outcome: "ALREADY_LOADED" })).to.include({ status: "SKIPPED", reason: "already_loaded" });
    expect(fileFinal("SUCCEEDED", undefined)).to.include({ status: "FAILED", reason: "missing_from_summary" });
    expect(fileFinal("FAILED", { ...base, outcome: "LOADED" }, "boom")).to.include({ status: "FAILED", reason: "run_failed: boom" });
  });

  it("classifies StartJobRun errors", () => {
    expect(classifyStartError(glueError("ConcurrentRunsExceededException"))).to.equal("retryable");
    expect(classifyStartError(glueError("ThrottlingException"))).to.equal("retryable");
    // Glue may have created the run and lost the answer: not a refusal.
    expect(classifyStartError(glueError("InternalServiceException"))).to.equal("ambiguous");
    expect(classifyStartError(glueError("OperationTimeoutException"))).to.equal("ambiguous");
    // A refusal after the SDK retried a lost answer may be refusing the run that answer created.
    expect(classifyStartError(Object.assign(glueError("ConcurrentRunsExceededException"), { $metadata: { attempts: 2 } }))).to.equal("ambiguous");
    expect(classifyStartError(Object.assign(glueError("ThrottlingException"), { $metadata: { attempts: 1 } }))).to.equal("retryable");
    expect(classifyStartError(glueError("EntityNotFoundException"))).to.equal("permanent");
    expect(classifyStartError(glueError("InvalidInputException"))).to.equal("permanent");
    expect(classifyStartError(new Error("socket hang up"))).to.equal("ambiguous");
  });
});
