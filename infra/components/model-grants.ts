// Lake Formation grants of one model's job role: DESCRIBE on the databases it uses, SELECT on the
// tables its plan reads (never more: a fact does not see bronze), the job permissions on its own
// table and data location access under `<model>/` of the semantic location. Readers' grants on
// the model table are ReaderGrants (dataset-grants.ts), PII columns excluded.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { sorted } from "../policies/document";
import { JOB_TABLE_PERMISSIONS } from "./dataset-grants";

/** What reading a table needs (SELECT on the rows, DESCRIBE on its metadata). */
export const MODEL_READ_PERMISSIONS = sorted(["DESCRIBE", "SELECT"]);

export interface ModelGrantsArgs {
  jobRoleArn: pulumi.Input<string>;
  /** The model's own table (catalog table outputs: the grants wait for it). */
  table: { database: pulumi.Input<string>; name: pulumi.Input<string> };
  /** Tables the plan reads, by a stable label (`<zone>-<table>`). */
  reads: Record<string, { database: pulumi.Input<string>; name: pulumi.Input<string> }>;
  /** Databases the job needs DESCRIBE on, by zone. */
  databases: Record<string, pulumi.Input<string>>;
  /** `<semantic location ARN>/<model>` (waits for the registration). */
  dataLocationArn: pulumi.Input<string>;
}

export class ModelGrants extends pulumi.ComponentResource {
  constructor(name: string, args: ModelGrantsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:lakeformation:ModelGrants", name, {}, opts);
    const child = { parent: this, dependsOn: opts?.dependsOn };
    new aws.lakeformation.Permissions(
      `${name}-job-location`,
      { principal: args.jobRoleArn, permissions: ["DATA_LOCATION_ACCESS"], dataLocation: { arn: args.dataLocationArn } },
      child,
    );
    for (const [zone, database] of Object.entries(args.databases).sort()) {
      new aws.lakeformation.Permissions(
        `${name}-job-db-${zone}`,
        { principal: args.jobRoleArn, permissions: ["DESCRIBE"], database: { name: database } },
        child,
      );
    }
    for (const [label, t] of Object.entries(args.reads).sort()) {
      new aws.lakeformation.Permissions(
        `${name}-job-read-${label}`,
        { principal: args.jobRoleArn, permissions: MODEL_READ_PERMISSIONS, table: { databaseName: t.database, name: t.name } },
        child,
      );
    }
    new aws.lakeformation.Permissions(
      `${name}-job-table`,
      { principal: args.jobRoleArn, permissions: JOB_TABLE_PERMISSIONS, table: { databaseName: args.table.database, name: args.table.name } },
      child,
    );
    this.registerOutputs({});
  }
}
