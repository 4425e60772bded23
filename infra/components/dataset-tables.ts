// The Iceberg tables of one dataset in the Glue catalog, from its compiled load plan: bronze,
// files ledger and state (bronze zone), silver, quarantine and rejects. WAP is enabled so the
// runner writes a branch, audits it and fast-forwards main.
//
// Create-only: Glue's UpdateTable replaces the whole TableInput, which drops the
// `metadata_location` / `table_type` parameters Iceberg commits maintain (the table stops being an
// Iceberg table) and cannot evolve an Iceberg schema anyway, so Pulumi never updates these tables
// (ICEBERG_TABLE_IGNORED_FIELDS). Schema edits reach the preview through the plan's content-hashed
// key on the job; the runner evolves the table.
// https://github.com/hashicorp/terraform-provider-aws/issues/33370
// https://github.com/pulumi/pulumi-aws/issues/4618
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TableDef, TableRole } from "../../engine/plan";
import { TABLE_ZONE, Zone, tableLocation } from "../catalog-layout";
import { icebergSchema, icebergTableInput } from "../iceberg-schema";

/** Table inputs Pulumi must never send in an UpdateTable call (see the header). */
export const ICEBERG_TABLE_IGNORED_FIELDS = [
  "description",
  "openTableFormatInput",
  "parameters",
  "partitionKeys",
  "storageDescriptor",
  "tableType",
];

export interface DatasetTablesArgs {
  dataset: string;
  /** The plan's table definitions (engine/plan.ts LoadPlan.tables). */
  tables: Record<TableRole, TableDef>;
  databaseNames: Record<Zone, pulumi.Input<string>>;
  zoneBucketNames: Record<Zone, pulumi.Input<string>>;
  /** @default true */
  retainData?: boolean;
}

export class DatasetTables extends pulumi.ComponentResource {
  public readonly tables: Record<TableRole, aws.glue.CatalogTable>;

  constructor(name: string, args: DatasetTablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:catalog:DatasetTables", name, {}, opts);
    const retain = args.retainData ?? true;
    const entries = (Object.keys(args.tables) as TableRole[]).sort().map((role) => {
      const def = args.tables[role];
      const zone = TABLE_ZONE[role];
      const { fields, partitionFields } = icebergSchema(def);
      const location = pulumi.output(args.zoneBucketNames[zone]).apply((b) => tableLocation(b, args.dataset, def.name));
      const table = new aws.glue.CatalogTable(
        `${name}-${role}`,
        {
          name: def.name,
          databaseName: args.databaseNames[zone],
          tableType: "EXTERNAL_TABLE",
          description: `${args.dataset} ${role} (${def.writeMode})`,
          openTableFormatInput: icebergTableInput(location, { fields, partitionFields }),
        },
        { parent: this, protect: retain, retainOnDelete: retain, dependsOn: opts?.dependsOn, ignoreChanges: ICEBERG_TABLE_IGNORED_FIELDS },
      );
      return [role, table] as const;
    });
    this.tables = Object.fromEntries(entries) as Record<TableRole, aws.glue.CatalogTable>;
    this.registerOutputs({});
  }
}
