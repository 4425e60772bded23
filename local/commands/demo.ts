// `datalake demo`: the product in one command. Generates sample CDC files for every reference
// dataset into landing/, loads them through the same local pipeline `datalake local` runs, then
// prints the audit trail per dataset and a sample query over silver.
import { DATASETS } from "../../datasets";
import type { FileItem } from "../../handlers/audit/items";
import { ArgSpec, intFlag, parseArgs, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import type { Verb } from "../cli-verb";
import { generateDataset } from "../generator";
import { startLocalRuntime } from "../runtime/defaults";
import { formatProgress } from "../runtime/progress";
import { textTable } from "../runtime/text-table";
import { workspacePaths } from "../runtime/workspace";
import { listFiles } from "./audit";
import { exitCode, summaryLine } from "./local";
import { queryVerb } from "./query";

const SPEC: ArgSpec = {
  flags: {
    ...WORKSPACE_FLAG,
    rows: { type: "string", value: "N", help: "change rows per dataset (default 1000)" },
    seed: { type: "string", value: "S", help: "PRNG seed of the sample data (default 1)" },
  },
};
const SUMMARY = "generate sample files for every dataset, load them locally, show the audit and a query";

export const DEMO_QUERY =
  "SELECT status, count(*) AS orders, sum(total_amount) AS total_amount FROM fact_orders GROUP BY status ORDER BY orders DESC";

export const demoVerb: Verb = {
  name: "demo",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("demo", argv, SPEC);
    if (args.help) {
      io.out(usageText("demo", SUMMARY, SPEC));
      return 0;
    }
    const workspace = workspaceDir(args.flags.workspace);
    const rows = intFlag("demo", args, "rows", 1000);
    const seed = intFlag("demo", args, "seed", 1);
    const started = Date.now();

    io.out(`demo: sample files for ${DATASETS.length} datasets -> ${workspace}/landing (seed ${seed}, ${rows} rows each)`);
    // Files first, then the runtime: it finds them all at once, as after a producer's batch.
    for (const spec of DATASETS) {
      generateDataset(spec.name, { seed, rows, files: 4, badShare: 0.05, outDir: workspacePaths(workspace).landing });
    }
    const runtime = await startLocalRuntime({ workspace, once: true, progress: (e) => io.out(formatProgress(e)) });
    let code: number;
    try {
      const report = await runtime.settle(10 * 60_000);
      io.out(summaryLine(report));
      code = exitCode(report);
      io.out("");
      io.out("audit trail per dataset (`datalake audit` lists every file):");
      io.out(datasetTable(await listFiles(runtime.audit, DATASETS.map((d) => d.name))));
    } finally {
      await runtime.stop();
    }
    io.out("");
    io.out(`sample query: ${DEMO_QUERY}`);
    const queryCode = await queryVerb.run(["--workspace", workspace, DEMO_QUERY], io);
    io.out("");
    io.out(`done in ${((Date.now() - started) / 1000).toFixed(1)}s. Next:`);
    const ws = args.flags.workspace ? ` --workspace ${workspace}` : "";
    const next: [string, string][] = [
      [`npm run local${ws ? ` --${ws}` : ""}`, "watch landing/ and load what you drop there"],
      [`npx datalake audit${ws}`, "every file version: status, rows, reason, run"],
      [`npx datalake query${ws} "SELECT * FROM quarantine_orders LIMIT 5"`, "rows held back, with their reasons"],
    ];
    const width = Math.max(...next.map(([cmd]) => cmd.length));
    for (const [cmd, what] of next) io.out(`  ${cmd.padEnd(width)}  # ${what}`);
    return code !== 0 ? code : queryCode;
  },
};

function datasetTable(files: FileItem[]): string {
  const rows = DATASETS.map((spec) => {
    const mine = files.filter((f) => f.dataset === spec.name);
    const count = (s: string) => mine.filter((f) => f.status === s).length;
    const sum = (k: "rowsLoaded" | "rowsQuarantined" | "rowsRejected") => mine.reduce((n, f) => n + (f[k] ?? 0), 0);
    return [spec.name, spec.target.table, mine.length, count("SUCCEEDED"), count("QUARANTINED"), count("FAILED"), sum("rowsLoaded"), sum("rowsQuarantined"), sum("rowsRejected")];
  });
  return textTable(["dataset", "silver table", "files", "succeeded", "quarantined", "failed", "rows loaded", "rows quarantined", "rows rejected"], rows);
}
