// Rows out of `query`: a table capped like DuckDB's shell (a person reads it), or JSON / CSV
// streamed in full (a program reads it), batch by batch so output of any size fits in memory.
import { ArgSpec, FlagDef, intFlag, ParsedArgs, UsageError } from "./cli-args";
import type { CliIo } from "./cli-io";
import { formatTable, jsonText } from "./cli-table";

export type OutputFormat = "table" | "json" | "csv";

export const DEFAULT_MAX_ROWS = 40;

export const ROWS_OUTPUT_FLAGS: ArgSpec["flags"] = {
  json: { type: "boolean", help: "print every row as one JSON array (streamed)" },
  csv: { type: "boolean", help: "print every row as CSV with a header (streamed)" },
  "max-rows": { type: "string", value: "N", help: `table output: show at most N rows (default ${DEFAULT_MAX_ROWS}; 0 shows all)` } satisfies FlagDef,
};

export interface RowsOutput {
  format: OutputFormat;
  maxRows: number;
}

export function rowsOutput(verb: string, args: ParsedArgs): RowsOutput {
  if (args.flags.json && args.flags.csv) throw new UsageError(`${verb}: --json and --csv cannot be combined`);
  const format: OutputFormat = args.flags.json ? "json" : args.flags.csv ? "csv" : "table";
  if (format !== "table" && args.flags["max-rows"] !== undefined) throw new UsageError(`${verb}: --max-rows applies to table output only (--json and --csv print every row)`);
  const maxRows = intFlag(verb, args, "max-rows", DEFAULT_MAX_ROWS);
  return { format, maxRows: maxRows === 0 ? Infinity : maxRows };
}

/** Writes the rows in the chosen format; returns how many there were. */
export async function writeRows(io: CliIo, output: RowsOutput, columns: string[], batches: AsyncIterable<unknown[][]>): Promise<number> {
  if (output.format === "table") return writeTable(io, output.maxRows, columns, batches);
  const json = output.format === "json";
  let count = 0;
  let pending: string | undefined; // JSON: the last row, written once we know whether a comma follows
  if (!json) io.out(columns.map(csvField).join(","));
  for await (const batch of batches) {
    const lines: string[] = [];
    for (const row of batch) {
      if (!json) lines.push(row.map(csvValue).join(","));
      else {
        lines.push(pending === undefined ? "[" : `${pending},`);
        pending = jsonRow(columns, row);
      }
    }
    count += batch.length;
    if (lines.length > 0) io.out(lines.join("\n"));
    await io.drain?.();
  }
  if (json) io.out(pending === undefined ? "[]" : `${pending}\n]`);
  return count;
}

async function writeTable(io: CliIo, maxRows: number, columns: string[], batches: AsyncIterable<unknown[][]>): Promise<number> {
  const shown: unknown[][] = [];
  let count = 0;
  for await (const batch of batches) {
    for (const row of batch) if (shown.length < maxRows) shown.push(row);
    count += batch.length;
  }
  io.out(formatTable(columns, shown));
  const rows = `${count} row${count === 1 ? "" : "s"}`;
  io.out(shown.length < count ? `(${rows}, ${shown.length} shown; --max-rows 0 shows all, --csv or --json prints every row)` : `(${rows})`);
  return count;
}

function jsonRow(columns: string[], row: unknown[]): string {
  return jsonText(Object.fromEntries(columns.map((c, i) => [c, row[i]])));
}

/** RFC 4180: NULL is an empty field; a field with a comma, quote or line break is quoted. */
function csvValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return csvField(value);
  return typeof value === "object" ? csvField(jsonText(value)) : String(value);
}

function csvField(text: string): string {
  // An empty string is quoted so it stays distinct from NULL.
  return text === "" || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
