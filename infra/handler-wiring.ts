// The three Lambdas: one environment (handlers/env-contract.ts), one least-privilege policy each.
import * as pulumi from "@pulumi/pulumi";
import type { DatasetSpec } from "../datasets/define";
import { HANDLER_ENTRIES, HANDLER_ENV } from "../handlers/env-contract";
import type { ModelGraph } from "../handlers/ports";
import { AuditTable } from "./components/audit-table";
import { HandlerFunction, logGroupArn } from "./components/handler-function";
import { SecureBucket } from "./components/secure-bucket";
import { PlatformConfig } from "./config";
import { AccountContext } from "./policies/document";
import {
  HandlerPolicyInput,
  fileArrivalPolicyDocument,
  jobStatePolicyDocument,
  reconcilerPolicyDocument,
} from "./policies/handler-policies";
import type { ProgramSources } from "./platform";

export type HandlerName = keyof typeof HANDLER_ENTRIES;

export interface HandlerWiring {
  cfg: PlatformConfig;
  ctx: pulumi.Output<AccountContext>;
  datasets: readonly DatasetSpec[];
  sources: ProgramSources;
  functionNames: Record<HandlerName, string>;
  jobNames: Record<string, string>;
  /** The semantic models job-state and the reconciler build after loads (infra/model-graph.ts). */
  modelGraph: ModelGraph;
  jobNamePrefix: string;
  auditTable: AuditTable;
  ops: SecureBucket;
  landing: SecureBucket;
  keyArns: pulumi.Output<string>[];
  opsKeyArn: pulumi.Output<string>;
  /** The ops key's policy (log groups wait for it). */
  opsKeyPolicy: Promise<pulumi.Resource[]>;
  failureQueueArn: pulumi.Output<string>;
  /** Namespace of the runner's metrics: the handlers' RunFailed joins the same alarm series. */
  metricsNamespace: string;
}

const POLICIES = { fileArrival: fileArrivalPolicyDocument, jobState: jobStatePolicyDocument, reconciler: reconcilerPolicyDocument };

const DESCRIPTIONS: Record<HandlerName, string> = {
  fileArrival: "Records each landed file (FILE item) and starts its dataset's load run",
  jobState: "Finalizes load and model runs from Glue job state changes; starts the next load and the model builds it made due",
  reconciler: "Repairs lost events: stale runs, released slots, pending files without a run, landing versions without a FILE item",
};

/** The reconciler walks every outstanding run and dataset: give it more time than the event handlers. */
const RECONCILER_TIMEOUT_SECONDS = 300;

export function createHandlers(w: HandlerWiring): Record<HandlerName, HandlerFunction> {
  const { cfg, datasets, jobNames, functionNames } = w;
  const maxTimeoutMinutes = Math.max(cfg.glue.timeoutMinutes, ...datasets.map((s) => s.target.glue.timeoutMinutes ?? 0));
  const environment: Record<string, pulumi.Input<string>> = {
    [HANDLER_ENV.auditTable]: w.auditTable.table.name,
    [HANDLER_ENV.opsBucket]: w.ops.name,
    [HANDLER_ENV.landingBucket]: w.landing.name,
    [HANDLER_ENV.glueJobs]: JSON.stringify(jobNames),
    [HANDLER_ENV.modelGraph]: JSON.stringify(w.modelGraph),
    [HANDLER_ENV.maxFilesPerRun]: String(cfg.maxFilesPerRun),
    // The slot lease outlives the longest job run, so a slot is never released under a live run.
    [HANDLER_ENV.slotLeaseSeconds]: String(maxTimeoutMinutes * 60 + 15 * 60),
    [HANDLER_ENV.logLevel]: cfg.logLevel,
    [HANDLER_ENV.metricsNamespace]: w.metricsNamespace,
  };
  const policyInput = (fn: HandlerName) =>
    pulumi
      .all([w.ctx, w.auditTable.table.arn, w.ops.arn, w.landing.arn, pulumi.all(w.keyArns), w.failureQueueArn])
      .apply(([c, tableArn, opsArn, landingArn, keyArns, failureArn]): HandlerPolicyInput => ({
        ctx: c,
        auditTableArn: tableArn,
        auditIndexNames: w.auditTable.indexNames,
        opsBucketArn: opsArn,
        landingBucketArn: landingArn,
        landingPrefixes: datasets.map((s) => s.prefix),
        // file-arrival starts loads only; job-state and the reconciler also start and finalize model builds.
        glueJobNames: [...Object.values(jobNames), ...(fn === "fileArrival" ? [] : Object.values(w.modelGraph).map((m) => m.job))],
        glueJobNamePrefix: w.jobNamePrefix,
        keyArns,
        logGroupArn: logGroupArn(c, functionNames[fn]),
        failureQueueArn: failureArn,
        tracing: cfg.lambda.tracing,
      }));
  return Object.fromEntries(
    (Object.keys(HANDLER_ENTRIES) as HandlerName[]).map((fn) => [
      fn,
      new HandlerFunction(kebab(fn), {
        ctx: w.ctx,
        functionName: functionNames[fn],
        description: DESCRIPTIONS[fn],
        code: w.sources.handlerCode(HANDLER_ENTRIES[fn]),
        environment,
        policyDocument: policyInput(fn).apply((input) => JSON.stringify(POLICIES[fn](input))),
        logRetentionDays: cfg.logRetentionDays,
        logKeyArn: w.opsKeyArn,
        logKeyPolicy: w.opsKeyPolicy,
        failureQueueArn: w.failureQueueArn,
        timeoutSeconds: fn === "reconciler" ? RECONCILER_TIMEOUT_SECONDS : undefined,
        tracing: cfg.lambda.tracing,
        reservedConcurrency: cfg.lambda.reservedConcurrency[fn],
        // The level the handler logs at is the level Lambda keeps: a DEBUG stack sees its debug lines.
        logLevel: cfg.logLevel,
      }),
    ]),
  ) as Record<HandlerName, HandlerFunction>;

}

export function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
