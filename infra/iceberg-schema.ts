// Load-plan table definitions -> Iceberg schema and partition spec for the Glue catalog. Pure, so
// a schema edit in a dataset spec shows as a table diff in `pulumi preview`, and tests assert it.
import type * as pulumi from "@pulumi/pulumi";
import type { PlanColumnType, TableDef } from "../engine/plan";

export interface IcebergField {
  id: number;
  name: string;
  type: string;
  required: boolean;
}

export interface IcebergPartitionField {
  name: string;
  sourceId: number;
  transform: string;
  fieldId: number;
}

/** Spark's TimestampType is Iceberg `timestamptz`; bigint is `long`. */
export function icebergType(type: PlanColumnType): string {
  switch (type) {
    case "bigint":
      return "long";
    case "timestamp":
      return "timestamptz";
    default:
      return type; // string, int, double, boolean, date, decimal(p,s)
  }
}

/** Iceberg partition field ids start at 1000 by convention. */
const PARTITION_FIELD_ID_BASE = 1000;

export function icebergSchema(table: TableDef): { fields: IcebergField[]; partitionFields: IcebergPartitionField[] } {
  const fields = table.columns.map((c, i) => ({ id: i + 1, name: c.name, type: icebergType(c.type), required: false }));
  const partitionFields = table.partitionBy.map((column, i) => {
    const source = fields.find((f) => f.name === column);
    if (!source) throw new Error(`table ${table.name}: partition column ${column} is not a column`);
    return { name: column, sourceId: source.id, transform: "identity", fieldId: PARTITION_FIELD_ID_BASE + i };
  });
  return { fields, partitionFields };
}

/**
 * The Glue CatalogTable `openTableFormatInput` of every platform table (dataset and model tables
 * alike): an Iceberg v2 table created once, write-audit-publish enabled (the runners stage on a branch).
 */
export function icebergTableInput(
  location: pulumi.Input<string>,
  schema: { fields: IcebergField[]; partitionFields: IcebergPartitionField[] },
) {
  return {
    icebergInput: {
      metadataOperation: "CREATE",
      version: "2",
      icebergTableInput: {
        location,
        schema: { schemaId: 0, type: "struct", fields: schema.fields },
        partitionSpec: schema.partitionFields.length > 0 ? { specId: 0, fields: schema.partitionFields } : undefined,
        properties: { "write.wap.enabled": "true", "format-version": "2" },
      },
    },
  };
}
