import { defineFact } from "./define";

export default defineFact({
  name: "fact_orders",
  description: "One row per order: the customer as of the order, the order date",
  source: "orders",
  grain: ["order_id"],
  dimensions: [{ dimension: "dim_customer", naturalKey: "customer_id", asOf: "order_ts" }],
  dates: [{ role: "order_date", column: "order_ts" }],
  measures: ["total_amount"],
  degenerate: ["order_id", "status"],
  partitionBy: { dateRole: "order_date" },
});
