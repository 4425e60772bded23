// A line of `npm run bench -- models` on Spark: the least work an incremental build of
// dim_customer + fact_orders must do under the contract, hand-written and timed on the bench's own
// tables after the batch, before the incremental build. Each step reads what the contract cannot
// skip: the batch's keys from bronze, the touched customers' change history from bronze, the
// touched orders' silver rows with their as-of customer key, a delete of the replaced keys and an
// append on a branch of each table (merge-on-read, as the executor writes a delta), one current
// row per touched customer, the fact's count and sum against silver's, and the written keys
// against the dimension. Left out, though the build does them: the DMS change order and partial
// images, the dimension windows compared for late changes, the build's surrogate keys (one cheap
// hash here) and PII hashing, the consumed-runs bookkeeping, WAP, catalog reads and state, the
// other audits. So the build's time can approach it, never go under it: its share of the full
// rebuild is the lowest incremental figure this engine reaches on this machine.
import type { SparkServer } from "../engine/spark";

const C = "glue_catalog";
const BRANCH = "bench_floor";

export interface FloorStep {
  name: string;
  ms: number;
}

/** `batch`: the run id of the batch's load, per dataset (customers, orders). */
export async function sparkStarFloor(server: SparkServer, batch: { customers: string; orders: string }): Promise<FloorStep[]> {
  const steps: FloorStep[] = [];
  const step = async (name: string, sql: string) => {
    const started = Date.now();
    await server.sql(sql);
    steps.push({ name, ms: Date.now() - started });
  };
  const dim = `${C}.semantic.dim_customer`;
  const fact = `${C}.semantic.fact_orders`;
  const [dimBranch, factBranch] = [`${dim}.branch_${BRANCH}`, `${fact}.branch_${BRANCH}`];
  // The dimension version whose window holds an order's time, for `alias`'s rows (customer_id, order_ts).
  const asOf = (alias: string) =>
    `LEFT JOIN ${dim} d ON d.customer_id = ${alias}.customer_id AND d.valid_from <= ${alias}.order_ts AND (d.valid_to IS NULL OR ${alias}.order_ts < d.valid_to)`;
  // A build's broadcast threshold (model_executor.py MODEL_BROADCAST_THRESHOLD) while the floor
  // runs; the server's own is set back after.
  const [threshold] = await server.sql("SET spark.sql.autoBroadcastJoinThreshold");
  await server.sql("SET spark.sql.autoBroadcastJoinThreshold = 67108864");
  for (const table of [dim, fact]) await server.sql(`ALTER TABLE ${table} CREATE BRANCH IF NOT EXISTS ${BRANCH}`);
  try {
    await step("dimension: the batch's keys (bronze)", `CACHE TABLE floor_ck AS SELECT DISTINCT CAST(customer_id AS BIGINT) AS customer_id FROM ${C}.bronze.bronze_customers WHERE _run_id = '${batch.customers}'`);
    await step(
      "dimension: their change history (bronze, window)",
      `CACHE TABLE floor_hist AS SELECT xxhash64(customer_id, valid_from) AS customer_key, customer_id, email, country, signup_date, valid_from, ` +
        `LEAD(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from, _file_id, _row_number) AS valid_to, _op FROM (` +
        `SELECT CAST(customer_id AS BIGINT) AS customer_id, email, country, CAST(signup_date AS DATE) AS signup_date, CAST(cdc_ts AS TIMESTAMP) AS valid_from, _file_id, _row_number, _op ` +
        `FROM ${C}.bronze.bronze_customers WHERE CAST(customer_id AS BIGINT) IN (SELECT customer_id FROM floor_ck)) b`,
    );
    await step("dimension: delete the replaced keys", `MERGE INTO ${dimBranch} t USING floor_ck d ON t.customer_id = d.customer_id WHEN MATCHED THEN DELETE`);
    await step(
      "dimension: append their versions",
      `INSERT INTO ${dimBranch} SELECT customer_key, customer_id, email, country, signup_date, valid_from, valid_to, valid_to IS NULL FROM floor_hist WHERE _op IS NULL OR _op <> 'D'`,
    );
    await step(
      "dimension: one current row per touched key",
      `SELECT COUNT(*) FROM (SELECT customer_id FROM ${dimBranch} WHERE is_current AND customer_id IN (SELECT customer_id FROM floor_ck) GROUP BY customer_id HAVING COUNT(*) > 1) x`,
    );
    await step("fact: the batch's keys (bronze)", `CACHE TABLE floor_ok AS SELECT DISTINCT CAST(order_id AS BIGINT) AS order_id FROM ${C}.bronze.bronze_orders WHERE _run_id = '${batch.orders}'`);
    await step(
      "fact: their silver rows, keyed as of order_ts",
      `CACHE TABLE floor_rec AS SELECT s.order_id, s.status, COALESCE(d.customer_key, -1) AS customer_key, CAST(date_format(s.order_ts, 'yyyyMMdd') AS INT) AS order_date_key, ` +
        `s.total_amount, CAST(s.order_ts AS DATE) AS order_date, s.customer_id, s.order_ts FROM ${C}.silver.orders s ${asOf("s")} WHERE s.order_id IN (SELECT order_id FROM floor_ok)`,
    );
    await step("fact: delete the replaced keys", `MERGE INTO ${factBranch} t USING floor_ok d ON t.order_id = d.order_id WHEN MATCHED THEN DELETE`);
    await step("fact: append the recomputed rows", `INSERT INTO ${factBranch} SELECT order_id, status, customer_key, order_date_key, total_amount, order_date FROM floor_rec`);
    await step(
      "fact: count and sum against silver",
      `SELECT * FROM (SELECT COUNT(*), SUM(total_amount) FROM ${factBranch}) CROSS JOIN (SELECT COUNT(*), SUM(total_amount) FROM ${C}.silver.orders)`,
    );
    await step(
      "fact: written keys against the dimension",
      `SELECT COUNT(*) FROM floor_rec r ${asOf("r")} WHERE COALESCE(d.customer_key, -1) <> r.customer_key`,
    );
  } finally {
    // Nothing of the floor stays: main was never touched, the branches are dropped and the cached
    // relations uncached.
    for (const table of [dim, fact]) await server.sql(`ALTER TABLE ${table} DROP BRANCH IF EXISTS ${BRANCH}`);
    for (const relation of ["floor_ck", "floor_hist", "floor_ok", "floor_rec"]) await server.sql(`UNCACHE TABLE IF EXISTS ${relation}`);
    await server.sql(`SET spark.sql.autoBroadcastJoinThreshold = ${String(threshold.value)}`);
  }
  return steps;
}
