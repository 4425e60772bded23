import { defineDataset } from "./define";

export default defineDataset({
  name: "order_items",
  description: "Order lines replicated by DMS",
  prefix: "order_items/",
  format: "csv",
  columns: {
    order_item_id: "bigint",
    order_id: "bigint",
    product_id: "bigint",
    quantity: "int",
    unit_price: "decimal(12,2)",
    line_total: "decimal(12,2)",
    created_at: "timestamp",
    cdc_ts: "timestamp",
  },
  primaryKey: ["order_item_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
  partitionBy: { column: "created_at", prefix: "created" },
  rules: [{ kind: "range", column: "quantity", min: 0, minExclusive: true }],
  target: { table: "fact_order_items" },
});
