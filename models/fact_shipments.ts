import { defineFact } from "./define";

export default defineFact({
  name: "fact_shipments",
  description: "One row per shipment: shipped and delivered dates (two roles of dim_date), days to deliver",
  source: "shipments",
  grain: ["shipment_id"],
  dates: [
    { role: "shipped_date", column: "shipped_at" },
    { role: "delivered_date", column: "delivered_at" },
  ],
  measures: [{ name: "days_to_deliver", daysBetween: ["shipped_at", "delivered_at"] }],
  degenerate: ["shipment_id", "order_id", "carrier"],
  partitionBy: { dateRole: "shipped_date" },
});
