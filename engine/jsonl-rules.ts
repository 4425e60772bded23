// JSON lines as the read_files step reads them, the same on both engines (the Glue runner's
// glue-scripts/datalake_glue/jsonl_reader.py applies these rules word for word):
// - one JSON object per line (LF or CRLF); lines holding only blanks are skipped and not counted;
//   a UTF-8 BOM before the first line is ignored; a line may also hold several objects written back
//   to back (`{...}{...}`, blanks between them allowed), each a row: Kinesis Data Firehose writes
//   records that way unless its stream adds a newline delimiter, often a whole file on one line;
// - keys match spec columns (and the Op column) case-insensitively, like CSV header names; a key
//   no line maps is missing (NULL in that row); keys matching nothing are drift;
// - values become bronze strings: a string as is, true/false as "true"/"false", null as NULL, and
//   a number as the exact text written in the file ("12.50" stays 12.50, "1E3" stays 1E3), so no
//   value is rounded on its way to the plan's typed parsing (JSON.parse and DuckDB's JSON reader
//   both turn 12.50 into 12.5 and a long decimal into the nearest double);
// - a line that is not valid JSON, not an object, holds a key or string value with an unpaired
//   surrogate escape ("\ud83d" alone: no character), holds a key twice (case-insensitively), or
//   holds an object or array under a spec column quarantines the whole file:
//   malformed_jsonl:line <n>: ...
//   (physical line number, blank lines included). Nested values have no canonical string both
//   engines print the same way, so they are refused rather than flattened.

/**
 * The longest line either engine reads, in bytes without its line end: V8's longest string
 * (buffer.constants.MAX_STRING_LENGTH, 2^29 - 24), which the DuckDB executor's reader makes each
 * line into. A longer line failed every run holding the file; it quarantines the file instead, on
 * both engines (jsonl_reader.py MAX_LINE_BYTES).
 */
export const MAX_JSON_LINE_BYTES = 536_870_888;

/**
 * Non-blank lines of a JSON lines file's bytes from `from` on (past a BOM): the row count of a
 * file quarantined whole. Counted in bytes (a file may be longer than a JS string); blank is
 * ASCII space, tab and CR, as isBlank, so this counts the lines the text holds.
 */
export function countJsonLineBytes(bytes: Uint8Array, from = 0): number {
  let lines = 0;
  let filled = false;
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x0a) {
      if (filled) lines++;
      filled = false;
    } else if (!filled && b !== 0x20 && b !== 0x09 && b !== 0x0d) filled = true;
  }
  return filled ? lines + 1 : lines;
}

/**
 * The rules above, row by row, over a file's text given in pieces cut after a line end (a file
 * may be longer than one JS string): each row goes to `onRow` as it is read.
 */
export class JsonlReader {
  readonly extra: string[] = [];
  readonly present = new Set<string>();
  private readonly byFolded: Map<string, number>;
  private readonly extraFolded = new Set<string>();
  private line = 0;

  constructor(
    private readonly declared: readonly string[],
    private readonly onRow: (row: (string | null)[]) => void,
  ) {
    this.byFolded = new Map(declared.map((name, i) => [foldAscii(name), i]));
  }

  /** The problem of the next line, longer than `maxBytes` (MAX_JSON_LINE_BYTES): never made a string. */
  longLine(maxBytes: number): string {
    this.line++;
    return `line ${this.line}: longer than ${maxBytes} bytes, the longest line read (one record per line)`;
  }

  /** Read the next whole lines (BOM removed from the first piece); the file's problem, if any. */
  read(piece: string): string | undefined {
    const lines = splitLines(piece);
    if (piece.endsWith("\n")) lines.pop(); // the next piece starts the next line
    for (const line of lines) {
      this.line++;
      if (isBlank(line)) continue;
      const values = lineValues(line);
      if (typeof values === "string") return `line ${this.line}: ${values}${OPENS_SPREAD.test(line) ? SPREAD_HINT : ""}`;
      for (const value of values) {
        const problem = this.readObject(value);
        if (problem !== undefined) return `line ${this.line}: ${problem}`;
      }
    }
    return undefined;
  }

  private readObject(text: string): string | undefined {
    const members = objectMembers(text);
    if (typeof members === "string") return members;
    const row: (string | null)[] = new Array(this.declared.length).fill(null);
    const seen = new Set<string>();
    for (const [key, value] of members) {
      const folded = foldAscii(key);
      if (seen.has(folded)) return `duplicate key ${key}`;
      seen.add(folded);
      const at = this.byFolded.get(folded);
      if (at === undefined) {
        if (!this.extraFolded.has(folded)) {
          this.extraFolded.add(folded);
          this.extra.push(key);
        }
        continue;
      }
      if (value === NESTED) return `${this.declared[at]} holds an object or array`;
      this.present.add(this.declared[at]);
      row[at] = value;
    }
    this.onRow(row);
    return undefined;
  }
}

/**
 * A line holding only "{" or "[": a pretty-printed object or a JSON array file, which JSON lines
 * cannot hold; said in the reason, where "invalid JSON" alone sends people looking for a typo.
 */
const OPENS_SPREAD = /^[ \t\r]*[[{][ \t\r]*$/;
const SPREAD_HINT = " (an object or array spread over lines: JSON lines holds one object per line)";

const NESTED = Symbol("nested");
type Value = string | null | typeof NESTED;

// JSON's grammar (RFC 8259), matched at a position (sticky): whitespace, a string token, a number.
const WS = /[ \t\r\n]*/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
/** A UTF-16 surrogate code unit without its pair (JSON's \uD800-\uDFFF escapes written alone). */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The JSON texts one line holds, in order, or "invalid JSON" when the line is not one or more JSON
 * values separated by blanks (what Python's raw_decode reads, value after value, on the Glue runner).
 */
function lineValues(line: string): string[] | string {
  try {
    JSON.parse(line);
    return [line];
  } catch {
    // several values written back to back, or invalid: split at each value's end and parse each
  }
  const values: string[] = [];
  for (let at = skip(line, 0, WS); at < line.length; at = skip(line, at, WS)) {
    const end = valueEnd(line, at);
    const text = line.slice(at, end);
    if (end <= at || !parses(text)) return "invalid JSON";
    values.push(text);
    at = end;
  }
  return values.length > 1 ? values : "invalid JSON";
}

/** Where the value starting at `at` ends, if it is valid (JSON.parse checks it after). */
function valueEnd(line: string, at: number): number {
  const ch = line[at];
  if (ch === "{" || ch === "[") return skipNested(line, at);
  if (ch === '"') return skip(line, at, STRING);
  for (const literal of ["true", "false", "null"]) if (line.startsWith(literal, at)) return at + literal.length;
  return skip(line, at, NUMBER);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The top-level members of one JSON value (a line or one of its objects), values as bronze strings, or why the line is refused. The
 * line is validated by JSON.parse first (the grammar both engines accept), then scanned once more
 * to keep each number's text.
 */
function objectMembers(line: string): Array<[string, Value]> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return "invalid JSON";
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return "not a JSON object";
  const members: Array<[string, Value]> = [];
  let at = skip(line, 0, WS) + 1; // past "{"
  at = skip(line, at, WS);
  if (line[at] === "}") return members;
  for (;;) {
    const keyEnd = skip(line, at, STRING);
    const key = JSON.parse(line.slice(at, keyEnd)) as string;
    at = skip(line, skip(line, keyEnd, WS) + 1, WS); // past ":"
    const [value, end] = scanValue(line, at);
    // "\ud83d" alone is JSON but no character: written as UTF-8 it became U+FFFD on DuckDB
    // while the Glue runner kept it, a value changed silently on one engine.
    if (UNPAIRED_SURROGATE.test(key) || (typeof value === "string" && UNPAIRED_SURROGATE.test(value))) return "unpaired surrogate";
    members.push([key, value]);
    at = skip(line, end, WS);
    if (line[at] === "}") return members;
    at = skip(line, at + 1, WS); // past ","
  }
}

function scanValue(line: string, at: number): [Value, number] {
  const ch = line[at];
  if (ch === '"') {
    const end = skip(line, at, STRING);
    return [JSON.parse(line.slice(at, end)) as string, end];
  }
  if (ch === "{" || ch === "[") return [NESTED, skipNested(line, at)];
  if (line.startsWith("true", at)) return ["true", at + 4];
  if (line.startsWith("false", at)) return ["false", at + 5];
  if (line.startsWith("null", at)) return [null, at + 4];
  const end = skip(line, at, NUMBER);
  return [line.slice(at, end), end];
}

/** End of the object or array starting at `at` (the line's end when it is not closed). */
function skipNested(line: string, at: number): number {
  let depth = 0;
  for (let i = at; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      const end = skip(line, i, STRING);
      if (end === i) return line.length; // not a valid string: the caller's JSON.parse refuses the text
      i = end - 1;
    } else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return line.length;
}

function skip(line: string, at: number, token: RegExp): number {
  token.lastIndex = at;
  token.test(line);
  return token.lastIndex === 0 && at !== 0 ? at : token.lastIndex;
}

function splitLines(text: string): string[] {
  return text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** ASCII letters only, as csv-rules.ts resolveHeader folds header names. */
const foldAscii = (name: string): string => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

const isBlank = (line: string): boolean => /^[ \t\r]*$/.test(line);
