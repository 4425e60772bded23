"""Running a plan's audits on Spark: all of them in one query, each audit a scalar subquery.

An audit is a query of one row and a BIGINT `violations` column (engine/audits.ts,
engine/models/*-audits.ts). Run one after the other, each pays Spark's fixed cost per query
(parsing, planning, its jobs' scheduling) whatever it reads: a 40-row load's ten audits took
875 ms as ten queries, 727 ms as one (local Spark, 2 cores). A fused query that fails (one
audit's SQL is broken, or one cannot run as a subquery) tells nothing about which: then every
audit runs alone, so each result names its own error, as before. The outcome of each audit is
the same either way: the first row's `violations`, none when it returns no row.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

from .contracts import AuditResult

#: Spark caps its subquery thread pool at 16 by default; a fused query holds at most this many.
MAX_FUSED = 16

Rows = Callable[[str], List[Dict[str, Any]]]


def fused_sql(queries: Sequence[str]) -> str:
    """One row: column `v<i>` is the `violations` of the i-th query's first row (NULL if none)."""
    return "SELECT " + ", ".join(
        f"(SELECT violations FROM ({sql}) AS a{i} LIMIT 1) AS v{i}" for i, sql in enumerate(queries)
    )


def audit_result(audit: Dict[str, Any], value: Any) -> AuditResult:
    if value is None:
        return {"name": audit["name"], "passed": False, "violations": 0,
                "detail": "audit returned no violations count"}
    violations = int(value)
    result: AuditResult = {"name": audit["name"], "passed": violations == 0, "violations": violations}
    if violations:
        result["detail"] = audit.get("description") or audit["name"]
    return result


def error_result(audit: Dict[str, Any], error: BaseException) -> AuditResult:
    message = str(error).strip().split("\n")[0]
    return {"name": audit["name"], "passed": False, "violations": 0, "detail": f"audit error: {message}"}


def run_one(rows: Rows, audit: Dict[str, Any], sql: str) -> AuditResult:
    try:
        found = rows(sql)
    except Exception as error:  # noqa: BLE001 - a broken audit blocks the publish
        return error_result(audit, error)
    return audit_result(audit, found[0].get("violations") if found else None)


def run_fused(rows: Rows, audits: Sequence[Dict[str, Any]], queries: Sequence[str]) -> Optional[List[AuditResult]]:
    """The audits' results from one query, or None when that query failed."""
    try:
        found = rows(fused_sql(queries))
    except Exception:  # noqa: BLE001 - run_audits runs each alone to say which one failed
        return None
    row = found[0] if found else {}
    return [audit_result(audit, row.get(f"v{i}")) for i, audit in enumerate(audits)]


def run_audits(rows: Rows, audits: Sequence[Dict[str, Any]], sql_of: Callable[[Dict[str, Any]], str]) -> List[AuditResult]:
    """Each audit's result, in order; `sql_of` picks the SQL an audit runs."""
    results: List[AuditResult] = []
    for start in range(0, len(audits), MAX_FUSED):
        chunk = audits[start:start + MAX_FUSED]
        queries = [sql_of(a) for a in chunk]
        fused = run_fused(rows, chunk, queries) if len(chunk) > 1 else None
        results.extend(fused if fused is not None else [run_one(rows, a, q) for a, q in zip(chunk, queries)])
    return results
