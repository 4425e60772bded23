"""Old snapshots expire after a publish (the load runner's tables and the model tables).

Every run commits snapshots (a merge-on-read delta, a compaction, an append), and Iceberg keeps
each one until expire_snapshots removes it: the table's metadata file, rewritten at every
commit, lists them all, and the data and delete files only old snapshots still reference stay
on S3. So without expiry every commit gets slower and storage grows without end. The DuckDB
twin keeps the newest KEEP_VERSIONS versions besides the current one (engine/duckdb/workspace.ts
pruneVersions).

A snapshot expires once it is older than MAX_SNAPSHOT_AGE (Iceberg's own default,
`history.expire.max-snapshot-age-ms`) and is not among the table's newest RETAIN_LAST; the
snapshots of a branch or tag are never expired, nor main's (Iceberg's rules). The procedure runs a
Spark job over the table's manifests, so a run calls it only once EXPIRE_AT snapshots have aged.
A load looks (one query over its published tables' snapshots metadata tables) only when a merged
table's snapshots, read anyway for its merge, count that many; a model build looks at its own
table's after each publish. A table whose aged snapshots a branch or tag holds stays due, and
pays the procedure each run. The manual rollback of docs/deploy.md reaches back as far as the
snapshots kept.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional

from .constants import CATALOG_NAME
from .wap import procedure_table_arg, quote_identifier, table_in_catalog

LOG = logging.getLogger("datalake_glue")

MAX_SNAPSHOT_AGE = timedelta(days=5)
#: DuckDB keeps 10 versions besides the current one (KEEP_VERSIONS).
RETAIN_LAST = 11
EXPIRE_AT = 20


def due(aged_counts: Iterable[int]) -> bool:
    """Whether some table's aged snapshots (counted by the caller) make a run look for expiry."""
    return max(aged_counts, default=0) >= EXPIRE_AT


def cutoff_text(now: datetime) -> str:
    """The age limit as a Spark TIMESTAMP literal's text (UTC: the runner's session time zone)."""
    return (now.astimezone(timezone.utc) - MAX_SNAPSHOT_AGE).strftime("%Y-%m-%d %H:%M:%S.%f")


def aged_snapshots_sql(identifiers: List[str], cutoff: str) -> str:
    """One query for all the tables (one Spark job, not one per table): `n` aged snapshots per
    table, by its position `t` in `identifiers`."""
    return " UNION ALL ".join(
        f"SELECT {i} AS t, COUNT(*) AS n FROM {quote_identifier(identifier + '.snapshots')} "
        f"WHERE committed_at < TIMESTAMP '{cutoff}'" for i, identifier in enumerate(identifiers))


def expire_snapshots_sql(identifier: str, cutoff: str, catalog: str = CATALOG_NAME) -> str:
    name = procedure_table_arg(table_in_catalog(identifier, catalog))
    return (f"CALL {catalog}.system.expire_snapshots(table => '{name}', "
            f"older_than => TIMESTAMP '{cutoff}', retain_last => {RETAIN_LAST})")


def expire_old_snapshots(rows: Callable[[str], List[Dict[str, Any]]], identifiers: List[str],
                         now: Optional[datetime] = None) -> List[str]:
    """Expire the aged snapshots of each table where EXPIRE_AT of them have piled up; returns the
    tables it expired. Housekeeping after a publish: a failure is logged (the next run tries
    again), never raised."""
    cutoff = cutoff_text(now or datetime.now(timezone.utc))
    try:
        aged = {int(r["t"]): int(r["n"] or 0) for r in rows(aged_snapshots_sql(identifiers, cutoff))}
    except Exception:  # noqa: BLE001 - published already; the next run checks again
        LOG.exception("could not count the aged snapshots of %s (the next run does it)", ", ".join(identifiers))
        return []
    expired: List[str] = []
    for i, identifier in enumerate(identifiers):
        if not due([aged.get(i, 0)]):
            continue
        try:
            done = rows(expire_snapshots_sql(identifier, cutoff))
        except Exception:  # noqa: BLE001 - as above
            LOG.exception("could not expire old snapshots of %s (the next run does it)", identifier)
            continue
        deleted = ", ".join(f"{k} {v}" for k, v in (dict(done[0]) if done else {}).items() if v) or "no file"
        LOG.info("expired the snapshots of %s older than %s (beyond the newest %d): deleted %s",
                 identifier, MAX_SNAPSHOT_AGE, RETAIN_LAST, deleted)
        expired.append(identifier)
    return expired
