// Which silver columns readers may select: every column except PII columns in "exclude" mode
// ("hash" columns hold sha256 values in silver and stay readable). Sorted: Lake Formation returns
// column lists in its own order, and an unsorted list would show a diff on every preview.
import type { DatasetSpec } from "../datasets/define";
import type { TableDef } from "../engine/plan";

export function readerColumns(spec: Pick<DatasetSpec, "pii">, silver: Pick<TableDef, "columns">): string[] {
  const excluded = new Set(spec.pii.filter((p) => p.mode === "exclude").map((p) => p.column));
  return silver.columns.map((c) => c.name).filter((c) => !excluded.has(c)).sort();
}
