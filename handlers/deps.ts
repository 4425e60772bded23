// Builds HandlerDeps with defaults. Used by the Lambda entry files (AWS adapters), local mode
// (dynalite + in-process Glue/objects) and tests.
import { randomBytes } from "crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DatasetSpec } from "../datasets/define";
import { AuditStore } from "./audit/store";
import { silentLogger } from "./log";
import { noRunMetrics } from "./metrics";
import { Clock, DEFAULT_LIMITS, GlueLauncher, HandlerDeps, HandlerLimits, Logger, ModelGraph, ObjectStore, RunMetrics, systemClock } from "./ports";

export interface HandlerDepsInput {
  /** A DynamoDB client (AWS, or dynalite via `endpoint`) ... */
  dynamo?: DynamoDBClient;
  auditTable?: string;
  /** ... or a ready store (tests wrapping the client). */
  audit?: AuditStore;
  objects: ObjectStore;
  glue: GlueLauncher;
  specs: readonly DatasetSpec[];
  jobNames: Record<string, string>;
  /** The models built after loads. @default {} (none) */
  modelGraph?: ModelGraph;
  opsBucket: string;
  landingBucket?: string;
  limits?: Partial<HandlerLimits>;
  clock?: Clock;
  log?: Logger;
  /** RunFailed emission. @default noRunMetrics (local mode, tests) */
  metrics?: RunMetrics;
  newRunId?: () => string;
}

export function createHandlerDeps(input: HandlerDepsInput): HandlerDeps {
  const limits = { ...DEFAULT_LIMITS, ...input.limits };
  const clock = input.clock ?? systemClock;
  let audit = input.audit;
  if (!audit) {
    if (!input.dynamo || !input.auditTable) throw new Error("createHandlerDeps: pass `audit`, or `dynamo` and `auditTable`");
    audit = AuditStore.fromClient(input.dynamo, input.auditTable, { finishedTtlDays: limits.finishedTtlDays, now: () => clock.now() });
  }
  return {
    audit,
    objects: input.objects,
    glue: input.glue,
    specs: input.specs,
    jobNames: input.jobNames,
    modelGraph: input.modelGraph ?? {},
    opsBucket: input.opsBucket,
    landingBucket: input.landingBucket,
    limits,
    clock,
    log: input.log ?? silentLogger,
    metrics: input.metrics ?? noRunMetrics,
    newRunId: input.newRunId ?? (() => newRunId(clock.now())),
  };
}

/** Sortable and unique: 20261121T165210123Z-9f3a1c2b. */
export function newRunId(nowMs: number): string {
  const stamp = new Date(nowMs).toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${randomBytes(4).toString("hex")}`;
}
