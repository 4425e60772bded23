"""Which snapshot of each dataset table a model build reads: one point per dataset, so its
silver, bronze and files ledger agree (the twin of engine/duckdb/dataset-pin.ts; docs/models.md
"Incremental builds").

Why: a load publishes by fast-forwarding main table by table (silver, quarantine, state, rejects,
bronze, files: engine/compile.ts PUBLISH_ORDER). A build reading its inputs one after the other
can straddle that: silver without run R but bronze with it records R as consumed, and no later
incremental build recomputes what R changed; silver with R but bronze without it reads rows whose
changes it cannot see. And main moves while a build runs: a view on main could read two
snapshots of one table within one build.

How: while a load publishes, its files ledger carries the table property `datalake.publishing`
(executor.py publish(): set before the first fast-forward, removed after the last). A round reads
that marker, then every table's main snapshot, then both again; with no marker either time and
the same snapshots both times, no publish overlapped the round (one that began and ended inside
it moved a table between the two reads), so the snapshots are one point. The build then reads
each table `VERSION AS OF` its snapshot. A marker means wait and try again; one that stays past
PUBLISH_WAIT_SECONDS is a load that died mid-publish (the next load of the dataset finishes it).

Each read is preceded by REFRESH TABLE: Iceberg's Spark catalog caches a loaded table for 30 s
by default (`cache-enabled`, https://iceberg.apache.org/docs/latest/spark-configuration/), so
without it the second read would only repeat the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from .constants import PUBLISHING_PROPERTY, PUBLISHING_RUN_PROPERTY

#: How long a build waits for a load's publish to finish before failing.
PUBLISH_WAIT_SECONDS = 300.0
#: Pause between two looks at a publishing marker.
PUBLISH_POLL_SECONDS = 2.0


class PublishInProgressError(RuntimeError):
    """A load of an input dataset stayed mid-publish longer than the build waits."""


@dataclass(frozen=True)
class DatasetTables:
    """The tables a plan reads of one dataset: relation -> identifier (None: not created yet),
    and the dataset's files ledger, which carries the publishing marker."""

    dataset: str
    ledger: Optional[str]
    tables: Dict[str, Optional[str]]


def pin_dataset(item: DatasetTables, *, marker: Callable[[str], Optional[str]],
                snapshot: Callable[[str], Optional[str]], sleep: Callable[[float], None],
                wait_seconds: float = PUBLISH_WAIT_SECONDS,
                poll_seconds: float = PUBLISH_POLL_SECONDS) -> Dict[str, Optional[str]]:
    """relation -> main snapshot id (None: no snapshot, the table reads as empty).

    `marker(ledger)` is the run publishing into the dataset ("" when the marker names none) or
    None; `snapshot(identifier)` refreshes the table and returns its main snapshot id."""
    def publishing() -> Optional[str]:
        return marker(item.ledger) if item.ledger is not None else None

    def snapshots() -> Dict[str, Optional[str]]:
        return {relation: snapshot(ident) if ident is not None else None for relation, ident in item.tables.items()}

    waited = 0.0
    while True:
        run = publishing()
        if run is None:
            first = snapshots()
            run = publishing()
            if run is None and snapshots() == first:
                return first
        if run is not None:
            if waited >= wait_seconds:
                raise PublishInProgressError(
                    f"dataset {item.dataset}: load run {run or '(unnamed)'} has been publishing for over "
                    f"{int(wait_seconds)} s ({PUBLISHING_PROPERTY} on {item.ledger}): a load stopped "
                    f"mid-publish? the next load of {item.dataset} finishes it")
            sleep(poll_seconds)
            waited += poll_seconds


def publishing_run(properties: Dict[str, str]) -> Optional[str]:
    """The marker as pin_dataset wants it: None when no publish is under way."""
    if not properties.get(PUBLISHING_PROPERTY):
        return None
    return properties.get(PUBLISHING_RUN_PROPERTY) or ""


def datasets_read(inputs: List[Dict[str, str]]) -> List[str]:
    """Datasets whose tables (bronze, files, silver) a plan reads, in first-read order."""
    seen: List[str] = []
    for item in inputs:
        if item["zone"] in ("bronze", "files", "silver") and item["dataset"] not in seen:
            seen.append(item["dataset"])
    return seen
