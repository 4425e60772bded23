import { defineDataset } from "./define";

export const ORDER_STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "refunded"];

export default defineDataset({
  name: "orders",
  description: "Orders replicated by DMS",
  prefix: "orders/",
  format: "dms",
  // DMS writes cdc_ts only when the endpoint sets TimestampColumnName=cdc_ts (docs/dms.md).
  dms: { timestampColumn: "cdc_ts" },
  columns: {
    order_id: "bigint",
    customer_id: "bigint",
    order_ts: "timestamp",
    status: "string",
    total_amount: "decimal(12,2)",
    cdc_ts: { type: "timestamp", optional: true },
  },
  primaryKey: ["order_id"],
  partitionBy: { column: "order_ts", prefix: "order" },
  rules: [
    { kind: "not_null", column: "customer_id" },
    { kind: "not_null", column: "order_ts" },
    { kind: "not_null", column: "status" },
    { kind: "not_null", column: "total_amount" },
    { kind: "accepted_values", column: "status", values: ORDER_STATUSES },
    { kind: "range", column: "total_amount", min: 0 },
  ],
});
