import { defineFact } from "./define";

export default defineFact({
  name: "fact_payments",
  description: "One row per payment: the payment date, the customer (through the order) as of the payment",
  source: "payments",
  grain: ["payment_id"],
  lookups: { order: { dataset: "orders", on: "order_id" } },
  dimensions: [{ dimension: "dim_customer", naturalKey: "order.customer_id", asOf: "paid_at" }],
  dates: [{ role: "payment_date", column: "paid_at" }],
  measures: ["amount"],
  degenerate: ["payment_id", "order_id", "method"],
  partitionBy: { dateRole: "payment_date" },
});
