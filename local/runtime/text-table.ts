// Plain-text tables for the CLI: left-aligned text, right-aligned numbers, no colours (logs and
// CI output stay readable).
export function textTable(headers: string[], rows: (string | number | undefined)[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => (r[i] === undefined ? "" : String(r[i]))));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => r[i] === undefined || typeof r[i] === "number"));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values: string[]) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join("  ").trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
