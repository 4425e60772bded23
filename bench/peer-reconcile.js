// The peer of `npm run bench -- peer`: what a data engineer would write instead of this platform,
// as one DuckDB script. Read the change files, keep the latest change per key, drop deletes, type
// with TRY_CAST, label rule failures, write partitioned silver and a quarantine file. No bronze,
// no state, no lineage, no rejects, no audits, no atomic publish: the contract's extra work is
// exactly what the benchmark's ratio prices.
// usage: node bench/peer-reconcile.js OUT_DIR FILE...
const { DuckDBInstance } = require("@duckdb/node-api");
const os = require("os");
const { labeledSql } = require("./peer-labels");

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
  await db.run(labeledSql("latest"));
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
