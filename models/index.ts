// The registry of every semantic model in this folder (ARCHITECTURE.md "Semantic layer").
// Adding a model = a file here and a line below; infra, the model compiler and local mode read it.
import type { DateDimensionSpec, DimensionSpec, FactSpec, ModelSpec } from "./define";
import dim_customer from "./dim_customer";
import dim_date from "./dim_date";
import dim_product from "./dim_product";
import fact_order_items from "./fact_order_items";
import fact_orders from "./fact_orders";
import fact_payments from "./fact_payments";
import fact_shipments from "./fact_shipments";
import { DATASETS } from "../datasets";
import { checkModels } from "./registry";

export * from "./define";
export { ModelSpecError } from "./errors";
export { checkModels, unregisteredModelFiles } from "./registry";

export const MODELS: readonly ModelSpec[] = checkModels([
  dim_date,
  dim_customer,
  dim_product,
  fact_orders,
  fact_order_items,
  fact_payments,
  fact_shipments,
], DATASETS);

export function getModel(name: string, models: readonly ModelSpec[] = MODELS): ModelSpec {
  const model = models.find((m) => m.name === name);
  if (!model) throw new Error(`unknown model "${name}" (known: ${models.map((m) => m.name).join(", ")})`);
  return model;
}

export const isDateDimension = (m: ModelSpec): m is DateDimensionSpec => m.kind === "date";
export const isDimension = (m: ModelSpec): m is DimensionSpec => m.kind === "dimension";
export const isFact = (m: ModelSpec): m is FactSpec => m.kind === "fact";
