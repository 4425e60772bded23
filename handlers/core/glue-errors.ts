// How StartJobRun failures are handled. Retryable ones leave the files PENDING (the next run or
// the reconciler picks them up); permanent ones fail the files with the reason, so a missing or
// misconfigured job cannot cause a retry loop. Anything else is ambiguous: the run may have
// started, so the RUN stays QUEUED for the reconciler to adopt (by --run_id) or abandon.
// https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html#API_StartJobRun_Errors
//
// Retryable means refused before Glue created a run. InternalService and OperationTimeout are
// not: Glue may have created the run and lost the answer, and a retry is then refused with
// ConcurrentRunsExceeded (one run at a time per job) while that run loads and publishes; the
// RUN recorded FAILED start_failed and its files loaded by the next run, against the contract
// that a run which published is never FAILED. An SDK that retries a 5xx or a timeout by itself
// makes a refusal after more than one attempt ambiguous the same way: the handlers' launcher
// sends StartJobRun once (aws/glue-launcher.ts awsGlueLauncher), so a throttle stays retryable.
import { GLUE_ERRORS } from "../ports";

const RETRYABLE = new Set<string>([GLUE_ERRORS.concurrentRunsExceeded, GLUE_ERRORS.throttling, GLUE_ERRORS.resourceNumberLimitExceeded]);
const PERMANENT = new Set<string>([GLUE_ERRORS.entityNotFound, GLUE_ERRORS.invalidInput, "AccessDeniedException", "ValidationException"]);

export type StartErrorKind = "retryable" | "permanent" | "ambiguous";

export function classifyStartError(err: unknown): StartErrorKind {
  const name = (err as Error)?.name ?? "";
  const sdkAttempts = (err as { $metadata?: { attempts?: number } })?.$metadata?.attempts ?? 1;
  if (RETRYABLE.has(name)) return sdkAttempts > 1 ? "ambiguous" : "retryable";
  if (PERMANENT.has(name)) return "permanent";
  return "ambiguous";
}

export function describeError(err: unknown): string {
  const e = err as Error;
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
}
