// A model build refuses to run while a dataset it reads has a spec its published silver was not
// built by (ModelPlan.sources; the twin of glue-scripts/datalake_glue/source_specs.py).
//
// Why: a model plan is compiled from the dataset specs as they are now. A dimension types, labels
// and orders its source's bronze rows by its spec; a fact reads silver with its spec's columns.
// After a spec edit, silver still holds what the last load published under the old spec until a
// load applies the edit, and that load audits the edit (bronze_rows_accounted: an edit rows
// already loaded no longer meet is refused). A build before it would apply an edit no load has
// audited: a key narrowed so that old rows no longer parse dropped those customers from
// dim_customer, with every audit passing, while silver kept them.
import { tableDefs, planFingerprint } from "../compile";
import type { DatasetSpec } from "../../datasets/define";
import type { ModelInput, ModelPlan, ModelSource } from "./plan";

/** The datasets `plan` reads, as ModelPlan.sources (none: the plan unchanged). */
export function withSources(plan: ModelPlan, datasets: readonly DatasetSpec[]): ModelPlan {
  const read = (i: ModelInput): string[] => (i.zone === "bronze" || i.zone === "files" || i.zone === "silver" ? [i.dataset] : []);
  const names = [...new Set(plan.inputs.flatMap(read))].sort();
  if (names.length === 0) return plan;
  const sources = names.map((name): ModelSource => {
    const spec = datasets.find((d) => d.name === name);
    if (!spec) throw new Error(`model ${plan.model}: reads dataset ${name}, which is not declared`);
    return { dataset: name, silverTable: tableDefs(spec).silver.name, loadPlan: planFingerprint(spec) };
  });
  return { ...plan, sources };
}

/**
 * Why a build must not read `source`, whose published silver recorded load plan `recorded`
 * (undefined: unknown, which decides nothing), or undefined when it may. Executors key the
 * recorded fingerprint with the PII key's id (pii-key.ts keyedFingerprint): compared without it.
 */
export function sourceSpecEdit(source: ModelSource, recorded: string | null | undefined): string | undefined {
  if (!recorded) return undefined;
  const published = recorded.split(".")[0];
  if (published === source.loadPlan) return undefined;
  return (
    `dataset ${source.dataset}: its silver was published under load plan ${published}, its spec compiles to ${source.loadPlan} now (a spec edit or another compiler); ` +
    `load ${source.dataset} first to apply it (locally: datalake load --dataset ${source.dataset} --full-refresh) or revert the edit; nothing built`
  );
}
