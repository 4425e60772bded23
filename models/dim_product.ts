import { defineDimension } from "./define";

export default defineDimension({
  name: "dim_product",
  description: "Products with their full history (SCD type 2)",
  source: "products",
  naturalKey: "product_id",
  attributes: { brand: 2, category: 2, unit_price: 2 },
});
