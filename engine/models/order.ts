// Which models a build runs, and in what order (ARCHITECTURE "Semantic layer", Orchestration):
// the date dimension, then dimensions, then facts, a fact after every model it reads; a load
// rebuilds only the models whose inputs it changed.
import type { DimensionSpec, FactSpec, ModelSpec } from "../../models/define";

const KIND_RANK: Record<ModelSpec["kind"], number> = { date: 0, dimension: 1, fact: 2 };

/** The models a model's table is built from (a fact: its dimensions and, with date roles, the date dimension). */
export function modelDependencies(spec: ModelSpec, models: readonly ModelSpec[]): string[] {
  if (spec.kind !== "fact") return [];
  const deps = spec.dimensions.map((d) => d.dimension);
  if (spec.dates.length > 0) deps.push(...models.filter((m) => m.kind === "date").map((m) => m.name));
  return [...new Set(deps)];
}

/**
 * `models` in build order: by kind (date, dimension, fact), registry order within a kind, and any
 * model after the models it reads. `select` names one model: only it is built.
 */
export function buildOrder(models: readonly ModelSpec[], select?: string): ModelSpec[] {
  if (select !== undefined) {
    const one = models.find((m) => m.name === select);
    if (!one) throw new Error(`unknown model "${select}" (known: ${models.map((m) => m.name).join(", ")})`);
    return [one];
  }
  const pending = [...models].sort((a, b) => KIND_RANK[a.kind] - KIND_RANK[b.kind] || models.indexOf(a) - models.indexOf(b));
  const names = new Set(models.map((m) => m.name));
  const done = new Set<string>();
  const order: ModelSpec[] = [];
  while (pending.length > 0) {
    // A dependency outside `models` is not built here: the model reads its published version.
    const i = pending.findIndex((m) => modelDependencies(m, models).every((d) => done.has(d) || !names.has(d)));
    if (i < 0) throw new Error(`models depend on each other in a cycle: ${pending.map((m) => m.name).join(", ")}`);
    const [next] = pending.splice(i, 1);
    done.add(next.name);
    order.push(next);
  }
  return order;
}

/**
 * The models a load of `datasets` changes the inputs of, in build order: dimensions of those
 * datasets, dimensions with inferred members whose facts read them (a new fact row may name an
 * unseen key), facts whose source or lookups are among them, and facts reading a dimension that is.
 */
export function modelsAffectedBy(datasets: readonly string[], models: readonly ModelSpec[]): ModelSpec[] {
  const changed = new Set(datasets);
  const readers = models.filter((f): f is FactSpec => f.kind === "fact" && (changed.has(f.source) || f.lookups.some((l) => changed.has(l.dataset))));
  const infers = (m: DimensionSpec) => m.inferredMembers && readers.some((f) => f.dimensions.some((d) => d.dimension === m.name));
  const dimensions = models.filter((m): m is DimensionSpec => m.kind === "dimension");
  const dims = new Set(dimensions.filter((m) => changed.has(m.source) || infers(m)).map((m) => m.name));
  const affected = models.filter((m) => {
    if (m.kind === "dimension") return dims.has(m.name);
    if (m.kind === "fact") return readers.includes(m) || m.dimensions.some((d) => dims.has(d.dimension));
    return false; // the date dimension reads no dataset
  });
  return buildOrder(affected);
}
