// A `datalake local` process for the kill-and-restart test: the real runtime, whose engine
// freezes once a run has reached a given stage, after writing a marker file. The test then kills
// it with SIGKILL: a crash in the middle of a run.
import { readdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { join } from "path";
import { runLoad } from "../../engine/duckdb";
import { startLocalRuntime } from "../../local/runtime/defaults";
import { FAST_RUNTIME } from "./support";

// Only when spawned by crash.test.ts: mocha given the whole test/local folder loads this file too,
// and must not start a runtime on its own argv.
if (require.main === module) {
  const [workspace, freezeAtStage] = process.argv.slice(2);
  startFreezingRuntime(workspace, freezeAtStage).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

async function startFreezingRuntime(workspace: string, freezeAtStage: string): Promise<void> {
  if (freezeAtStage === "model") {
    // The real engine; the process blocks in the model build a published load started, once the
    // load's Glue run has ended (a restart does not resume it: nothing is left to load).
    const jobRuns = join(workspace, "ops", "job-runs");
    const ended = () => readdirSync(jobRuns).every((f) => JSON.parse(readFileSync(join(jobRuns, f), "utf8")).JobRunState !== "RUNNING");
    const buildModels = async () => {
      while (!ended()) await new Promise((resolve) => setTimeout(resolve, 20));
      return freeze(workspace, "model build");
    };
    await startLocalRuntime({ workspace, ...FAST_RUNTIME, buildModels });
    return;
  }
  await startLocalRuntime({
    workspace,
    ...FAST_RUNTIME,
    executor: ({ workspace: ws, spec, manifest, fullRefresh }) =>
      runLoad({
        workspace: ws,
        spec,
        manifest,
        fullRefresh,
        writeSummary: true, // as duckdbExecutor
        onProgress: (e) => {
          if (e.stage === freezeAtStage || `${e.stage}: ${e.message}` === freezeAtStage) freeze(ws, manifest.runId);
        },
      }),
  });
}

/**
 * Writes the marker, then blocks the whole process (nothing can finish its work) until the test
 * kills it. Written aside and renamed into place: the test reads the run id in it as soon as the
 * marker exists, and a marker created but not yet written read as "" (a run that never existed).
 */
function freeze(workspace: string, what: string): never {
  const marker = join(workspace, "ops", "frozen");
  writeFileSync(`${marker}.tmp`, what);
  renameSync(`${marker}.tmp`, marker);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  throw new Error("not killed");
}
