import { defineDataset } from "./define";

export const PAYMENT_METHODS = ["card", "paypal", "bank_transfer", "gift_card"];

export default defineDataset({
  name: "payments",
  description: "Payments replicated by DMS",
  prefix: "payments/",
  format: "dms",
  // DMS writes cdc_ts only when the endpoint sets TimestampColumnName=cdc_ts (docs/dms.md).
  dms: { timestampColumn: "cdc_ts" },
  columns: {
    payment_id: "bigint",
    order_id: "bigint",
    amount: "decimal(12,2)",
    method: "string",
    paid_at: "timestamp",
    cdc_ts: { type: "timestamp", optional: true },
  },
  primaryKey: ["payment_id"],
  partitionBy: { column: "paid_at", prefix: "payment" },
  rules: [
    { kind: "range", column: "amount", min: 0 },
    { kind: "accepted_values", column: "method", values: PAYMENT_METHODS },
  ],
});
