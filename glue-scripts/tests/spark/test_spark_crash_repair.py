"""A driver killed in the middle of a run (no `finally`, no summary) leaves a state the next run,
under another run id with the same manifest files, repairs. Killed before its publish began, the
run left only branches: the next run drops them and reads the files again. Killed once its publish
began (after its audits passed; the intent is marked on the files ledger), the next run finishes
that publish first, so the files are ALREADY_LOADED and no row is appended twice.

Each lake first loads the full-load file cleanly (so main exists and later runs are incremental),
then a run of the CDC file dies, then a new run of the CDC file repairs. The kill is a
`KillSwitch` around the SparkSession: at the chosen statement it raises a BaseException, and every
statement after it raises too, so nothing after the kill point reaches the catalog (the
executor's branch cleanup included)."""

import pytest

from spark_lake import ROLES, DriverKilled, KillSwitch, any_fast_forward, fast_forward_of, orders_files

PUBLISHING = "'datalake.publishing'"


def marks_publishing(statement: str) -> bool:
    return "SET TBLPROPERTIES" in statement and PUBLISHING in statement

pytestmark = pytest.mark.spark

SEED, DEAD, REPAIR = "run-seed", "run-dead", "run-repair"
DEAD_BRANCH = "wap_run_dead"

#: kill point -> (KillSwitch arguments, the last table the dead run fast-forwarded or None,
#: whether its publish had begun)
KILL_POINTS = {
    # everything staged and audited, killed before the publish began
    "staged_not_published": (dict(before=marks_publishing), None, False),
    # the publish began (intent marked), killed before the first fast-forward
    "publish_begun": (dict(before=any_fast_forward), None, True),
    # killed between two fast-forwards: every table live but the files ledger
    "all_but_the_ledger_published": (dict(after=fast_forward_of("bronze_orders")), "bronze", True),
}


def test_the_plan_publishes_the_files_ledger_last(orders_plan):
    # What makes a crash between fast-forwards repairable: the tests below rely on this order.
    assert orders_plan["publish"]["order"] == ["silver", "quarantine", "state", "rejects", "bronze", "files"]


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_killed_run_is_repaired_by_the_next_run(point, make_lake, baseline):
    plan = baseline["plan"]
    order = plan["publish"]["order"]
    switch_args, last_published, begun = KILL_POINTS[point]
    published = order[: order.index(last_published) + 1] if last_published else []
    lake = make_lake(f"killed_{point}")
    full_load, cdc = orders_files(lake)
    seeded = lake.run("orders", SEED, plan, [full_load])
    assert seeded["status"] == "SUCCEEDED", seeded.get("error")
    seeded_main = {role: lake.refs(plan, role)["main"] for role in ROLES}
    seeded_metrics = len(lake.metrics())

    # Arrange: a run of the CDC file dies at the kill point
    switch = KillSwitch(lake.spark, **switch_args)
    with pytest.raises(DriverKilled):
        lake.run("orders", DEAD, plan, [cdc], spark=switch)
    assert ("system.fast_forward" in switch.killed_at) if begun else marks_publishing(switch.killed_at)
    assert lake.summary_file("orders", DEAD) is None and len(lake.metrics()) == seeded_metrics
    for role in ROLES:
        refs = lake.refs(plan, role)
        assert DEAD_BRANCH in refs, (role, refs)  # nobody dropped the dead run's branches
        expected_main = refs[DEAD_BRANCH] if role in published else seeded_main[role]
        assert refs["main"] == expected_main, role

    # Act: the next run (another run id) with the same manifest file
    summary = lake.run("orders", REPAIR, plan, [cdc])

    # Assert: the tables end as after a clean single run of both files, each row once
    assert summary["status"] == "SUCCEEDED", summary.get("error")
    if begun:
        # The dead run's publish was finished first: its file is in the ledger.
        assert [(f["key"], f["outcome"], f["rowsRead"]) for f in summary["files"]] == [(cdc["key"], "ALREADY_LOADED", 0)]
        assert summary["counts"] == {"rowsRead": 0, "bronzeRows": 0, "rejectedRows": 0,
                                     "quarantinedFileRows": 0, "changesApplied": 0,
                                     "stateKeys": 5, "currentRows": 4, "silverRows": 3, "quarantineRows": 1}
    else:
        assert [(f["key"], f["outcome"], f["rowsRead"]) for f in summary["files"]] == [(cdc["key"], "LOADED", 4)]
        assert summary["counts"] == {"rowsRead": 4, "bronzeRows": 4, "rejectedRows": 1,
                                     "quarantinedFileRows": 0, "changesApplied": 3,
                                     "stateKeys": 5, "currentRows": 4, "silverRows": 3, "quarantineRows": 1}
    for role in ROLES:
        assert list(lake.refs(plan, role)) == ["main"], role  # the dead run's branches are gone
    for role in ("silver", "quarantine", "state", "files", "bronze", "rejects"):
        assert lake.content(plan, role, without=("_run_id",)) == baseline["content"][role], role
    loader = DEAD if begun else REPAIR
    lineage = {r["order_id"]: r["_run_id"] for r in lake.rows(f"SELECT order_id, _run_id FROM {lake.table(plan, 'silver')}")}
    assert lineage == {1: loader, 3: SEED, 5: loader}
    ledger = lake.rows(f"SELECT _source_key, _run_id FROM {lake.table(plan, 'files')} ORDER BY _source_key")
    assert sorted((r["_source_key"], r["_run_id"]) for r in ledger) == sorted([(cdc["key"], loader), (full_load["key"], SEED)])
    for role, seed_rows, cdc_rows in (("bronze", 4, 4), ("rejects", 0, 1)):
        by_run = lake.rows(f"SELECT _run_id, COUNT(*) AS n FROM {lake.table(plan, role)} GROUP BY _run_id ORDER BY _run_id")
        expected = sorted([(loader, cdc_rows)] + ([(SEED, seed_rows)] if seed_rows else []))
        assert sorted((r["_run_id"], r["n"]) for r in by_run) == expected, role


def test_a_run_without_files_finishes_a_killed_publish(make_lake, baseline):
    # What job-state starts when a run committed its publish and then died with no file pending
    # (handlers/core/run-start.ts, SlotItem.finishPublishOf): an empty manifest.
    plan = baseline["plan"]
    lake = make_lake("killed_then_finished_without_files")
    full_load, cdc = orders_files(lake)
    assert lake.run("orders", SEED, plan, [full_load])["status"] == "SUCCEEDED"
    with pytest.raises(DriverKilled):
        lake.run("orders", DEAD, plan, [cdc], spark=KillSwitch(lake.spark, after=fast_forward_of("bronze_orders")))

    summary = lake.run("orders", REPAIR, plan, [])

    assert summary["status"] == "SUCCEEDED", summary.get("error")
    assert summary["files"] == []
    assert summary["counts"]["rowsRead"] == 0 and summary["counts"]["silverRows"] == 3
    for role in ROLES:
        assert list(lake.refs(plan, role)) == ["main"], role
    for role in ("silver", "quarantine", "state", "files", "bronze", "rejects"):
        assert lake.content(plan, role, without=("_run_id",)) == baseline["content"][role], role
