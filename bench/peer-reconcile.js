// The peer of `npm run bench -- peer`: what a data engineer would write instead of this platform,
// as one DuckDB script. Read the change files, keep the latest change per key, drop deletes, type
// with TRY_CAST, label rule failures, write partitioned silver and a quarantine file. No bronze,
// no state, no lineage, no rejects, no audits, no atomic publish: the contract's extra work is
// exactly what the benchmark's ratio prices.
// usage: node bench/peer-reconcile.js OUT_DIR FILE...
const { DuckDBInstance } = require("@duckdb/node-api");
const os = require("os");

const lit = (s) => `'${s.replace(/'/g, "''")}'`;

async function main() {
  const [out, ...files] = process.argv.slice(2);
  const instance = await DuckDBInstance.create(":memory:", { threads: String(os.cpus().length) });
  const db = await instance.connect();
  const list = `[${files.map(lit).join(", ")}]`;
  await db.run(`
    CREATE TEMP TABLE latest AS
    SELECT * FROM read_csv(${list}, header = true, all_varchar = true, union_by_name = true, filename = true)
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY TRY_CAST(cdc_ts AS TIMESTAMP) DESC NULLS LAST, filename DESC) = 1`);
  await db.run(`
    CREATE TEMP TABLE labeled AS
    SELECT *, concat_ws(';',
        CASE WHEN customer_id IS NULL THEN 'not_null:customer_id' WHEN t_customer_id IS NULL THEN 'bad_type:customer_id' END,
        CASE WHEN order_ts IS NULL THEN 'not_null:order_ts' WHEN t_order_ts IS NULL THEN 'bad_type:order_ts' END,
        CASE WHEN status IS NULL THEN 'not_null:status' WHEN status NOT IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded') THEN 'accepted_values:status' END,
        CASE WHEN total_amount IS NULL THEN 'not_null:total_amount' WHEN t_total_amount IS NULL THEN 'bad_type:total_amount' WHEN t_total_amount < 0 THEN 'range:total_amount' END,
        CASE WHEN cdc_ts IS NOT NULL AND t_cdc_ts IS NULL THEN 'bad_type:cdc_ts' END) AS reasons
    FROM (
      SELECT TRY_CAST(order_id AS BIGINT) AS t_order_id, TRY_CAST(customer_id AS BIGINT) AS t_customer_id,
             TRY_CAST(order_ts AS TIMESTAMP) AS t_order_ts, TRY_CAST(total_amount AS DECIMAL(12,2)) AS t_total_amount,
             TRY_CAST(cdc_ts AS TIMESTAMP) AS t_cdc_ts, *
      FROM latest WHERE Op IS DISTINCT FROM 'D')`);
  await db.run(`
    COPY (SELECT t_order_id AS order_id, t_customer_id AS customer_id, t_order_ts AS order_ts, status,
                 t_total_amount AS total_amount, t_cdc_ts AS cdc_ts,
                 year(t_order_ts) AS order_year, month(t_order_ts) AS order_month
          FROM labeled WHERE reasons = '')
    TO ${lit(`${out}/silver`)} (FORMAT parquet, PARTITION_BY (order_year, order_month), OVERWRITE_OR_IGNORE true)`);
  await db.run(`
    COPY (SELECT order_id, customer_id, order_ts, status, total_amount, cdc_ts, reasons AS _reasons FROM labeled WHERE reasons <> '')
    TO ${lit(`${out}/quarantine.parquet`)} (FORMAT parquet)`);
  const [[silver]] = (await db.runAndReadAll(`SELECT COUNT(*) FROM labeled WHERE reasons = ''`)).getRows();
  const [[quarantine]] = (await db.runAndReadAll(`SELECT COUNT(*) FROM labeled WHERE reasons <> ''`)).getRows();
  process.stdout.write(JSON.stringify({ silverRows: Number(silver), quarantineRows: Number(quarantine) }) + "\n");
  db.closeSync();
  instance.closeSync();
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
