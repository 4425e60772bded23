// Lake Formation grants of one dataset: its job role on its tables and data locations
// (DatasetGrants), readers SELECT on the silver table without excluded PII columns
// (ReaderGrants). Permission lists are sorted.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TableRole } from "../../engine/plan";
import { sorted } from "../policies/document";
import { principalLabel } from "../principal-label";
import type { ReaderColumnGrant } from "../reader-columns";

/** What the job does to its tables (write-audit-publish on Iceberg needs ALTER for branches). */
export const JOB_TABLE_PERMISSIONS = sorted(["ALTER", "DELETE", "DESCRIBE", "INSERT", "SELECT"]);

export interface DatasetGrantsArgs {
  dataset: string;
  jobRoleArn: pulumi.Input<string>;
  /** role -> { database, name } of each table (outputs of the catalog tables: grants wait for them). */
  tables: Record<TableRole, { database: pulumi.Input<string>; name: pulumi.Input<string> }>;
  /** Database names the job needs DESCRIBE on, by zone. */
  databases: Record<string, pulumi.Input<string>>;
  /** S3 ARNs (registered location sub-paths) the job writes: `<zone bucket ARN>/<dataset>`. */
  dataLocationArns: Record<string, pulumi.Input<string>>;
}

export class DatasetGrants extends pulumi.ComponentResource {
  constructor(name: string, args: DatasetGrantsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:lakeformation:DatasetGrants", name, {}, opts);
    // Children do not inherit a component's dependsOn: forward it (Lake Formation settings first).
    const child = { parent: this, dependsOn: opts?.dependsOn };
    for (const [zone, arn] of Object.entries(args.dataLocationArns).sort()) {
      new aws.lakeformation.Permissions(
        `${name}-job-location-${zone}`,
        { principal: args.jobRoleArn, permissions: ["DATA_LOCATION_ACCESS"], dataLocation: { arn } },
        child,
      );
    }
    for (const [zone, database] of Object.entries(args.databases).sort()) {
      new aws.lakeformation.Permissions(
        `${name}-job-db-${zone}`,
        { principal: args.jobRoleArn, permissions: ["DESCRIBE"], database: { name: database } },
        child,
      );
    }
    for (const role of (Object.keys(args.tables) as TableRole[]).sort()) {
      const t = args.tables[role];
      new aws.lakeformation.Permissions(
        `${name}-job-table-${role}`,
        { principal: args.jobRoleArn, permissions: JOB_TABLE_PERMISSIONS, table: { databaseName: t.database, name: t.name } },
        child,
      );
    }
    this.registerOutputs({});
  }
}

export interface ReaderGrantsArgs {
  /** A silver or semantic table (catalog table outputs: the grants wait for it). */
  table: { database: pulumi.Input<string>; name: pulumi.Input<string> };
  readerPrincipals: string[];
  /** Columns readers may select: a wildcard without the table's PII columns (reader-columns.ts). */
  readerColumns: ReaderColumnGrant;
}

/**
 * Readers' SELECT on one silver table (or one model's semantic table). The dataset's Glue job waits for these grants (see
 * infra/dataset-wiring.ts): a spec that adds a PII column changes the exclusions and the job's
 * plan in one update, and if the grant update fails the job keeps its old plan, so the job never
 * adds a PII column that readers' wildcard would still show.
 */
export class ReaderGrants extends pulumi.ComponentResource {
  constructor(name: string, args: ReaderGrantsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:lakeformation:ReaderGrants", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    for (const reader of sorted(args.readerPrincipals)) {
      new aws.lakeformation.Permissions(
        `${name}-${principalLabel(reader)}`,
        {
          principal: reader,
          permissions: ["SELECT"],
          tableWithColumns: { databaseName: args.table.database, name: args.table.name, ...args.readerColumns },
        },
        child,
      );
    }
    this.registerOutputs({});
  }
}
