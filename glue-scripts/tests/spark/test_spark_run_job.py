"""One load through run_job on real Spark + Iceberg (LocalObjects + LocalMetrics): the summary, the
metrics lines, the tables; then the same manifest under another run id changes nothing."""

import pytest

from spark_lake import EXPECTED_SILVER_ORDERS, NAMESPACE, ROLES

pytestmark = pytest.mark.spark

AUDITS = ["silver_primary_key_unique", "state_primary_key_unique", "silver_not_null",
          "current_rows_conserved", "rows_read_equal_bronze_rows", "new_rows_accounted",
          "bronze_rows_accounted", "partition_values_valid", "state_written_keys_replaced", "silver_written_keys_replaced",
          "quarantine_written_keys_replaced", "summary_conservation"]


def test_a_clean_run_publishes_every_table_and_reports_it(baseline):
    lake, plan, summary = baseline["lake"], baseline["plan"], baseline["summary"]

    assert summary["status"] == "SUCCEEDED", summary.get("error")
    assert summary == lake.summary_file("orders", "run-base-1")  # what the job-state Lambda reads
    assert summary["counts"] == {"rowsRead": 8, "bronzeRows": 8, "rejectedRows": 1,
                                 "quarantinedFileRows": 0, "changesApplied": 7,
                                 "stateKeys": 5, "currentRows": 4, "silverRows": 3, "quarantineRows": 1}
    assert [(f["key"], f["outcome"], f["rowsRead"], f["rowsLoaded"], f["rowsQuarantined"], f["rowsRejected"])
            for f in summary["files"]] == [
        ("orders/LOAD00000001.csv", "LOADED", 4, 3, 1, 0),
        ("orders/20260310-090000000.csv", "LOADED", 4, 3, 0, 1),
    ]
    assert [(a["name"], a["passed"], a["violations"]) for a in summary["audits"]] == [(n, True, 0) for n in AUDITS]
    assert summary["freshness"]["rowCount"] == 3
    assert summary["freshness"]["latestSequence"] == "2026-03-10 09:10:00.000000"
    # published versions are the snapshots main now points at; no WAP branch is left behind
    refs = {role: lake.refs(plan, role) for role in ROLES}
    assert all(list(r) == ["main"] for r in refs.values()), refs
    assert summary["published"] == {"silverVersion": str(refs["silver"]["main"]),
                                    "quarantineVersion": str(refs["quarantine"]["main"])}

    # The first load merged into tables without rows: Iceberg committed appends (an INSERT), not
    # a MERGE's overwrite (executor.merge, started_empty). Main's snapshots only: a test that runs
    # a failing batch on this lake first leaves its dropped WAP branch's snapshots in `.snapshots`.
    for role in ("state", "silver", "quarantine"):
        table = lake.table(plan, role)
        operations = {r["operation"] for r in lake.rows(
            f"SELECT s.operation FROM {table}.snapshots s JOIN {table}.history h ON h.snapshot_id = s.snapshot_id "
            "WHERE h.is_current_ancestor")}
        assert "overwrite" not in operations and "append" in operations, (role, operations)

    silver = lake.rows(f"SELECT order_id, status, order_year, order_month, _run_id FROM {lake.table(plan, 'silver')} ORDER BY order_id")
    assert [(r["order_id"], r["status"]) for r in silver] == sorted(EXPECTED_SILVER_ORDERS.items())
    assert [(r["order_year"], r["order_month"]) for r in silver] == [(2026, 1), (2026, 3), (2026, 3)]
    assert {r["_run_id"] for r in silver} == {"run-base-1"}
    quarantine = lake.rows(f"SELECT order_id, _reasons FROM {lake.table(plan, 'quarantine')}")
    assert [(r["order_id"], r["_reasons"]) for r in quarantine] == [("4", "accepted_values:status")]
    rejects = lake.rows(f"SELECT order_id, _reasons FROM {lake.table(plan, 'rejects')}")
    assert [(r["order_id"], r["_reasons"]) for r in rejects] == [("x5", "bad_key:order_id")]
    state = lake.rows(f"SELECT order_id, _op FROM {lake.table(plan, 'state')} ORDER BY CAST(order_id AS INT)")
    assert [(r["order_id"], r["_op"]) for r in state] == [("1", "U"), ("2", "D"), ("3", "I"), ("4", "I"), ("5", "I")]
    assert lake.count(plan, "bronze") == 8
    ledger = lake.rows(f"SELECT _source_key, _rows_read, _run_id FROM {lake.table(plan, 'files')} ORDER BY _source_key")
    assert [(r["_source_key"], r["_rows_read"], r["_run_id"]) for r in ledger] == [
        ("orders/20260310-090000000.csv", 4, "run-base-1"), ("orders/LOAD00000001.csv", 4, "run-base-1")]


def test_a_clean_run_writes_its_metrics_lines(baseline):
    summary = baseline["summary"]
    lines = baseline["metrics"]

    assert all(line["namespace"] == NAMESPACE for line in lines)
    assert all(line["Dimensions"] == [{"Name": "Dataset", "Value": "orders"}] for line in lines)
    assert all(line["Timestamp"].startswith(summary["finishedAt"][:19]) for line in lines)
    assert [(line["MetricName"], line["Value"], line["Unit"]) for line in lines] == [
        ("RowsRead", 8.0, "Count"),
        ("RowsRejected", 1.0, "Count"),
        ("RowsQuarantined", 1.0, "Count"),
        ("RowCount", 3.0, "Count"),
        ("DataAgeHours", summary["freshness"]["dataAgeHours"], "None"),
    ]
    assert summary["freshness"]["dataAgeHours"] > 0


def test_the_same_manifest_again_is_already_loaded_and_changes_nothing(baseline):
    lake, plan, files = baseline["lake"], baseline["plan"], baseline["files"]
    before = {role: lake.content(plan, role) for role in ROLES}
    totals_before = {role: lake.main_snapshot(plan, role)["total-records"] for role in ROLES}
    metrics_before = len(lake.metrics())

    summary = lake.run("orders", "run-base-2", plan, files)

    assert summary["status"] == "SUCCEEDED", summary.get("error")
    assert [(f["key"], f["outcome"], f["rowsRead"]) for f in summary["files"]] == [
        ("orders/LOAD00000001.csv", "ALREADY_LOADED", 0), ("orders/20260310-090000000.csv", "ALREADY_LOADED", 0)]
    assert summary["counts"] == {"rowsRead": 0, "bronzeRows": 0, "rejectedRows": 0,
                                 "quarantinedFileRows": 0, "changesApplied": 0,
                                 "stateKeys": 5, "currentRows": 4, "silverRows": 3, "quarantineRows": 1}
    assert {role: lake.content(plan, role) for role in ROLES} == before
    # Each table still got a snapshot (an empty append commits one on the branch, and the replace
    # tables are rewritten), but none added a record and no WAP branch is left
    for role in ROLES:
        assert lake.main_snapshot(plan, role)["total-records"] == totals_before[role], role
        assert list(lake.refs(plan, role)) == ["main"], role
    for role in ("bronze", "files", "rejects"):
        assert lake.main_snapshot(plan, role).get("added-records", "0") == "0", role
    assert [(line["MetricName"], line["Value"]) for line in lake.metrics()[metrics_before:]] == [
        ("RowsRead", 0.0), ("RowsRejected", 0.0), ("RowsQuarantined", 1.0), ("RowCount", 3.0),
        ("DataAgeHours", summary["freshness"]["dataAgeHours"])]
