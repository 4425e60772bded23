import { defineDimension } from "./define";

export default defineDimension({
  name: "dim_customer",
  description: "Customers with their full history (SCD type 2); email is PII",
  source: "customers",
  naturalKey: "customer_id",
  attributes: { email: 2, country: 2, signup_date: 2 },
});
