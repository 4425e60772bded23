// The audit store of local mode: dynalite (a DynamoDB-compatible server on LevelDB) persisted in
// the workspace, so the handlers talk to it exactly as they talk to DynamoDB on AWS. It runs in
// a child process (dynalite-child.js) so its CPU work does not compete with the main thread.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ChildProcess, fork } from "child_process";
import { mkdirSync } from "fs";
import { join } from "path";
import { REPO_ROOT } from "../../engine/repo-root";
import { LOCAL_NAMES } from "./workspace";

export interface AuditServer {
  endpoint: string;
  /** An SDK client (table creation); the hot path uses DynaliteDb. */
  client: DynamoDBClient;
  close(): Promise<void>;
}

/** Starts dynalite on a free loopback port. `dir` undefined = in memory. */
export async function startAuditServer(dir: string | undefined): Promise<AuditServer> {
  if (dir) mkdirSync(dir, { recursive: true });
  const child = fork(join(REPO_ROOT, "local", "runtime", "dynalite-child.js"), dir ? [dir] : [], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    execArgv: [],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (msg: { port?: number; error?: string }) =>
      msg.port ? resolve(msg.port) : reject(new Error(`audit store did not start: ${msg.error}`)),
    );
    child.once("exit", (code) => reject(new Error(`audit store exited during start (code ${code})`)));
    child.once("error", reject);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      await stopChild(child);
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send("close");
    else child.kill("SIGTERM");
  });
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
