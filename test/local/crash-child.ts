// A `datalake local` process for the kill-and-restart test: the real runtime, whose engine
// freezes once a run has reached a given stage, after writing a marker file. The test then kills
// it with SIGKILL: a crash in the middle of a run.
import { writeFileSync } from "fs";
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
          if (e.stage !== freezeAtStage) return;
          writeFileSync(join(ws, "ops", "frozen"), manifest.runId);
          // Block the whole process (nothing can finish the run) until the test kills it.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
        },
      }),
  });
}
