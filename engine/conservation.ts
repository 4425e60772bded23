// The per-file conservation rule of contracts.ts (FileResult), checked on the run summary before
// publishing, by both executors (glue-scripts/datalake_glue/summary.py conservation_violations is
// its twin; the parity suite compares their audit lists).
import type { AuditResult, FileResult, RunCounts } from "./contracts";

export const CONSERVATION_AUDIT = "summary_conservation";

/** Every broken conservation rule, as readable strings (empty = conserved). */
export function conservationViolations(files: readonly FileResult[], counts: RunCounts): string[] {
  const problems: string[] = [];
  let read = 0;
  let rejected = 0;
  let quarantinedWhole = 0;
  for (const f of files) {
    const parts = [f.rowsLoaded, f.rowsQuarantined, f.rowsRejected];
    if (Math.min(...parts, f.rowsRead) < 0 || parts[0] + parts[1] + parts[2] !== f.rowsRead) {
      problems.push(`${f.key}: rowsRead ${f.rowsRead} != loaded ${parts[0]} + quarantined ${parts[1]} + rejected ${parts[2]}`);
    }
    // Run-level counts include files quarantined whole, not files already loaded.
    if (f.outcome !== "ALREADY_LOADED") {
      read += f.rowsRead;
      rejected += f.rowsRejected;
      if (f.outcome === "QUARANTINED") quarantinedWhole += f.rowsQuarantined;
    }
  }
  if (counts.rowsRead !== read) problems.push(`run rowsRead ${counts.rowsRead} != sum over files ${read}`);
  if (counts.rejectedRows !== rejected) problems.push(`run rejectedRows ${counts.rejectedRows} != sum over files ${rejected}`);
  if (counts.quarantinedFileRows !== quarantinedWhole) {
    problems.push(`run quarantinedFileRows ${counts.quarantinedFileRows} != sum over files quarantined whole ${quarantinedWhole}`);
  }
  if (counts.currentRows !== counts.silverRows + counts.quarantineRows) {
    problems.push(`currentRows ${counts.currentRows} != silver ${counts.silverRows} + quarantine ${counts.quarantineRows}`);
  }
  return problems;
}

export function conservationAudit(files: readonly FileResult[], counts: RunCounts): AuditResult {
  const problems = conservationViolations(files, counts);
  const audit: AuditResult = { name: CONSERVATION_AUDIT, passed: problems.length === 0, violations: problems.length };
  if (problems.length > 0) audit.detail = problems.slice(0, 5).join("; ");
  return audit;
}
