// When each materialized relation of a load can be dropped. DuckDB keeps a temp table in memory
// until it is dropped, and the process's peak RSS is the sum of the intermediates alive at once
// (issue 15): incoming_parsed alone holds every raw column of every new row. Dropping a table
// right after the last step that reads it lets later steps reuse its memory.
import type { PlanStep } from "../plan";

/**
 * For each step index, the `table` sql steps to drop once that step ran: tables no later step
 * reads, directly or through views. `finalReads` (audits, summary queries) run after the last
 * step, so a table they read is never dropped. A relation counts as read wherever its name
 * appears as a word in the SQL: a false match only keeps a table longer.
 */
export function dropsAfterLastRead(steps: readonly PlanStep[], finalReads: readonly string[]): Map<number, string[]> {
  const names = steps.flatMap((s) => (s.kind === "sql" ? [s.name] : []));
  const viewReads = new Map<string, Set<string>>();
  const tables = new Set<string>();
  const lastRead = new Map<string, number>();
  const readsOf = (sql: string): Set<string> => {
    const reads = new Set<string>();
    for (const name of names.filter((n) => mentions(sql, n))) {
      reads.add(name);
      for (const r of viewReads.get(name) ?? []) reads.add(r);
    }
    return reads;
  };
  steps.forEach((step, i) => {
    const reads = readsOf(stepReads(step));
    for (const name of reads) if (tables.has(name)) lastRead.set(name, i);
    if (step.kind !== "sql") return;
    // A view reads its sources whenever it is read; a table read them once, now.
    if (step.materialize === "view") viewReads.set(step.name, reads);
    else tables.add(step.name);
  });
  const kept = readsOf(finalReads.join("\n"));
  const drops = new Map<number, string[]>();
  for (const [name, i] of lastRead) {
    if (kept.has(name)) continue;
    drops.set(i, [...(drops.get(i) ?? []), name]);
  }
  return drops;
}

/** The SQL (or relation name) a step reads when it runs; IO steps that read no relation: "". */
function stepReads(step: PlanStep): string {
  switch (step.kind) {
    case "sql":
    case "refresh_check":
      return step.sql;
    case "stage":
    case "merge":
      return step.from;
    default:
      return "";
  }
}

function mentions(sql: string, name: string): boolean {
  return new RegExp(`\\b${name}\\b`).test(sql);
}
