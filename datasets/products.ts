import { defineDataset } from "./define";

export default defineDataset({
  name: "products",
  description: "Product catalogue replicated by DMS",
  prefix: "products/",
  format: "dms",
  // DMS writes cdc_ts only when the endpoint sets TimestampColumnName=cdc_ts (docs/dms.md).
  dms: { timestampColumn: "cdc_ts" },
  columns: {
    product_id: "bigint",
    brand: "string",
    category: "string",
    unit_price: "decimal(12,2)",
    cdc_ts: { type: "timestamp", optional: true },
  },
  primaryKey: ["product_id"],
  rules: [{ kind: "range", column: "unit_price", min: 0 }],
});
