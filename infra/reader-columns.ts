// What readers may select from a silver table: every column except PII columns in "exclude" mode
// ("hash" columns hold sha256 values in silver and stay readable).
//
// Granted as a column wildcard with exclusions, not as a list of column names: Pulumi creates the
// Iceberg tables once and the Glue job adds a spec's new columns on its next run, so a named list
// would grant a column the catalog table does not have yet, and Lake Formation rejects a grant on
// a missing column: every `pulumi up` that adds a column would fail until the job had run. The
// wildcard also covers those new columns as soon as the job adds them, with no second deploy.
// Sorted: Lake Formation returns column lists in its own order, and an unsorted list would show a
// diff on every preview.
import type { DatasetSpec } from "../datasets/define";
import type { ModelSpec } from "../models/define";
import { modelPiiColumns } from "./model-layout";

export interface ReaderColumnGrant {
  wildcard: true;
  /** Present only when the spec excludes a column: Lake Formation stores an empty list as none. */
  excludedColumnNames?: string[];
}

export function readerColumnGrant(spec: Pick<DatasetSpec, "pii">): ReaderColumnGrant {
  return excludingColumns(spec.pii.filter((p) => p.mode === "exclude").map((p) => p.column));
}

/** A model's semantic table: every column but those carrying an excluded PII column (model-layout.ts). */
export function modelReaderColumnGrant(spec: ModelSpec, datasets: readonly DatasetSpec[]): ReaderColumnGrant {
  return excludingColumns(modelPiiColumns(spec, datasets));
}

function excludingColumns(columns: readonly string[]): ReaderColumnGrant {
  const excluded = [...new Set(columns)].sort();
  return excluded.length > 0 ? { wildcard: true, excludedColumnNames: excluded } : { wildcard: true };
}
