// Pulumi program evaluation under mocks for 6, 50 and 100 synthetic datasets: time and resource
// count. Resources must grow linearly: fixed + per-dataset counts are printed and checked against
// the 6-dataset run. Target: <= 15 s for 100 datasets on the dev machine (printed, not asserted).
import { existsSync } from "fs";
import { cpus, loadavg } from "os";
import { join } from "path";
import { DatasetSpec, defineDataset } from "../datasets/define";
import { HANDLER_ENTRIES } from "../handlers/env-contract";
import { REPO_ROOT } from "../infra/lambda-code";
import { DEFAULT_SOURCES } from "../infra/platform";
import { TEST_SOURCES, evaluateProgram } from "../test/mocks";

const SIZES = [6, 50, 100];
const TARGET_MS_100 = 15_000;

/** N orders-like datasets with distinct names, prefixes and tables (every other one with PII). */
export function syntheticDatasets(n: number): DatasetSpec[] {
  return Array.from({ length: n }, (_, i) =>
    defineDataset({
      name: `ds_${i}`,
      prefix: `ds_${i}/`,
      format: "csv",
      columns: {
        id: "bigint",
        customer_email: "string",
        status: "string",
        amount: "decimal(12,2)",
        created_at: "timestamp",
        cdc_ts: "timestamp",
      },
      primaryKey: ["id"],
      cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
      partitionBy: { column: "created_at", prefix: "created" },
      rules: [
        { kind: "not_null", column: "status" },
        { kind: "range", column: "amount", min: 0 },
      ],
      pii: i % 2 === 0 ? [{ column: "customer_email", mode: "exclude" }] : [],
    }),
  );
}

export async function run(): Promise<void> {
  const realHandlers = Object.values(HANDLER_ENTRIES).every((e) => existsSync(join(REPO_ROOT, e)));
  const sources = realHandlers ? DEFAULT_SOURCES : TEST_SOURCES;
  console.log(`handler code: ${realHandlers ? "esbuild bundles (cached after the first evaluation)" : "stub archives (handler entries missing)"}`);
  // Warm-up: module loading, plan compiler and bundles are paid once per process, not per dataset.
  await evaluateProgram({ stack: "prod", datasets: syntheticDatasets(1), sources });

  const rows: { n: number; resources: number; custom: number; wallMs: number; cpuMs: number }[] = [];
  for (const n of SIZES) {
    const datasets = syntheticDatasets(n);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const result = await evaluateProgram({ stack: "prod", datasets, sources });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    rows.push({
      n,
      resources: result.resources.length,
      custom: result.resources.filter((r) => r.custom).length,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
  }
  console.log("datasets  resources  (custom)  wall ms  cpu ms  ms/dataset");
  for (const r of rows) {
    console.log(
      `${String(r.n).padStart(8)}  ${String(r.resources).padStart(9)}  ${String(r.custom).padStart(8)}  ${r.wallMs.toFixed(0).padStart(7)}  ${r.cpuMs.toFixed(0).padStart(6)}  ${(r.wallMs / r.n).toFixed(1).padStart(10)}`,
    );
  }
  const [small, mid, large] = rows;
  const perDataset = (large.resources - mid.resources) / (large.n - mid.n);
  const fixed = mid.resources - perDataset * mid.n;
  const predicted6 = fixed + perDataset * small.n;
  console.log(`resources = ${fixed} fixed + ${perDataset} per dataset (6 datasets: predicted ${predicted6}, measured ${small.resources}: ${predicted6 === small.resources ? "linear" : "NOT linear"})`);
  // Wall time on a shared machine includes waiting for a core; CPU time is what the program costs.
  console.log(`load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
  console.log(`100 datasets: ${large.wallMs.toFixed(0)} ms wall (target <= ${TARGET_MS_100} ms: ${large.wallMs <= TARGET_MS_100 ? "met" : "missed"}), ${large.cpuMs.toFixed(0)} ms CPU`);
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
