// Read access to a workspace's audit store for the CLI (`audit`, `demo`). LevelDB admits one
// process, so when `datalake local` is running the CLI asks its dynalite (the endpoint it
// advertises) instead of opening the files itself.
import { existsSync, readFileSync, rmSync, writeFileSync } from "fs";
import { join } from "path";
import { ensureAuditTable } from "../../handlers/audit/ensure-table";
import { AuditStore } from "../../handlers/audit/store";
import { localDynamoClient, startAuditServer } from "./audit-server";
import { acquireWorkspaceLock, isAlive } from "./workspace-lock";
import { LOCAL_NAMES, workspacePaths } from "./workspace";

interface Advert {
  pid: number;
  endpoint: string;
}

const advertPath = (ops: string) => join(ops, "local.endpoint.json");

/** Written by a running runtime; removed on stop (a stale one names a dead pid). */
export function advertiseEndpoint(workspace: string, endpoint: string): () => void {
  const path = advertPath(workspacePaths(workspace).ops);
  writeFileSync(path, JSON.stringify({ pid: process.pid, endpoint } satisfies Advert));
  return () => rmSync(path, { force: true });
}

export interface OpenAudit {
  audit: AuditStore;
  /** true when reading through a running `datalake local`. */
  shared: boolean;
  close(): Promise<void>;
}

export async function openWorkspaceAudit(workspace: string): Promise<OpenAudit> {
  const paths = workspacePaths(workspace);
  const advert = readAdvert(advertPath(paths.ops));
  if (advert && advert.pid !== process.pid && isAlive(advert.pid)) {
    const client = localDynamoClient(advert.endpoint);
    return { audit: AuditStore.fromClient(client, LOCAL_NAMES.auditTable), shared: true, close: async () => client.destroy() };
  }
  if (!existsSync(paths.auditDb)) throw new Error(`no audit store in ${paths.root} yet (run \`datalake load\`, \`datalake local\` or \`datalake demo\` first)`);
  const lock = acquireWorkspaceLock(join(paths.ops, "local.lock"));
  try {
    const own = await startWorkspaceAudit(workspace);
    return {
      audit: own.audit,
      shared: false,
      close: async () => {
        await own.close();
        lock.release();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/** The workspace's audit store on its own dynalite (created if new). The caller holds the lock. */
export async function startWorkspaceAudit(workspace: string): Promise<{ audit: AuditStore; close(): Promise<void> }> {
  const server = await startAuditServer(workspacePaths(workspace).auditDb);
  try {
    await ensureAuditTable(server.client, LOCAL_NAMES.auditTable);
  } catch (err) {
    await server.close();
    throw err;
  }
  return { audit: AuditStore.fromClient(server.client, LOCAL_NAMES.auditTable), close: () => server.close() };
}

function readAdvert(path: string): Advert | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Advert;
  } catch {
    return undefined;
  }
}
