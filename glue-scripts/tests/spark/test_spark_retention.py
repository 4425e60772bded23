"""Snapshot expiry on real Spark + Iceberg (retention.py): after a publish, a table's aged
snapshots expire, the files only they referenced are deleted, and no row changes."""

import glob
import os
from datetime import timedelta

import pytest

from datalake_glue import retention
from spark_lake import ORDERS_CDC_2, orders_files

pytestmark = pytest.mark.spark


def test_aged_snapshots_expire_after_a_publish_and_their_files_go(make_lake, orders_plan, monkeypatch):
    # Every snapshot is aged at once and only main's is kept. Each merge then finds its history
    # cut short and writes its table whole (compaction.py), so the files of the earlier
    # snapshots are referenced by expired snapshots only.
    monkeypatch.setattr(retention, "MAX_SNAPSHOT_AGE", timedelta(0))
    monkeypatch.setattr(retention, "EXPIRE_AT", 1)
    monkeypatch.setattr(retention, "RETAIN_LAST", 1)
    lake = make_lake("retention")
    load, cdc = orders_files(lake)
    silver = lake.table(orders_plan, "silver")
    for i, files in enumerate([[load], [cdc]], start=1):
        summary = lake.run("orders", f"run-retain-{i}", orders_plan, files)
        assert summary["status"] == "SUCCEEDED", summary.get("error")
    first = min(r["snapshot_id"] for r in lake.rows(f"SELECT snapshot_id FROM {silver}.history"))
    data_dir = os.path.join(lake.warehouse, lake.silver_db, orders_plan["tables"]["silver"]["name"], "data")
    before = set(glob.glob(os.path.join(data_dir, "**", "*.parquet"), recursive=True))

    summary = lake.run("orders", "run-retain-3", orders_plan, [lake.landed("orders/20260311-100000000.csv", ORDERS_CDC_2)])
    assert summary["status"] == "SUCCEEDED", summary.get("error")

    snapshots = lake.rows(f"SELECT snapshot_id FROM {silver}.snapshots")
    assert [r["snapshot_id"] for r in snapshots] == [lake.refs(orders_plan, "silver")["main"]]
    with pytest.raises(Exception, match=str(first)):
        lake.rows(f"SELECT * FROM {silver} VERSION AS OF {first}")
    # Exactly the files main reads are left; the older ones were deleted.
    after = set(glob.glob(os.path.join(data_dir, "**", "*.parquet"), recursive=True))
    live = {r["file_path"].replace("file:", "") for r in lake.rows(f"SELECT file_path FROM {silver}.files")}
    assert after == live and before - after, (sorted(after - live), sorted(live - after))
    assert [(r["order_id"], r["status"]) for r in lake.rows(f"SELECT order_id, status FROM {silver} ORDER BY order_id")] == [
        (1, "paid"), (3, "delivered"), (5, "pending"), (6, "paid")]
