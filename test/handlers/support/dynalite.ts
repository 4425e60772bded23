// A real dynalite server in-process on a random port (one per test file) and a fresh audit
// table per test, so tests never see each other's items.
import { AddressInfo } from "net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ensureAuditTable } from "../../../handlers/audit/ensure-table";

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const dynalite = require("dynalite") as (opts: Record<string, unknown>) => import("http").Server;

export interface DynaliteServer {
  client: DynamoDBClient;
  endpoint: string;
  newTable(): Promise<string>;
  close(): Promise<void>;
}

let tableCounter = 0;

export async function startDynalite(): Promise<DynaliteServer> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  return {
    client,
    endpoint,
    async newTable() {
      const name = `audit-${process.pid}-${++tableCounter}`;
      await ensureAuditTable(client, name);
      return name;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
