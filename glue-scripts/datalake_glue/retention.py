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
Spark job over the table's manifests, so a run calls it only once EXPIRE_AT snapshots have aged:
one check per table per run is a query of its snapshots metadata table. The manual rollback of
docs/deploy.md reaches back as far as the snapshots kept.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional

from .constants import CATALOG_NAME
from .wap import procedure_table_arg, quote_identifier, table_in_catalog

LOG = logging.getLogger("datalake_glue")

MAX_SNAPSHOT_AGE = timedelta(days=5)
#: DuckDB keeps 10 versions besides the current one (KEEP_VERSIONS).
RETAIN_LAST = 11
EXPIRE_AT = 20


def cutoff_text(now: datetime) -> str:
    """The age limit as a Spark TIMESTAMP literal's text (UTC: the runner's session time zone)."""
    return (now.astimezone(timezone.utc) - MAX_SNAPSHOT_AGE).strftime("%Y-%m-%d %H:%M:%S.%f")


def aged_snapshots_sql(identifier: str, cutoff: str) -> str:
    return (f"SELECT COUNT(*) AS n FROM {quote_identifier(identifier + '.snapshots')} "
            f"WHERE committed_at < TIMESTAMP '{cutoff}'")


def expire_snapshots_sql(identifier: str, cutoff: str, catalog: str = CATALOG_NAME) -> str:
    name = procedure_table_arg(table_in_catalog(identifier, catalog))
    return (f"CALL {catalog}.system.expire_snapshots(table => '{name}', "
            f"older_than => TIMESTAMP '{cutoff}', retain_last => {RETAIN_LAST})")


def expire_old_snapshots(rows: Callable[[str], List[Dict[str, Any]]], identifier: str,
                         now: Optional[datetime] = None) -> Optional[Dict[str, Any]]:
    """Expire the table's aged snapshots when EXPIRE_AT of them have piled up; returns the
    procedure's counts of deleted files (None when it was not due)."""
    cutoff = cutoff_text(now or datetime.now(timezone.utc))
    found = rows(aged_snapshots_sql(identifier, cutoff))
    if not found or int(found[0]["n"] or 0) < EXPIRE_AT:
        return None
    done = rows(expire_snapshots_sql(identifier, cutoff))
    return dict(done[0]) if done else {}


def log_expired(identifier: str, done: Optional[Dict[str, Any]]) -> None:
    if done is not None:
        deleted = ", ".join(f"{k} {v}" for k, v in done.items() if v) or "no file"
        LOG.info("expired the snapshots of %s older than %s (beyond the newest %d): deleted %s",
                 identifier, MAX_SNAPSHOT_AGE, RETAIN_LAST, deleted)
