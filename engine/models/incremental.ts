// SQL shared by the incremental model plans (plan.ts header, docs/models.md "Incremental builds").
// Pure: no engine import.
import type { SqlDialect } from "../dialects";
import { CONSUMED_RELATION } from "./plan";

/**
 * The condition "this row of input `relation` is new": its `_run_id` (bronze and silver lineage)
 * is not among the runs the previous version consumed from that input. Everything is new when
 * `consumed` is empty (first build, full refresh, changed plan).
 */
export function newRunsOf(relation: string, d: SqlDialect, alias = ""): string {
  const runId = `${alias ? `${alias}.` : ""}_run_id`;
  return `${runId} NOT IN (SELECT run_id FROM ${CONSUMED_RELATION} WHERE relation = ${d.str(relation)})`;
}

/**
 * True when the previous version consumed nothing: a full rebuild (`previous` is empty too). The
 * plans then skip the touched-key work (every key is touched) instead of computing it over all
 * of bronze: a full rebuild costs what a plain one does.
 */
export const NOTHING_CONSUMED = `(SELECT COUNT(*) FROM ${CONSUMED_RELATION}) = 0`;
