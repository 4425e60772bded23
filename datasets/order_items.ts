import { defineDataset } from "./define";

export default defineDataset({
  name: "order_items",
  description: "Order lines replicated by DMS",
  prefix: "order_items/",
  format: "dms",
  // DMS writes cdc_ts only when the endpoint sets TimestampColumnName=cdc_ts (docs/dms.md).
  dms: { timestampColumn: "cdc_ts" },
  columns: {
    order_item_id: "bigint",
    order_id: "bigint",
    product_id: "bigint",
    quantity: "int",
    unit_price: "decimal(12,2)",
    line_total: "decimal(12,2)",
    created_at: "timestamp",
    cdc_ts: { type: "timestamp", optional: true },
  },
  primaryKey: ["order_item_id"],
  partitionBy: { column: "created_at", prefix: "created" },
  rules: [{ kind: "range", column: "quantity", min: 0, minExclusive: true }],
});
