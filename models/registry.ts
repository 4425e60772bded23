// Checks across the model registry (models/index.ts), the counterpart of datasets' checkRegistry:
// each model file is valid alone (validate.ts) but the star only holds together when names are
// unique, facts point at declared dimensions and dates have one dimension to resolve to.
import { existsSync, readdirSync, readFileSync } from "fs";
import { join } from "path";
import type { DatasetSpec } from "../datasets";
import type { ModelSpec } from "./define";
import { ModelSpecError } from "./errors";

export function checkModels(models: ModelSpec[], datasets: readonly DatasetSpec[]): ModelSpec[] {
  for (const [i, model] of models.entries()) {
    const first = models.slice(0, i).find((m) => m.name === model.name);
    if (first) throw new ModelSpecError(model.sourceFile, "name", `${model.name} is also declared in ${first.sourceFile}`);
    // `datalake query` reads silver and semantic tables by bare name: one name, one table.
    if (datasets.some((d) => d.name === model.name)) throw new ModelSpecError(model.sourceFile, "name", `${model.name} is the name of a dataset (its silver table)`);
  }
  const dateDimensions = models.filter((m) => m.kind === "date");
  for (const model of models) {
    if (model.kind !== "fact") continue;
    model.dimensions.forEach((d, i) => {
      const target = models.find((m) => m.name === d.dimension);
      if (target?.kind !== "dimension") {
        const declared = models.filter((m) => m.kind === "dimension").map((m) => m.name);
        const problem = target ? `${d.dimension} is a ${target.kind} model, not a dimension` : `unknown dimension model ${d.dimension}`;
        throw new ModelSpecError(model.sourceFile, `dimensions[${i}].dimension`, `${problem} (declared: ${declared.join(", ") || "none"})`);
      }
      // A natural key of another type would never match (or match by an implicit cast).
      const refDataset = d.naturalKey.lookup === null ? model.source : model.lookups.find((l) => l.name === d.naturalKey.lookup)?.dataset;
      const refType = columnType(datasets, refDataset, d.naturalKey.column);
      const keyType = columnType(datasets, target.source, target.naturalKey);
      if (refType !== keyType) {
        const ref = d.naturalKey.lookup === null ? d.naturalKey.column : `${d.naturalKey.lookup}.${d.naturalKey.column}`;
        throw new ModelSpecError(model.sourceFile, `dimensions[${i}].naturalKey`, `${ref} is ${refType} but ${target.name}'s natural key ${target.naturalKey} is ${keyType}`);
      }
    });
    // Date keys point into THE date dimension: with two, which one a key means would be a guess.
    if (model.dates.length > 0 && dateDimensions.length !== 1) {
      const found = dateDimensions.map((m) => m.name).join(", ") || "none";
      throw new ModelSpecError(model.sourceFile, "dates", `date roles need exactly one date dimension model (found ${found})`);
    }
  }
  // Inferred members come from the facts naming the dimension: with none, the flag does nothing.
  for (const model of models) {
    if (model.kind !== "dimension" || !model.inferredMembers) continue;
    const named = models.some((m) => m.kind === "fact" && m.dimensions.some((d) => d.dimension === model.name));
    if (!named) throw new ModelSpecError(model.sourceFile, "inferredMembers", `no fact has a role on ${model.name}, so there is nothing to infer members from`);
  }
  return models;
}

function columnType(datasets: readonly DatasetSpec[], dataset: string | undefined, column: string): string | undefined {
  return datasets.find((d) => d.name === dataset)?.columns.find((c) => c.name === column)?.type;
}

/**
 * Files in models/ that declare a model (call a define*) but are not imported by models/index.ts:
 * a model added without its registry line would otherwise be silently never built.
 * Read from the sources (`dir` = the models folder), so it costs one directory listing.
 */
export function unregisteredModelFiles(dir: string): string[] {
  if (!existsSync(join(dir, "index.ts"))) return []; // no sources to compare (a packaged CLI)
  const index = readFileSync(join(dir, "index.ts"), "utf8");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !["index.ts", "define.ts"].includes(f))
    .filter((f) => !index.includes(`from "./${f.slice(0, -3)}"`))
    .filter((f) => /\bdefine(DateDimension|Dimension|Fact)\s*\(/.test(readFileSync(join(dir, f), "utf8")))
    .sort();
}
