// One test world: a fresh audit table on the shared dynalite server, a fault-injecting wrapper
// around the DynamoDB document client, an in-memory versioned S3, a fake Glue, a manual clock,
// and helpers that build real-shaped events from the fixtures.
import { readFileSync } from "fs";
import { join } from "path";
import { expect } from "chai";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DATASETS } from "../../../datasets";
import { AuditStore } from "../../../handlers/audit/store";
import type { FileItem } from "../../../handlers/audit/items";
import { createHandlerDeps } from "../../../handlers/deps";
import { RecordingRunMetrics } from "../../../handlers/metrics";
import type { Clock, HandlerDeps, HandlerLimits, ModelGraph } from "../../../handlers/ports";
import type { Manifest } from "../../../engine/contracts";
import { DynaliteServer, startDynalite } from "./dynalite";
import { FakeGlue } from "./fake-glue";
import { MemoryObjectStore } from "./memory-object-store";

export const LANDING = "datalake-dev-landing";
export const OPS = "datalake-dev-ops";
export const JOB_NAMES: Record<string, string> = Object.fromEntries(DATASETS.map((d) => [d.name, `datalake-dev-${d.name}`]));

const FIXTURES = join(__dirname, "..", "..", "fixtures", "events");
export function fixture(name: string): any {
  return JSON.parse(readFileSync(join(FIXTURES, name), "utf8"));
}

export class ManualClock implements Clock {
  sleeps: number[] = [];
  constructor(public t = Date.parse("2026-11-21T10:00:00Z")) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
}

type Send = (command: any) => Promise<any>;

/**
 * Wraps the document client: `fault` may throw before a command reaches dynalite;
 * `crashAfter` marks the process dead after a matching command succeeds (every later call of
 * that deps bundle throws, as if the Lambda died there).
 */
export class FaultyDb {
  fault?: (command: any) => Error | undefined;
  crashAfter?: (command: any) => boolean;
  /** The command applies, its answer is lost, and the SDK's retry answers instead (attempts: 2). */
  lostAnswer?: (command: any) => boolean;
  crashed = false;
  calls = 0;
  constructor(private readonly inner: { send: Send }) {}
  async send(command: any): Promise<any> {
    this.calls++;
    if (this.crashed) throw crashError();
    const err = this.fault?.(command);
    if (err) throw err;
    if (this.lostAnswer?.(command)) {
      await this.inner.send(command);
      return this.inner.send(command).catch((retryErr: { $metadata?: object }) => {
        retryErr.$metadata = { ...retryErr.$metadata, attempts: 2 };
        throw retryErr;
      });
    }
    const out = await this.inner.send(command);
    if (this.crashAfter?.(command)) this.crashed = true;
    return out;
  }
}

export function crashError(): Error {
  const err = new Error("simulated crash: the Lambda died here");
  err.name = "SimulatedCrash";
  return err;
}

export function awsError(name: string): Error {
  const err = new Error(`${name} (injected)`);
  err.name = name;
  return err;
}

/** Command helpers for fault predicates. */
export const is = {
  fileWrite: (c: any) => c.constructor?.name === "PutCommand" && String(c.input?.Item?.pk).startsWith("FILE#"),
  runWrite: (c: any) => c.constructor?.name === "PutCommand" && String(c.input?.Item?.pk).startsWith("RUN#"),
  slotTake: (c: any) => c.constructor?.name === "UpdateCommand" && String(c.input?.Key?.pk).startsWith("DATASET#") && /activeRunId = :run/.test(c.input?.UpdateExpression),
  any: () => true,
};

export interface World {
  deps: HandlerDeps;
  db: FaultyDb;
  /** Healthy store for assertions (not the one the handlers use). */
  audit: AuditStore;
  objects: MemoryObjectStore;
  glue: FakeGlue;
  clock: ManualClock;
  /** Every RunFailed any deps bundle of this world emitted. */
  metrics: RecordingRunMetrics;
  table: string;
  /** A second deps bundle over the same table/objects/glue with a healthy db (after a crash). */
  fresh(): HandlerDeps;
}

export interface WorldOptions {
  limits?: Partial<HandlerLimits>;
  versioned?: boolean;
  /** Semantic models the handlers build after loads. @default none */
  modelGraph?: ModelGraph;
}

/**
 * The hooks every handler suite needs: one dynalite server for the suite and, before each test, a
 * fresh World (new table, fakes) handed to `onWorld`. Returns a builder for tests that need a
 * World with other options mid-test.
 */
export function useWorlds(onWorld: (w: World) => void, opts: WorldOptions = {}): (opts?: WorldOptions) => Promise<World> {
  let server: DynaliteServer;
  before(async () => {
    server = await startDynalite();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(async () => {
    onWorld(await newWorld(server, opts));
  });
  return (other = {}) => newWorld(server, other);
}

export async function newWorld(server: DynaliteServer, opts: WorldOptions = {}): Promise<World> {
  const table = await server.newTable();
  const doc = DynamoDBDocumentClient.from(server.client, { marshallOptions: { removeUndefinedValues: true } });
  const clock = new ManualClock();
  const objects = new MemoryObjectStore(opts.versioned ?? true);
  const glue = new FakeGlue(objects, OPS);
  const graph = opts.modelGraph ?? {};
  glue.modelOfJob = (job) => Object.keys(graph).find((m) => graph[m].job === job) ?? job;
  const metrics = new RecordingRunMetrics();
  const limits = { startBackoffMs: 10, staleStartSeconds: 900, ...opts.limits };
  const build = (db: { send: Send }) =>
    createHandlerDeps({
      audit: new AuditStore(db, table, { now: () => clock.now() }),
      objects,
      glue,
      specs: DATASETS,
      jobNames: JOB_NAMES,
      modelGraph: graph,
      opsBucket: OPS,
      landingBucket: LANDING,
      limits,
      clock,
      metrics,
    });
  const db = new FaultyDb(doc);
  const deps = build(db);
  // Inspection goes around the fault injector, so assertions still work after a simulated crash.
  const audit = new AuditStore(doc, table, { now: () => clock.now() });
  return { deps, db, audit, objects, glue, clock, metrics, table, fresh: () => build(doc) };
}

/** S3's form-URL-encoding of keys in notifications ("/" kept, space -> "+"). */
export function s3EncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
}

/** A producer PUT into landing and the EventBridge event S3 emits for it. */
export function putAndEvent(w: World, key: string, size = 100, bucket = LANDING, content?: string): Record<string, any> {
  const v = w.objects.put(bucket, key, size, content);
  return objectCreated(bucket, key, { ...v, size });
}

export function objectCreated(
  bucket: string,
  key: string,
  v: { versionId: string | null; etag: string; sequencer: string; size: number },
  time = "2026-11-21T10:15:30Z",
): Record<string, any> {
  const event = fixture("s3-object-created.json");
  event.time = time;
  event.detail.bucket.name = bucket;
  event.resources = [`arn:aws:s3:::${bucket}`];
  event.detail.object = { key: s3EncodeKey(key), size: v.size, etag: v.etag, sequencer: v.sequencer };
  if (v.versionId !== null) event.detail.object["version-id"] = v.versionId;
  return event;
}

export async function allFiles(audit: AuditStore): Promise<FileItem[]> {
  const datasets = [...DATASETS.map((d) => d.name), "_unrouted"];
  return (await Promise.all(datasets.map((d) => audit.listFiles(d)))).flat();
}

const TERMINAL = ["SUCCEEDED", "FAILED", "QUARANTINED", "SKIPPED"];

/**
 * Conservation: every object version put into landing has exactly one FILE item (matched by
 * bucket, key and version/etag), no FILE item is unexplained, no file was in two started runs,
 * and (unless told otherwise) every FILE is terminal.
 */
export async function assertAccounted(w: World, opts: { terminal?: boolean } = {}): Promise<FileItem[]> {
  const files = await allFiles(w.audit);
  const landed = w.objects.landed(LANDING);
  for (const v of landed) {
    const matches = files.filter((f) => f.bucket === v.bucket && f.key === v.key && (v.versionId !== null ? f.versionId === v.versionId : f.etag === v.etag && f.sequencer === v.sequencer));
    expect(matches, `FILE items for ${v.key}#${v.versionId ?? v.etag}`).to.have.length(1);
  }
  expect(files.length, "FILE items without a landed object version").to.equal(landed.length);
  if (opts.terminal ?? true) {
    const open = files.filter((f) => !TERMINAL.includes(f.status));
    expect(open.map((f) => `${f.key}:${f.status}`), "FILE items not terminal").to.deep.equal([]);
  }
  const seen = new Map<string, string>();
  for (const run of w.glue.runs.filter((r) => !w.glue.isModelRun(r.Id))) {
    const manifest: Manifest = await w.glue.manifestOf(run.Id);
    for (const f of manifest.files) {
      expect(seen.get(f.fileId), `${f.fileId} loaded by two job runs`).to.equal(undefined);
      seen.set(f.fileId, run.Id);
    }
  }
  return files;
}

/** Completes every running Glue run successfully and delivers the state events to job-state. */
export async function drainRuns(w: World, handle: (event: unknown) => Promise<unknown>, maxRounds = 50): Promise<number> {
  let completed = 0;
  for (let i = 0; i < maxRounds; i++) {
    const running = w.glue.running();
    if (running.length === 0) return completed;
    for (const run of running) {
      const event = await w.glue.complete(run.Id);
      await handle(event);
      completed++;
    }
  }
  throw new Error("runs kept starting");
}

/** The RunFailed emissions so far, as `dataset:reason`. */
export function failedMetrics(w: World): string[] {
  return w.metrics.failed.map((m) => `${m.dataset}:${m.reason}`);
}
