// The CSV rules both executors apply, stated once (glue-scripts/datalake_glue/csv_rules.py is the
// twin; test/fixtures/csv-vectors.json holds the cases both are tested against). DuckDB's reader
// and Python's csv module read RFC 4180 files alike, but disagree on some malformed ones (DuckDB
// drops the spaces in ` "a"` and after a closing quote, Python keeps ` "a"` literally and treats
// a bare CR as a line end), so such files are rejected before either parser sees them, and every
// malformed file is named by this module, the same way on both engines:
//   - records end at LF or CRLF outside quotes; an empty line is no record and not counted;
//   - a field is quoted when its first character is the quote; inside, a doubled quote is one
//     quote; the closing quote must be followed by the delimiter, a line end or the end;
//   - a quote elsewhere in an unquoted field is a literal character, except after leading
//     spaces or tabs (` "a"`), which readers disagree on;
//   - a bare CR outside quotes is malformed; inside quotes it is data.
// Problems are "row N: <what>" (N = data row, header excluded) or "row N has F fields, header has W";
// in a headerless file every record is a data row (the first is row 1) and a row of another
// width than the first is "row N has F fields, row 1 has W".

const CR = 0x0d;
const LF = 0x0a;
const isBlank = (c: number | undefined) => c === 0x20 || c === 0x09;
const UTF8_BOM = [0xef, 0xbb, 0xbf];
/** Bytes of a UTF-8 byte order mark the bytes start with (no record begins in it). */
const bomLength = (bytes: Buffer): number => (UTF8_BOM.every((b, i) => bytes[i] === b) ? UTF8_BOM.length : 0);

/**
 * Fast check of a file's bytes for what the two parsers disagree on, visiting only quotes and CRs
 * (Buffer#indexOf is native, so a file without quotes costs one memchr pass). True when the file
 * needs firstCsvProblem's verdict. A delimiter or quote that is not one byte in UTF-8 always
 * takes the slow path.
 */
export function suspectCsv(bytes: Buffer, delimiter: string, quote: string): boolean {
  if (Buffer.byteLength(delimiter) !== 1 || Buffer.byteLength(quote) !== 1) return true;
  const d = delimiter.charCodeAt(0);
  const qc = quote.charCodeAt(0);
  const start = bomLength(bytes);
  let inQuotes = false;
  let q = bytes.indexOf(qc, start);
  let r = bytes.indexOf(CR, start);
  while (q !== -1 || r !== -1) {
    const atQuote = q !== -1 && (r === -1 || q < r);
    const p = atQuote ? q : r;
    if (!atQuote) {
      if (!inQuotes && bytes[p + 1] !== LF) return true; // a bare CR
      r = bytes.indexOf(CR, p + 1);
      continue;
    }
    let next = p + 1;
    if (inQuotes) {
      if (bytes[p + 1] === qc) next = p + 2; // a doubled quote
      else {
        const after = bytes[p + 1];
        if (after !== undefined && after !== d && after !== LF && after !== CR) return true; // text after the closing quote
        inQuotes = false;
      }
    } else {
      let s = p - 1;
      while (s >= start && isBlank(bytes[s]) && bytes[s] !== d) s--;
      const fieldStart = s < start || bytes[s] === d || bytes[s] === LF;
      if (fieldStart && s !== p - 1) return true; // spaces before an opening quote
      if (fieldStart) inQuotes = true;
    }
    q = bytes.indexOf(qc, next);
    if (r !== -1 && r < next) r = bytes.indexOf(CR, next);
  }
  return inQuotes; // an unterminated quote
}

/**
 * Whether a record of a file suspectCsv passed may hold more than `width` fields, the extra ones
 * empty ("1,2,3," under a 3-column header): DuckDB's strict reader drops empty trailing fields,
 * so such a file loaded locally and was malformed_csv on the Glue runner (and by
 * firstCsvProblem, which gives the verdict when this says true). Only a line that ends with the
 * delimiter can be one; those are found by native search and only their delimiters counted. In a
 * file with quotes a line is not a record (a quoted field may hold the delimiter or a line end),
 * so there any such line sends the file to firstCsvProblem.
 */
export function trailingExtraFields(bytes: Buffer, delimiter: string, quote: string, width: number): boolean {
  if (Buffer.byteLength(delimiter) !== 1 || Buffer.byteLength(quote) !== 1) return true;
  const d = delimiter.charCodeAt(0);
  const quoted = bytes.indexOf(quote.charCodeAt(0)) !== -1;
  const fieldsOfLineEndingAt = (end: number): number => {
    let fields = 1;
    for (let i = bytes.indexOf(d, bytes.lastIndexOf(LF, end) + 1); i !== -1 && i <= end; i = bytes.indexOf(d, i + 1)) fields++;
    return fields;
  };
  // One line end per file (a file with both takes the slow path before this).
  const ending = Buffer.from(bytes.indexOf(CR) === -1 ? [d, LF] : [d, CR, LF]);
  for (let at = bytes.indexOf(ending); at !== -1; at = bytes.indexOf(ending, at + 1)) {
    if (quoted || fieldsOfLineEndingAt(at) > width) return true;
  }
  return bytes.length > 0 && bytes[bytes.length - 1] === d && (quoted || fieldsOfLineEndingAt(bytes.length - 1) > width);
}

/**
 * The first problem of a CSV file under the rules above, as its malformed_csv message, or null
 * when every record is well formed and as wide as the header (or, headerless, the first row).
 * Reads the UTF-8 bytes one by one: only called for a file already suspected to be bad. Bytes,
 * not a string: V8 strings stop at 2^29 characters, so a 600 MB DMS file (MaxFileSize is 1 GB)
 * failed its whole run with "Cannot create a string longer than ...". In UTF-8 no character's
 * bytes begin inside another's, so matching the delimiter's and the quote's bytes (one or more)
 * at each position finds exactly the characters a string scan finds.
 */
export function firstCsvProblem(input: Buffer | string, delimiter: string, quote: string, header = true): string | null {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const n = bytes.length;
  const [d, q] = [Buffer.from(delimiter, "utf8"), Buffer.from(quote, "utf8")];
  const is = (at: number, token: Buffer): boolean => {
    if (at + token.length > n) return false;
    for (let k = 0; k < token.length; k++) if (bytes[at + k] !== token[k]) return false;
    return true;
  };
  let row = header ? -1 : 0; // the header is record 0
  let width = 0;
  let i = bomLength(bytes);
  while (i < n) {
    if (bytes[i] === LF) {
      i++; // an empty line: no record
      continue;
    }
    if (bytes[i] === CR && bytes[i + 1] === LF) {
      i += 2;
      continue;
    }
    row++;
    const where = header && row === 0 ? "header" : `row ${row}`;
    let fields = 0;
    // One record: fields until a line end outside quotes.
    for (;;) {
      fields++;
      if (is(i, q)) {
        i += q.length;
        for (;;) {
          if (i >= n) return `${where}: unterminated quote`;
          if (is(i, q) && is(i + q.length, q)) i += 2 * q.length;
          else if (is(i, q)) break;
          else i++;
        }
        i += q.length;
        if (i < n && !is(i, d) && bytes[i] !== LF && bytes[i] !== CR) return `${where}: text after closing quote`;
      } else {
        let blank = true; // the field so far is spaces or tabs only
        const start = i;
        while (i < n && !is(i, d) && bytes[i] !== LF && bytes[i] !== CR) {
          if (i > start && blank && is(i, q)) return `${where}: space before opening quote`;
          blank &&= isBlank(bytes[i]);
          i++;
        }
      }
      if (is(i, d)) {
        i += d.length;
        continue;
      }
      if (bytes[i] === CR && bytes[i + 1] !== LF) return `${where}: bare carriage return`;
      i += bytes[i] === CR ? 2 : bytes[i] === LF ? 1 : 0;
      break;
    }
    if (row === (header ? 0 : 1)) width = fields;
    else if (fields !== width) return `row ${row} has ${fields} field${fields === 1 ? "" : "s"}, ${header ? "header" : "row 1"} has ${width}`;
  }
  return null;
}

/**
 * The first record of a headerless file under the rules above: its fields (a quote inside an
 * unquoted field kept as written, as every later row reads it), or null when that record is
 * malformed (firstCsvProblem(text, ..., false) names why). `whole` false: `text` is a prefix of
 * the file, and undefined means the record did not end within it.
 */
export function firstRecord(text: string, delimiter: string, quote: string, whole = true): string[] | null | undefined {
  const body = text.replace(/^\uFEFF/, "");
  const n = body.length;
  let i = emptyLinesBefore(body).chars;
  const ended = () => (whole ? fields : undefined);
  const fields: string[] = [];
  for (;;) {
    let field = "";
    if (body[i] === quote) {
      let from = ++i; // slices, not a string per character (parseHeader)
      for (;;) {
        if (i >= n || (!whole && i + 1 >= n)) return whole ? null : undefined;
        if (body[i] === quote && body[i + 1] === quote) {
          field += body.slice(from, i) + quote;
          from = i += 2;
        } else if (body[i] === quote) {
          field += body.slice(from, i);
          break;
        } else i++;
      }
      i++;
      if (i < n && body[i] !== delimiter && body[i] !== "\n" && body[i] !== "\r") return null;
    } else {
      const start = i;
      while (i < n && body[i] !== delimiter && body[i] !== "\n" && body[i] !== "\r") {
        if (body[i] === quote && /^[ \t]+$/.test(body.slice(start, i))) return null;
        i++;
      }
      field = body.slice(start, i);
    }
    fields.push(field);
    if (i >= n) return ended();
    if (body[i] === delimiter) {
      i++;
      continue;
    }
    if (body[i] === "\r" && body[i + 1] !== "\n") return i + 1 >= n && !whole ? undefined : null;
    return fields;
  }
}

/** The malformed_csv reason of a file with empty lines before its header and mixed line ends. */
export const EMPTY_LINES_MIXED = "empty lines before the header, and mixed line ends";

/**
 * The empty lines (LF or CRLF) a text starts with, BOM excluded: no records, so a file's header
 * is the first line after them (an export that writes a blank line first). `lines` is the number
 * DuckDB's reader must skip to find that header; `chars` where the header starts.
 */
export function emptyLinesBefore(text: string): { lines: number; chars: number } {
  let lines = 0;
  let i = 0;
  for (;;) {
    if (text[i] === "\n") i += 1;
    else if (text[i] === "\r" && text[i + 1] === "\n") i += 2;
    else return { lines, chars: i };
    lines++;
  }
}

/**
 * The header: the first record, read leniently (a quote toggles quoting wherever it stands) so a
 * file that is not CSV at all is told apart by its names (not_csv) before its quoting is judged.
 * Null when a quote never closes. Empty lines before it are no records (emptyLinesBefore).
 */
export function parseHeader(text: string, delimiter: string, quote: string): string[] | null {
  // A field is built from slices between the characters that change it, never a character at a
  // time: a first line of hundreds of MB (a file of one line) made one string per character.
  const fields: string[] = [];
  let field = "";
  let inQuotes = false;
  let i = emptyLinesBefore(text).chars;
  let from = i; // the start of the run of characters not yet added to `field`
  for (; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === quote && text[i + 1] === quote) {
        field += text.slice(from, i) + quote;
        from = ++i + 1;
      } else if (ch === quote) {
        field += text.slice(from, i);
        inQuotes = false;
        from = i + 1;
      }
    } else if (ch === quote) {
      field += text.slice(from, i);
      inQuotes = true;
      from = i + 1;
    } else if (ch === delimiter) {
      fields.push(field + text.slice(from, i));
      field = "";
      from = i + 1;
    } else if (ch === "\n") break;
    else if (ch === "\r") {
      field += text.slice(from, i);
      from = i + 1;
    }
  }
  if (inQuotes) return null;
  fields.push(field + text.slice(from, i));
  return fields;
}

/**
 * Header names as the spec declares them: a name matches a declared column (or the Op column)
 * case-insensitively, because databases and DMS upper-case them (`ORDER_ID`, `op`). A name that
 * matches none is kept as written (an extra column: drift). Spaces and tabs around a name are
 * not part of it (`id, name, amount` as hand-written or exported files have it). ASCII letters
 * only are folded and only spaces and tabs trimmed, so the Glue runner (csv_rules.py
 * resolve_header) matches exactly the same names.
 */
export function resolveHeader(header: string[], declared: readonly string[]): string[] {
  const byFolded = new Map(declared.map((name) => [foldAscii(name), name]));
  return header.map((name) => byFolded.get(foldAscii(name.replace(/^[ \t]+|[ \t]+$/g, ""))) ?? name);
}

/**
 * Drift warnings for one accepted file: its extra columns, and an extra column that looks like
 * the Op column (`op_`, `O.P`) but is not it, since its values are then not read (a file without
 * the Op column loads as a full load: every row an upsert, deletes included) and that must not
 * pass unnoticed.
 */
export function driftWarnings(key: string, extra: readonly string[], opColumn: string | null | undefined): string[] {
  if (extra.length === 0) return [];
  // An empty name (a trailing delimiter) is named, not printed as nothing.
  const warnings = [`${key}: extra column(s) ${extra.map((name) => name || "(unnamed)").join(", ")}`];
  const opLike = opColumn ? extra.find((name) => alnumFolded(name) === alnumFolded(opColumn)) : undefined;
  if (opLike !== undefined) {
    // True whether or not the file also has the Op column (read-files does not say here).
    warnings.push(
      `${key}: column "${opLike}" is not the Op column ${opColumn}: its values are not read as operations (a file without ${opColumn} loads as a full load: no deletes); if it holds them, rename it to ${opColumn}`,
    );
  }
  return warnings;
}

function foldAscii(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

function alnumFolded(name: string): string {
  return foldAscii(name).replace(/[^a-z0-9]/g, "");
}
