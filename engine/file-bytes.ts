// What a landed file's bytes are, decided by their magic bytes and never by the file's name
// (glue-scripts/datalake_glue/file_bytes.py is the twin): producers name files as they like,
// and DMS writes `.csv.gz` under CompressionType=GZIP.
//   - empty (0 bytes, or nothing left after gzip) -> "empty_file";
//   - gzip (1f 8b) -> decompressed, then classified again (once); a gzip that cannot be
//     decompressed -> "corrupt_gzip:truncated" (it ends early) or "corrupt_gzip:bad data";
//   - Parquet (PAR1) -> its own kind: read_files decides per dataset format;
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

export function classifyBytes(bytes: Buffer): Classified {
  if (bytes.length === 0) return { reason: "empty_file" };
  if (!startsWith(bytes, GZIP_MAGIC)) return startsWith(bytes, PARQUET_MAGIC) ? { kind: "parquet", bytes, gzip: false } : { kind: "text", text: bytes, gzip: false };
  const unzipped = gunzip(bytes);
  if ("reason" in unzipped) return unzipped;
  if (unzipped.text.length === 0) return { reason: "empty_file" };
  return startsWith(unzipped.text, PARQUET_MAGIC) ? { kind: "parquet", bytes: unzipped.text, gzip: true } : { kind: "text", text: unzipped.text, gzip: true };
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
