// The audit store of local mode: dynalite (a DynamoDB-compatible server on LevelDB) persisted in
// the workspace, so the handlers talk to it exactly as they talk to DynamoDB on AWS.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mkdirSync } from "fs";
import type { Server } from "http";
import type { AddressInfo } from "net";
import { LOCAL_NAMES } from "./workspace";

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const dynalite = require("dynalite") as (options: Record<string, unknown>) => Server;

export interface AuditServer {
  endpoint: string;
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** Starts dynalite on a free loopback port. `dir` undefined = in memory (tests of other parts). */
export async function startAuditServer(dir: string | undefined): Promise<AuditServer> {
  if (dir) mkdirSync(dir, { recursive: true });
  // Tables become ACTIVE at once: nothing here waits like CloudFormation would.
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_NAMES.region,
    // dynalite ignores signatures; the SDK still wants credentials to sign with.
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 3,
  });
}
