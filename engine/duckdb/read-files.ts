// The read_files IO step (see ReadFilesStep in engine/plan.ts) for local files: byte checks in
// Node (empty, UTF-8, header), row parsing by DuckDB's CSV reader with every type fixed to
// VARCHAR (no sniffing: a file is read the same way whatever its content looks like).
//
// Accepted rows go straight from CSV to bronze's staging location, in ONE COPY per data date
// over all of that date's files (the same single pass as a bare CSV -> Parquet copy, parallel
// across files), and `output` reads those Parquet files back. The plan's later
// stage(bronze <- incoming) step adopts the files instead of writing the rows a second time
// (TableStore.adopt). Reading into a temp table first and writing bronze from it cost two passes
// over the widest relation of the run.
import * as fs from "node:fs";
import * as path from "node:path";
import { isUtf8 } from "node:buffer";
import type { FileResult, Manifest, ManifestFile } from "../contracts";
import type { LoadPlan, ReadFilesStep } from "../plan";
import { driftWarnings, firstCsvProblem, parseHeader, resolveHeader, suspectCsv } from "../csv-rules";
import { createEmptyTable, exactPath, fileList, ident, lit, PARQUET_OPTIONS, type Session } from "./session";

export interface ReadResult {
  /** Files that did not reach bronze (ALREADY_LOADED or rejected whole), in manifest order. */
  skipped: FileResult[];
  /** Accepted files with their drift, keyed by fileId, in manifest order. */
  accepted: Map<string, { file: ManifestFile; version: string; rowsRead: number; extraColumns: string[] }>;
  driftWarnings: string[];
  /** Every manifest listing in order: its skip result, or the fileId of an accepted file. */
  order: Array<{ fileId: string; skipped?: FileResult }>;
  /** Bronze Parquet files written under the staging directory, and their row count. */
  bronzeFiles: string[];
  bronzeRows: number;
}

/** Where read_files writes bronze: the staging directory of the bronze table, file names from the run id. */
export interface BronzeTarget {
  dir: string;
  stem: string;
}

export const objectVersion = (f: ManifestFile): string => f.versionId ?? `etag:${f.etag}`;
export const ledgerKey = (key: string, version: string): string => `${key}\u0000${version}`;

/** A file that passed the byte and header checks, waiting for its rows to be parsed. */
interface Candidate {
  file: ManifestFile;
  version: string;
  header: string[];
  extra: string[];
  dataDate: string;
}

export async function readFiles(
  session: Session,
  plan: LoadPlan,
  step: ReadFilesStep,
  manifest: Manifest,
  loaded: Set<string>,
  bronze: BronzeTarget,
): Promise<ReadResult> {
  const { source } = plan;
  if (source.format !== "csv" && source.format !== "dms") {
    throw new Error(`dataset ${plan.dataset}: format ${source.format} is not supported by the DuckDB executor (csv and dms only)`);
  }
  // 1. Whole-file checks, in manifest order.
  // By listing position: a manifest may list the same object twice.
  const outcomes: Array<FileResult | Candidate> = [];
  const seen = new Set(loaded);
  const fileIds = new Set<string>();
  for (const file of manifest.files) {
    const version = objectVersion(file);
    const base = { fileId: file.fileId, key: file.key, versionId: file.versionId };
    if (seen.has(ledgerKey(file.key, version)) || fileIds.has(file.fileId)) {
      outcomes.push({ ...base, outcome: "ALREADY_LOADED", rowsRead: 0, rowsLoaded: 0, rowsQuarantined: 0, rowsRejected: 0 });
      continue;
    }
    seen.add(ledgerKey(file.key, version));
    fileIds.add(file.fileId);
    const checked = await checkFile(session, plan, file);
    outcomes.push(
      "reason" in checked
        ? rejectedWhole(file, checked.reason, checked.rows)
        : { file, version, header: checked.header, extra: checked.extra, dataDate: utcDate(file.receivedAt) },
    );
  }

  // 2. Rows of the accepted files -> bronze staging, one COPY per data date.
  const candidates = outcomes.filter((o): o is Candidate => "header" in o);
  const dates = [...new Set(candidates.map((c) => c.dataDate))].sort();
  const bronzeFiles: string[] = [];
  for (const date of dates) {
    const group = candidates.filter((c) => c.dataDate === date);
    const dir = path.join(bronze.dir, `_data_date=${date}`);
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, `${bronze.stem}.parquet`);
    // Several files: one COPY for all of them. If one of them is malformed (or too big for the
    // reader's defaults), read the files one by one, so each bad file is rejected with its own
    // error and the others load.
    const together = group.length > 1 && (await copyRows(session, plan, manifest, group, target).then(() => true, () => false));
    if (together) {
      bronzeFiles.push(target);
      continue;
    }
    fs.rmSync(target, { force: true });
    for (const [i, c] of group.entries()) {
      const own = path.join(dir, `${bronze.stem}-${i + 1}.parquet`);
      try {
        await copyRows(session, plan, manifest, [c], own).catch(async (e) => {
          if (!isLineTooLong(e)) throw e;
          fs.rmSync(own, { force: true });
          await copyRows(session, plan, manifest, [c], own, LONG_LINES);
        });
        bronzeFiles.push(own);
      } catch (e) {
        fs.rmSync(own, { force: true });
        // Only the reader's verdict on the bytes rejects a file: out of memory, a full disk or
        // a stopped run fail the run instead (its files end FAILED, not QUARANTINED).
        if (!isCsvError(e)) throw e;
        const bytes = fs.readFileSync(c.file.localPath!);
        const problem = firstCsvProblem(bytes.toString("utf8"), plan.source.csv.delimiter, plan.source.csv.quote);
        outcomes[outcomes.indexOf(c)] = rejectedWhole(c.file, `malformed_csv:${problem ?? csvError(e)}`, countLines(bytes));
      }
    }
  }

  // 3. Relations for the plan, and the per-file results.
  const rowsPerFile = new Map<string, number>();
  if (bronzeFiles.length > 0) {
    const counts = await session.rows(`SELECT _file_id, COUNT(*) AS n FROM read_parquet(${fileList(bronzeFiles)}, hive_partitioning = false) GROUP BY _file_id`);
    for (const r of counts) rowsPerFile.set(String(r._file_id), Number(r.n));
  }
  const bronzeColumns = plan.tables.bronze.columns;
  if (bronzeFiles.length > 0) {
    const cols = bronzeColumns.map((c) => ident(c.name)).join(", ");
    await session.run(`CREATE OR REPLACE TEMP VIEW ${step.output} AS SELECT ${cols} FROM read_parquet(${fileList(bronzeFiles)}, hive_partitioning = false)`);
  } else {
    await createEmptyTable(session, step.output, bronzeColumns);
  }
  await createEmptyTable(session, step.filesOutput, plan.tables.files.columns);

  const result: ReadResult = { skipped: [], accepted: new Map(), driftWarnings: [], order: [], bronzeFiles, bronzeRows: 0 };
  for (const [i, file] of manifest.files.entries()) {
    const outcome = outcomes[i];
    if (!("header" in outcome)) {
      result.skipped.push(outcome);
      result.order.push({ fileId: file.fileId, skipped: outcome });
      continue;
    }
    const rows = rowsPerFile.get(file.fileId) ?? 0;
    const values = [lit(file.fileId), lit(file.key), lit(outcome.version), lit(manifest.runId), lit(outcome.dataDate), String(rows), lit(receivedAtText(file.receivedAt))];
    await session.run(`INSERT INTO ${step.filesOutput} VALUES (${values.join(", ")})`);
    result.driftWarnings.push(...driftWarnings(file.key, outcome.extra, plan.source.opColumn));
    result.accepted.set(file.fileId, { file, version: outcome.version, rowsRead: rows, extraColumns: outcome.extra });
    result.order.push({ fileId: file.fileId });
    result.bronzeRows += rows;
  }
  return result;
}

/**
 * One COPY of the data rows of `group` (files of one data date) to a Parquet file, in bronze
 * column order. Each file maps its header BY NAME; `_row_number` counts data rows per file
 * (row_number() over an ordered scan: insertion order is preserved while reading).
 */
async function copyRows(
  session: Session,
  plan: LoadPlan,
  manifest: Manifest,
  group: Candidate[],
  target: string,
  lineLimits = "",
): Promise<void> {
  const { source } = plan;
  const selects = group.map((c) => {
    const position = new Map(c.header.map((h, i) => [h, i]));
    const pick = (name: string) => (position.has(name) ? `c${position.get(name)}` : "CAST(NULL AS VARCHAR)");
    const data = source.columns.map((col) => `${pick(col.name)} AS ${ident(col.name)}`);
    const lineage = [
      `${source.opColumn ? pick(source.opColumn) : "CAST(NULL AS VARCHAR)"} AS _op`,
      `${lit(c.file.key)} AS _source_key`,
      `${lit(c.version)} AS _source_version`,
      `${lit(c.file.fileId)} AS _file_id`,
      "row_number() OVER () AS _row_number",
      `${lit(manifest.runId)} AS _run_id`,
      `${lit(c.dataDate)} AS _data_date`,
    ];
    return `SELECT ${[...data, ...lineage].join(", ")} FROM ${csvScan(c.file.localPath!, c.header.length, source.csv, lineLimits)}`;
  });
  await session.run(`COPY (${selects.join(" UNION ALL ")}) TO ${lit(target)} (${PARQUET_OPTIONS})`);
}

function rejectedWhole(file: ManifestFile, reason: string, n: number): FileResult {
  return {
    fileId: file.fileId,
    key: file.key,
    versionId: file.versionId,
    outcome: "QUARANTINED",
    reason,
    rowsRead: n,
    rowsLoaded: 0,
    // Counted once, under the file's reason: quarantined whole, not rejected row by row (the
    // rejects table holds none of them).
    rowsQuarantined: n,
    rowsRejected: 0,
  };
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
    // Gone or denied is about this file, and named as S3 names it on Glue (NoSuchKey /
    // AccessDenied), so both engines give the same reason; an I/O fault of
    // the machine fails the run instead (its files end FAILED, not QUARANTINED).
    if (!["ENOENT", "EACCES", "EPERM"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
    return { reason: `unreadable:${(e as NodeJS.ErrnoException).code === "ENOENT" ? "NoSuchKey" : "AccessDenied"}`, rows: 0 };
  }
  if (bytes.length === 0) return { reason: "empty_file", rows: 0 };
  if (!isUtf8(bytes)) return { reason: "not_utf8", rows: countLines(bytes) };
  const { delimiter, quote } = source.csv;
  const written = readHeader(bytes, delimiter, quote);
  if (written === null) return { reason: "malformed_csv:header: unterminated quote", rows: countLines(bytes) };
  const known = new Set([...source.columns.map((c) => c.name), ...(source.opColumn ? [source.opColumn] : [])]);
  const header = resolveHeader(written, [...known]);
  if (!header.some((h) => known.has(h))) return { reason: "not_csv", rows: countLines(bytes) };
  // What DuckDB would read differently from the Glue runner's reader is named here, by the rules
  // both engines share (engine/csv-rules.ts): a bad header now, a bad row after the header
  // checks (a missing column is the file's first fault). Whatever else is malformed fails
  // DuckDB's scan and is named by the same rules.
  const problem = suspectCsv(bytes, delimiter, quote) ? firstCsvProblem(bytes.toString("utf8"), delimiter, quote) : null;
  if (problem?.startsWith("header")) return { reason: `malformed_csv:${problem}`, rows: countLines(bytes) };
  const dup = header.find((h, i) => header.indexOf(h) !== i);
  if (dup !== undefined) return { reason: `malformed_csv:duplicate column ${dup}`, rows: countLines(bytes) };
  const missing = source.columns.filter((c) => !c.optional && !header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    return { reason: `missing_column:${missing.join(",")}`, rows: await countRows(session, file.localPath, header.length, source.csv, bytes) };
  }
  if (problem !== null) return { reason: `malformed_csv:${problem}`, rows: countLines(bytes) };
  return { header, extra: header.filter((h) => !known.has(h)) };
}

/**
 * Reader limits for files with lines (records) over DuckDB's default maximum of 2 MB: "no length
 * limit on fields" up to 64 MB. Only used on retry: a buffer this size makes the reader read a
 * file on one thread (and reserves the memory).
 */
const LONG_LINES = ", max_line_size = 67108864, buffer_size = 134217728";
const isLineTooLong = (e: unknown): boolean => /maximum line size/i.test(String((e as Error).message ?? e));
/** DuckDB's CSV reader rejects bytes with "Invalid Input Error: CSV Error ..." (also for long lines). */
const isCsvError = (e: unknown): boolean => /^Invalid Input Error:/.test(String((e as Error).message ?? e));

function csvScan(file: string, width: number, csv: LoadPlan["source"]["csv"], lineLimits = ""): string {
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  // Values stay exactly as in the file: an empty field is "", as the Glue runner reads it (NULL
  // handling is the plan's SQL, the same on both engines); only columns a file lacks are NULL.
  const forceNotNull = Array.from({ length: width }, (_, i) => `'c${i}'`).join(", ");
  return (
    `read_csv(${lit(exactPath(file))}, header = true, auto_detect = false, columns = {${columns}}, ` +
    `delim = ${lit(csv.delimiter)}, quote = ${lit(csv.quote)}, escape = ${lit(csv.quote)}, ` +
    `skip = 0, strict_mode = true, force_not_null = [${forceNotNull}]${lineLimits})`
  );
}

async function countRows(session: Session, file: string, width: number, csv: LoadPlan["source"]["csv"], bytes: Buffer): Promise<number> {
  try {
    const [row] = await session.rows(`SELECT COUNT(*) AS n FROM ${csvScan(file, width, csv, LONG_LINES)}`);
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

function csvError(e: unknown): string {
  const lines = String((e as Error).message ?? e).split("\n").map((l) => l.trim());
  const where = lines[0].replace(/^Invalid Input Error:\s*/, "");
  const what = lines.find((l) => /Expected Number of Columns|unterminated|quote/i.test(l) && l !== lines[0]);
  return what ? `${where}: ${what}` : where;
}

/** The ledger's `_received_at`: receivedAt as ISO-8601 UTC with milliseconds (text order = time order). */
export function receivedAtText(receivedAt: string): string {
  const t = Date.parse(receivedAt);
  if (Number.isNaN(t)) throw new Error(`manifest receivedAt is not a timestamp: ${JSON.stringify(receivedAt)}`);
  return new Date(t).toISOString();
}

function utcDate(receivedAt: string): string {
  return receivedAtText(receivedAt).slice(0, 10);
}
