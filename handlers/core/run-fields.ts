// What a RUN item keeps of a run summary. DynamoDB refuses an item over 400 KB, and a RUN whose
// final write is refused stays RUNNING for ever: its slot held until the lease runs out, every
// reconciler pass failing on it (and re-requesting its models). A backlog of 120 files that all
// gained 150 columns writes ~450 KB of drift warnings. The run summary in the ops bucket keeps
// everything; the RUN item keeps a bounded part, and says how much there was.
import type { AuditResult } from "../../engine/contracts";
import type { RunItem } from "../audit/items";

/** Drift warnings kept on the RUN item. */
export const RUN_WARNINGS_KEPT = 20;
/** Characters kept of one text (an error, a warning, an audit's detail). */
export const RUN_TEXT_CHARS = 2000;
/** Extra column names kept on a FILE item (the run summary keeps them all). */
export const FILE_EXTRA_COLUMNS_KEPT = 100;

export function clipText(text: string, max?: number): string;
export function clipText(text: string | undefined, max?: number): string | undefined;
export function clipText(text: string | undefined, max = RUN_TEXT_CHARS): string | undefined {
  if (text === undefined || text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length - max} more characters in the run summary)`;
}

/** The audits with each detail clipped. */
export function boundedAudits(audits: AuditResult[] | undefined): AuditResult[] | undefined {
  return audits?.map((a) => (a.detail === undefined ? a : { ...a, detail: clipText(a.detail) }));
}

/** The first RUN_WARNINGS_KEPT drift warnings, clipped, and their total when some were left out. */
export function boundedWarnings(warnings: string[] | undefined): Pick<RunItem, "driftWarnings" | "driftWarningCount"> {
  if (!warnings?.length) return {};
  const kept = warnings.slice(0, RUN_WARNINGS_KEPT).map((w) => clipText(w));
  return warnings.length > kept.length ? { driftWarnings: kept, driftWarningCount: warnings.length } : { driftWarnings: kept };
}

/**
 * A file's extra columns as its FILE item keeps them: the first FILE_EXTRA_COLUMNS_KEPT, each
 * clipped, and their total when some were left out. The same 400 KB limit as the RUN's: a
 * JSON-lines file whose rows carry keys of their own (a map written as top-level keys) has their
 * union as extra columns (20,000 names of 36 characters: ~740 KB), and the refused FILE write
 * failed the finalize on every retry: the RUN, which had published, stayed RUNNING, its models
 * were never requested and every reconciler pass failed on it.
 */
export function boundedExtraColumns(columns: string[] | undefined): { extraColumns?: string[]; extraColumnCount?: number } {
  if (!columns?.length) return {};
  const kept = columns.slice(0, FILE_EXTRA_COLUMNS_KEPT).map((c) => clipText(c, 200));
  return columns.length > kept.length ? { extraColumns: kept, extraColumnCount: columns.length } : { extraColumns: kept };
}
