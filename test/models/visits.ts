// A fact over a string natural key with a DATE as-of, shared by the tests of custom models
// (facts, inferred members, segments): the `visits` dataset, dim_member over a `members`
// dataset each test defines, and fact_visits keyed by it.
import { defineDataset } from "../../datasets";
import type { DimensionSpec, FactSpec } from "../../models";

export const visits = defineDataset({
  name: "visits",
  prefix: "visits/",
  format: "csv",
  columns: { visit_id: "int", member_id: "string", visit_day: "date", spend: "double" },
  primaryKey: ["visit_id"],
  target: { table: "visits" },
});

export function factVisits(sourceFile: string): FactSpec {
  return {
    kind: "fact",
    name: "fact_visits",
    source: "visits",
    grain: ["visit_id"],
    lookups: [],
    dimensions: [{ dimension: "dim_member", role: "member", keyColumn: "member_key", naturalKey: { lookup: null, column: "member_id" }, asOf: { lookup: null, column: "visit_day" } }],
    dates: [],
    measures: [{ name: "spend", column: { lookup: null, column: "spend" } }],
    degenerate: [],
    partitionBy: null,
    sourceFile,
  };
}

export function memberDimension(attributes: DimensionSpec["attributes"], inferredMembers: boolean, sourceFile: string): DimensionSpec {
  return {
    kind: "dimension",
    name: "dim_member",
    source: "members",
    naturalKey: "member_id",
    surrogateKey: "member_key",
    attributes,
    deletes: "close",
    inferredMembers,
    sourceFile,
  };
}
