// Inferred members of an SCD2 dimension (Kimball's early-arriving facts; `inferredMembers: true`).
// Dimensions build before the facts that read them (order.ts), so the dimension itself reads
// what its facts will need: the natural key and as-of time of every fact row of every fact role
// naming it, from the facts' own silver rows and lookups (fact-sql.ts roleKeysSelect, the same
// FROM the fact builds from). A key some fact names at a time before the key's first row (or
// that has no row at all) gets a member covering that time:
//   - no row yet: an inferred row (attributes NULL, is_inferred TRUE) from the earliest such
//     fact's time; open, or closed where the key's history starts with a delete;
//   - a first version exists (the real row arrived): that version is the completed member: its
//     window is stretched back to the earliest fact's time, it carries the real attributes.
// The key's earliest row is keyed by the natural key alone (md5 of `<natural key>|`, see
// dimension.ts), so the inferred row and the version that completes it share one surrogate key
// whatever their times, on every build and on both engines: facts pointing at it stay right.
// Pure: no engine import.
import type { DatasetSpec } from "../../datasets/define";
import type { DimensionSpec, FactSpec, ModelSpec } from "../../models/define";
import type { Dialect } from "../plan";
import type { SqlDialect } from "../dialects";
import { resolveFact, silverRelation } from "./fact-context";
import { roleKeysSelect } from "./fact-sql";
import type { ModelInput } from "./plan";

export interface InferredMembersContext {
  datasets: readonly DatasetSpec[];
  models: readonly ModelSpec[];
}

/** The fact roles a dimension's inferred members come from: silver inputs and one `_nk, _t` select. */
export function factKeys(spec: DimensionSpec, ctx: InferredMembersContext, dialect: Dialect, d: SqlDialect): { inputs: ModelInput[]; sql: string } {
  const facts = ctx.models.filter((m): m is FactSpec => m.kind === "fact" && m.dimensions.some((r) => r.dimension === spec.name));
  if (facts.length === 0) throw new Error(`model ${spec.name}: inferredMembers is set but no fact has a role on ${spec.name}, so there is nothing to infer members from`);
  const relations = new Map<string, ModelInput>();
  const selects: string[] = [];
  for (const fact of facts) {
    const r = resolveFact(fact, { dialect, datasets: ctx.datasets, models: ctx.models });
    for (const dataset of [r.source.name, ...[...r.lookups.values()].map((l) => l.name)]) {
      relations.set(dataset, { relation: silverRelation(dataset), zone: "silver", dataset });
    }
    fact.dimensions.forEach((role, i) => {
      if (role.dimension === spec.name) selects.push(roleKeysSelect(r, d, i));
    });
  }
  return { inputs: [...relations.values()], sql: selects.join("\nUNION ALL\n") };
}
