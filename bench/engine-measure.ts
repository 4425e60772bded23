// Measuring helpers for the engine benchmarks: wall time plus peak resident memory, sampled
// while the work runs (DuckDB runs on its own threads, so the event loop stays free to sample).
import { statSync } from "fs";
import { basename, join } from "path";
import type { DatasetSpec } from "../datasets";
import { CONTRACT_VERSION, Manifest } from "../engine/contracts";

export interface Measured<T> {
  result: T;
  ms: number;
  /** CPU time of the process (user + system, all threads incl. DuckDB's), ms: less sensitive
   * than wall time to other work on a shared machine. */
  cpuMs: number;
  /** Peak RSS of the whole process during the call, bytes. */
  peakRss: number;
}

export async function measure<T>(work: () => Promise<T>, sampleEveryMs = 25): Promise<Measured<T>> {
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, sampleEveryMs);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  try {
    const result = await work();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { result, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRss };
  } finally {
    clearInterval(timer);
  }
}

/** A manifest for generated files (object key = path under the generator's output root). */
export function benchManifest(spec: DatasetSpec, root: string, paths: string[], runId: string, fullRefresh = false): Manifest {
  return {
    version: CONTRACT_VERSION,
    dataset: spec.name,
    runId,
    createdAt: "2026-11-21T00:00:00.000Z",
    ...(fullRefresh ? { fullRefresh: true } : {}),
    files: paths.map((path) => {
      const size = statSync(path).size;
      const key = path.slice(root.length + 1).split("\\").join("/");
      return {
        fileId: `bench/${key}`,
        bucket: "bench",
        key,
        versionId: `v-${basename(path)}-${size}`,
        etag: `e-${size}`,
        sequencer: "0",
        size,
        receivedAt: "2026-11-21T00:00:00.000Z",
        localPath: path,
      };
    }),
  };
}

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const perSec = (rows: number, ms: number): string => `${Math.round(rows / (ms / 1000)).toLocaleString("en-US")} rows/s`;
export const sizeOf = (paths: string[]): number => paths.reduce((n, p) => n + statSync(p).size, 0);
export const joinPath = join;
