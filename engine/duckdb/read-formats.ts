// Which reader takes a file that is not read as CSV, decided by the dataset's format and the
// file's bytes (never its name). read-files.ts calls checkByFormat once per file after its
// empty-file check; `undefined` means "the CSV path reads it" (csv, and dms text files).
import type { ManifestFile } from "../contracts";
import type { LoadPlan } from "../plan";
import { checkJsonl } from "./read-jsonl";
import { checkParquet, isParquet } from "./read-parquet";
import type { Session } from "./session";

/**
 * How copyRows reads an accepted non-CSV file: `from` is a relation, `pick` the SQL of each
 * declared column (spec columns and the Op column) the file holds, already a bronze string.
 */
export interface Scan {
  from: string;
  pick: Map<string, string>;
  /** 1-based position of the row in its file. */
  rowNumber: string;
  /** `from` is a temp table of the session's own connection, which no other connection sees. */
  connectionLocal?: boolean;
}

export type FormatChecked = { reason: string; rows: number } | { header: string[]; extra: string[]; scan: Scan };

export async function checkByFormat(
  session: Session,
  plan: LoadPlan,
  file: ManifestFile & { localPath: string },
  bytes: Buffer,
): Promise<FormatChecked | undefined> {
  const { format } = plan.source;
  if (format === "parquet") return isParquet(bytes) ? checkParquet(session, plan, file.localPath, bytes) : { reason: "not_parquet", rows: 0 };
  if (format === "jsonl") return checkJsonl(session, plan, bytes);
  if (format === "dms" && isParquet(bytes)) return checkParquet(session, plan, file.localPath, bytes);
  return undefined;
}
