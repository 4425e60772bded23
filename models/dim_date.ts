import { defineDateDimension } from "./define";

export default defineDateDimension({
  name: "dim_date",
  description: "One row per calendar day; fiscal year starting in July",
  range: { from: "2020-01-01", to: "2030-12-31" },
  fiscalYearStartMonth: 7,
});
