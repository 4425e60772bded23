// Resident memory of a process and all its descendants (Linux /proc): the Spark server is a
// Python driver, its JVM and the JVM's Python workers.
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

export function treeRss(root: number): number {
  const byParent = children();
  let total = 0;
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      continue;
    }
    todo.push(...(byParent.get(pid) ?? []));
  }
  return total;
}

/** Peak of treeRss(pid) while `work` runs, sampled every `everyMs`. */
export async function peakTreeRss<T>(pid: number, work: () => Promise<T>, everyMs = 250): Promise<{ result: T; peak: number }> {
  let peak = treeRss(pid);
  const timer = setInterval(() => (peak = Math.max(peak, treeRss(pid))), everyMs);
  try {
    const result = await work();
    return { result, peak: Math.max(peak, treeRss(pid)) };
  } finally {
    clearInterval(timer);
  }
}
