// What a semantic model deploys, derived from its spec and its compiled spark plan (pure, so
// tests and the policy pack read the same answers as the program): the Iceberg schema and
// hidden partitioning of its table, its PII columns, and every table and prefix its job reads.
import type { DatasetSpec } from "../datasets/define";
import { tableDefs } from "../engine/compile";
import type { ModelPlan } from "../engine/models/plan";
import type { FactSpec, ModelSpec, ResolvedRef } from "../models/define";
import { IcebergField, IcebergPartitionField, icebergType } from "./iceberg-schema";

/** Iceberg partition field ids start at 1000 by convention (as iceberg-schema.ts). */
const PARTITION_FIELD_ID_BASE = 1000;

/**
 * The model table's schema. A fact's `partitionBy` is hidden partitioning by year and month of a
 * date column: Iceberg's `month` transform (months since 1970) is exactly that, and queries that
 * filter on the date prune partitions without a year/month column in the table.
 */
export function modelIcebergSchema(plan: Pick<ModelPlan, "model" | "columns" | "partitionBy">): {
  fields: IcebergField[];
  partitionFields: IcebergPartitionField[];
} {
  const fields = plan.columns.map((c, i) => ({ id: i + 1, name: c.name, type: icebergType(c.type), required: false }));
  const partitionFields: IcebergPartitionField[] = [];
  if (plan.partitionBy) {
    const column = plan.partitionBy.column;
    const source = fields.find((f) => f.name === column);
    if (!source) throw new Error(`model ${plan.model}: partition column ${column} is not a column of its plan`);
    partitionFields.push({ name: `${column}_month`, sourceId: source.id, transform: "month", fieldId: PARTITION_FIELD_ID_BASE });
  }
  return { fields, partitionFields };
}

/**
 * Columns of a model table readers must not see: those that carry the value of a dataset column
 * the dataset's spec marks `pii: exclude` (silver keeps it, readers' grants leave it out). A
 * dimension carries its natural key and attributes under their dataset names; a fact carries
 * degenerate columns and plain measures from its source or a lookup's dataset. `hash` columns
 * hold HMAC values, as in silver, and stay readable; derived values (days between two dates) are
 * not the column's value.
 */
export function modelPiiColumns(spec: ModelSpec, datasets: readonly DatasetSpec[]): string[] {
  const excluded = (dataset: string, column: string) =>
    (datasets.find((d) => d.name === dataset)?.pii ?? []).some((p) => p.column === column && p.mode === "exclude");
  switch (spec.kind) {
    case "date":
      return [];
    case "dimension":
      return [spec.naturalKey, ...spec.attributes.map((a) => a.name)].filter((c) => excluded(spec.source, c)).sort();
    case "fact": {
      const carried = [
        ...spec.degenerate,
        ...spec.measures.flatMap((m) => ("column" in m ? [{ name: m.name, column: m.column }] : [])),
      ];
      return [...new Set(carried.filter((c) => excluded(refDataset(spec, c.column), c.column.column)).map((c) => c.name))].sort();
    }
  }
}

function refDataset(spec: FactSpec, ref: ResolvedRef): string {
  if (ref.lookup === null) return spec.source;
  const lookup = spec.lookups.find((l) => l.name === ref.lookup);
  if (!lookup) throw new Error(`model ${spec.name}: column ${ref.lookup}.${ref.column} names no lookup`);
  return lookup.dataset;
}

/** A catalog table a model job reads or writes. */
export interface ModelTableRef {
  zone: "bronze" | "silver" | "semantic";
  /** The dataset table's role in its load plan, or "model" for a semantic table. */
  role: "bronze" | "files" | "silver" | "model";
  /** Dataset (bronze, silver) or model (semantic) whose prefix holds the table's files. */
  owner: string;
  table: string;
}

/** What a model's job touches besides its own table. */
export interface ModelReads {
  tables: ModelTableRef[];
  /** Reads the PII hash key (a dimension over a dataset with `pii: hash` columns). */
  piiKey: boolean;
  /** Repository files the plan reads (dim_date holidays), relative to the repository root. */
  files: string[];
}

export function modelReads(plan: Pick<ModelPlan, "model" | "inputs" | "sources">, datasets: readonly DatasetSpec[]): ModelReads {
  const tables = new Map<string, ModelTableRef>();
  const files: string[] = [];
  let piiKey = false;
  const defsOf = (dataset: string) => {
    const spec = datasets.find((d) => d.name === dataset);
    if (!spec) throw new Error(`model ${plan.model} reads dataset ${dataset}, which the stack does not deploy`);
    return tableDefs(spec);
  };
  const add = (ref: ModelTableRef) => tables.set(`${ref.zone}/${ref.table}`, ref);
  // A dataset's files ledger carries the marker of a load that is publishing: the job reads its
  // properties so that it never reads the dataset mid-publish (glue-scripts/datalake_glue/model_pin.py).
  const ledgerOf = (dataset: string): ModelTableRef => ({ zone: "bronze", role: "files", owner: dataset, table: defsOf(dataset).files.name });
  for (const input of plan.inputs) {
    switch (input.zone) {
      case "bronze":
      case "files":
        add({ zone: "bronze", role: input.zone, owner: input.dataset, table: defsOf(input.dataset)[input.zone].name });
        add(ledgerOf(input.dataset));
        break;
      case "silver":
        add({ zone: "silver", role: "silver", owner: input.dataset, table: defsOf(input.dataset).silver.name });
        add(ledgerOf(input.dataset));
        break;
      case "semantic":
        if (input.model !== plan.model) add({ zone: "semantic", role: "model", owner: input.model, table: input.model });
        break;
      case "pii_key":
        piiKey = true;
        break;
      case "file":
        files.push(input.path);
        break;
    }
  }
  // The silver of every dataset the plan reads, a dimension's source too: the job reads its
  // snapshot log for the load plan that built it (engine/models/source-specs.ts).
  for (const source of plan.sources ?? []) {
    add({ zone: "silver", role: "silver", owner: source.dataset, table: defsOf(source.dataset).silver.name });
  }
  const order = (r: ModelTableRef) => `${r.zone}/${r.table}`;
  return { tables: [...tables.values()].sort((a, b) => (order(a) < order(b) ? -1 : 1)), piiKey, files: [...new Set(files)].sort() };
}
