// Ages and stale slots: what the reconciler decides from the handlers' clock.
import type { RunItem } from "../audit/items";
import type { HandlerDeps } from "../ports";

/** Seconds since `iso` by the handlers' clock; infinite when unknown (treated as stale). */
export function ageSeconds(deps: Pick<HandlerDeps, "clock">, iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : (deps.clock.now() - t) / 1000;
}

/**
 * Why a slot's holder no longer holds it for real, or undefined: its run finished (a crash
 * between the RUN write and the release; `run` is that RUN), or no RUN item exists past
 * staleStartSeconds (a crash after the take). Dataset slots and model slots alike.
 */
export async function staleSlotReason(
  deps: Pick<HandlerDeps, "audit" | "clock" | "limits">,
  holder: { activeRunId: string; takenAt?: string },
): Promise<{ why: "run finished"; run: RunItem } | { why: "no RUN item"; run?: undefined } | undefined> {
  const run = await deps.audit.getRun(holder.activeRunId);
  if (run && (run.status === "SUCCEEDED" || run.status === "FAILED")) return { why: "run finished", run };
  if (!run && ageSeconds(deps, holder.takenAt) >= deps.limits.staleStartSeconds) return { why: "no RUN item" };
  return undefined;
}
