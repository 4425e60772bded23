"""Which load plan built a silver snapshot, so a model build can tell that a silver it reads was
rebuilt by another plan since its previous version (the twin of engine/duckdb/build-model.ts
changedSilverPlan; docs/models.md "Incremental builds").

Why: a dataset spec edit (a rule, a type) changes the load plan's fingerprint, so the next load
is a full refresh (executor.py choose_mode) that relabels old rows silver <-> quarantine without
a new bronze row. An incremental model build finds its touched rows by new bronze runs, so it
would keep fact rows of keys now quarantined and miss the healed ones (stale facts, or a failed
row_count audit). Only a full build sees them.

Where the fingerprint lives: in the summary of the silver snapshot itself (FINGERPRINT_PROPERTY),
committed by the load on its WAP branch before the publish. A build pins silver snapshots
(model_pin.py) and reads the fingerprint of exactly the snapshot it pinned, so a build can never
pair the relabelled rows with the old fingerprint, whatever the timing. Not a table property:
properties are not versioned with snapshots, and the state table's one is set after the publish
(a build between the silver fast-forward and that update would pin the relabelled silver and read
the old fingerprint), and a rollback of silver would keep the newer one.

Spark SQL cannot put a property in the summary of an INSERT or MERGE commit (write options only
come with DataFrame writes), so the load adds an empty commit carrying it (SparkIO.tag_branch)
only when the nearest tagged ancestor of its silver branch names another plan: a run under the
same plan as the last tag adds nothing, unless that tag is RETAG_AFTER snapshots back: then it
tags again, before expiry (retention.py keeps the RETAIN_LAST newest) can drop the last tag. A
snapshot's fingerprint is its nearest tagged ancestor's: the writes between are runs of that same
plan (another plan's run tags). A silver with no tag in reach (written before tags) has no known
fingerprint, which decides nothing: the load tags it again, and a model build neither rebuilds
for it nor records one.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from .constants import FINGERPRINT_PROPERTY
from .retention import RETAIN_LAST

#: A load tags again once the nearest tag is this many snapshots behind its branch head (a load
#: adds one or two), so the tag stays among the RETAIN_LAST newest, which expiry never drops.
RETAG_AFTER = RETAIN_LAST // 2


def snapshots_sql(quoted_identifier: str) -> str:
    """The metadata rows plan_at walks (every snapshot of the table, branches included)."""
    return f"SELECT snapshot_id, parent_id, summary FROM {quoted_identifier}.`snapshots`"


def plan_at(snapshots: Iterable[Dict[str, Any]], start: Optional[Any]) -> Optional[str]:
    """The load-plan fingerprint of snapshot `start`: the one in its summary or in the summary of
    its nearest ancestor that has one; None when the walk finds none."""
    return nearest_tag(snapshots, start)[0]


def nearest_tag(snapshots: Iterable[Dict[str, Any]], start: Optional[Any]) -> Tuple[Optional[str], int]:
    """plan_at's fingerprint and how many parent steps back from `start` its snapshot is."""
    by_id = {int(row["snapshot_id"]): row for row in snapshots}
    current = by_id.get(int(start)) if start is not None else None
    steps = 0
    while current is not None:
        recorded = dict(current.get("summary") or {}).get(FINGERPRINT_PROPERTY)
        if recorded:
            return str(recorded), steps
        parent = current.get("parent_id")
        current = by_id.get(int(parent)) if parent is not None else None
        steps += 1
    return None, steps


def needs_tag(snapshots: Iterable[Dict[str, Any]], head: Optional[Any], fingerprint: str) -> bool:
    """Whether a load under plan `fingerprint` must tag its silver branch (head `head`): the
    nearest tag names another plan, or none is in reach, or it is RETAG_AFTER snapshots back. The
    last keeps a tag among the snapshots expiry keeps (retention.RETAIN_LAST newest at least):
    else a silver loading under one plan for long loses its tag, and model builds, which refuse a
    silver of another plan than their spec's (source_specs.py), could no longer tell."""
    found, steps = nearest_tag(snapshots, head)
    return found != fingerprint or steps >= RETAG_AFTER


def changed_silver_plan(previous: Dict[str, Any], now: Dict[str, str], snapshot: str) -> Optional[str]:
    """Why the state of model snapshot `snapshot` (`previous`) must not be built on: a silver it
    read (`silverPlans`: dataset -> fingerprint) has another fingerprint `now`, or one known now
    that was unknown then (its tag had expired: the load that tags again may be a spec edit). A
    state saved without them, or a silver whose fingerprint is unknown now, decides nothing."""
    if "silverPlans" not in previous:
        return None
    recorded = previous.get("silverPlans") or {}
    for dataset, fingerprint in sorted(now.items()):
        if recorded.get(dataset) != fingerprint:
            if not recorded.get(dataset):
                return (f"silver {dataset} has a load plan snapshot {snapshot} did not record "
                        f"({fingerprint}: first loaded since, or its tag expired)")
            return (f"silver {dataset} was rebuilt by another load plan since snapshot {snapshot} "
                    f"(fingerprint {recorded[dataset]} -> {fingerprint}: a dataset spec edit)")
    return None
