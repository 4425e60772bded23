// The third column of `npm run bench -- peer`: the least work the load contract asks for, written
// by hand in the peer's style (bench/peer-reconcile.js) for the same orders files. Every row goes
// to bronze first (raw text, with its file and row), the latest change per key is picked from
// bronze, state keeps it (deletes too), silver and quarantine are typed and labeled from state, and
// a few counts are checked. Left out, though the platform does them: partial images, the DMS
// ordering columns, lineage, rejects, the files ledger, staging and the atomic publish, the CLI.
// It prices the contract's own work written as plainly as the peer (bronze written and read back,
// state written), where the peer prices the reconcile alone; the CLI's distance to it is what the
// platform adds.
// usage: node bench/contract-floor.js OUT_DIR FILE...
const { DuckDBInstance } = require("@duckdb/node-api");
const { mkdirSync, openSync, readSync, closeSync } = require("fs");
const os = require("os");
const { labeledSql } = require("./peer-labels");

const lit = (s) => `'${s.replace(/'/g, "''")}'`;
const COLUMNS = ["order_id", "customer_id", "order_ts", "status", "total_amount", "cdc_ts"];

/** The header line's names: a full-load file has no Op column (IncludeOpForFullLoad is off). */
function headerOf(file) {
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(4096);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString("utf8", 0, n).split(/\r?\n/)[0].split(",");
  } finally {
    closeSync(fd);
  }
}

/** One file's rows as text, numbered in file order (one SELECT per file: OVER () keeps its order). */
function fileRows(file, index) {
  const names = headerOf(file);
  const columns = `{${names.map((n) => `${lit(n)}: 'VARCHAR'`).join(", ")}}`;
  const op = names.includes("Op") ? "Op" : "CAST(NULL AS VARCHAR)";
  return (
    `SELECT ${op} AS Op, ${COLUMNS.join(", ")}, ${index} AS _file, row_number() OVER () AS _row ` +
    `FROM read_csv(${lit(file)}, header = true, auto_detect = false, columns = ${columns})`
  );
}

async function main() {
  const [out, ...files] = process.argv.slice(2);
  mkdirSync(out, { recursive: true });
  const instance = await DuckDBInstance.create(":memory:", { threads: String(os.cpus().length) });
  const db = await instance.connect();
  const bronze = lit(`${out}/bronze.parquet`);
  const state = lit(`${out}/state.parquet`);
  await db.run("SET preserve_insertion_order = false");
  await db.run(`COPY (${files.map(fileRows).join(" UNION ALL ")}) TO ${bronze} (FORMAT parquet, COMPRESSION lz4_raw)`);
  // A key that does not parse is a reject on the platform: not in state.
  await db.run(`
    CREATE TEMP TABLE latest AS
    SELECT * FROM read_parquet(${bronze}) WHERE TRY_CAST(order_id AS BIGINT) IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY TRY_CAST(order_id AS BIGINT) ORDER BY TRY_CAST(cdc_ts AS TIMESTAMP) DESC NULLS LAST, _file DESC, _row DESC) = 1`);
  await db.run(`COPY latest TO ${state} (FORMAT parquet, COMPRESSION lz4_raw)`);
  await db.run(labeledSql("latest"));
  await db.run(`
    COPY (SELECT t_order_id AS order_id, t_customer_id AS customer_id, t_order_ts AS order_ts, status,
                 t_total_amount AS total_amount, t_cdc_ts AS cdc_ts, _file, _row,
                 year(t_order_ts) AS order_year, month(t_order_ts) AS order_month
          FROM labeled WHERE reasons = '')
    TO ${lit(`${out}/silver`)} (FORMAT parquet, COMPRESSION lz4_raw, PARTITION_BY (order_year, order_month), OVERWRITE_OR_IGNORE true)`);
  await db.run(`
    COPY (SELECT order_id, customer_id, order_ts, status, total_amount, cdc_ts, _file, _row, reasons AS _reasons FROM labeled WHERE reasons <> '')
    TO ${lit(`${out}/quarantine.parquet`)} (FORMAT parquet, COMPRESSION lz4_raw)`);
  // The audits' counts: every row in bronze, one silver row per key, state = silver + quarantine + deletes.
  const [[bronzeRows, silverRows, duplicateKeys, quarantineRows, stateRows, deletes]] = (
    await db.runAndReadAll(`
      SELECT (SELECT COUNT(*) FROM read_parquet(${bronze})),
             COUNT(*), COUNT(*) - COUNT(DISTINCT order_id),
             (SELECT COUNT(*) FROM read_parquet(${lit(`${out}/quarantine.parquet`)})),
             (SELECT COUNT(*) FROM read_parquet(${state})),
             (SELECT COUNT(*) FROM read_parquet(${state}) WHERE Op = 'D')
      FROM read_parquet(${lit(`${out}/silver/**/*.parquet`)})`)
  ).getRows().map((row) => row.map(Number));
  if (duplicateKeys !== 0 || stateRows !== silverRows + quarantineRows + deletes) throw new Error("an audit failed");
  process.stdout.write(JSON.stringify({ bronzeRows, silverRows, quarantineRows }) + "\n");
  db.closeSync();
  instance.closeSync();
}

main().catch((e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
