// Lambda entry: EventBridge schedule -> handlers/core/reconcile.ts (the event carries nothing we need).
import { createAwsDeps } from "./aws/runtime";
import { ReconcileReport, reconcile } from "./core/reconcile";

const deps = createAwsDeps("reconciler");

export const handler = (_event: unknown): Promise<ReconcileReport> => reconcile(deps);
