import { defineDataset } from "./define";

export default defineDataset({
  name: "products",
  description: "Product catalogue replicated by DMS",
  prefix: "products/",
  format: "csv",
  columns: {
    product_id: "bigint",
    brand: "string",
    category: "string",
    unit_price: "decimal(12,2)",
    cdc_ts: "timestamp",
  },
  primaryKey: ["product_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
  rules: [{ kind: "range", column: "unit_price", min: 0 }],
  target: { table: "dim_product" },
});
