// How StartJobRun failures are handled. Retryable ones leave the files PENDING (the next run or
// the reconciler picks them up); permanent ones fail the files with the reason, so a missing or
// misconfigured job cannot cause a retry loop. Anything else is ambiguous: the run may have
// started, so the RUN stays QUEUED for the reconciler to adopt (by --run_id) or abandon.
// https://docs.aws.amazon.com/glue/latest/webapi/API_StartJobRun.html#API_StartJobRun_Errors
import { GLUE_ERRORS } from "../ports";

const RETRYABLE = new Set<string>([
  GLUE_ERRORS.concurrentRunsExceeded,
  GLUE_ERRORS.throttling,
  GLUE_ERRORS.internalService,
  GLUE_ERRORS.operationTimeout,
  GLUE_ERRORS.resourceNumberLimitExceeded,
]);
const PERMANENT = new Set<string>([GLUE_ERRORS.entityNotFound, GLUE_ERRORS.invalidInput, "AccessDeniedException", "ValidationException"]);

export type StartErrorKind = "retryable" | "permanent" | "ambiguous";

export function classifyStartError(err: unknown): StartErrorKind {
  const name = (err as Error)?.name ?? "";
  if (RETRYABLE.has(name)) return "retryable";
  if (PERMANENT.has(name)) return "permanent";
  return "ambiguous";
}

export function describeError(err: unknown): string {
  const e = err as Error;
  return `${e?.name ?? "Error"}: ${e?.message ?? String(err)}`;
}
