// The audit table (FILE / RUN / DATASET items) from the one schema the handlers declare:
// on-demand, point-in-time recovery, encrypted with the ops CMK, TTL on finished items.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AUDIT_TABLE_SCHEMA } from "../../handlers/audit/schema";

export interface AuditTableArgs {
  tableName: string;
  kmsKeyArn: pulumi.Input<string>;
  /** The key's policy: the table is created after it (first deploy). */
  keyPolicy?: pulumi.Input<pulumi.Resource[]>;
  /** Deletion protection and Pulumi protect/retain. @default true */
  retainData?: boolean;
}

export class AuditTable extends pulumi.ComponentResource {
  public readonly table: aws.dynamodb.Table;
  public readonly indexNames: string[];

  constructor(name: string, args: AuditTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:audit:AuditTable", name, {}, opts);
    const retain = args.retainData ?? true;
    const s = AUDIT_TABLE_SCHEMA;
    this.indexNames = s.globalSecondaryIndexes.map((g) => g.name);
    this.table = new aws.dynamodb.Table(
      name,
      {
        name: args.tableName,
        billingMode: s.billingMode,
        hashKey: s.hashKey,
        rangeKey: s.rangeKey,
        attributes: s.attributes.map((a) => ({ name: a.name, type: a.type })),
        globalSecondaryIndexes: s.globalSecondaryIndexes.map((g) => ({
          name: g.name,
          hashKey: g.hashKey,
          rangeKey: "rangeKey" in g ? g.rangeKey : undefined,
          projectionType: g.projectionType,
        })),
        ttl: { attributeName: s.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true, kmsKeyArn: args.kmsKeyArn },
        deletionProtectionEnabled: retain,
      },
      { parent: this, protect: retain, retainOnDelete: retain, dependsOn: args.keyPolicy },
    );
    this.registerOutputs({ tableName: this.table.name });
  }
}
