// Bench wiring for the handlers: a dynalite server, an audit table, the in-memory S3 and the fake
// Glue from the handler tests (test/handlers/support), and a real clock.
import { ChildProcess, spawn } from "child_process";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ensureAuditTable } from "../handlers/audit/ensure-table";
import { DATASETS } from "../datasets";
import { AuditDb, AuditStore } from "../handlers/audit/store";
import { createHandlerDeps } from "../handlers/deps";
import { HandlerDeps, systemClock } from "../handlers/ports";
import { DynaliteServer, startDynalite } from "../test/handlers/support/dynalite";
import { FakeGlue } from "../test/handlers/support/fake-glue";
import { MemoryObjectStore } from "../test/handlers/support/memory-object-store";
import { JOB_NAMES, LANDING, OPS, objectCreated } from "../test/handlers/support/world";

export interface BenchWorld {
  server: DynaliteServer;
  deps: HandlerDeps;
  objects: MemoryObjectStore;
  glue: FakeGlue;
  audit: AuditStore;
}

/** A fresh table on `server`; `db` replaces the SDK document client as the audit transport. */
export async function benchWorld(server?: DynaliteServer, db?: AuditDb): Promise<BenchWorld> {
  const s = server ?? (await startDynalite());
  const table = await s.newTable();
  const doc = db ?? DynamoDBDocumentClient.from(s.client, { marshallOptions: { removeUndefinedValues: true } });
  const objects = new MemoryObjectStore(true);
  const glue = new FakeGlue(objects, OPS);
  const audit = new AuditStore(doc, table);
  const deps = createHandlerDeps({
    audit,
    objects,
    glue,
    specs: DATASETS,
    jobNames: JOB_NAMES,
    opsBucket: OPS,
    landingBucket: LANDING,
    clock: systemClock,
    limits: { startBackoffMs: 20 },
  });
  return { server: s, deps, objects, glue, audit };
}

export function landEvent(w: BenchWorld, key: string, time = new Date().toISOString()): Record<string, unknown> {
  const v = w.objects.put(LANDING, key, 1024);
  return objectCreated(LANDING, key, { ...v, size: 1024 }, time);
}

export async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * dynalite in a child process: the bench then measures the handler against a server on the
 * other core instead of sharing one event loop with it (closer to a network database).
 */
export async function startDynaliteProcess(): Promise<DynaliteServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["-e", "const s=require('dynalite')({createTableMs:0});s.listen(0,'127.0.0.1',()=>console.log(s.address().port))"],
    { cwd: __dirname, stdio: ["ignore", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once("data", (d) => resolve(Number(String(d).trim())));
    child.once("exit", (code) => reject(new Error(`dynalite exited with ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "x" }, maxAttempts: 1 });
  let n = 0;
  return {
    client,
    endpoint,
    async newTable() {
      const name = `bench-audit-${++n}`;
      await ensureAuditTable(client, name);
      return name;
    },
    async close() {
      client.destroy();
      child.kill();
    },
  };
}
