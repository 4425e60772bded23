// The oracle's reading of typed values, mirroring TRY_CAST on the shapes the generator writes:
// anything that does not parse is null plus a bad_type label.
import type { ColumnType } from "../../datasets";

export type Typed = bigint | number | string | boolean;

const INT = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:(\d+)(?:\.\d*)?|\.\d+)$/;
const DOUBLE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// A date, or a date at exactly midnight (a UTC designator allowed after it); a full date-time with seconds, space or T, up to
// microseconds (zeros below them allowed), no zone or a UTC designator: what the engine's guards
// (engine/typing.ts) accept.
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00:00(?:\.0*)?(?:[Zz]|[+-]00(?::?00)?)?)?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6})0*)?(?:[Zz]|[+-]00(?::?00)?)?$/;

/** Microseconds since the epoch as a bigint (exact ordering, ties included), or undefined. */
export function parseTimestampMicros(text: string): bigint | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = ""] = m;
  if (!validDate(+y, +mo, +d) || +h > 23 || +mi > 59 || +s > 59) return undefined;
  const seconds = BigInt(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000);
  return seconds * 1_000_000n + BigInt(frac.padEnd(6, "0") || "0");
}

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** The typed value, null for a null field, or undefined when the text does not parse. */
export function parseValue(type: ColumnType, text: string | null): Typed | null | undefined {
  if (text === null) return null;
  if (type === "string") return text;
  // Numbers are trimmed before parsing, as the engine does; dates and timestamps are not.
  if (type === "int" || type === "bigint") {
    if (!INT.test(text.trim())) return undefined;
    const v = BigInt(text.trim());
    const limit = type === "int" ? 2n ** 31n : 2n ** 63n;
    return v >= -limit && v < limit ? v : undefined;
  }
  if (type === "double") {
    const v = Number(text.trim());
    return DOUBLE.test(text.trim()) && Number.isFinite(v) ? v : undefined;
  }
  if (type === "boolean") {
    const v = text.trim().toLowerCase();
    if (["true", "t", "1", "yes", "y"].includes(v)) return true;
    if (["false", "f", "0", "no", "n"].includes(v)) return false;
    return undefined;
  }
  if (type === "date") {
    const m = DATE.exec(text);
    return m && validDate(+m[1], +m[2], +m[3]) ? text.slice(0, 10) : undefined;
  }
  if (type === "timestamp") return parseTimestampMicros(text);
  const dec = /^decimal\((\d+),(\d+)\)$/.exec(type);
  if (dec) {
    const m = DECIMAL.exec(text.trim());
    if (!m) return undefined;
    const intDigits = (m[1] ?? "").replace(/^0+/, "").length;
    return intDigits <= +dec[1] - +dec[2] ? Number(text.trim()) : undefined;
  }
  return undefined;
}
