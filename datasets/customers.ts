import { defineDataset } from "./define";

export default defineDataset({
  name: "customers",
  description: "Customers replicated from the shop's OLTP database by DMS",
  prefix: "customers/",
  format: "csv",
  columns: {
    customer_id: "bigint",
    email: "string",
    country: "string",
    signup_date: "date",
    cdc_ts: "timestamp",
  },
  primaryKey: ["customer_id"],
  cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
  rules: [{ kind: "regex", column: "country", pattern: "^[A-Z]{2}$" }],
  pii: [{ column: "email", mode: "exclude" }],
  target: { table: "dim_customer" },
});
