// Write-audit-publish checks and run-summary queries of a plan. Audits read the staged_*
// relations (what would be published); each returns one row with a BIGINT `violations`.
import type { AuditQuery, SummaryQueries } from "./plan";
import type { SqlContext } from "./sql-context";

export function compileAudits(ctx: SqlContext): AuditQuery[] {
  const spec = ctx.spec;
  const keys = ctx.list(spec.primaryKey);
  const notNull = [...new Set([...spec.primaryKey, ...spec.rules.flatMap((r) => (r.kind === "not_null" ? [r.column] : []))])];
  const stateKeys = spec.primaryKey.map((_, i) => `_pk_${i + 1}`).join(", ");
  const audits: AuditQuery[] = [
    {
      name: "silver_primary_key_unique",
      description: "no primary key value appears twice in silver (count of duplicated keys)",
      sql: `SELECT COUNT(*) AS violations FROM (SELECT ${keys} FROM staged_silver GROUP BY ${keys} HAVING COUNT(*) > 1) dup`,
    },
    {
      name: "state_primary_key_unique",
      description: "state holds one change per key (count of duplicated keys)",
      sql: `SELECT COUNT(*) AS violations FROM (SELECT ${stateKeys} FROM staged_state GROUP BY ${stateKeys} HAVING COUNT(*) > 1) dup`,
    },
    {
      name: "silver_not_null",
      description: `no NULL in silver key / not-null columns (${notNull.join(", ")})`,
      sql: `SELECT COUNT(*) AS violations FROM staged_silver WHERE ${notNull.map((c) => `${ctx.id(c)} IS NULL`).join(" OR ")}`,
    },
    {
      name: "current_rows_conserved",
      description: "current keys (state minus tombstones) = silver rows + quarantine rows",
      sql: `SELECT abs((SELECT COUNT(*) FROM staged_state WHERE ${ctx.id("_op")} <> 'D') - (SELECT COUNT(*) FROM staged_silver) - (SELECT COUNT(*) FROM staged_quarantine)) AS violations`,
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
  ];
  const p = spec.partitionBy;
  if (p && !ctx.hashedColumns().has(p.column)) {
    const [col, y, m] = [ctx.id(p.column), ctx.id(p.yearColumn), ctx.id(p.monthColumn)];
    audits.push({
      name: "partition_values_valid",
      description: `${p.yearColumn}/${p.monthColumn} equal year/month of ${p.column} (both NULL when it is NULL)`,
      sql:
        `SELECT COUNT(*) AS violations FROM staged_silver WHERE ` +
        `(${col} IS NULL AND (${y} IS NOT NULL OR ${m} IS NOT NULL)) OR ` +
        `(${col} IS NOT NULL AND (${y} IS NULL OR ${m} IS NULL OR ${y} <> ${ctx.d.year(col)} OR ${m} <> ${ctx.d.month(col)} OR ${m} < 1 OR ${m} > 12))`,
    });
  }
  return audits;
}

export function compileSummary(ctx: SqlContext): SummaryQueries {
  const seq = ctx.spec.cdc?.sequenceColumns[0];
  const seqType = seq ? ctx.typeOf(seq) : undefined;
  const latest = !seq
    ? "CAST(NULL AS " + ctx.d.sqlType("string") + ")"
    : `(SELECT ${seqType === "timestamp" ? ctx.d.timestampText("MAX(_seq_1)") : ctx.d.cast("MAX(_seq_1)", "string")} FROM staged_state WHERE ${ctx.id("_op")} <> 'D')`;
  const count = (from: string, where = "") => `(SELECT COUNT(*) FROM ${from}${where ? ` WHERE ${where}` : ""})`;
  const counts = [
    `${count("incoming")} AS rows_read`,
    `${count("staged_bronze")} AS bronze_rows`,
    `${count("staged_rejects")} AS rejected_rows`,
    `(SELECT fresh_rows FROM incoming_counts) AS changes_applied`,
    `${count("staged_state")} AS state_keys`,
    `${count("staged_state", `${ctx.id("_op")} <> 'D'`)} AS current_rows`,
    `${count("staged_silver")} AS silver_rows`,
    `${count("staged_quarantine")} AS quarantine_rows`,
    `${latest} AS latest_sequence`,
  ];
  const files =
    `SELECT f._file_id, f._rows_read AS rows_read, COALESCE(r.n, 0) AS rows_rejected, COALESCE(q.n, 0) AS rows_quarantined ` +
    `FROM staged_files f ` +
    `LEFT JOIN (SELECT _file_id, COUNT(*) AS n FROM staged_rejects GROUP BY _file_id) r ON r._file_id = f._file_id ` +
    `LEFT JOIN (SELECT _file_id, COUNT(*) AS n FROM staged_quarantine GROUP BY _file_id) q ON q._file_id = f._file_id`;
  return { counts: `SELECT ${counts.join(", ")}`, files };
}
