import { defineFact } from "./define";

export default defineFact({
  name: "fact_order_items",
  description: "One row per order line: the product as of the order, customer and order date through the order",
  source: "order_items",
  grain: ["order_item_id"],
  lookups: { order: { dataset: "orders", on: "order_id" } },
  dimensions: [
    { dimension: "dim_product", naturalKey: "product_id", asOf: "order.order_ts" },
    { dimension: "dim_customer", naturalKey: "order.customer_id", asOf: "order.order_ts" },
  ],
  dates: [{ role: "order_date", column: "order.order_ts" }],
  measures: ["quantity", "unit_price", "line_total"],
  degenerate: ["order_item_id", "order_id"],
  partitionBy: { dateRole: "order_date" },
});
