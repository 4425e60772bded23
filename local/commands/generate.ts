// `datalake generate`: sample CDC files for the reference datasets (see local/generator/).
import { DATASETS, getDataset } from "../../datasets";
import { ArgSpec, intFlag, MAX_GENERATED_ROWS, parseArgs, UsageError, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import type { Verb } from "../cli-verb";
import { DEFAULT_FORMAT, generationProblem, OUTPUT_FORMATS, sameShapeReferences, writeDataset, type OutputFormat } from "../generator";
import { dirname, join, resolve } from "path";

const SPEC: ArgSpec = {
  flags: {
    dataset: { type: "string", value: "NAME", help: "dataset to generate" },
    all: { type: "boolean", help: "generate every reference dataset" },
    rows: { type: "string", value: "N", help: "data rows per dataset, full load + changes (default 1000); datasets generated with the same rows and files reference each other's keys" },
    files: { type: "string", value: "N", help: "change files after the full load (default 4)" },
    seed: { type: "string", value: "S", help: "PRNG seed (default 1)" },
    format: {
      type: "string",
      value: "F",
      help: `${OUTPUT_FORMATS.join(" | ")}: DMS defaults (no header, no timestamp), DMS DataFormat=parquet, or header + cdc_ts (default ${DEFAULT_FORMAT} for a dms dataset, csv for a csv one)`,
    },
    gzip: { type: "boolean", help: "CompressionType=GZIP: gzip CSV files (.csv.gz), GZIP-codec Parquet pages" },
    "bad-share": { type: "string", value: "F", help: "share of bad rows, 0..1 (default 0.05)" },
    out: { type: "string", value: "DIR", help: "output directory, files go to DIR/<prefix> (default <workspace>/landing)" },
    ...WORKSPACE_FLAG,
  },
};
const SUMMARY = "write reproducible sample CDC files (full load + changes) for a dataset";

export const generateVerb: Verb = {
  name: "generate",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("generate", argv, SPEC);
    if (args.help) {
      io.out(usageText("generate", SUMMARY, SPEC));
      return 0;
    }
    // Without --out the files land where `datalake local` picks them up.
    const out = typeof args.flags.out === "string" ? resolve(args.flags.out) : join(workspaceDir(args.flags.workspace), "landing");
    const rows = intFlag("generate", args, "rows", 1000, { min: 0, max: MAX_GENERATED_ROWS });
    const files = intFlag("generate", args, "files", 4);
    const seed = intFlag("generate", args, "seed", 1);
    const badShare = args.flags["bad-share"] === undefined ? 0.05 : Number(args.flags["bad-share"]);
    if (!(badShare >= 0 && badShare <= 1)) throw new UsageError("generate: --bad-share must be between 0 and 1");
    // Unset: each dataset's default (DEFAULT_FORMAT for a dms dataset, csv for a csv one).
    const format = args.flags.format as OutputFormat | undefined;
    if (format !== undefined && !OUTPUT_FORMATS.includes(format)) {
      throw new UsageError(`generate: --format must be one of ${OUTPUT_FORMATS.join(", ")} (got "${format}")`);
    }
    let names: string[];
    if (args.flags.all) names = DATASETS.map((d) => d.name);
    else if (typeof args.flags.dataset === "string") names = [args.flags.dataset];
    else throw new UsageError("generate: --dataset NAME or --all is required");
    for (const name of names) {
      if (!DATASETS.some((d) => d.name === name)) {
        throw new UsageError(`generate: unknown dataset "${name}" (known: ${DATASETS.map((d) => d.name).join(", ")})`);
      }
    }
    // Datasets generated with the same --rows and --files reference each other's keys (an order's
    // customer_id names a generated customer), whether generated together or one at a time.
    const references = sameShapeReferences({ rows, files });
    for (const name of names) {
      // --all covers the datasets it can: one the generator does not cover (a composite key, a
      // decimal key) must not stop the others' files, as a team's own datasets join the registry.
      const problem = args.flags.all ? generationProblem(getDataset(name)) : undefined;
      if (problem) {
        io.err(`generate: skipped ${name}: ${problem}`);
        continue;
      }
      const { paths: written } = await writeDataset(name, { seed, rows, files, badShare, format, references, gzip: Boolean(args.flags.gzip), outDir: out });
      io.out(`${name}: ${written.length} files, ${rows} rows -> ${written[0] ? dirname(written[0]) : out}`);
    }
    return 0;
  },
};
