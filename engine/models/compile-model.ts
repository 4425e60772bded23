// One entry point from a model spec to its ModelPlan, per kind, and the build order of a set of
// plans, derived from the semantic inputs each plan names (never from a hand-kept list).
import type { ModelSpec } from "../../models/define";
import type { Dialect } from "../plan";
import { compileDateDimension } from "./date-dimension";
import { PREVIOUS_RELATION, type ModelKind, type ModelPlan } from "./plan";

type Compiler = (spec: never, opts: { dialect: Dialect }) => ModelPlan;

/** A compiler per model kind; a kind is buildable once its compiler is listed here. */
export const MODEL_COMPILERS: Partial<Record<ModelKind, Compiler>> = {
  date: compileDateDimension as Compiler,
};

export function compileModel(spec: ModelSpec, dialect: Dialect): ModelPlan {
  const compile = MODEL_COMPILERS[spec.kind] as ((s: ModelSpec, o: { dialect: Dialect }) => ModelPlan) | undefined;
  if (!compile) throw new Error(`model ${spec.name}: no compiler for ${spec.kind} models is registered (engine/models/compile-model.ts)`);
  return compile(spec, { dialect });
}

/** The models a plan reads (its own previous version aside). */
export function modelInputs(plan: ModelPlan): string[] {
  return plan.inputs.flatMap((i) => (i.zone === "semantic" && !(i.relation === PREVIOUS_RELATION && i.model === plan.model) ? [i.model] : []));
}

/**
 * Plans ordered so that every model comes after the models it reads that are in the set (one
 * outside the set is read as published). Ties keep the given order. A cycle is an error.
 */
export function buildOrder(plans: ModelPlan[]): ModelPlan[] {
  const pending = [...plans];
  const ordered: ModelPlan[] = [];
  while (pending.length > 0) {
    const names = new Set(pending.map((p) => p.model));
    const ready = pending.findIndex((p) => modelInputs(p).every((m) => !names.has(m) || m === p.model));
    if (ready < 0) throw new Error(`models read each other in a cycle: ${pending.map((p) => p.model).join(", ")}`);
    ordered.push(...pending.splice(ready, 1));
  }
  return ordered;
}
