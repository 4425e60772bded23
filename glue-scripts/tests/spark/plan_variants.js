// Spark plans of OLDER versions of two dataset specs, for the schema and partition evolution
// tests: what engine/compile.ts would have uploaded before a spec change. Each variant is the
// current spec (datasets/*.ts) with one change undone, so it follows the current compiler (one,
// marked, is a later spec instead: a rule edit, for the model tests).
//   node glue-scripts/tests/spark/plan_variants.js   (from the repository root; prints JSON)
require("ts-node").register({ transpileOnly: true });
const { compilePlan } = require("../../../engine/compile");
const { getDataset } = require("../../../datasets");

const customers = getDataset("customers");
const orders = getDataset("orders");
const withoutSignupDate = customers.columns.filter((c) => c.name !== "signup_date");

const variants = {
  // before `signup_date` was added to customers
  customers_without_signup_date: { ...customers, columns: withoutSignupDate },
  // ... and when customer_id was still an int
  customers_int_id_without_signup_date: {
    ...customers,
    columns: withoutSignupDate.map((c) => (c.name === "customer_id" ? { ...c, type: "int" } : c)),
  },
  // orders partitioned by the change time instead of the order time
  orders_by_cdc_month: { ...orders, partitionBy: { column: "cdc_ts", yearColumn: "cdc_year", monthColumn: "cdc_month" } },
  // a LATER spec: a rule edit (status 'bogus' accepted), which relabels quarantined orders
  orders_accepting_bogus: {
    ...orders,
    rules: orders.rules.map((r) => (r.kind === "accepted_values" ? { ...r, values: [...r.values, "bogus"] } : r)),
  },
};

const plans = Object.fromEntries(
  Object.entries(variants).map(([name, spec]) => [name, compilePlan(spec, { dialect: "spark" })]),
);

/**
 * The customers plan before the files ledger had `_sequencer`: its ledger columns and file_order's
 * SQL without it (versions of a key ordered by arrival alone). Fails loudly once the compiler
 * writes the sequencer another way, rather than leave a plan that still reads the column.
 */
function withoutSequencer(plan) {
  const files = { ...plan.tables.files, columns: plan.tables.files.columns.filter((c) => c.name !== "_sequencer") };
  const sql = (text) => text.replace(/ \|\| rpad\(upper\(COALESCE\(f\._sequencer, ''\)\), CAST\(.*?\) AS INT\), '0'\)/g, "").replace(/, _sequencer FROM/g, " FROM");
  const older = { ...plan, tables: { ...plan.tables, files }, steps: plan.steps.map((s) => (s.sql ? { ...s, sql: sql(s.sql) } : s)) };
  if (JSON.stringify(older).includes("_sequencer")) throw new Error("plan_variants.js: the plan still names _sequencer; update withoutSequencer");
  return older;
}
plans.customers_ledger_without_sequencer = withoutSequencer(compilePlan(customers, { dialect: "spark" }));
// Not a load plan: the fact_orders model artifact compiled with the later orders spec above (a
// build reads a dataset only under the spec its silver was published with: source-specs.ts).
const { DATASETS } = require("../../../datasets");
const { MODELS } = require("../../../models");
const { sparkModelArtifact } = require("../../../engine/spark/model-artifact");
plans.fact_orders_accepting_bogus = sparkModelArtifact(
  MODELS.find((m) => m.name === "fact_orders"),
  DATASETS.map((d) => (d.name === "orders" ? variants.orders_accepting_bogus : d)),
  MODELS,
);
process.stdout.write(JSON.stringify(plans));
