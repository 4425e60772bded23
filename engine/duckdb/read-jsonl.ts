// JSON lines files (datasets of format jsonl) for the read_files step: the rules of
// engine/jsonl-rules.ts decide the file's outcome and its rows' strings in Node (DuckDB's JSON
// reader would print the number 12.50 as "12.5"), then the rows go to a temp table through
// DuckDB's appender, where copyRows reads them like any other file's rows.
import { isUtf8 } from "node:buffer";
import { classifyBytes } from "../file-bytes";
import type { LoadPlan } from "../plan";
import { countJsonLines, parseJsonLines } from "../jsonl-rules";
import type { FormatChecked } from "./read-formats";
import { ident, type Session } from "./session";

let tables = 0;

export async function checkJsonl(session: Session, plan: LoadPlan, raw: Buffer): Promise<FormatChecked> {
  const { source } = plan;
  // By bytes, as a CSV file is (file-bytes.ts): gzip is read (Kinesis Data Firehose and most
  // exporters gzip JSON lines), Parquet and other compressions are named.
  const classified = classifyBytes(raw);
  if ("reason" in classified) return { reason: classified.reason, rows: 0 };
  if (classified.kind === "parquet") return { reason: "not_jsonl:parquet", rows: 0 };
  const bytes = classified.text;
  if (!isUtf8(bytes)) return { reason: "not_utf8", rows: countJsonLines(bytes.toString("latin1")) };
  const declared = [...source.columns.map((c) => c.name), ...(source.opColumn ? [source.opColumn] : [])];
  const parsed = parseJsonLines(bytes.toString("utf8"), declared);
  if ("problem" in parsed) return { reason: `malformed_jsonl:${parsed.problem}`, rows: parsed.lines };
  const missing = source.columns.filter((c) => !c.optional && !parsed.present.has(c.name)).map((c) => c.name);
  // A file without data lines lacks nothing (it loads as 0 rows, like a header-only CSV).
  if (missing.length > 0 && parsed.rows.length > 0) return { reason: `missing_column:${missing.join(",")}`, rows: parsed.rows.length };

  const table = `_jsonl_rows_${++tables}`;
  const columns = declared.map((_, i) => `c${i} VARCHAR`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${table} (${[...columns, "n BIGINT"].join(", ")})`);
  const appender = await session.conn.createAppender(table, "main", "temp");
  for (const [i, row] of parsed.rows.entries()) {
    for (const value of row) {
      if (value === null) appender.appendNull();
      else appender.appendVarchar(value);
    }
    appender.appendBigInt(BigInt(i + 1));
    appender.endRow();
  }
  appender.closeSync();
  const pick = new Map(declared.filter((name) => parsed.present.has(name)).map((name) => [name, ident(`c${declared.indexOf(name)}`)]));
  const header = [...parsed.present, ...parsed.extra];
  return { header, extra: parsed.extra, scan: { from: table, pick, rowNumber: "n" } };
}
