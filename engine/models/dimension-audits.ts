// Audits of an SCD2 dimension (ARCHITECTURE.md "Per-table write-audit-publish"): one row, BIGINT
// `violations` (rows at fault), 0 = passed. A failure publishes nothing for the table. Windows of
// a key may leave gaps (a delete closes a version, a revival opens a later one), so only overlaps
// are audited, not gaps. Audits of one key's rows read `audited` (plan.ts, step 4): a build
// writes every row of each key it touches, so a key's rows are all written or all kept; audits
// across keys (surrogate keys, the unknown member) read the whole new table `staged`.
import type { DimensionSpec } from "../../models/define";
import type { SqlDialect } from "../dialects";
import { END_OF_TIME, UNKNOWN_MEMBER_KEY } from "./dimension";
import { AUDITED_RELATION, STAGED_RELATION, type ModelAudit } from "./plan";

export function dimensionAudits(spec: DimensionSpec, d: SqlDialect): ModelAudit[] {
  const sk = d.ident(spec.surrogateKey);
  const nk = d.ident(spec.naturalKey);
  const count = (from: string, where: string) => `SELECT CAST(COUNT(*) AS BIGINT) AS violations FROM ${from} WHERE ${where}`;
  const staged = STAGED_RELATION;
  const audited = AUDITED_RELATION;
  const end = `TIMESTAMP ${d.str(END_OF_TIME)}`;
  const unknown = `${sk} = ${UNKNOWN_MEMBER_KEY}`;
  const inferred: ModelAudit[] = !spec.inferredMembers
    ? []
    : [
        {
          name: "inferred_members",
          description: `is_inferred is set on every row; an inferred row has a ${spec.naturalKey}, no attribute, and is the earliest row of its key`,
          sql: count(
            `(SELECT *, ROW_NUMBER() OVER (PARTITION BY ${nk} ORDER BY valid_from) AS _rn FROM ${staged}) s`,
            `is_inferred IS NULL OR (is_inferred AND (${[`${nk} IS NULL`, "_rn > 1", ...spec.attributes.map((a) => `${d.ident(a.name)} IS NOT NULL`)].join(" OR ")}))`,
          ),
        },
      ];
  return [
    {
      name: "surrogate_key_unique",
      description: `every ${spec.surrogateKey} is set and names one row`,
      // Rows at fault, by a hash aggregate (a window over the whole table sorted it), over the
      // keys of the written rows only: the kept rows are rows of the previous version, which
      // passed this audit, so a duplicate or NULL key involves a written row (as the facts'
      // grain audit). An incremental build groups its few written keys, not the whole table.
      sql:
        `SELECT CAST(COALESCE(SUM(_n), 0) AS BIGINT) AS violations FROM (SELECT ${sk}, COUNT(*) AS _n FROM ${staged} ` +
        `WHERE ${sk} IS NULL OR ${sk} IN (SELECT ${sk} FROM ${audited}) GROUP BY ${sk}) s WHERE ${sk} IS NULL OR _n > 1`,
    },
    {
      name: "one_current_row",
      description: `at most one current row per ${spec.naturalKey}`,
      sql: count(`(SELECT ${nk}, is_current, COUNT(*) OVER (PARTITION BY ${nk}, is_current) AS _n FROM ${audited}) s`, `${nk} IS NOT NULL AND is_current AND _n > 1`),
    },
    {
      name: "windows_do_not_overlap",
      description: `the windows of one ${spec.naturalKey} do not overlap`,
      sql: count(
        `(SELECT ${nk}, valid_to, LEAD(valid_from) OVER (PARTITION BY ${nk} ORDER BY valid_from, valid_to) AS _next FROM ${audited}) s`,
        `${nk} IS NOT NULL AND _next < valid_to`,
      ),
    },
    {
      name: "valid_from_before_valid_to",
      description: "every window is non-empty: valid_from < valid_to",
      sql: count(audited, "NOT COALESCE(valid_from < valid_to, FALSE)"),
    },
    {
      name: "is_current_when_open",
      description: `is_current exactly when valid_to is ${END_OF_TIME}`,
      sql: count(audited, `NOT COALESCE(is_current = (valid_to = ${end}), FALSE)`),
    },
    {
      name: "unknown_member",
      description: `exactly one unknown member (${spec.surrogateKey} ${UNKNOWN_MEMBER_KEY}, ${spec.naturalKey} NULL); no other row without ${spec.naturalKey}`,
      // |proper unknown rows - 1| + rows that are half of one (key -1 with a natural key, or no natural key without -1).
      sql:
        `SELECT CAST(ABS(COALESCE(SUM(CASE WHEN ${unknown} AND ${nk} IS NULL THEN 1 ELSE 0 END), 0) - 1) + ` +
        `COALESCE(SUM(CASE WHEN (${unknown}) <> (${nk} IS NULL) THEN 1 ELSE 0 END), 0) AS BIGINT) AS violations FROM ${staged}`,
    },
    ...inferred,
  ];
}
