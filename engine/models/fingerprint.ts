// A model plan's fingerprint: what decides its table's rows (inputs, steps, output, columns).
// Stored in each published version's meta; an incremental build on top of a version built by a
// different plan would mix two definitions, so a changed fingerprint means a full rebuild.
import { createHash } from "node:crypto";
import type { ModelPlan } from "./plan";

export function modelPlanFingerprint(plan: ModelPlan): string {
  const decisive = { inputs: plan.inputs, steps: plan.steps.map((s) => ({ name: s.name, sql: s.sql })), output: plan.output, columns: plan.columns };
  return createHash("sha256").update(JSON.stringify(decisive)).digest("hex").slice(0, 16);
}
