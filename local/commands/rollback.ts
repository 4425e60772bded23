// `datalake rollback`: move a dataset back to an earlier audited version (silver, quarantine and
// state together; the later runs' bronze, ledger and rejects set aside: engine/duckdb/rollback.ts),
// under the workspace lock, recorded as a RUN in the audit trail. `--list` shows the versions kept.
import { existsSync } from "fs";
import { ArgSpec, JSON_FLAG, parseArgs, requireFlag, UsageError, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { onInterrupt } from "../cli-signals";
import { CliError, Verb } from "../cli-verb";
import { formatTable } from "../cli-table";
import { firstLine } from "../cli-text";
import { workspaceEngine } from "../workspace-engine";
import type { RollbackResult } from "../../engine/duckdb/rollback";
import { oweModels, owedModels } from "../../engine/duckdb/models-owed";
import { silverDir } from "../../engine/duckdb/versions";
import { buildAffectedModels } from "./build";
import { readPointer, readVersionMeta, zoneDir } from "../../engine/duckdb/workspace";
import { DATASETS } from "../../datasets";
import { manifestForFiles } from "../cli-manifest";
import { loadLocked } from "./load";

const SPEC: ArgSpec = {
  flags: {
    table: { type: "string", value: "NAME", help: "silver table, e.g. orders" },
    to: { type: "string", value: "VERSION", help: "version to restore (default: the one before the current)" },
    list: { type: "boolean", help: "list the kept versions instead of rolling back" },
    "no-build": { type: "boolean", help: "leave the models reading the dataset to the next load or build" },
    ...WORKSPACE_FLAG,
    ...JSON_FLAG,
  },
};
const SUMMARY = "move a dataset back to an earlier audited version (silver, quarantine and state together)";

export const rollbackVerb: Verb = {
  name: "rollback",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("rollback", argv, SPEC);
    if (args.help) {
      io.out(usageText("rollback", SUMMARY, SPEC));
      return 0;
    }
    const table = requireFlag("rollback", args, "table");
    // --list only lists: with --to (or --no-build) it looked like a rollback and did none.
    const withList = ["to", "no-build"].find((f) => args.flags[f] !== undefined);
    if (args.flags.list && withList) throw new UsageError(`rollback: --list only lists the versions; --${withList} goes with a rollback (drop --list)`);
    const workspace = workspaceDir(args.flags.workspace);
    if (!existsSync(workspace)) throw new CliError(`workspace ${workspace} does not exist (load something first)`);
    const { listVersions, planRollback, applyRollback, newRollbackId, owedRollbacks, claimRollback } = await import("../../engine/duckdb");
    const { lockWorkspace, recordRollback, recordStoppedRollbacks, stoppedRollbackLine } = await import("../cli-workspace-audit");
    try {
      if (args.flags.list) {
        const versions = listVersions(workspace, table);
        if (args.flags.json) io.out(JSON.stringify(versions));
        else io.out(formatTable(["version", "current", "rows", "run", "created"], versions.map((v) => [v.version, v.current ? "*" : "", v.rows, v.runId, v.createdAt])));
        return 0;
      }
      const to = typeof args.flags.to === "string" ? args.flags.to : undefined;
      if (workspaceEngine(workspace) === "spark") {
        throw new CliError("this workspace holds --engine spark (Iceberg) tables: roll them back with Iceberg's rollback_to_snapshot procedure");
      }
      const lock = lockWorkspace(workspace, (line) => io.err(`datalake rollback: ${line}`));
      // Ctrl-C during a rollback waits for it and its RUN item. A kill (kill -9) cannot: the
      // rollback's record says what it does before it does it, and the next rollback or load
      // finishes and records it (engine/duckdb/stopped-rollbacks.ts).
      const release = onInterrupt(() => io.err("datalake rollback: finishing the rollback and its audit record first"));
      try {
        const stopped = await recordStoppedRollbacks(workspace, "datalake rollback");
        for (const s of stopped) io.err(`datalake rollback: ${stoppedRollbackLine(s)}`);
        // This command run again after its rollback was killed: that one is its result, whether
        // this run finished it or another command did first (a load, a rollback of another
        // table: owedRollbacks). Another step back is another `rollback` (once nothing was
        // published since, silver says so).
        const mine = (r: RollbackResult) => isLatestRollback(workspace, table, r) && (to === undefined || to === r.to);
        const owed = owedRollbacks(workspace, table).find((s) => mine(s.result));
        const again = stopped.find((s) => mine(s.result)) ?? owed;
        if (again) claimRollback(workspace, again.result);
        if (again && again === owed) io.err(`datalake rollback: rollback ${owed.rollbackId} (${owed.result.table}: ${owed.result.from} -> ${owed.result.to}) was stopped and then finished by \`${owed.finishedBy}\`: it is this command's result; run it again to go back further`);
        const startedAt = new Date();
        let rollbackId: string;
        let result: RollbackResult;
        if (again) ({ rollbackId, result } = again);
        else {
          const plan = planRollback(workspace, table, to);
          rollbackId = newRollbackId(workspace, plan.dataset, startedAt);
          // The star read the undone runs: its models owe a build from the restored version,
          // written before anything moves so a killed rollback's debt survives it (models-owed.ts).
          oweModels(workspace, plan.dataset, rollbackId);
          result = await applyRollback(workspace, plan, rollbackId);
          await recordRollback(workspace, rollbackId, result, startedAt);
        }
        if (args.flags.json) io.out(JSON.stringify([{ ...result, runId: rollbackId }]));
        else {
          io.out(`${result.table}: ${result.from} -> ${result.to} (quarantine_${result.dataset} and state too); undid ${result.runs.length} run(s): ${result.runs.join(", ")}`);
          io.out(`their bronze and ledger files are set aside in ${result.setAside}; the same files dropped again load again`);
        }
        if ((await relabelled(io, workspace, result, args.flags.json === true)) !== 0) return 1;
        // Dimensions and facts still show the undone runs until rebuilt: a build after a
        // rollback is full (their consumed runs left bronze: build-model.ts goneRuns).
        const changed = [...new Set([result.dataset, ...owedModels(workspace).keys()])];
        if (args.flags["no-build"] !== true) await buildAffectedModels(io, workspace, changed, { engine: "duckdb", json: args.flags.json === true, fullRefresh: false });
      } finally {
        release();
        lock.release();
      }
      return 0;
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(firstLine((err as Error).message));
    }
  },
};

/**
 * A version restored from before a spec edit holds what the old load plan made of the rows: rules
 * and types labelled them, and a column since hashed is plain text again (on AWS, granted to
 * readers). A full-refresh load of no file (what `load --full-refresh` runs) relabels it from the
 * restored bronze under the spec as it is now, recorded as a run of its own. Returns its exit code.
 */
async function relabelled(io: CliIo, workspace: string, result: RollbackResult, json: boolean): Promise<number> {
  const spec = DATASETS.find((d) => d.name === result.dataset);
  if (!spec) return 0;
  const written = readVersionMeta(zoneDir(workspace, "state", result.dataset), result.to)?.fingerprint;
  const { workspaceLoadPlan } = await import("../../engine/duckdb");
  const now = workspaceLoadPlan(workspace, spec).fingerprint;
  if (written === now) return 0;
  io.err(
    `datalake rollback: ${result.table} ${result.to} was written by another load plan (${written ?? "unrecorded"} -> ${now}: a spec edit since); ` +
      "relabelling it from the restored bronze with the spec as it is now (a full refresh)",
  );
  const manifest = await manifestForFiles(spec, [], { workspace, fullRefresh: true });
  return loadLocked(io, { json, "no-build": true }, workspace, spec, manifest, "duckdb");
}

/** True when `result` rolled back `table` and nothing was published on it since. */
function isLatestRollback(workspace: string, table: string, result: RollbackResult): boolean {
  if (result.table !== table) return false;
  const pointer = readPointer(silverDir(workspace, table));
  return pointer?.version === result.to && pointer.rolledBackFrom === result.from;
}
