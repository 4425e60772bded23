// The Glue model job's plan artifact (engine/spark/model-artifact.ts): the spark plan plus the
// Iceberg table of every dataset input, named as the load job names them (a silver table by its
// spec's target.table), so glue-scripts/datalake_glue/model_plan.py can place every input.
import { expect } from "chai";
import { DATASETS } from "../../datasets";
import { compilePlan } from "../../engine/compile";
import { compileModel } from "../../engine/models";
import { modelArtifact, sparkModelArtifact } from "../../engine/spark/model-artifact";
import { MODELS } from "../../models";

describe("model job artifact", () => {
  it("names the load job's table and columns for every bronze, files and silver input, and nothing else", () => {
    for (const spec of MODELS) {
      const artifact = sparkModelArtifact(spec, DATASETS, MODELS);
      expect(artifact.dialect).to.equal("spark");
      const expected: Record<string, { name: string; columns: { name: string; type: string }[] }> = {};
      for (const input of artifact.inputs) {
        if (input.zone !== "bronze" && input.zone !== "files" && input.zone !== "silver") continue;
        const table = compilePlan(DATASETS.find((d) => d.name === input.dataset)!, { dialect: "spark" }).tables[input.zone];
        expected[input.relation] = { name: table.name, columns: table.columns.map((c) => ({ name: c.name, type: c.type })) };
      }
      expect(artifact.tables, spec.name).to.deep.equal(expected);
    }
    const orders = sparkModelArtifact(MODELS.find((m) => m.name === "fact_orders")!, DATASETS, MODELS);
    const silverOrders = DATASETS.find((d) => d.name === "orders")!.target.table;
    expect(Object.values(orders.tables).map((t) => t.name)).to.include(silverOrders);
    const customers = sparkModelArtifact(MODELS.find((m) => m.name === "dim_customer")!, DATASETS, MODELS);
    expect(Object.values(customers.tables).map((t) => t.name).sort()).to.deep.equal(["bronze_customers", "files_customers"]);
  });

  it("names the files ledger of every dataset the plan reads (a load marks it while it publishes)", () => {
    const items = sparkModelArtifact(MODELS.find((m) => m.name === "fact_order_items")!, DATASETS, MODELS);
    expect(items.ledgers).to.deep.equal({ order_items: "files_order_items", orders: "files_orders" });
    const date = sparkModelArtifact(MODELS.find((m) => m.name === "dim_date")!, DATASETS, MODELS);
    expect(date.ledgers).to.deep.equal({});
  });

  it("refuses a plan compiled for DuckDB and a dataset it does not know, in one line", () => {
    const dim = MODELS.find((m) => m.name === "dim_customer")!;
    const duck = compileModel(dim, { dialect: "duckdb", datasets: DATASETS, models: MODELS });
    expect(() => modelArtifact(duck, DATASETS)).to.throw("model dim_customer: the Glue job runs spark plans, got a duckdb plan");
    const spark = compileModel(dim, { dialect: "spark", datasets: DATASETS, models: MODELS });
    expect(() => modelArtifact(spark, [])).to.throw("model dim_customer: input bronze_log reads unknown dataset customers");
  });
});
