// Write-audit-publish checks and run-summary queries of a plan; each audit returns one row with a
// BIGINT `violations`.
//
// What an audit reads (plan.ts "How an executor runs a plan"):
// - Row-level audits (a key is unique, a column is not NULL, a partition value is right) read
//   `written_<role>`, the rows this run wrote to the table: on an incremental run the rows its
//   merge upserted, else the whole table. That covers the whole table because every other row
//   is a row of the previous version that passed the same audits when it was published, and
//   the merge hides each previous row whose key it names: a written row whose key it does not
//   name could sit beside an older row with that key, which is what the executors' own
//   `<role>_written_keys_replaced` check rules out (writtenKeysCheck). Key uniqueness among the
//   written rows is then uniqueness of the table. A run reads the rows it changed, not the table.
// - Table totals (rows of state, silver and quarantine, current keys, latest sequence) are
//   counted once per run, by the `table_totals` step, from the staged relations as they will
//   be published; the conservation audit and the summary read that row.
import type { AuditQuery, MergeStep, SummaryQueries } from "./plan";
import type { SqlContext } from "./sql-context";

/** The plan relation holding the staged tables' totals (compileTotals). */
export const TOTALS_RELATION = "table_totals";

/** The plan relation counting bronze rows a full refresh no longer parses (compile.ts unparsedSteps). */
export const UNPARSED_RELATION = "bronze_unparsed";

/** Relation of the rows a run wrote to a table (StageStep / MergeStep `written`). */
export const writtenRelation = (role: "state" | "silver" | "quarantine"): string => `written_${role}`;

export function compileAudits(ctx: SqlContext): AuditQuery[] {
  const spec = ctx.spec;
  const keys = ctx.list(spec.primaryKey);
  const notNull = [...new Set([...spec.primaryKey, ...spec.rules.flatMap((r) => (r.kind === "not_null" ? [r.column] : []))])];
  const stateKeys = spec.primaryKey.map((_, i) => `_pk_${i + 1}`).join(", ");
  const [silver, state] = [writtenRelation("silver"), writtenRelation("state")];
  const audits: AuditQuery[] = [
    {
      name: "silver_primary_key_unique",
      description: "no primary key value appears twice in silver (count of duplicated keys among the rows the run wrote)",
      sql: `SELECT COUNT(*) AS violations FROM (SELECT ${keys} FROM ${silver} GROUP BY ${keys} HAVING COUNT(*) > 1) dup`,
    },
    {
      name: "state_primary_key_unique",
      description: "state holds one change per key (count of duplicated keys among the rows the run wrote)",
      sql: `SELECT COUNT(*) AS violations FROM (SELECT ${stateKeys} FROM ${state} GROUP BY ${stateKeys} HAVING COUNT(*) > 1) dup`,
    },
    {
      name: "silver_not_null",
      description: `no NULL in silver key / not-null columns (${notNull.join(", ")}) of the rows the run wrote`,
      sql: `SELECT COUNT(*) AS violations FROM ${silver} WHERE ${notNull.map((c) => `${ctx.id(c)} IS NULL`).join(" OR ")}`,
    },
    {
      name: "current_rows_conserved",
      description: "current keys (state minus tombstones) = silver rows + quarantine rows",
      sql: `SELECT abs(current_rows - silver_rows - quarantine_rows) AS violations FROM ${TOTALS_RELATION}`,
    },
    {
      name: "rows_read_equal_bronze_rows",
      description: "rows read from accepted files = rows staged in bronze",
      sql: `SELECT abs((SELECT COALESCE(SUM(_rows_read), 0) FROM staged_files) - (SELECT COUNT(*) FROM staged_bronze)) AS violations`,
    },
    {
      name: "new_rows_accounted",
      description: "every new row is either a change or a reject",
      sql: `SELECT abs((SELECT COUNT(*) FROM incoming) - (SELECT fresh_rows FROM incoming_counts) - (SELECT COUNT(*) FROM staged_rejects)) AS violations`,
    },
    {
      name: "bronze_rows_accounted",
      description:
        "every bronze row still parses (key, sequence, Op) under the spec or was rejected when read; " +
        "a spec edit of a key or sequence column that old rows do not meet would drop them uncounted: " +
        "revert or widen it (bronze keeps the rows)",
      sql: `SELECT unparsed_rows AS violations FROM ${UNPARSED_RELATION}`,
    },
  ];
  const p = spec.partitionBy;
  if (p && !ctx.hashedColumns().has(p.column)) {
    const [col, y, m] = [ctx.id(p.column), ctx.id(p.yearColumn), ctx.id(p.monthColumn)];
    audits.push({
      name: "partition_values_valid",
      description: `${p.yearColumn}/${p.monthColumn} equal year/month of ${p.column} (both NULL when it is NULL) in the rows the run wrote`,
      sql:
        `SELECT COUNT(*) AS violations FROM ${silver} WHERE ` +
        `(${col} IS NULL AND (${y} IS NOT NULL OR ${m} IS NOT NULL)) OR ` +
        `(${col} IS NOT NULL AND (${y} IS NULL OR ${m} IS NULL OR ${y} <> ${ctx.d.year(col)} OR ${m} <> ${ctx.d.month(col)} OR ${m} < 1 OR ${m} > 12))`,
    });
  }
  return audits;
}

/**
 * The `table_totals` row: state_keys, current_rows, silver_rows, quarantine_rows (BIGINT) and
 * latest_sequence (STRING: max of the first sequence column over current rows, ISO text). Each
 * table is scanned once, its counts taken independently of the others', so the conservation
 * audit compares totals that are not derived from each other. The latest sequence is scanned,
 * not derived from the previous version's: a delete may remove the key that held it.
 */
export function compileTotals(ctx: SqlContext): string {
  const current = `${ctx.id("_op")} <> 'D'`;
  const seq = ctx.spec.cdc?.sequenceColumns[0];
  const max = `MAX(CASE WHEN ${current} THEN _seq_1 END)`;
  const latest = !seq ? `CAST(NULL AS ${ctx.d.sqlType("string")})` : ctx.typeOf(seq) === "timestamp" ? ctx.d.timestampText(max) : ctx.d.cast(max, "string");
  const state = `SELECT COUNT(*) AS state_keys, COUNT(CASE WHEN ${current} THEN 1 END) AS current_rows, ${latest} AS latest_sequence FROM staged_state`;
  return (
    `SELECT s.state_keys, s.current_rows, (SELECT COUNT(*) FROM staged_silver) AS silver_rows, ` +
    `(SELECT COUNT(*) FROM staged_quarantine) AS quarantine_rows, s.latest_sequence FROM (${state}) s`
  );
}

export function compileSummary(ctx: SqlContext): SummaryQueries {
  const count = (from: string) => `(SELECT COUNT(*) FROM ${from})`;
  const total = (column: string) => `(SELECT ${column} FROM ${TOTALS_RELATION})`;
  const counts = [
    `${count("incoming")} AS rows_read`,
    `${count("staged_bronze")} AS bronze_rows`,
    `${count("staged_rejects")} AS rejected_rows`,
    `(SELECT fresh_rows FROM incoming_counts) AS changes_applied`,
    ...["state_keys", "current_rows", "silver_rows", "quarantine_rows", "latest_sequence"].map((c) => `${total(c)} AS ${c}`),
  ];
  const files =
    `SELECT f._file_id, f._rows_read AS rows_read, COALESCE(r.n, 0) AS rows_rejected, COALESCE(q.n, 0) AS rows_quarantined ` +
    `FROM staged_files f ` +
    `LEFT JOIN (SELECT _file_id, COUNT(*) AS n FROM staged_rejects GROUP BY _file_id) r ON r._file_id = f._file_id ` +
    `LEFT JOIN (SELECT _file_id, COUNT(*) AS n FROM staged_quarantine GROUP BY _file_id) q ON q._file_id = f._file_id`;
  return { counts: `SELECT ${counts.join(", ")}`, files };
}

/**
 * The check every executor runs on the rows a merge step layered on the previous version (a
 * DuckDB segment, an Iceberg MERGE): those whose key matches none of the replaced keys, by the
 * step's `on` (`t` = a written row, `s` = a replaced key). Such a row would stay beside the older
 * row of its key, and the row-level audits, which read only written rows, would not see the
 * pair. On a compaction (the table written whole: the kept rows of keys the merge did not name,
 * plus its rows) `layered` names its rows and the keys it named: a row whose key is not among
 * them sits beside the kept row of its key. `layered` null: the table had no row before, so no
 * row sits on an older one.
 * glue-scripts/datalake_glue/executor.py written_keys_check is its twin.
 */
export function writtenKeysCheck(
  step: MergeStep,
  layered: { rows: string; keys: string } | null,
  quote: (name: string) => string,
): AuditQuery {
  const match = step.on.map((o) => `${o.target} = s.${quote(o.source)}`).join(" AND ");
  return {
    name: `${step.table}_written_keys_replaced`,
    description: `every row written to ${step.table} has its key among the keys the merge replaced`,
    sql: layered
      ? `SELECT COUNT(*) AS violations FROM ${layered.rows} t WHERE NOT EXISTS (SELECT 1 FROM ${layered.keys} s WHERE ${match})`
      : "SELECT 0 AS violations",
  };
}
