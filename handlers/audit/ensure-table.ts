// Creates the audit table if missing and waits until ACTIVE: local mode and tests (dynalite).
// On AWS the Pulumi program owns the table; the handlers never create it.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { AUDIT_TABLE_SCHEMA, auditCreateTableInput } from "./schema";

export async function ensureAuditTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(auditCreateTableInput(tableName)));
  } catch (err) {
    if ((err as Error).name !== "ResourceInUseException") throw err;
  }
  for (let i = 0; i < 600; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === "ACTIVE");
    if (Table?.TableStatus === "ACTIVE" && indexesActive) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: AUDIT_TABLE_SCHEMA.ttlAttribute, Enabled: true },
      }),
    );
  } catch (err) {
    // dynalite does not implement UpdateTimeToLive (UnknownOperationException); local items simply never expire.
    const name = (err as Error).name;
    if (name !== "UnknownOperationException" && name !== "ValidationException") throw err;
  }
}
