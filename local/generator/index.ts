// Sample-data generator for the reference datasets: reproducible DMS-style CDC files plus an
// oracle that says what silver must hold after loading them.
import { readFileSync, unlinkSync, writeFileSync } from "fs";
import { join } from "path";
import { gzipSync } from "zlib";
import { getDataset } from "../../datasets";
import { generate, GenerateOptions, GenerateReport } from "./generate";
import { ParquetSink, type ParquetOptions } from "./parquet-sink";
import { FileSink, MemoryFile, MemorySink } from "./sink";

export { generate, generationProblem, fullLoadKeys, fullLoadName, sameShapeReferences, FULL_LOAD_NAME, DEFAULT_BAD_SHARE, DEFAULT_FILES, DEFAULT_FORMAT, OUTPUT_FORMATS } from "./generate";
export type { GenerateOptions, GenerateReport, GeneratedFile, OutputFormat } from "./generate";
export type { ParquetOptions } from "./parquet-sink";
export { DEFAULT_REFERENCES, type References } from "./profiles";
export type { MemoryFile } from "./sink";
export { expectedState, readCsvRows } from "./oracle";
export type { ExpectedState, SourceFile } from "./oracle";

/**
 * Writes the files of one dataset under `<outDir>/<prefix>` (streamed in large chunks: a million
 * rows take a few seconds) and returns their absolute paths: the full load first, then the
 * change files in name order.
 */
export function generateDataset(name: string, options: GenerateOptions & { outDir: string }): string[] {
  return generateDatasetWithReport(name, options).paths;
}

export function generateDatasetWithReport(
  name: string,
  options: GenerateOptions & { outDir: string },
): { paths: string[]; report: GenerateReport } {
  if (options.format === "dms-parquet") throw new Error("dms-parquet files are written by writeDataset (async: DuckDB writes them)");
  const sink = new FileSink(options.outDir);
  const report = generate(getDataset(name), options, sink);
  return { paths: report.files.map((f) => join(options.outDir, f.key)), report };
}

export interface WriteOptions extends GenerateOptions {
  outDir: string;
  parquet?: ParquetOptions;
  /**
   * CompressionType=GZIP: CSV files are gzipped whole (`LOAD00000001.csv.gz`, as DMS names
   * them); Parquet files keep their name and compress their pages with the GZIP codec.
   */
  gzip?: boolean;
}

/** Any format, Parquet included: the files of one dataset under `<outDir>/<prefix>`, as generateDataset. */
export async function writeDataset(name: string, options: WriteOptions): Promise<{ paths: string[]; report: GenerateReport }> {
  if (options.format !== "dms-parquet") {
    const written = generateDatasetWithReport(name, options);
    return options.gzip ? gzipFiles(written, options.outDir) : written;
  }
  const spec = getDataset(name);
  const sink = new ParquetSink(options.outDir);
  let report: GenerateReport;
  try {
    report = generate(spec, options, sink);
  } catch (e) {
    sink.discard();
    throw e;
  }
  return { paths: await sink.finish(spec, report, { ...options.parquet, gzip: options.gzip }), report };
}

/** Replaces each file by its gzip (`.gz` appended); the report names the new keys. */
function gzipFiles(written: { paths: string[]; report: GenerateReport }, outDir: string): { paths: string[]; report: GenerateReport } {
  for (const path of written.paths) {
    // Node writes no name and mtime 0 in the gzip header: the same input gives the same bytes.
    writeFileSync(`${path}.gz`, gzipSync(readFileSync(path)));
    unlinkSync(path);
  }
  const files = written.report.files.map((f) => ({ ...f, key: `${f.key}.gz` }));
  return { paths: files.map((f) => join(outDir, f.key)), report: { ...written.report, files } };
}

/** The same files as strings (tests, the oracle), in the same order as generateDataset. */
export function generateInMemory(name: string, options: GenerateOptions): { files: MemoryFile[]; report: GenerateReport } {
  const sink = new MemorySink();
  const report = generate(getDataset(name), options, sink);
  const byKey = new Map(sink.files.map((f) => [f.key, f]));
  return { files: report.files.map((f) => byKey.get(f.key) as MemoryFile), report };
}
