// The three handlers' logic as local mode invokes it: the same functions the Lambda entry files
// call, given local deps. Kept behind one interface so tests can wrap them to inject crashes.
import type { HandlerDeps } from "../../handlers/ports";

export interface HandlerFns {
  fileArrival(event: unknown, deps: HandlerDeps): Promise<unknown>;
  jobState(event: unknown, deps: HandlerDeps): Promise<unknown>;
  reconcile(deps: HandlerDeps): Promise<unknown>;
}
