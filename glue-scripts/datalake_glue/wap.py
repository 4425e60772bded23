"""Write-audit-publish on Iceberg: SQL for branches and the publish decision (pure).

Flow per run (https://iceberg.apache.org/docs/latest/branching/#audit-branch):
  1. for each table the plan stages: drop a stale branch of this run (a retried run starts again
     from main), create the branch (Iceberg >= 1.4 also creates one on a table with no snapshot);
  2. stage: write to the branch through the branch identifier `<table>.branch_<name>`, never
     `spark.wap.branch`: explicit identifiers leave reads of published tables (read_table) on
     main, and Iceberg 1.7 refuses a write that sets both;
  3. audits read the staged relations (the branch content); decide_publish();
  4. publish = fast-forward main to the branch, table by table in the plan's publish order
     (main must be an ancestor of the branch; Iceberg >= 1.5 creates main when the table has
     none), then drop the branches; a failed audit only drops the branches: main is untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence

from .constants import CATALOG_NAME, WAP_BRANCH_PREFIX
from .contracts import AuditResult

MAIN_BRANCH = "main"


def quote_identifier(identifier: str) -> str:
    """`glue_catalog.db.t` -> "`glue_catalog`.`db`.`t`" (hyphenated names need backticks)."""
    parts = identifier.split(".")
    if not all(parts):
        raise ValueError(f"bad table identifier: {identifier!r}")
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


def branch_name(run_id: str) -> str:
    """Branch of one run: deterministic, so a retried run finds (and drops) its stale branch."""
    safe = re.sub(r"[^a-z0-9_]", "_", run_id.lower())
    return f"{WAP_BRANCH_PREFIX}{safe}"[:120]


def table_in_catalog(identifier: str, catalog: str = CATALOG_NAME) -> str:
    """Identifier relative to the catalog ('db.t'), as the system procedures want it."""
    prefix = catalog + "."
    return identifier[len(prefix):] if identifier.startswith(prefix) else identifier


def create_branch_sql(table: str, branch: str) -> str:
    return f"ALTER TABLE {quote_identifier(table)} CREATE BRANCH `{branch}`"


def branch_identifier(table: str, branch: str) -> str:
    """Quoted identifier that reads or writes one branch: `cat`.`db`.`t`.`branch_<name>`."""
    return quote_identifier(f"{table}.branch_{branch}")


def drop_branch_sql(table: str, branch: str) -> str:
    return f"ALTER TABLE {quote_identifier(table)} DROP BRANCH IF EXISTS `{branch}`"


_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def procedure_table_arg(identifier: str) -> str:
    """'db.t' for a procedure's `table` argument, which Iceberg parses as a multipart identifier:
    a part such as `my-db` needs its backticks there too, or the call fails ("Cannot parse
    identifier for arg table")."""
    return ".".join(p if _PLAIN_NAME.match(p) else "`" + p.replace("`", "``") + "`"
                    for p in identifier.split("."))


def fast_forward_sql(table: str, branch: str, catalog: str = CATALOG_NAME) -> str:
    name = procedure_table_arg(table_in_catalog(table, catalog))
    return f"CALL {catalog}.system.fast_forward(table => '{name}', branch => '{MAIN_BRANCH}', to => '{branch}')"


@dataclass(frozen=True)
class PublishDecision:
    publish: bool
    reason: Optional[str] = None


def decide_publish(audits: Sequence[AuditResult], error: Optional[str] = None) -> PublishDecision:
    """Publish only when the run raised nothing and there is at least one audit, all passed.

    No audits at all is treated as a failure: a plan that forgot its audits must not publish
    unaudited data.
    """
    if error:
        return PublishDecision(False, error)
    if not audits:
        return PublishDecision(False, "no audits ran: refusing to publish unaudited data")
    failed = [a for a in audits if not a.get("passed")]
    if failed:
        names = ", ".join(f"{a['name']} ({a.get('violations', 0)})" for a in failed)
        return PublishDecision(False, f"audit failed: {names}")
    return PublishDecision(True)


def begin_statements(tables: Sequence[str], branch: str) -> List[str]:
    """Statements that open the WAP branch on every published table (idempotent on retry)."""
    statements: List[str] = []
    for table in tables:
        # A retried run may find its own branch with partial writes: start it again from main.
        statements.append(drop_branch_sql(table, branch))
        statements.append(create_branch_sql(table, branch))
    return statements


def finish_statements(tables: Sequence[str], branch: str, decision: PublishDecision) -> List[str]:
    """Publish (fast-forward then drop) or discard (drop only) every table's branch.

    Fast-forwards come first for all tables, so a failure there leaves every branch in place
    for inspection; branches are dropped only after every table published.
    """
    statements: List[str] = []
    if decision.publish:
        statements.extend(fast_forward_sql(table, branch) for table in tables)
    statements.extend(drop_branch_sql(table, branch) for table in tables)
    return statements

