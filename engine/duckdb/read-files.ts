// The read_files IO step (see ReadFilesStep in engine/plan.ts) for local files: byte checks in
// Node (empty, UTF-8, header), row parsing by DuckDB's CSV reader with every type fixed to
// VARCHAR (no sniffing: a file is read the same way whatever its content looks like).
import * as fs from "node:fs";
import { isUtf8 } from "node:buffer";
import type { FileResult, Manifest, ManifestFile } from "../contracts";
import { BRONZE_LINEAGE, FILES_COLUMNS, type LoadPlan, type ReadFilesStep } from "../plan";
import { ident, lit, type Session } from "./session";

export interface ReadResult {
  /** Files that did not reach bronze (ALREADY_LOADED or rejected whole), in manifest order. */
  skipped: FileResult[];
  /** Accepted files with their drift, keyed by fileId. */
  accepted: Map<string, { file: ManifestFile; version: string; rowsRead: number; extraColumns: string[] }>;
  driftWarnings: string[];
  /** Every manifest listing in order: its skip result, or the fileId of an accepted file. */
  order: Array<{ fileId: string; skipped?: FileResult }>;
}

export const objectVersion = (f: ManifestFile): string => f.versionId ?? `etag:${f.etag}`;
export const ledgerKey = (key: string, version: string): string => `${key}\u0000${version}`;

export async function readFiles(
  session: Session,
  plan: LoadPlan,
  step: ReadFilesStep,
  manifest: Manifest,
  loaded: Set<string>,
): Promise<ReadResult> {
  const { source } = plan;
  if (source.format !== "csv") {
    throw new Error(`dataset ${plan.dataset}: format ${source.format} is not supported by the DuckDB executor (csv only)`);
  }
  // Rows are stored narrow: data columns, raw Op, row number and a small file index. The lineage
  // strings that are constant per file (key, version, file id, run id, data date: longer than
  // the data itself) live once per file in a lineage table, and `output` is a view joining the
  // two. Copying them into every row cost ~40% of the read and slowed every later copy.
  const rowsTable = `${step.output}__rows`;
  const lineageTable = `${step.output}__lineage`;
  const perFile = ["_source_key", "_source_version", "_file_id", "_run_id", "_data_date"];
  const rowCols = [...source.columns.map((c) => c.name), "_op"];
  const rowDefs = rowCols.map((c) => `${ident(c)} VARCHAR`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${rowsTable} (${rowDefs.join(", ")}, _row_number BIGINT, _file_index INTEGER)`);
  await session.run(
    `CREATE OR REPLACE TEMP TABLE ${lineageTable} (_file_index INTEGER, ${perFile.map((c) => `${ident(c)} VARCHAR`).join(", ")})`,
  );
  const viewCols = [...source.columns.map((c) => c.name), ...BRONZE_LINEAGE.map((l) => l.name)].map((c) =>
    `${perFile.includes(c) ? "l" : "r"}.${ident(c)}`,
  );
  await session.run(
    `CREATE OR REPLACE TEMP VIEW ${step.output} AS SELECT ${viewCols.join(", ")} ` +
      `FROM ${rowsTable} r JOIN ${lineageTable} l ON r._file_index = l._file_index`,
  );
  const fileDefs = FILES_COLUMNS.map((c) => `${ident(c.name)} ${c.type === "bigint" ? "BIGINT" : "VARCHAR"}`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${step.filesOutput} (${fileDefs.join(", ")})`);

  const result: ReadResult = { skipped: [], accepted: new Map(), driftWarnings: [], order: [] };
  const seen = new Set(loaded);
  for (const file of manifest.files) {
    const version = objectVersion(file);
    const base = { fileId: file.fileId, key: file.key, versionId: file.versionId };
    const skip = (r: FileResult) => {
      result.skipped.push(r);
      result.order.push({ fileId: file.fileId, skipped: r });
    };
    if (seen.has(ledgerKey(file.key, version)) || result.accepted.has(file.fileId)) {
      skip({ ...base, outcome: "ALREADY_LOADED", rowsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, rowsRejected: 0 });
      continue;
    }
    seen.add(ledgerKey(file.key, version));
    const checked = await checkFile(session, plan, file);
    if ("reason" in checked) {
      const n = checked.rows;
      skip({ ...base, outcome: "QUARANTINED", reason: checked.reason, rowsRead: n, rowsLoaded: 0, rowsQuarantined: 0, rowsRejected: n });
      continue;
    }
    const { header, extra } = checked;
    const dataDate = utcDate(file.receivedAt);
    const position = new Map(header.map((h, i) => [h, i]));
    const pick = (name: string) => (position.has(name) ? `c${position.get(name)}` : "NULL");
    const fileIndex = result.accepted.size;
    const exprs = [...source.columns.map((c) => pick(c.name)), source.opColumn ? pick(source.opColumn) : "NULL", "__rn", String(fileIndex)];
    let rows: number;
    try {
      rows = await session.run(
        `INSERT INTO ${rowsTable} SELECT ${exprs.join(", ")} ` +
          `FROM (SELECT *, row_number() OVER () AS __rn FROM ${csvScan(file.localPath!, header.length, source.csv)})`,
      );
    } catch (e) {
      const n = countLines(fs.readFileSync(file.localPath!));
      const reason = `malformed_csv:${csvError(e)}`;
      skip({ ...base, outcome: "QUARANTINED", reason, rowsRead: n, rowsLoaded: 0, rowsQuarantined: 0, rowsRejected: n });
      continue;
    }
    const lineage = [lit(file.key), lit(version), lit(file.fileId), lit(manifest.runId), lit(dataDate)];
    await session.run(`INSERT INTO ${lineageTable} VALUES (${fileIndex}, ${lineage.join(", ")})`);
    const values = [lit(file.fileId), lit(file.key), lit(version), lit(manifest.runId), lit(dataDate), String(rows)];
    await session.run(`INSERT INTO ${step.filesOutput} VALUES (${values.join(", ")})`);
    if (extra.length > 0) result.driftWarnings.push(`${file.key}: extra column(s) ${extra.join(", ")}`);
    result.accepted.set(file.fileId, { file, version, rowsRead: rows, extraColumns: extra });
    result.order.push({ fileId: file.fileId });
  }
  return result;
}

type Checked = { header: string[]; extra: string[] } | { reason: string; rows: number };

/** Whole-file checks, cheapest first. */
async function checkFile(session: Session, plan: LoadPlan, file: ManifestFile): Promise<Checked> {
  const { source } = plan;
  if (!file.localPath) return { reason: "unreadable:manifest file has no localPath", rows: 0 };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file.localPath);
  } catch (e) {
    return { reason: `unreadable:${(e as Error).message}`, rows: 0 };
  }
  if (bytes.length === 0) return { reason: "empty_file", rows: 0 };
  if (!isUtf8(bytes)) return { reason: "not_utf8", rows: countLines(bytes) };
  const header = readHeader(bytes, source.csv.delimiter, source.csv.quote);
  if (header === null) return { reason: "malformed_csv:unterminated quote in header", rows: countLines(bytes) };
  const known = new Set([...source.columns.map((c) => c.name), ...(source.opColumn ? [source.opColumn] : [])]);
  if (!header.some((h) => known.has(h))) return { reason: "not_csv", rows: countLines(bytes) };
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) return { reason: `malformed_csv:duplicate column ${dup}`, rows: countLines(bytes) };
  const missing = source.columns.filter((c) => !c.optional && !header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    return { reason: `missing_column:${missing.join(",")}`, rows: await countRows(session, file.localPath, header.length, source.csv, bytes) };
  }
  return { header, extra: header.filter((h) => !known.has(h)) };
}

function csvScan(file: string, width: number, csv: LoadPlan["source"]["csv"]): string {
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  return (
    `read_csv(${lit(file)}, header = true, auto_detect = false, columns = {${columns}}, ` +
    `delim = ${lit(csv.delimiter)}, quote = ${lit(csv.quote)}, escape = ${lit(csv.quote)}, ` +
    `skip = 0, strict_mode = true, max_line_size = 67108864, buffer_size = 134217728)`
  );
}

async function countRows(session: Session, file: string, width: number, csv: LoadPlan["source"]["csv"], bytes: Buffer): Promise<number> {
  try {
    const [row] = await session.rows(`SELECT COUNT(*) AS n FROM ${csvScan(file, width, csv)}`);
    return Number(row.n);
  } catch {
    return countLines(bytes);
  }
}

/** Fallback row count when the CSV cannot be parsed: non-empty lines minus the header. */
export function countLines(bytes: Buffer): number {
  const lines = bytes.toString("latin1").split(/\r?\n/).filter((l) => l.trim() !== "");
  return Math.max(0, lines.length - 1);
}

/**
 * Header of a file's bytes (BOM stripped). Decodes a prefix first: turning a whole 30 MB file
 * into a JS string just to read its first line costs more than DuckDB's parse of a file's rows.
 * A prefix that does not hold the header's line end (a very long header) is retried with the
 * whole file.
 */
function readHeader(bytes: Buffer, delimiter: string, quote: string): string[] | null {
  const parse = (b: Buffer) => parseHeader(b.toString("utf8").replace(/^\uFEFF/, ""), delimiter, quote);
  const PREFIX = 64 * 1024;
  if (bytes.length > PREFIX) {
    const prefix = bytes.subarray(0, PREFIX);
    // parseHeader stops at the first line end outside quotes, or returns the partial fields
    // when the text ends first: only a prefix holding that line end gives the whole header.
    const header = parse(prefix);
    if (header !== null && endsHeaderWithin(prefix.toString("utf8"), quote)) return header;
  }
  return parse(bytes);
}

/** True when the text holds a line end outside quotes (the header record ends inside it). */
function endsHeaderWithin(text: string, quote: string): boolean {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === quote) inQuotes = !inQuotes;
    else if (ch === "\n" && !inQuotes) return true;
  }
  return false;
}

/** First record of a CSV text (RFC 4180 quoting), or null when a quote never closes. */
export function parseHeader(text: string, delimiter: string, quote: string): string[] | null {
  const fields: string[] = [];
  let field = "";
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === quote && text[i + 1] === quote) {
        field += quote;
        i++;
      } else if (ch === quote) inQuotes = false;
      else field += ch;
    } else if (ch === quote) inQuotes = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = "";
    } else if (ch === "\n") break;
    else if (ch !== "\r") field += ch;
  }
  if (inQuotes) return null;
  fields.push(field);
  return fields;
}

function csvError(e: unknown): string {
  const lines = String((e as Error).message ?? e).split("\n").map((l) => l.trim());
  const where = lines[0].replace(/^Invalid Input Error:\s*/, "");
  const what = lines.find((l) => /Expected Number of Columns|unterminated|quote/i.test(l) && l !== lines[0]);
  return what ? `${where}: ${what}` : where;
}

function utcDate(receivedAt: string): string {
  const t = Date.parse(receivedAt);
  if (Number.isNaN(t)) throw new Error(`manifest receivedAt is not a timestamp: ${JSON.stringify(receivedAt)}`);
  return new Date(t).toISOString().slice(0, 10);
}
