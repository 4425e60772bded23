// What a landed file's bytes are, decided by their magic bytes and never by the file's name
// (glue-scripts/datalake_glue/file_bytes.py is the twin): producers name files as they like,
// and DMS writes `.csv.gz` under CompressionType=GZIP.
//   - empty (0 bytes, or nothing left after gzip) -> "empty_file";
//   - gzip (1f 8b) -> decompressed, then classified again (once); a gzip that cannot be
//     decompressed -> "corrupt_gzip:truncated" (it ends early) or "corrupt_gzip:bad data";
//   - Parquet (PAR1) -> its own kind: read_files decides per dataset format;
//   - another compression or archive (xz, bzip2, zstd, zip) -> "unsupported:<what>", and text
//     starting with a UTF-16 or UTF-32 byte order mark -> "not_utf8:<encoding> text": named for
//     what they are, where the CSV reader would call a compressed file "not_utf8" and count its
//     "rows" by the newline bytes in it;
//   - anything else is text for the CSV reader (UTF-8 is checked there).
import { gunzipSync } from "node:zlib";

export type Classified =
  | { kind: "text"; text: Buffer; gzip: boolean }
  /** `bytes`: the Parquet file's bytes (decompressed when it came gzipped). */
  | { kind: "parquet"; bytes: Buffer; gzip: boolean }
  | { reason: string };

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
/** The gzip header's fixed part (RFC 1952): magic, method, flags, mtime, xfl, os. */
const GZIP_HEADER_BYTES = 10;
const DEFLATE = 8;

const startsWith = (bytes: Buffer, magic: number[]): boolean => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
/**
 * Formats recognised and refused, by their magic numbers. bzip2 is "BZh", a block size digit and
 * a block (or, empty, end-of-stream) magic: "BZh" alone can begin a CSV value. Longer byte order
 * marks first: UTF-32 LE starts with UTF-16 LE's.
 */
const REFUSED: Array<{ magics: number[][]; reason: string }> = [
  { magics: [[0xfd, ...ascii("7zXZ"), 0x00]], reason: "unsupported:xz compressed" },
  {
    magics: ascii("123456789").flatMap((size) => [
      [...ascii("BZh"), size, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59],
      [...ascii("BZh"), size, 0x17, 0x72, 0x45, 0x38, 0x50, 0x90],
    ]),
    reason: "unsupported:bzip2 compressed",
  },
  { magics: [[0x28, 0xb5, 0x2f, 0xfd]], reason: "unsupported:zstd compressed" },
  { magics: [[...ascii("PK"), 3, 4], [...ascii("PK"), 5, 6], [...ascii("PK"), 7, 8]], reason: "unsupported:zip archive" },
  { magics: [[0xff, 0xfe, 0, 0], [0, 0, 0xfe, 0xff]], reason: "not_utf8:UTF-32 text" },
  { magics: [[0xff, 0xfe], [0xfe, 0xff]], reason: "not_utf8:UTF-16 text" },
];

/** The bytes once any gzip is undone: Parquet, a refused format, or text. */
function classifyPlain(bytes: Buffer, gzip: boolean): Classified {
  if (startsWith(bytes, PARQUET_MAGIC)) return { kind: "parquet", bytes, gzip };
  const refused = REFUSED.find((f) => f.magics.some((m) => startsWith(bytes, m)));
  return refused ? { reason: refused.reason } : { kind: "text", text: bytes, gzip };
}

/**
 * The largest file either engine reads: each holds a file whole in memory, and Node reads no file
 * over 2 GiB (ERR_FS_FILE_TOO_LARGE), which failed every run holding one. Larger files are
 * quarantined before they are read, on both engines (file_bytes.py MAX_FILE_BYTES), with a reason
 * that says what to do: DMS writes at most MaxFileSize (1 GB by default and at most).
 */
export const MAX_FILE_BYTES = 2 ** 31 - 1;
export const TOO_LARGE_REASON = "unsupported:larger than 2 GiB (split it into smaller files)";

export function classifyBytes(bytes: Buffer): Classified {
  if (bytes.length === 0) return { reason: "empty_file" };
  if (!startsWith(bytes, GZIP_MAGIC)) return classifyPlain(bytes, false);
  const unzipped = gunzip(bytes);
  if ("reason" in unzipped) return unzipped;
  if (unzipped.text.length === 0) return { reason: "empty_file" };
  return classifyPlain(unzipped.text, true);
}

/**
 * zlib and Python's gzip word their errors differently, and check a short header in a different
 * order, so the two reasons are decided here the same way on both engines: a header cut short is
 * truncated, a method other than deflate is bad data, then the decompressor's verdict.
 */
function gunzip(bytes: Buffer): { text: Buffer } | { reason: string } {
  if (bytes.length < GZIP_HEADER_BYTES) return { reason: "corrupt_gzip:truncated" };
  if (bytes[2] !== DEFLATE) return { reason: "corrupt_gzip:bad data" };
  try {
    return { text: gunzipSync(bytes) };
  } catch (e) {
    return { reason: (e as NodeJS.ErrnoException).code === "Z_BUF_ERROR" ? "corrupt_gzip:truncated" : "corrupt_gzip:bad data" };
  }
}
