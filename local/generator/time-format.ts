// Timestamp text in the shapes DMS writes: "YYYY-MM-DD HH:MM:SS[.ffffff]". Times are carried as
// integer microseconds since the epoch (exact in a double until year 2255).

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND;

export function microsOf(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad ISO time ${iso}`);
  return ms * 1000;
}

// Formatting runs twice per generated row, so the date part is cached per day and the time of
// day is plain arithmetic (Date#toISOString per row doubled the generator's run time).
const dayCache = new Map<number, string>();

function dayText(day: number): string {
  let text = dayCache.get(day);
  if (text === undefined) {
    text = new Date(day * 86_400_000).toISOString().slice(0, 10);
    dayCache.set(day, text);
  }
  return text;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** Seconds precision: "2026-11-01 08:30:00". */
export function formatSeconds(micros: number): string {
  const day = Math.floor(micros / MICROS_PER_DAY);
  const secs = Math.floor((micros - day * MICROS_PER_DAY) / MICROS_PER_SECOND);
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return `${dayText(day)} ${pad2(h)}:${pad2(m)}:${pad2(secs % 60)}`;
}

/** "2026-11-01 08:30:00.123456" (digits = 6), ".123" (3) or no fraction (0). */
export function formatMicros(micros: number, digits: 0 | 3 | 6 = 6): string {
  const base = formatSeconds(micros);
  if (digits === 0) return base;
  const frac = String(((micros % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND).padStart(6, "0");
  return `${base}.${frac.slice(0, digits)}`;
}

export function formatDate(micros: number): string {
  return dayText(Math.floor(micros / MICROS_PER_DAY));
}

/** DMS change-file name: "20261101-083000123.csv" (UTC, milliseconds). */
export function dmsFileName(micros: number, extension = "csv"): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}.${extension}`;
}
