// Benchmark (a), engine overhead: the full pipeline (parse + bronze + rejects + state merge +
// typing/labels + silver/quarantine + audits + atomic publish) on 1,000,000 generated orders
// rows, against DuckDB's bare CSV -> Parquet copy of the same files, in the same process with
// the same DuckDB settings. Target ratio <= 2.0, goal 1.5.
import { mkdirSync } from "fs";
import { join } from "path";
import { getDataset } from "../datasets";
import { openSession, runLoad } from "../engine/duckdb";
import { fileList } from "../engine/duckdb/session";
import { generateDataset } from "../local/generator";
import { benchManifest, mb, measure, perSec, sec, sizeOf } from "./engine-measure";

export const OVERHEAD_ROWS = Number(process.env.BENCH_ENGINE_ROWS ?? 1_000_000);
const TARGET = 2.0;
const GOAL = 1.5;

export async function engineOverhead(tmp: string): Promise<void> {
  const spec = getDataset("orders");
  const out = join(tmp, "overhead-gen");
  const gen = await measure(async () => generateDataset("orders", { seed: 1, rows: OVERHEAD_ROWS, files: 4, badShare: 0.02, outDir: out }));
  const paths = gen.result;
  console.log(`generated ${OVERHEAD_ROWS.toLocaleString("en-US")} orders rows in ${paths.length} files (${mb(sizeOf(paths))}) in ${sec(gen.ms)}`);

  // Bare copy: read every file as strings (as the pipeline does; type sniffing would also fail
  // on the bad rows) and write one Parquet file.
  const bareOut = join(tmp, "bare");
  mkdirSync(bareOut, { recursive: true });
  const bare = await measure(async () => {
    const session = await openSession({ tempDirectory: join(tmp, "bare-tmp") });
    try {
      return await session.run(
        `COPY (SELECT * FROM read_csv(${fileList(paths)}, header = true, all_varchar = true, union_by_name = true)) ` +
          `TO '${join(bareOut, "orders.parquet")}' (FORMAT parquet)`,
      );
    } finally {
      session.close();
    }
  });

  const workspace = join(tmp, "overhead-ws");
  const pipeline = await measure(() =>
    runLoad({ workspace, spec, manifest: benchManifest(spec, out, paths, "bench-overhead"), writeSummary: false }),
  );
  const s = pipeline.result;

  const ratio = pipeline.ms / bare.ms;
  console.log(`bare DuckDB COPY csv->parquet : ${sec(bare.ms).padStart(9)}  ${perSec(OVERHEAD_ROWS, bare.ms)}, peak RSS ${mb(bare.peakRss)} (${bare.result} rows)`);
  console.log(`full pipeline (runLoad)       : ${sec(pipeline.ms).padStart(9)}  ${perSec(OVERHEAD_ROWS, pipeline.ms)}, peak RSS ${mb(pipeline.peakRss)}`);
  console.log(`  ${s.status}: read ${s.counts.rowsRead}, bronze ${s.counts.bronzeRows}, rejected ${s.counts.rejectedRows}, current ${s.counts.currentRows} = silver ${s.counts.silverRows} + quarantine ${s.counts.quarantineRows}`);
  console.log(
    `overhead ratio pipeline / bare copy: ${ratio.toFixed(2)} (target <= ${TARGET.toFixed(1)}, goal ${GOAL}) -> ` +
      `${ratio <= GOAL ? "meets goal" : ratio <= TARGET ? "meets target" : "MISSES target"}`,
  );
}
