// Structured logs: one JSON object per line, carrying dataset, key, version and run id.
import { expect } from "chai";
import { handleFileArrival } from "../../handlers/core/file-arrival";
import { handleJobStateChange } from "../../handlers/core/job-state";
import { jsonLogger } from "../../handlers/log";
import { World, putAndEvent, useWorlds } from "./support/world";

describe("handlers: structured JSON logs (dynalite)", () => {
  let w: World;
  let lines: string[];

  useWorlds((world) => (w = world));
  beforeEach(() => {
    lines = [];
    w.deps.log = jsonLogger({ handler: "test" }, "debug", (line) => lines.push(line));
  });

  it("file-arrival lines carry dataset, key, versionId and (once started) runId", async () => {
    await handleFileArrival(w.deps, putAndEvent(w, "orders/a b.csv"));

    const records = lines.map((l) => JSON.parse(l));
    expect(records.length).to.be.greaterThan(1);
    for (const r of records) expect(r).to.include({ handler: "test", dataset: "orders", key: "orders/a b.csv", versionId: "v000001" });
    const started = records.find((r) => r.message === "job run started");
    expect(started).to.include({ jobRunId: w.glue.runs[0].Id, level: "info" });
    expect(started.runId).to.equal(w.glue.runs[0].Arguments!["--run_id"]);
  });

  it("job-state lines carry the run id, and per-file lines the key and version", async () => {
    await handleFileArrival(w.deps, putAndEvent(w, "orders/a.csv"));
    lines.length = 0;

    await handleJobStateChange(w.deps, await w.glue.complete(w.glue.runs[0].Id));

    const records = lines.map((l) => JSON.parse(l));
    const fileLine = records.find((r) => r.message === "file finalized");
    expect(fileLine).to.include({ dataset: "orders", key: "orders/a.csv", versionId: "v000001", status: "SUCCEEDED" });
    expect(fileLine.runId).to.be.a("string");
    expect(records.find((r) => r.message === "run finalized")).to.include({ dataset: "orders", runId: fileLine.runId });
  });

  it("errors are logged as name and message", () => {
    jsonLogger({}, "info", (l) => lines.push(l)).error("boom", { error: Object.assign(new Error("bad"), { name: "ThrottlingException" }) });

    expect(JSON.parse(lines[0]).error).to.deep.equal({ name: "ThrottlingException", message: "bad" });
  });
});
