// Sample-data generator for the reference datasets: reproducible DMS-style CDC files plus an
// oracle that says what silver must hold after loading them.
import { join } from "path";
import { getDataset } from "../../datasets";
import { generate, GenerateOptions, GenerateReport } from "./generate";
import { FileSink, MemoryFile, MemorySink } from "./sink";

export { generate, FULL_LOAD_NAME, DEFAULT_BAD_SHARE, DEFAULT_FILES } from "./generate";
export type { GenerateOptions, GenerateReport, GeneratedFile } from "./generate";
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
  const sink = new FileSink(options.outDir);
  const report = generate(getDataset(name), options, sink);
  return { paths: report.files.map((f) => join(options.outDir, f.key)), report };
}

/** The same files as strings (tests, the oracle), in the same order as generateDataset. */
export function generateInMemory(name: string, options: GenerateOptions): { files: MemoryFile[]; report: GenerateReport } {
  const sink = new MemorySink();
  const report = generate(getDataset(name), options, sink);
  const byKey = new Map(sink.files.map((f) => [f.key, f]));
  return { files: report.files.map((f) => byKey.get(f.key) as MemoryFile), report };
}
