import { defineDataset } from "./define";

export default defineDataset({
  name: "shipments",
  description: "Shipments replicated by DMS",
  prefix: "shipments/",
  format: "csv",
  columns: {
    shipment_id: "bigint",
    order_id: "bigint",
    carrier: "string",
    shipped_at: "timestamp",
    delivered_at: "timestamp",
    cdc_ts: "timestamp",
  },
  primaryKey: ["shipment_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
  partitionBy: { column: "shipped_at", prefix: "shipped" },
  rules: [
    {
      kind: "expression",
      label: "delivered_before_shipped",
      sql: "delivered_at IS NULL OR shipped_at IS NULL OR delivered_at >= shipped_at",
    },
  ],
  target: { table: "fact_shipments" },
});
