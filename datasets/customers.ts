import { defineDataset } from "./define";

export default defineDataset({
  name: "customers",
  description: "Customers replicated from the shop's OLTP database by DMS",
  prefix: "customers/",
  format: "dms",
  // DMS writes cdc_ts only when the endpoint sets TimestampColumnName=cdc_ts (docs/dms.md).
  dms: { timestampColumn: "cdc_ts" },
  columns: {
    customer_id: "bigint",
    email: "string",
    country: "string",
    signup_date: "date",
    cdc_ts: { type: "timestamp", optional: true },
  },
  primaryKey: ["customer_id"],
  rules: [{ kind: "regex", column: "country", pattern: "^[A-Z]{2}$" }],
  pii: [{ column: "email", mode: "exclude" }],
});
