// The audit table's shape, declared once: the Pulumi program (aws.dynamodb.Table), local mode and
// tests (ensureAuditTable against dynalite) create the table from this constant.
//
// One table, four item kinds (see handlers/audit/items.ts):
//   FILE    pk = FILE#<fileId>      sk = FILE   one per object version (the permanent dedupe)
//   RUN     pk = RUN#<runId>        sk = RUN    one per job run
//   DATASET pk = DATASET#<name>     sk = SLOT   the dataset's run slot (active run + lease)
//   LOADED  pk = LOADED#<bucket>/<key> sk = LOADED  the key's last successfully loaded content
//                (file-arrival skips a new version with the same bytes: duplicate_content)
// GSIs (all projections ALL, items are small):
//   byDataset    gsi1pk = FILES#<dataset> | RUNS#<dataset>, gsi1sk = <ISO time>#<id>
//                -> files / runs of a dataset by time (CLI `audit`, bench checks)
//   outstanding  SPARSE: gsi2pk = PENDING#<dataset> while a FILE is PENDING, ACTIVE_RUNS while a
//                RUN is QUEUED or RUNNING; removed on leaving those states -> hot-path queries
//                read only outstanding work, never the history (no scans)
//   byJobRun     jobRunId (sparse) -> the RUN of a Glue job run id (job-state events)
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export const AUDIT_INDEX = {
  byDataset: "byDataset",
  outstanding: "outstanding",
  byJobRun: "byJobRun",
} as const;

export const AUDIT_TABLE_SCHEMA = {
  hashKey: "pk",
  rangeKey: "sk",
  attributes: [
    { name: "pk", type: "S" },
    { name: "sk", type: "S" },
    { name: "gsi1pk", type: "S" },
    { name: "gsi1sk", type: "S" },
    { name: "gsi2pk", type: "S" },
    { name: "gsi2sk", type: "S" },
    { name: "jobRunId", type: "S" },
  ],
  globalSecondaryIndexes: [
    { name: AUDIT_INDEX.byDataset, hashKey: "gsi1pk", rangeKey: "gsi1sk", projectionType: "ALL" },
    { name: AUDIT_INDEX.outstanding, hashKey: "gsi2pk", rangeKey: "gsi2sk", projectionType: "ALL" },
    { name: AUDIT_INDEX.byJobRun, hashKey: "jobRunId", projectionType: "ALL" },
  ],
  /** Epoch seconds; set only on finished FILE/RUN items (HandlerLimits.finishedTtlDays). */
  ttlAttribute: "expiresAt",
  billingMode: "PAY_PER_REQUEST",
} as const;

/** The schema as an SDK v3 CreateTable input. */
export function auditCreateTableInput(tableName: string): CreateTableCommandInput {
  const s = AUDIT_TABLE_SCHEMA;
  return {
    TableName: tableName,
    BillingMode: s.billingMode,
    KeySchema: [
      { AttributeName: s.hashKey, KeyType: "HASH" },
      { AttributeName: s.rangeKey, KeyType: "RANGE" },
    ],
    AttributeDefinitions: s.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    GlobalSecondaryIndexes: s.globalSecondaryIndexes.map((g) => ({
      IndexName: g.name,
      KeySchema: [
        { AttributeName: g.hashKey, KeyType: "HASH" as const },
        ...("rangeKey" in g ? [{ AttributeName: g.rangeKey, KeyType: "RANGE" as const }] : []),
      ],
      Projection: { ProjectionType: g.projectionType },
    })),
  };
}
