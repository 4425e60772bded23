// The registry of every dataset in this folder. Adding a dataset = adding a file here and a line
// below; the Pulumi program, the handlers, the engine and local mode all read this list.
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import type { DatasetSpec } from "./define";
import { DatasetSpecError } from "./errors";
import { prefixesOverlap } from "./routing";
import customers from "./customers";
import order_items from "./order_items";
import orders from "./orders";
import payments from "./payments";
import products from "./products";
import shipments from "./shipments";

export * from "./define";
export { routeObjectKey, eventPatternFor, glueJobStatePattern, matchEventPattern, prefixSpellings } from "./routing";

export const DATASETS: readonly DatasetSpec[] = checkRegistry([
  customers,
  products,
  orders,
  order_items,
  payments,
  shipments,
]);

export function getDataset(name: string, specs: readonly DatasetSpec[] = DATASETS): DatasetSpec {
  const spec = specs.find((s) => s.name === name);
  if (!spec) {
    throw new Error(`unknown dataset "${name}" (known: ${specs.map((s) => s.name).join(", ")})`);
  }
  return spec;
}

/**
 * Cross-dataset checks: names, target tables and landing prefixes must be unique, and no prefix
 * may contain another, because two EventBridge rules would then fire for one object.
 */
export function checkRegistry(specs: DatasetSpec[]): DatasetSpec[] {
  for (const [i, a] of specs.entries()) {
    for (const b of specs.slice(i + 1)) {
      if (a.name === b.name) throw new DatasetSpecError(b.sourceFile, "name", `${b.name} is also declared in ${a.sourceFile}`);
      if (a.target.table === b.target.table) {
        throw new DatasetSpecError(b.sourceFile, "target.table", `${b.target.table} is also the target of ${a.name}`);
      }
      // Any case: routing ignores it, so "orders/" and "ORDERS/" would route the same keys.
      if (prefixesOverlap(a.prefix, b.prefix)) {
        throw new DatasetSpecError(b.sourceFile, "prefix", `${b.prefix} overlaps ${a.prefix} of ${a.name}`);
      }
    }
  }
  return specs;
}

/**
 * Files in datasets/ that declare a dataset (call defineDataset) but are not imported here: a
 * dataset added without its registry line would otherwise be silently absent everywhere.
 * Read from the sources (`dir` = this folder), so it costs one directory listing.
 */
export function unregisteredDatasetFiles(dir: string): string[] {
  const index = readFileSync(join(dir, "index.ts"), "utf8");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "index.ts")
    .filter((f) => !index.includes(`from "./${f.slice(0, -3)}"`))
    .filter((f) => /\bdefineDataset\s*\(/.test(readFileSync(join(dir, f), "utf8")) && f !== "define.ts")
    .sort();
}
