import { defineDataset } from "./define";

export default defineDataset({
  name: "shipments",
  description: "Shipments replicated by DMS",
  prefix: "shipments/",
  format: "dms",
  // DMS writes cdc_ts only when the endpoint sets TimestampColumnName=cdc_ts (docs/dms.md).
  dms: { timestampColumn: "cdc_ts" },
  columns: {
    shipment_id: "bigint",
    order_id: "bigint",
    carrier: "string",
    shipped_at: "timestamp",
    delivered_at: "timestamp",
    cdc_ts: { type: "timestamp", optional: true },
  },
  primaryKey: ["shipment_id"],
  partitionBy: { column: "shipped_at", prefix: "shipped" },
  rules: [
    {
      kind: "expression",
      label: "delivered_before_shipped",
      sql: "delivered_at IS NULL OR shipped_at IS NULL OR delivered_at >= shipped_at",
    },
  ],
});
