// `datalake demo`: the product in one command. Generates sample CDC files for every reference
// dataset into landing/ (as a DMS task with default settings writes them: no header, no
// timestamp column; the generator's default format), loads them through the same local pipeline `datalake local` runs, then
// prints the audit trail per dataset and a sample query over silver.
import { existsSync, mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import { DATASETS } from "../../datasets";
import type { FileItem } from "../../handlers/audit/items";
import { ArgSpec, intFlag, MAX_GENERATED_ROWS, parseArgs, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import type { Verb } from "../cli-verb";
import { generateDataset, generationProblem, sameShapeReferences } from "../generator";
import { formatProgress } from "../runtime/progress";
import { textTable } from "../runtime/text-table";
import { workspacePaths } from "../runtime/workspace";
import { listFiles } from "./audit";
import { exitCode, summaryLine } from "./local";
import { queryVerb } from "./query";

const SPEC: ArgSpec = {
  flags: {
    ...WORKSPACE_FLAG,
    rows: { type: "string", value: "N", help: "data rows per dataset, full load + changes (default 1000), as generate --rows" },
    seed: { type: "string", value: "S", help: "PRNG seed of the sample data (default 1)" },
  },
};
const SUMMARY = "generate sample files for every dataset, load them locally, show the audit and a query";

export const DEMO_QUERY =
  "SELECT status, count(*) AS orders, sum(total_amount) AS total_amount FROM orders GROUP BY status ORDER BY orders DESC";

/**
 * The star schema's question (docs/models.md): revenue by month by the customer's country AS OF
 * the order (dim_customer is SCD2, so a customer who moved counts where they lived then).
 * Unknown customers (key -1) show as "(unknown)".
 */
export const STAR_QUERY =
  "SELECT d.year, d.month_number AS month, coalesce(c.country, '(unknown)') AS country, count(*) AS orders, sum(f.total_amount) AS revenue " +
  "FROM fact_orders f JOIN dim_customer c ON c.customer_key = f.customer_key JOIN dim_date d ON d.date_key = f.order_date_key " +
  "GROUP BY ALL ORDER BY year, month, revenue DESC LIMIT 12";

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
    // At least one row: with none, no table but dim_date exists for the closing star query.
    const rows = intFlag("demo", args, "rows", 1000, { min: 1, max: MAX_GENERATED_ROWS });
    const seed = intFlag("demo", args, "seed", 1);
    const started = Date.now();

    io.out(`demo: sample files for ${DATASETS.length} datasets -> ${workspace}/landing (seed ${seed}, ${rows} rows each)`);
    // Run again in the same workspace, the same files load nothing new: said up front, or the
    // skipped files below read as a fault.
    if (existsSync(workspacePaths(workspace).auditDb)) {
      io.out(`demo: ${workspace} was used before: files whose bytes loaded then are skipped (duplicate_content); --workspace DIR starts afresh`);
    }
    // Files first, then the runtime: it finds them all at once, as after a producer's batch.
    // The datasets reference each other's keys as generated here, so orders name loaded
    // customers and the star query below shows their countries (not mostly the unknown member).
    const shape = { rows, files: 4 };
    const references = sameShapeReferences(shape);
    for (const spec of DATASETS) {
      // A team's own dataset the generator does not cover (a composite key) gets no sample files;
      // the others' demo still runs.
      const problem = generationProblem(spec);
      if (problem) io.out(`demo: no sample files for ${spec.name}: ${problem}`);
      else generateDataset(spec.name, { seed, ...shape, badShare: 0.05, references, outDir: workspacePaths(workspace).landing });
    }
    dropBrokenExport(workspacePaths(workspace).landing);
    // Loaded here, not at the top: DuckDB and the AWS SDK would slow every other verb and --help.
    const { startLocalRuntime } = await import("../runtime/defaults");
    // Every file is complete before the watcher starts: no need to wait the default settle time.
    const runtime = await startLocalRuntime({ workspace, once: true, settleMs: 250, progress: (e) => io.out(formatProgress(e)) });
    let code: number;
    try {
      const report = await runtime.settle(10 * 60_000);
      io.out(summaryLine(report));
      code = exitCode(report);
      io.out("");
      io.out("audit trail per dataset (`datalake audit` lists every file):");
      const files = await listFiles(runtime.audit, DATASETS.map((d) => d.name));
      io.out(datasetTable(files));
      for (const f of files.filter((x) => x.status === "QUARANTINED")) {
        io.out(`quarantined whole: ${f.key} (${f.reason}); its rows never reached the tables`);
      }
    } finally {
      await runtime.stop();
    }
    io.out("");
    io.out(`sample query: ${DEMO_QUERY}`);
    const queryCode = await queryVerb.run(["--workspace", workspace, DEMO_QUERY], io);
    io.out("");
    io.out(`star schema query: ${STAR_QUERY}`);
    const starCode = await queryVerb.run(["--workspace", workspace, STAR_QUERY], io);
    io.out("");
    io.out(`done in ${((Date.now() - started) / 1000).toFixed(1)}s. Next:`);
    const ws = args.flags.workspace ? ` --workspace ${workspace}` : "";
    const next: [string, string][] = [
      [`npm run local${ws ? ` --${ws}` : ""}`, "watch landing/ and load what you drop there"],
      [`npx datalake audit${ws}`, "every file version: status, rows, reason, run"],
      [`npx datalake query${ws} "SELECT * FROM quarantine_orders LIMIT 5"`, "rows held back, with their reasons"],
      [`npx datalake query${ws} "SELECT * FROM dim_customer WHERE customer_id = 1"`, "one customer's history (SCD2 versions)"],
    ];
    const width = Math.max(...next.map(([cmd]) => cmd.length));
    for (const [cmd, what] of next) io.out(`  ${cmd.padEnd(width)}  # ${what}`);
    return code !== 0 ? code : queryCode !== 0 ? queryCode : starCode;
  },
};

/** The demo's file that goes wrong on purpose. */
export const BROKEN_DEMO_FILE = "orders/export-without-status.csv";

// A producer mistake next to the good files: an export that lost its status column. The file is
// quarantined whole with the reason, and everything else still loads.
function dropBrokenExport(landing: string): void {
  const path = join(landing, BROKEN_DEMO_FILE);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(
    path,
    "order_id,customer_id,order_ts,total_amount,Op,cdc_ts\n9000001,1,2026-11-05 10:00:00,10.00,I,2026-11-05 10:00:00\n",
  );
}

function datasetTable(files: FileItem[]): string {
  const rows = DATASETS.map((spec) => {
    const mine = files.filter((f) => f.dataset === spec.name);
    const count = (s: string) => mine.filter((f) => f.status === s).length;
    const sum = (k: "rowsLoaded" | "rowsQuarantined" | "rowsRejected") => mine.reduce((n, f) => n + (f[k] ?? 0), 0);
    const counts = [count("SUCCEEDED"), count("QUARANTINED"), count("FAILED"), count("SKIPPED")];
    return [spec.name, spec.target.table, mine.length, ...counts, sum("rowsLoaded"), sum("rowsQuarantined"), sum("rowsRejected")];
  });
  return textTable(["dataset", "silver table", "files", "succeeded", "quarantined", "failed", "skipped", "rows loaded", "rows quarantined", "rows rejected"], rows);
}
