// Resident memory of a process and all its descendants (Linux /proc): the Spark server is a
// Python driver, its JVM and the JVM's Python workers. Each process counts its proportional set
// size (PSS: a page shared by n processes counts 1/n in each), not its RSS: a process the JVM
// forks (seen from its task threads during loads) shows the JVM's whole RSS until it execs, and
// pyspark's workers are forks of its daemon, so summing RSS counted those pages twice. A
// 1,000,000-order Spark load "peaked" at 5.3 GB that way, its JVM at 2.7 GB.
// VmRSS stands in where smaps_rollup is unreadable (kernels before 4.14).
import { readdirSync, readFileSync } from "fs";

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Fields after the command (which may hold spaces) start after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      byParent.set(parent, [...(byParent.get(parent) ?? []), Number(name)]);
    } catch {
      // the process ended while we looked
    }
  }
  return byParent;
}

export function treeMemory(root: number): number {
  const byParent = children();
  let total = 0;
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    const bytes = residentBytes(pid);
    if (bytes === null) continue; // the process ended while we looked
    total += bytes;
    todo.push(...(byParent.get(pid) ?? []));
  }
  return total;
}

function residentBytes(pid: number): number | null {
  for (const [file, field] of [["smaps_rollup", "Pss"], ["status", "VmRSS"]]) {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/${file}`, "utf8"));
      if (m) return Number(m[1]) * 1024;
    } catch {
      // unreadable: try the next source
    }
  }
  return null;
}

/** Peak of treeMemory(pid) while `work` runs, sampled every `everyMs`. */
export async function peakTreeMemory<T>(pid: number, work: () => Promise<T>, everyMs = 250): Promise<{ result: T; peak: number }> {
  let peak = treeMemory(pid);
  const timer = setInterval(() => (peak = Math.max(peak, treeMemory(pid))), everyMs);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, treeMemory(pid)) };
  } finally {
    clearInterval(timer);
  }
}
