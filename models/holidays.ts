// The optional holidays CSV of a date dimension: a header row with a `date` column (YYYY-MM-DD)
// and an optional `name` column. Read at validation time (so a bad file is one line naming it,
// at `pulumi preview` / `datalake build`) and by the dim_date compiler (which columns exist).
import { existsSync, readFileSync } from "fs";
import { isAbsolute, resolve } from "path";
import { REPO_ROOT } from "../engine/repo-root";

export interface HolidaysFile {
  /** Absolute path. */
  path: string;
  hasName: boolean;
  /** date -> name ("" when the file has no name column), file order. */
  days: Array<{ date: string; name: string }>;
}

/** A holidays path as a spec writes it: relative to the repository root (absolute kept). */
export function holidaysPath(file: string): string {
  return isAbsolute(file) ? file : resolve(REPO_ROOT, file);
}

/** Reads and checks the file; returns a problem sentence instead of throwing (the caller names the field). */
export function readHolidays(file: string, range: { from: string; to: string }): HolidaysFile | string {
  const path = holidaysPath(file);
  if (!existsSync(path)) return `${file} does not exist (paths are relative to the repository root)`;
  const lines = readFileSync(path, "utf8").split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  const header = splitCsvLine(lines[0] ?? "").map((h) => h.trim().toLowerCase());
  const dateAt = header.indexOf("date");
  const nameAt = header.indexOf("name");
  if (dateAt < 0) return `${file} needs a header row with a date column (got ${JSON.stringify(lines[0] ?? "")})`;
  const seen = new Map<string, number>();
  const days: HolidaysFile["days"] = [];
  for (let i = 1; i < lines.length; i++) {
    const fields = splitCsvLine(lines[i]);
    const date = (fields[dateAt] ?? "").trim();
    const where = `${file} line ${i + 1}`;
    if (!isCalendarDate(date)) return `${where}: ${JSON.stringify(date)} is not a date YYYY-MM-DD`;
    if (date < range.from || date > range.to) return `${where}: ${date} is outside the range ${range.from}..${range.to}`;
    if (seen.has(date)) return `${where}: ${date} repeats line ${seen.get(date)}`;
    seen.set(date, i + 1);
    days.push({ date, name: nameAt < 0 ? "" : (fields[nameAt] ?? "").trim() });
  }
  return { path, hasName: nameAt >= 0, days };
}

/** A real calendar day written YYYY-MM-DD (2021-02-29 is not one). */
export function isCalendarDate(text: unknown): text is string {
  if (typeof text !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const [y, m, d] = text.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

// RFC 4180 fields of one line: quoted fields may hold commas and doubled quotes.
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") fields.push(field), (field = "");
    else field += c;
  }
  fields.push(field);
  return fields;
}
