import type { HandlerDeps } from "../ports";

/** Seconds since `iso` by the handlers' clock; infinite when unknown (treated as stale). */
export function ageSeconds(deps: Pick<HandlerDeps, "clock">, iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : (deps.clock.now() - t) / 1000;
}
