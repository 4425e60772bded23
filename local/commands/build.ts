// `datalake build`: (re)build the semantic models (models/) from the workspace's published bronze
// and silver, each with write-audit-publish (engine/duckdb/run-model.ts), in the order their
// inputs give (dimensions before the facts that read them), under the workspace lock.
import { existsSync } from "fs";
import { ArgSpec, JSON_FLAG, parseArgs, usageText, UsageError, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import { CliError, Verb } from "../cli-verb";
import { firstLine } from "../cli-text";

const SPEC: ArgSpec = {
  flags: {
    select: { type: "string", value: "MODEL", help: "build only this model (the models it reads must be published)" },
    "full-refresh": { type: "boolean", help: "rebuild from bronze and silver, ignoring the models' previous versions" },
    ...WORKSPACE_FLAG,
    ...JSON_FLAG,
  },
};
const SUMMARY = "rebuild the semantic models (dim_date, dimensions, facts) from published silver and bronze";

export const buildVerb: Verb = {
  name: "build",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("build", argv, SPEC);
    if (args.help) {
      io.out(usageText("build", SUMMARY, SPEC));
      return 0;
    }
    const { MODELS } = await import("../../models");
    const select = typeof args.flags.select === "string" ? args.flags.select : undefined;
    if (select !== undefined && !MODELS.some((m) => m.name === select)) {
      throw new UsageError(`build: unknown model "${select}" (known: ${MODELS.map((m) => m.name).join(", ")})`);
    }
    const workspace = workspaceDir(args.flags.workspace);
    if (!existsSync(workspace)) throw new CliError(`workspace ${workspace} does not exist (load something first)`);
    const { compileModel, buildOrder } = await import("../../engine/models/compile-model");
    const { openSession, runModelPlan } = await import("../../engine/duckdb");
    const { lockWorkspace } = await import("../cli-workspace-audit");
    const lock = lockWorkspace(workspace);
    const session = await openSession({ threads: 1 });
    try {
      const runId = `build-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
      const plans = buildOrder(MODELS.filter((m) => select === undefined || m.name === select).map((m) => compileModel(m, "duckdb")));
      const results = [];
      for (const plan of plans) {
        const result = await runModelPlan(session, workspace, plan, runId, { fullRefresh: args.flags["full-refresh"] === true });
        results.push(result);
        if (!args.flags.json) {
          const failed = Object.entries(result.audits).filter(([, v]) => v !== 0);
          const audits = failed.length === 0 ? `${Object.keys(result.audits).length} audit(s) passed` : `audits failed: ${failed.map(([a, v]) => `${a} (${v})`).join(", ")}`;
          const where = result.status === "published" ? `published ${result.version}` : `NOT published (still ${result.version ?? "none"})`;
          io.out(`${result.model}  ${where}  rows ${result.rows}  ${audits}`);
        }
      }
      if (args.flags.json) io.out(JSON.stringify(results));
      return results.every((r) => r.status === "published") ? 0 : 1;
    } catch (err) {
      if (err instanceof CliError || err instanceof UsageError) throw err;
      throw new CliError(firstLine((err as Error).message));
    } finally {
      session.close();
      lock.release();
    }
  },
};
