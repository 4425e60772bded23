// Plain-text tables for terminal output: left-aligned text, right-aligned numbers, NULL shown
// as "NULL" so it is not mistaken for an empty string.

export function formatTable(columns: string[], rows: unknown[][]): string {
  const cells = rows.map((row) => row.map(cellText));
  // A loop, not Math.max(...cells): spreading one argument per row overflows the stack.
  const widths = columns.map((c) => c.length);
  for (const r of cells) r.forEach((v, i) => (widths[i] = Math.max(widths[i], v.length)));
  const isNumber = (v: unknown): boolean => typeof v === "number" || typeof v === "bigint";
  const numeric = columns.map((_, i) => rows.some((r) => isNumber(r[i])) && rows.every((r) => r[i] === null || isNumber(r[i])));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "string") return value.replace(/[\r\n]+/g, " ");
  return jsonText(value);
}

/** Any value as JSON text; bigints as their digits. */
export function jsonText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)) ?? "null";
}
