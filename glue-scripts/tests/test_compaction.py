"""The compaction rule (compaction.py): deltas since the last whole write, read from an Iceberg
table's snapshots, and the thresholds shared with DuckDB's segments."""

import os
import re

from datalake_glue.compaction import MAX_DELTA_SHARE, MAX_SEGMENTS, segments_since_whole, should_compact
from datalake_glue.retention import RETAIN_LAST


def snapshot(snapshot_id, parent_id, **summary):
    return {"snapshot_id": snapshot_id, "parent_id": parent_id,
            "summary": {k.replace("_", "-"): str(v) for k, v in summary.items()}}


#: A first load (1), two merge-on-read deltas (2, 3), a whole rewrite (4), a delta that only
#: appended (5) and one that replaced rows (6); 7 is a delta on another branch's line.
HISTORY = [
    snapshot(1, None, added_records=100, total_records=100, total_delete_files=0),
    snapshot(2, 1, added_records=5, total_records=105, total_delete_files=1),
    snapshot(3, 2, added_records=7, total_records=112, total_delete_files=2),
    snapshot(4, 3, added_records=104, deleted_data_files=3, total_records=104, total_delete_files=0),
    snapshot(5, 4, added_records=3, total_records=107, total_delete_files=0),
    snapshot(6, 5, added_records=9, total_records=116, total_delete_files=1),
    snapshot(7, 3, added_records=1, total_records=113, total_delete_files=3),
]


def test_deltas_are_counted_back_to_the_last_whole_write():
    assert segments_since_whole(HISTORY, 6) == {"baseRows": 104, "deltas": 2, "upserted": 12}
    assert segments_since_whole(HISTORY, 4) == {"baseRows": 104, "deltas": 0, "upserted": 0}
    # Only the start's own ancestry counts: 7 sits on 3, before the rewrite.
    assert segments_since_whole(HISTORY, 7) == {"baseRows": 100, "deltas": 3, "upserted": 13}
    assert segments_since_whole(HISTORY, 3) == {"baseRows": 100, "deltas": 2, "upserted": 12}


def test_a_commit_that_changed_no_partition_is_no_delta():
    # A load's plan tag (silver_plan.py): an empty append on top of the delta 6.
    tagged = HISTORY + [snapshot(8, 6, changed_partition_count=0, total_records=116, total_delete_files=1)]
    assert segments_since_whole(tagged, 8) == segments_since_whole(HISTORY, 6)


def test_the_first_write_into_a_table_without_rows_is_the_base():
    # Iceberg may open a branch of a new table on an empty snapshot: the insert after it is whole.
    history = [snapshot(10, None, total_records=0), snapshot(11, 10, added_records=50, total_records=50),
               snapshot(12, 11, added_records=2, total_records=52, total_delete_files=1)]
    assert segments_since_whole(history, 12) == {"baseRows": 50, "deltas": 1, "upserted": 2}


def test_a_history_cut_short_before_a_whole_write_is_unknown():
    # Expired snapshots (retention.py): the deltas since the last whole write cannot be counted.
    expired = [s for s in HISTORY if s["snapshot_id"] not in (1, 4)]
    assert segments_since_whole(expired, 3) is None
    assert segments_since_whole(expired, 6) is None
    assert segments_since_whole(expired, 99) is None and segments_since_whole(HISTORY, None) is None
    # A whole write still there is reached: what expired before it does not matter.
    assert segments_since_whole([s for s in HISTORY if s["snapshot_id"] != 1], 6) == {"baseRows": 104, "deltas": 2, "upserted": 12}


def test_loads_keep_more_snapshots_than_a_compaction_cycle_has():
    # A merge commits one snapshot: with the newest RETAIN_LAST kept, the last whole write is
    # always still there when the count rule is due (a cut history forces a whole write).
    assert RETAIN_LAST > MAX_SEGMENTS


SEGMENTS_TS = os.path.join(os.path.dirname(__file__), "..", "..", "engine", "duckdb", "segments.ts")


def test_the_thresholds_are_duckdbs():
    with open(SEGMENTS_TS, encoding="utf-8") as handle:
        source = handle.read()
    constants = dict(re.findall(r"export const (MAX_\w+) = ([0-9.]+);", source))
    assert (MAX_SEGMENTS, MAX_DELTA_SHARE) == (int(constants["MAX_SEGMENTS"]), float(constants["MAX_DELTA_SHARE"]))
    assert should_compact({"baseRows": 100, "deltas": 7, "upserted": 0}, 0)
    assert not should_compact({"baseRows": 100, "deltas": 6, "upserted": 0}, 0)
    assert should_compact({"baseRows": 100, "deltas": 1, "upserted": 20}, 6)
    assert not should_compact({"baseRows": 100, "deltas": 1, "upserted": 20}, 5)
    assert should_compact({"baseRows": 0, "deltas": 0, "upserted": 0}, 1)
    assert not should_compact({"baseRows": None, "deltas": 6, "upserted": 10 ** 9}, 10 ** 9)
