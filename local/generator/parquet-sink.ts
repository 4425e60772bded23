// Parquet files as a DMS endpoint with DataFormat=parquet writes them: the source table's columns
// typed (bigint as INT64, decimal(p,s) as DECIMAL(p,s), timestamp as TIMESTAMP in microseconds,
// or milliseconds with ParquetTimestampInMillisecond=true), `Op` as a string first in change
// files only. The generator writes each file's rows as headerless CSV text (it is synchronous and
// byte-exact); this sink stages that text and `finish()` has DuckDB cast and write each file.
// A plain CAST, never TRY_CAST: a value that does not fit its type is a generator bug, not a
// NULL to write silently.
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { basename, dirname, join } from "path";
import { mkdirSync } from "fs";
import type { DatasetSpec } from "../../datasets";
import { DIALECTS } from "../../engine/dialects";
import type { GenerateReport } from "./generate";
import { FileSink, type Sink } from "./sink";

export interface ParquetOptions {
  /** ParquetTimestampInMillisecond=true: timestamps as TIMESTAMP(MILLIS). @default false (micros) */
  timestampMillis?: boolean;
  /** CompressionType=GZIP: pages compressed with the GZIP codec. @default false (snappy) */
  gzip?: boolean;
}

export class ParquetSink implements Sink {
  private readonly staging = mkdtempSync(join(tmpdir(), "datalake-gen-parquet-"));
  private readonly csv = new FileSink(this.staging);

  constructor(private readonly root: string) {}

  open(key: string): void {
    this.csv.open(key);
  }

  write(text: string): void {
    this.csv.write(text);
  }

  close(): void {
    this.csv.close();
  }

  /** Writes every staged file as Parquet under the root (same keys) and returns their paths. */
  async finish(spec: DatasetSpec, report: GenerateReport, options: ParquetOptions = {}): Promise<string[]> {
    const { openSession, exactPath, lit, ident } = await import("../../engine/duckdb/session");
    const session = await openSession({ threads: 1, memoryLimit: "1GB" });
    try {
      const types = new Map(spec.columns.map((c) => [c.name, c.type]));
      const opColumn = spec.cdc?.opColumn ?? "Op";
      const paths: string[] = [];
      for (const file of report.files) {
        // DMS puts Op first in change files only (a full load has none: IncludeOpForFullLoad=false).
        const columns = basename(file.key).startsWith("LOAD") ? report.columns : [opColumn, ...report.columns];
        const scan = columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(", ");
        const select = columns.map((name, i) => {
          const type = types.get(name);
          const sqlType = type === undefined ? "VARCHAR" : type === "timestamp" && options.timestampMillis ? "TIMESTAMP_MS" : DIALECTS.duckdb.sqlType(type);
          return `CAST(c${i} AS ${sqlType}) AS ${ident(name)}`;
        });
        const target = join(this.root, file.key);
        mkdirSync(dirname(target), { recursive: true });
        await session.run(
          `COPY (SELECT ${select.join(", ")} FROM read_csv(${lit(exactPath(join(this.staging, file.key)))}, header = false, ` +
            `auto_detect = false, columns = {${scan}}, delim = ',', quote = '"', escape = '"', nullstr = '')) ` +
            `TO ${lit(target)} (FORMAT parquet, COMPRESSION ${options.gzip ? "gzip" : "snappy"})`,
        );
        paths.push(target);
      }
      return paths;
    } finally {
      session.close();
      rmSync(this.staging, { recursive: true, force: true });
    }
  }

  /** Drops the staged text (when generation failed before finish). */
  discard(): void {
    rmSync(this.staging, { recursive: true, force: true });
  }
}
