// The read_files IO step (see ReadFilesStep in engine/plan.ts) for local files: byte checks in
// Node (engine/file-bytes.ts: empty, gzip, Parquet magic; then UTF-8, header or headerless
// layout: engine/file-layout.ts), row parsing by DuckDB's CSV reader with every type fixed to
// VARCHAR (no sniffing: a file is read the same way whatever its content looks like).
//
// Accepted rows go straight from CSV to bronze's staging location, in one COPY per data date
// and thread over that date's files (the same single pass as a bare CSV -> Parquet copy, the
// COPYs side by side), and `output` reads those Parquet files back. The plan's later
// stage(bronze <- incoming) step adopts the files instead of writing the rows a second time
// (TableStore.adopt). Reading into a temp table first and writing bronze from it cost two passes
// over the widest relation of the run.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { constants as bufferConstants, isUtf8 } from "node:buffer";
import { alreadyLoaded, type FileResult, type Manifest, type ManifestFile } from "../contracts";
import type { LoadPlan, ReadFilesStep } from "../plan";
import { driftWarnings, EMPTY_LINES_MIXED, emptyLinesBefore, firstCsvProblem, firstRecord, parseHeader, resolveHeader, suspectCsv, trailingExtraFields } from "../csv-rules";
import { classifyBytes, MAX_FILE_BYTES, TOO_LARGE_REASON } from "../file-bytes";
import { delimiterNote, fittingDelimiter, headerlessLayout, looksLikeHeader } from "../file-layout";
import { checkByFormat, type Scan } from "./read-formats";
import { isParquetError, MALFORMED_UNREADABLE } from "./read-parquet";
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
  /** How its records are read: a spec column or the Op column -> its field (null: read by `scan`). */
  read: RecordShape | null;
  /** Parquet and JSON lines files (read-formats.ts); CSV files have none. */
  scan?: Scan;
  extra: string[];
  dataDate: string;
}

/** Fields per record, where each spec column (and the Op column) is, header row or not, gzip or not. */
interface RecordShape {
  width: number;
  picks: Map<string, number>;
  header: boolean;
  gzip: boolean;
  /** False for a file of mixed line ends, read leniently once the shared rules passed it whole. */
  strict: boolean;
  /** Empty lines before the header (csv-rules.ts emptyLinesBefore): DuckDB would take the first for the header. */
  skip: number;
}

export async function readFiles(
  session: Session,
  plan: LoadPlan,
  step: ReadFilesStep,
  manifest: Manifest,
  loaded: Set<string>,
  bronze: BronzeTarget,
): Promise<ReadResult> {
  // 1. Whole-file checks, in manifest order.
  // By listing position: a manifest may list the same object twice.
  const outcomes: Array<FileResult | Candidate> = [];
  const seen = new Set(loaded);
  const fileIds = new Set<string>();
  for (const file of manifest.files) {
    const version = objectVersion(file);
    if (seen.has(ledgerKey(file.key, version)) || fileIds.has(file.fileId)) {
      outcomes.push(alreadyLoaded(file));
      continue;
    }
    seen.add(ledgerKey(file.key, version));
    fileIds.add(file.fileId);
    const checked = await checkFile(session, plan, file);
    outcomes.push(
      "reason" in checked
        ? rejectedWhole(file, checked.reason, checked.rows)
        : "scan" in checked
          ? { file, version, read: null, scan: checked.scan, extra: checked.extra, dataDate: utcDate(file.receivedAt) }
          : { file, version, read: checked.read, extra: checked.extra, dataDate: utcDate(file.receivedAt) },
    );
  }

  // 2. Rows of the accepted files -> bronze staging, one COPY per data date and thread.
  const candidates = outcomes.filter((o): o is Candidate => "read" in o);
  const dates = [...new Set(candidates.map((c) => c.dataDate))].sort();
  const bronzeFiles: string[] = [];
  for (const date of dates) {
    const group = candidates.filter((c) => c.dataDate === date);
    const dir = path.join(bronze.dir, `_data_date=${date}`);
    fs.mkdirSync(dir, { recursive: true });
    // Several files: one COPY for all of them, or one per thread side by side when there are
    // more: a CSV's rows are numbered in a sequential pipeline (copyRows), so a single COPY kept
    // one thread of two busy (1,000,000 rows in 10 files: 0.80 -> 0.55 s). Not when a file's rows
    // are in a temp table (JSON lines), which only the session's own connection sees. If one of
    // the files is malformed (or too big for the reader's defaults), read the files one by one,
    // so each bad file is rejected with its own error and the others load.
    const apart = group.every((c) => !c.scan?.connectionLocal);
    const lanes = group.length > 1 ? (apart ? splitBySize(group, session.threads) : [group]) : [];
    const targets = lanes.map((_, j) => path.join(dir, lanes.length === 1 ? `${bronze.stem}.parquet` : `${bronze.stem}-${j + 1}.parquet`));
    const sqls = lanes.map((lane, j) => copyRowsSql(plan, manifest, lane, targets[j]));
    const together = lanes.length > 0 && (await session.runSideBySide(sqls).then(() => true, () => false));
    if (together) {
      bronzeFiles.push(...targets);
      continue;
    }
    for (const target of targets) fs.rmSync(target, { force: true });
    for (const [i, c] of group.entries()) {
      const own = path.join(dir, `${bronze.stem}-${i + 1}.parquet`);
      try {
        await copyOne(session, plan, manifest, c, own).catch(async (e) => {
          if (!isGzipRefused(e) || !c.read?.gzip) throw e;
          fs.rmSync(own, { force: true });
          await copyDecompressed(session, plan, manifest, c, own);
        });
        bronzeFiles.push(own);
      } catch (e) {
        fs.rmSync(own, { force: true });
        // Only the reader's verdict on the bytes rejects a file: out of memory, a full disk or
        // a stopped run fail the run instead (its files end FAILED, not QUARANTINED).
        if (c.scan && isParquetError(e)) {
          outcomes[outcomes.indexOf(c)] = rejectedWhole(c.file, MALFORMED_UNREADABLE, 0);
          continue;
        }
        if (!isCsvError(e) || c.read === null) throw e;
        const bytes = textOf(fs.readFileSync(c.file.localPath!));
        const problem = firstCsvProblem(bytes, plan.source.csv.delimiter, plan.source.csv.quote, c.read.header);
        outcomes[outcomes.indexOf(c)] = rejectedWhole(c.file, `malformed_csv:${problem ?? csvError(e)}`, countLines(bytes, c.read.header));
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
    const rows = rowsPerFile.get(file.fileId) ?? 0;
    // A header and no rows: nothing to load, and not the file the producer meant to send (the
    // Glue runner decides it the same way, after counting rows).
    // A CSV file with a header and no rows; a Parquet or JSON lines file without rows loads 0 rows.
    const accepted = outcomes[i];
    const outcome = "read" in accepted && accepted.read !== null && rows === 0 ? rejectedWhole(file, "header_only", 0) : accepted;
    if (!("read" in outcome)) {
      result.skipped.push(outcome);
      result.order.push({ fileId: file.fileId, skipped: outcome });
      continue;
    }
    const values = [lit(file.fileId), lit(file.key), lit(outcome.version), lit(manifest.runId), lit(outcome.dataDate), String(rows), lit(receivedAtText(file.receivedAt)), lit(file.sequencer)];
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
 * column order. Each file maps its fields by header name, or headerless by its layout
 * (RecordShape.picks); `_row_number` counts data rows per file (row_number() OVER (): a
 * streaming window, so DuckDB scans each file in order even without preserve_insertion_order).
 */
async function copyRows(session: Session, plan: LoadPlan, manifest: Manifest, group: Candidate[], target: string, lineLimits = ""): Promise<void> {
  await session.run(copyRowsSql(plan, manifest, group, target, lineLimits));
}

function copyRowsSql(plan: LoadPlan, manifest: Manifest, group: Candidate[], target: string, lineLimits = ""): string {
  const { source } = plan;
  const selects = group.map((c) => {
    const pick = (name: string): string => {
      const sql = c.scan ? c.scan.pick.get(name) : c.read!.picks.has(name) ? `c${c.read!.picks.get(name)}` : undefined;
      return sql ?? "CAST(NULL AS VARCHAR)";
    };
    const data = source.columns.map((col) => `${pick(col.name)} AS ${ident(col.name)}`);
    const lineage = [
      `${source.opColumn ? pick(source.opColumn) : "CAST(NULL AS VARCHAR)"} AS _op`,
      `${lit(c.file.key)} AS _source_key`,
      `${lit(c.version)} AS _source_version`,
      `${lit(c.file.fileId)} AS _file_id`,
      `${c.scan?.rowNumber ?? "row_number() OVER ()"} AS _row_number`,
      `${lit(manifest.runId)} AS _run_id`,
      `${lit(c.dataDate)} AS _data_date`,
    ];
    return `SELECT ${[...data, ...lineage].join(", ")} FROM ${c.scan?.from ?? csvScan(c.file.localPath!, c.read!, source.csv, lineLimits)}`;
  });
  return `COPY (${selects.join(" UNION ALL ")}) TO ${lit(target)} (${PARQUET_OPTIONS})`;
}

/**
 * `files` in at most `lanes` groups of about equal bytes (largest first, each to the lightest
 * group), each group in manifest order.
 */
function splitBySize(files: Candidate[], lanes: number): Candidate[][] {
  const groups = Array.from({ length: Math.max(1, Math.min(lanes, files.length)) }, () => ({ bytes: 0, files: [] as number[] }));
  const sizes = files.map((c) => c.file.size);
  for (const i of sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a] || a - b)) {
    const lightest = groups.reduce((min, g) => (g.bytes < min.bytes ? g : min));
    lightest.bytes += sizes[i];
    lightest.files.push(i);
  }
  return groups.map((g) => g.files.sort((a, b) => a - b).map((i) => files[i]));
}

/**
 * One file's rows to `target`, again with the long-line limits when a record may be too long for
 * the defaults, then with limits the size of the file when one is longer still (the contract has
 * no length limit on fields, and the Glue runner reads such a file): a record can be no longer
 * than its file, and the buffer is reserved for this one retry only. DuckDB reports a quoted field
 * longer than its read buffer as an unterminated quote, so that error is retried too; a file that
 * is malformed indeed fails each time and is quarantined with the last error.
 */
async function copyOne(session: Session, plan: LoadPlan, manifest: Manifest, c: Candidate, target: string): Promise<void> {
  const size = () => fs.statSync(c.file.localPath!).size;
  const again = (next: () => Promise<void>) => async (e: unknown) => {
    if (!isLineTooLong(e) && !isUnterminatedQuote(e)) throw e;
    fs.rmSync(target, { force: true });
    await next();
  };
  await copyRows(session, plan, manifest, [c], target)
    .catch(again(() => copyRows(session, plan, manifest, [c], target, LONG_LINES)))
    .catch(async (e) => {
      // A gzip file's record can be far longer than the file: read it from its text instead.
      if (c.read?.gzip) return again(() => copyDecompressed(session, plan, manifest, c, target))(e);
      if (size() < LONG_LINE_BYTES) throw e;
      return again(() => copyRows(session, plan, manifest, [c], target, fileSizedLines(size())))(e);
    });
}

/**
 * A gzip file with bytes after its last member (zero padding from a block-based writer or
 * copier), or with a header comment or header CRC (optional gzip header fields), is whole to
 * gzip(1), Node's gunzip (file-bytes.ts passed it) and Python's (the Glue runner loads its rows),
 * but DuckDB's gzip reader fails on it with an IO Error, which failed the whole run, every other
 * file with it. Such a file is read from its decompressed text, written once to a temporary
 * file: only on this retry, so other gzip files stay streamed.
 */
async function copyDecompressed(session: Session, plan: LoadPlan, manifest: Manifest, c: Candidate, target: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "datalake-gunzip-"));
  try {
    const text = path.join(dir, "text.csv");
    fs.writeFileSync(text, textOf(fs.readFileSync(c.file.localPath!)));
    const plain: Candidate = { ...c, file: { ...c.file, localPath: text }, read: { ...c.read!, gzip: false } };
    await copyOne(session, plan, manifest, plain, target);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
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


type Checked = { read: RecordShape; extra: string[] } | { header: string[]; extra: string[]; scan: Scan } | { reason: string; rows: number };

/** The names a header may hold (spec columns, then the Op column) and those it must. */
function declaredNames(source: LoadPlan["source"]): { known: string[]; required: string[] } {
  return {
    known: [...source.columns.map((c) => c.name), ...(source.opColumn ? [source.opColumn] : [])],
    required: source.columns.filter((c) => !c.optional).map((c) => c.name),
  };
}

/** Whole-file checks, cheapest first. */
async function checkFile(session: Session, plan: LoadPlan, file: ManifestFile): Promise<Checked> {
  const { source } = plan;
  if (!file.localPath) return { reason: "unreadable:manifest file has no localPath", rows: 0 };
  if (file.size > MAX_FILE_BYTES) return { reason: TOO_LARGE_REASON, rows: 0 };
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file.localPath);
  } catch (e) {
    // Gone or denied is about this file, and named as S3 names it on Glue (NoSuchKey /
    // AccessDenied), so both engines give the same reason; an I/O fault of
    // the machine fails the run instead (its files end FAILED, not QUARANTINED).
    if (!["ENOENT", "EACCES", "EPERM"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
    return { reason: `unreadable:${(e as NodeJS.ErrnoException).code === "ENOENT" ? "NoSuchKey" : "AccessDenied"}`, rows: 0 };
  }
  // Parquet and JSON lines datasets: their own readers (read-formats.ts), which check the bytes.
  if (source.format === "parquet" || source.format === "jsonl") {
    return raw.length === 0 ? { reason: "empty_file", rows: 0 } : (await checkByFormat(session, plan, { ...file, localPath: file.localPath }, raw))!;
  }
  // By bytes, never by name: empty, gzip (decompressed and classified again), Parquet, text.
  const classified = classifyBytes(raw);
  if ("reason" in classified) return { reason: classified.reason, rows: 0 };
  if (classified.kind === "parquet") {
    if (source.format !== "dms") return { reason: "parquet_where_csv_declared", rows: 0 };
    // DMS compresses Parquet pages inside the file (CompressionType), never the file itself.
    if (classified.gzip) return { reason: "unsupported:gzipped parquet", rows: 0 };
    return (await checkByFormat(session, plan, { ...file, localPath: file.localPath }, raw))!;
  }
  const bytes = classified.text;
  const gzip = classified.gzip;
  const { delimiter, quote } = source.csv;
  if (isRecordless(bytes)) return { reason: "empty_file", rows: 0 };
  const { known, required } = declaredNames(source);
  // The first record, read leniently (also from bytes that are not UTF-8, to count their rows).
  const written = readHeader(bytes, delimiter, quote);
  const header =
    source.csv.header === "present" ||
    (source.csv.header === "auto" && written !== null && looksLikeHeader(resolveHeader(written, known), known, required));
  if (!isUtf8(bytes)) return { reason: "not_utf8", rows: countLines(bytes, header) };
  // A data record is read by the rules every row is (a stray quote is a character), not as the
  // header is: a quote in the first change of a DMS file must not cost the whole file.
  if (!header) return checkHeaderless(session, plan, file, bytes, gzip, readFirstRecord(bytes, delimiter, quote));
  if (written === null) return { reason: "malformed_csv:header: unterminated quote", rows: countLines(bytes, true) };
  const names = resolveHeader(written, known);
  if (!names.some((h) => known.includes(h))) {
    const found = fittingDelimiter(delimiter, (d) => readHeader(bytes, d, quote), (f) => resolveHeader([...f], known).some((h) => known.includes(h)));
    return { reason: found === null ? "not_csv" : `not_csv:${delimiterNote(found, delimiter)}`, rows: countLines(bytes, true) };
  }
  // What DuckDB would read differently from the Glue runner's reader is named here, by the rules
  // both engines share (engine/csv-rules.ts): a bad header now, a bad row after the header
  // checks (a missing column is the file's first fault). Whatever else is malformed fails
  // DuckDB's scan and is named by the same rules.
  const strict = !mixedLineEnds(bytes);
  const suspect = !strict || suspectCsv(bytes, delimiter, quote) || trailingExtraFields(bytes, delimiter, quote, written.length);
  const problem = suspect ? firstCsvProblem(bytes, delimiter, quote) : null;
  if (problem?.startsWith("header")) return { reason: `malformed_csv:${problem}`, rows: countLines(bytes, true) };
  const skip = emptyLinesBefore(bytes.subarray(0, 64 * 1024).toString("utf8").replace(/^\uFEFF/, "")).lines;
  // DuckDB's reader counts the lines it skips by its own reading of mixed line ends (LF then CRLF
  // is three), so the header it would find is not certain: such a file is refused, on both engines.
  if (skip > 0 && !strict) return { reason: `malformed_csv:${EMPTY_LINES_MIXED}`, rows: countLines(bytes, true) };
  // Only a declared column twice is ambiguous; an extra name twice (",," of trailing delimiters) is never read.
  const dup = names.find((h, i) => known.includes(h) && names.indexOf(h) !== i);
  if (dup !== undefined) return { reason: `malformed_csv:duplicate column ${dup}`, rows: countLines(bytes, true) };
  const read: RecordShape = { width: names.length, picks: new Map(names.map((h, i) => [h, i])), header: true, gzip, strict, skip };
  const missing = required.filter((c) => !names.includes(c));
  if (missing.length > 0) {
    return { reason: `missing_column:${missing.join(",")}`, rows: await countRows(session, file.localPath, read, source.csv, bytes) };
  }
  if (problem !== null) return { reason: `malformed_csv:${problem}`, rows: countLines(bytes, true) };
  return { read, extra: names.filter((h) => !known.includes(h)) };
}

/**
 * A headerless file (header "absent", or "auto" and the first record is data): columns by
 * position, the layout decided once from its name and first record (engine/file-layout.ts), the
 * same on the Glue runner. Every record is a row: none is taken for a header.
 */
async function checkHeaderless(
  session: Session,
  plan: LoadPlan,
  file: ManifestFile,
  bytes: Buffer,
  gzip: boolean,
  first: string[] | null,
): Promise<Checked> {
  const { source } = plan;
  const { delimiter, quote } = source.csv;
  if (first === null) {
    const problem = firstCsvProblem(bytes, delimiter, quote, false) ?? "row 1: unterminated quote";
    return { reason: `malformed_csv:${problem}`, rows: countLines(bytes, false) };
  }
  const timestampColumn = source.dms?.timestampColumn ?? null;
  const data = source.columns.filter((c) => c.name !== timestampColumn);
  const columns = data.map((c) => c.name);
  const markers = [source.csv.nullValue, source.dms?.noSupValue ?? ""].filter((m) => m !== "");
  const input = { fileName: file.key, first, columns, opColumn: source.opColumn, timestampColumn, types: data.map((c) => c.type), markers, optional: data.map((c) => c.optional) };
  const layout = headerlessLayout(input);
  const width = first.length;
  if ("reason" in layout) {
    const shape: RecordShape = { width, picks: new Map(), header: false, gzip, strict: true, skip: 0 };
    // A header or a record of another delimiter: the reason says which (a header is then counted as a row).
    const { known, required } = declaredNames(source);
    const found = fittingDelimiter(
      delimiter,
      (d) => readFirstRecord(bytes, d, quote),
      (f) => looksLikeHeader(resolveHeader([...f], known), known, required) || !("reason" in headerlessLayout({ ...input, first: f })),
    );
    const reason = found === null ? layout.reason : `${layout.reason}; ${delimiterNote(found, delimiter)}`;
    return { reason, rows: await countRows(session, file.localPath!, shape, source.csv, bytes) };
  }
  const strict = !mixedLineEnds(bytes);
  const suspect = !strict || suspectCsv(bytes, delimiter, quote) || trailingExtraFields(bytes, delimiter, quote, width);
  const problem = suspect ? firstCsvProblem(bytes, delimiter, quote, false) : null;
  if (problem !== null) return { reason: `malformed_csv:${problem}`, rows: countLines(bytes, false) };
  // A trailing optional column the file does not carry has no pick: it reads as NULL.
  const picks = new Map<string, number>(columns.flatMap((name, i) => (layout.data[i] === null ? [] : [[name, layout.data[i]!] as const])));
  if (layout.op !== null && source.opColumn) picks.set(source.opColumn, layout.op);
  if (layout.timestamp !== null && timestampColumn !== null) picks.set(timestampColumn, layout.timestamp);
  return { read: { width, picks, header: false, gzip, strict, skip: 0 }, extra: [] };
}

/** The text of an accepted file (decompressed when it is gzip). */
function textOf(raw: Buffer): Buffer {
  const classified = classifyBytes(raw);
  if (!("kind" in classified) || classified.kind !== "text") throw new Error("read_files: an accepted file is no longer text");
  return classified.text;
}

/**
 * Line ends of more than one kind anywhere in the file, quoted or not: a CRLF and a bare LF, or
 * a CR before no LF. The shared rules read such a file like any other (the Glue runner does),
 * but DuckDB's strict reader refuses many of them (an LF file whose value holds a CRLF, a CRLF
 * file with a quoted LF, a quoted CR), so such a file is checked whole by the rules
 * (firstCsvProblem: every record's quoting and width) and then read with strict_mode off, which
 * for a file the rules pass gives the same records.
 */
function mixedLineEnds(bytes: Buffer): boolean {
  let cr = bytes.indexOf(0x0d);
  if (cr === -1) return false;
  for (; cr !== -1; cr = bytes.indexOf(0x0d, cr + 1)) if (bytes[cr + 1] !== 0x0a) return true;
  for (let lf = bytes.indexOf(0x0a); lf !== -1; lf = bytes.indexOf(0x0a, lf + 1)) if (bytes[lf - 1] !== 0x0d) return true;
  return false;
}

/** Line ends only (after a UTF-8 BOM): no record at all, as empty as a 0-byte file. */
function isRecordless(bytes: Buffer): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i < bytes.length; i++) if (bytes[i] !== 0x0a && bytes[i] !== 0x0d) return false;
  return true;
}

/**
 * Reader limits for files with lines (records) over DuckDB's default maximum of 2 MB, up to 64 MB
 * (longer ones: fileSizedLines). Only used on retry (copyOne): a buffer this size makes the
 * reader read a file on one thread (and reserves the memory).
 */
const LONG_LINE_BYTES = 67108864;
const LONG_LINES = `, max_line_size = ${LONG_LINE_BYTES}, buffer_size = ${2 * LONG_LINE_BYTES}`;
/** Reader limits for a record as long as the whole (uncompressed) file of `size` bytes. */
const fileSizedLines = (size: number): string => `, max_line_size = ${size + 1}, buffer_size = ${size + 1}`;
const isLineTooLong = (e: unknown): boolean => /maximum line size/i.test(String((e as Error).message ?? e));
const isUnterminatedQuote = (e: unknown): boolean => /^Invalid Input Error:[^]*unterminated quote/i.test(String((e as Error).message ?? e));
/**
 * DuckDB's gzip reader refusing bytes Node's gunzip read: after the last member ("Input is not a
 * GZIP stream"), or a header with a comment or a header CRC ("Unsupported GZIP archive").
 */
const isGzipRefused = (e: unknown): boolean => /^IO Error:.*(not a GZIP stream|Unsupported GZIP)/i.test(String((e as Error).message ?? e));
/** DuckDB's CSV reader rejects bytes with "Invalid Input Error: CSV Error ..." (also for long lines). */
const isCsvError = (e: unknown): boolean => /^Invalid Input Error:/.test(String((e as Error).message ?? e));

function csvScan(file: string, shape: RecordShape, csv: LoadPlan["source"]["csv"], lineLimits = ""): string {
  const { width } = shape;
  const columns = Array.from({ length: width }, (_, i) => `'c${i}': 'VARCHAR'`).join(", ");
  // Values stay exactly as in the file: an empty field is "", as the Glue runner reads it (NULL
  // handling is the plan's SQL, the same on both engines); only columns a file lacks are NULL.
  const forceNotNull = Array.from({ length: width }, (_, i) => `'c${i}'`).join(", ");
  // An empty line is no record (engine/csv-rules.ts), and DuckDB skips it, except in a file of
  // one field per record, where it read one as a record holding "" (the Glue runner skips it):
  // there an unquoted empty field, which only an empty line can hold, is read as NULL (a quoted
  // "" stays "") and dropped.
  const oneField = width === 1;
  const nulls = oneField ? "allow_quoted_nulls = false" : `force_not_null = [${forceNotNull}]`;
  // Compression as the bytes say (file-bytes.ts), never guessed from the name: a text file
  // named .gz is read as text.
  const scan =
    `read_csv(${lit(exactPath(file))}, header = ${shape.header}, auto_detect = false, columns = {${columns}}, ` +
    `delim = ${lit(csv.delimiter)}, quote = ${lit(csv.quote)}, escape = ${lit(csv.quote)}, ` +
    `compression = ${lit(shape.gzip ? "gzip" : "none")}, ` +
    `skip = ${shape.skip}, strict_mode = ${shape.strict}, ${nulls}${lineLimits})`;
  return oneField ? `(SELECT * FROM ${scan} WHERE c0 IS NOT NULL)` : scan;
}

async function countRows(session: Session, file: string, shape: RecordShape, csv: LoadPlan["source"]["csv"], bytes: Buffer): Promise<number> {
  try {
    const [row] = await session.rows(`SELECT COUNT(*) AS n FROM ${csvScan(file, shape, csv, LONG_LINES)}`);
    return Number(row.n);
  } catch {
    return countLines(bytes, shape.header);
  }
}

/**
 * Fallback row count when the CSV cannot be parsed: lines holding a byte other than ASCII
 * whitespace (as Python's bytes.strip reads them: the twin's count_data_lines), minus the header
 * if there is one. Byte by byte, never a string: a file over V8's string limit (2^29) is counted.
 */
export function countLines(bytes: Buffer, header: boolean): number {
  let lines = 0;
  let filled = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === LF_BYTE) {
      if (filled) lines++;
      filled = false;
    } else if (!filled && !ASCII_SPACE.has(b)) filled = true;
  }
  if (filled) lines++;
  return Math.max(0, lines - (header ? 1 : 0));
}

const LF_BYTE = 0x0a;
/** Python's bytes.strip() whitespace: space, \t, \n, \r, \v, \f. */
const ASCII_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]);

/**
 * Header of a file's bytes (BOM stripped). Decodes a prefix first: turning a whole 30 MB file
 * into a JS string just to read its first line costs more than DuckDB's parse of a file's rows.
 * A prefix that does not hold the header's line end (a very long header) is retried with the
 * whole file, up to V8's longest string (utf8Head).
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
  return parse(utf8Head(bytes));
}

/**
 * At most as many bytes as V8's longest string holds characters (2^29 - 24): a first record
 * that has not ended by then (a file of one huge line) is read from them, where decoding the
 * whole file threw and failed the run.
 */
const { MAX_STRING_LENGTH } = bufferConstants;
const utf8Head = (bytes: Buffer): Buffer => bytes.subarray(0, Math.min(bytes.length, MAX_STRING_LENGTH));

/** The first record of a headerless file (csv-rules.ts firstRecord), from a prefix when it ends there. */
function readFirstRecord(bytes: Buffer, delimiter: string, quote: string): string[] | null {
  const PREFIX = 64 * 1024;
  if (bytes.length > PREFIX) {
    const fields = firstRecord(bytes.subarray(0, PREFIX).toString("utf8"), delimiter, quote, false);
    if (fields !== undefined) return fields;
  }
  return firstRecord(utf8Head(bytes).toString("utf8"), delimiter, quote) ?? null;
}

/** True when the text holds a line end outside quotes (the header record ends inside it). */
function endsHeaderWithin(text: string, quote: string): boolean {
  const body = text.replace(/^\uFEFF/, "");
  let inQuotes = false;
  for (let i = emptyLinesBefore(body).chars; i < body.length; i++) {
    const ch = body[i];
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
  // A time without a zone is UTC, as the Glue runner reads it (summary.py parse_timestamp), not
  // this machine's zone (Date.parse): it orders the versions of an object key.
  const text = receivedAt.trim().replace(" ", "T");
  const t = Date.parse(/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text);
  if (Number.isNaN(t)) throw new Error(`manifest receivedAt is not a timestamp: ${JSON.stringify(receivedAt)}`);
  return new Date(t).toISOString();
}

function utcDate(receivedAt: string): string {
  return receivedAtText(receivedAt).slice(0, 10);
}
