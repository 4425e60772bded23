// JSON lines files (datasets of format jsonl) for the read_files step: the rules of
// engine/jsonl-rules.ts decide the file's outcome and its rows' strings in Node (DuckDB's JSON
// reader would print the number 12.50 as "12.5"), then the rows go to a temp table through
// DuckDB's appender, where copyRows reads them like any other file's rows.
import { isUtf8 } from "node:buffer";
import { classifyBytes } from "../file-bytes";
import type { LoadPlan } from "../plan";
import { countJsonLineBytes, JsonlReader, MAX_JSON_LINE_BYTES } from "../jsonl-rules";
import type { FormatChecked } from "./read-formats";
import { ident, type Session } from "./session";

let tables = 0;

/**
 * How much of a file becomes one JS string at a time, cut after a line end: a file may be longer
 * than V8's longest string (512 MB), and a whole file as one string failed every run holding it.
 */
export const JSONL_PIECE_BYTES = 64 * 2 ** 20;

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export async function checkJsonl(
  session: Session,
  plan: LoadPlan,
  raw: Buffer,
  pieceBytes = JSONL_PIECE_BYTES,
  maxLineBytes = MAX_JSON_LINE_BYTES,
): Promise<FormatChecked> {
  // A piece longer than the longest line is then one line: pieceEnd cuts after a line end when it can.
  if (pieceBytes > maxLineBytes) throw new Error(`JSON lines pieces of ${pieceBytes} bytes can hold lines longer than ${maxLineBytes}`);
  const { source } = plan;
  // By bytes, as a CSV file is (file-bytes.ts): gzip is read (Kinesis Data Firehose and most
  // exporters gzip JSON lines), Parquet and other compressions are named.
  const classified = classifyBytes(raw);
  if ("reason" in classified) return { reason: classified.reason, rows: 0 };
  if (classified.kind === "parquet") return { reason: "not_jsonl:parquet", rows: 0 };
  const bytes = classified.text;
  if (!isUtf8(bytes)) return { reason: "not_utf8", rows: countJsonLineBytes(bytes) };
  const declared = [...source.columns.map((c) => c.name), ...(source.opColumn ? [source.opColumn] : [])];

  // Rows go to DuckDB as they are read; a file refused after some of them drops the table.
  const table = `_jsonl_rows_${++tables}`;
  const columns = declared.map((_, i) => `c${i} VARCHAR`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${table} (${[...columns, "n BIGINT"].join(", ")})`);
  const appender = await session.conn.createAppender(table, "main", "temp");
  let rows = 0;
  const reader = new JsonlReader(declared, (row) => {
    for (const value of row) {
      if (value === null) appender.appendNull();
      else appender.appendVarchar(value);
    }
    appender.appendBigInt(BigInt(++rows));
    appender.endRow();
  });
  const bom = UTF8_BOM.every((b, i) => bytes[i] === b) ? UTF8_BOM.length : 0;
  let problem: string | undefined;
  for (let at = bom; at < bytes.length && problem === undefined; ) {
    const end = pieceEnd(bytes, at, pieceBytes);
    problem = lineBytes(bytes, at, end) > maxLineBytes ? reader.longLine(maxLineBytes) : reader.read(bytes.toString("utf8", at, end));
    at = end;
  }
  appender.closeSync();
  const refused = (reason: string, count: number): Promise<FormatChecked> =>
    session.run(`DROP TABLE ${table}`).then(() => ({ reason, rows: count }));
  if (problem !== undefined) return refused(`malformed_jsonl:${problem}`, countJsonLineBytes(bytes, bom));
  const missing = source.columns.filter((c) => !c.optional && !reader.present.has(c.name)).map((c) => c.name);
  // A file without data lines lacks nothing (it loads as 0 rows, like a header-only CSV).
  if (missing.length > 0 && rows > 0) return refused(`missing_column:${missing.join(",")}`, rows);

  const pick = new Map(declared.filter((name) => reader.present.has(name)).map((name) => [name, ident(`c${declared.indexOf(name)}`)]));
  const header = [...reader.present, ...reader.extra];
  return { header, extra: reader.extra, scan: { from: table, pick, rowNumber: "n", connectionLocal: true } };
}

/** Bytes of the piece [at, end) without its line end (LF or CRLF): its line's length when it is one line. */
function lineBytes(bytes: Buffer, at: number, end: number): number {
  let last = end;
  if (last > at && bytes[last - 1] === 0x0a) last--;
  if (last > at && bytes[last - 1] === 0x0d) last--;
  return last - at;
}

/** The end of the piece starting at `at`: just after the last line end within `size` bytes (or the whole line when longer). */
function pieceEnd(bytes: Buffer, at: number, size: number): number {
  if (bytes.length - at <= size) return bytes.length;
  const lastLf = bytes.lastIndexOf(0x0a, at + size - 1);
  if (lastLf >= at) return lastLf + 1;
  const nextLf = bytes.indexOf(0x0a, at + size);
  return nextLf === -1 ? bytes.length : nextLf + 1;
}
