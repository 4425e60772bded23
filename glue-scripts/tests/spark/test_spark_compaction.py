"""Merge compaction on real Spark + Iceberg (compaction.py): once the deltas since the last whole
write are due, a load writes its merged tables whole on its WAP branch (no delete file left), the
next batch is a delta again, and no row differs from a rebuild from bronze."""

import pytest

from datalake_glue import compaction
from spark_lake import ORDERS_CDC_2, ORDERS_HEADER, orders_files

pytestmark = pytest.mark.spark

#: A third batch: order 5 updated (a delta's delete file), order 6 deleted.
ORDERS_CDC_3 = "\n".join([
    "Op," + ORDERS_HEADER,
    "U,5,14,2026-03-10 08:00:00,shipped,7.25,2026-03-12 10:00:00",
    "D,6,15,2026-03-11 09:00:00,paid,99.99,2026-03-12 10:05:00",
]) + "\n"


def test_merged_tables_are_written_whole_when_due_and_keep_every_row(make_lake, orders_plan, monkeypatch):
    # Due at the second delta since the whole write: it would make the third write (the test
    # batches are too small for the share rule to wait that long: switched off).
    monkeypatch.setattr(compaction, "MAX_SEGMENTS", 2)
    monkeypatch.setattr(compaction, "MAX_DELTA_SHARE", 1000.0)
    lake = make_lake("compaction")
    load, cdc = orders_files(lake)
    batches = [[load], [cdc], [lake.landed("orders/20260311-100000000.csv", ORDERS_CDC_2)],
               [lake.landed("orders/20260312-100000000.csv", ORDERS_CDC_3)]]
    summaries = {}
    for i, files in enumerate(batches, start=1):
        summary = lake.run("orders", f"run-compact-{i}", orders_plan, files)
        assert summary["status"] == "SUCCEEDED", summary.get("error")
        summaries[i] = {role: lake.main_snapshot(orders_plan, role) for role in ("state", "silver")}

    for role in ("state", "silver"):
        after = {i: summaries[i][role] for i in summaries}
        # 1: the first load's insert; 2: a merge-on-read delta (delete files); 3: the whole write
        # (the first one's files removed, no delete file left); 4: a delta on top of it.
        assert int(after[2].get("total-delete-files", 0)) > 0, (role, after[2])
        assert int(after[3].get("deleted-data-files", 0)) > 0 and after[3].get("total-delete-files") == "0", (role, after[3])
        assert int(after[4].get("added-delete-files", 0)) > 0, (role, after[4])
    assert [(r["order_id"], r["status"]) for r in lake.rows(
        f"SELECT order_id, status FROM {lake.table(orders_plan, 'silver')} ORDER BY order_id")] == [
        (1, "paid"), (3, "delivered"), (5, "shipped")]

    # A rebuild from bronze gives the same tables: the whole writes kept every row, changed none.
    before = {role: lake.content(orders_plan, role) for role in ("state", "silver", "quarantine")}
    rebuilt = lake.run("orders", "run-compact-refresh", orders_plan, [], full_refresh=True)
    assert rebuilt["status"] == "SUCCEEDED", rebuilt.get("error")
    assert {role: lake.content(orders_plan, role) for role in before} == before
