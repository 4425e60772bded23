// Sample-data generator (being written): reproducible CDC files for the reference datasets.
export interface GenerateOptions {
  seed: number;
  rows: number;
  files: number;
  badShare: number;
  outDir: string;
}

export function generateDataset(name: string, options: GenerateOptions): string[] {
  throw new Error(`generator not implemented yet (${name}, ${options.outDir})`);
}
