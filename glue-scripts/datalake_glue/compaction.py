"""When an incremental write rewrites its Iceberg table whole instead of adding a delta: the
rule of DuckDB's segment compaction (engine/duckdb/segments.ts shouldCompact), shared by the
load runner's merges (executor.py) and the model builds (model_executor.py).

A delta on a merge-on-read table leaves delete files and a small append that every later read
applies, so reads slow down batch by batch until something rewrites the table. Nothing else does
here: AWS Glue's managed compaction would commit to main while a run's WAP branch is open, and
the run's fast-forward then fails (main no longer an ancestor of the branch). So the writer
itself writes the table whole, on its branch, once the deltas since the last whole write are
due. Measured on 500,000 orders (.scratch/sinc.ts): fact_orders' MERGE went 0.8 -> 4.4 s over
seven deltas and back to 0.7 s after a whole write.

The deltas since the last whole write are counted from a record the writer keeps (a model's
state, model_state.py) or read from the table's own snapshots (segments_since_whole).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

#: A write is whole instead of a delta when the table would then hold more than MAX_SEGMENTS
#: writes since the last whole one (that one counted), or when the rows the deltas upserted
#: would pass MAX_DELTA_SHARE of the rows that whole write left.
MAX_SEGMENTS = 8
MAX_DELTA_SHARE = 0.25


def should_compact(segments: Dict[str, Any], upserts: int) -> bool:
    """True when a delta of `upserts` rows on top of `segments` ({baseRows, deltas, upserted}:
    baseRows None when unknown, then the count of deltas alone decides) should be a whole write."""
    if segments["deltas"] + 2 > MAX_SEGMENTS:
        return True
    base = segments["baseRows"]
    return base is not None and segments["upserted"] + upserts > max(int(base), 1) * MAX_DELTA_SHARE


def _number(summary: Dict[str, Any], key: str) -> int:
    value = summary.get(key)
    return int(value) if value not in (None, "") else 0


def _rewrote_whole(summary: Dict[str, Any]) -> bool:
    """A snapshot that removed data files and left no delete file: an overwrite of the table (a
    full refresh, a compaction). A merge-on-read delta never removes data files; it adds delete
    files."""
    return _number(summary, "deleted-data-files") > 0 and _number(summary, "total-delete-files") == 0


def _changed_no_file(summary: Dict[str, Any]) -> bool:
    """A commit that changed no partition (an empty append: a load's plan tag on silver,
    silver_plan.py): it leaves nothing for reads to apply, so it is no delta."""
    return str(summary.get("changed-partition-count")) == "0"


def _held_no_rows(snapshot: Dict[str, Any]) -> bool:
    """A snapshot that counts no record (Iceberg may open a branch of a new table on one)."""
    return str(dict(snapshot.get("summary") or {}).get("total-records")) == "0"


def segments_since_whole(snapshots: Iterable[Dict[str, Any]], start: Optional[int]) -> Optional[Dict[str, Any]]:
    """{baseRows, deltas, upserted} of the table at snapshot `start`, from its `.snapshots`
    metadata rows (snapshot_id, parent_id, summary): walking back from `start` to the last whole
    write (an overwrite, or the first write into a table without rows), the snapshots on the way
    are deltas and their added records the rows they upserted. None when the walk cannot reach a
    whole write (snapshots expired, retention.py): the deltas are unknown, so the next write is
    whole. Loads keep that rare: a table keeps its newest RETAIN_LAST snapshots, more than
    MAX_SEGMENTS, and a merge commits one snapshot."""
    by_id = {int(row["snapshot_id"]): row for row in snapshots}
    deltas = upserted = 0
    current = by_id.get(int(start)) if start is not None else None
    while current is not None:
        summary = dict(current.get("summary") or {})
        parent_id = current.get("parent_id")
        parent = by_id.get(int(parent_id)) if parent_id is not None else None
        if parent_id is None or _rewrote_whole(summary) or (parent is not None and _held_no_rows(parent)):
            return {"baseRows": _number(summary, "total-records"), "deltas": deltas, "upserted": upserted}
        if not _changed_no_file(summary):
            deltas += 1
            upserted += _number(summary, "added-records")
        current = parent
    return None
