"""A failed audit publishes nothing on real Iceberg: main of every table stays on its snapshot,
the WAP branches are dropped, the summary is FAILED and names the failed audits."""

import pytest

import copy

from spark_lake import ORDERS_CDC_2, ORDERS_HEADER, ROLES, with_audit

pytestmark = pytest.mark.spark


def test_a_failed_audit_leaves_main_of_every_table_unchanged(baseline):
    lake, plan = baseline["lake"], baseline["plan"]
    # A new batch (order 3 delivered, order 6 new) that one crafted audit rejects, plus an audit
    # that cannot even run: both must block the publish.
    batch = lake.landed("orders/20260311-100000000.csv", ORDERS_CDC_2, received_at="2026-03-11T10:30:00.000Z")
    crafted = with_audit(plan, "no_delivered_orders",
                         "SELECT COUNT(*) AS violations FROM staged_silver WHERE status = 'delivered'",
                         "no order may be delivered yet")
    crafted = with_audit(crafted, "broken_audit", "SELECT COUNT(*) AS violations FROM no_such_relation",
                         "an audit whose SQL fails")
    before = {role: (lake.refs(plan, role), lake.history(plan, role), lake.content(plan, role)) for role in ROLES}
    metrics_before = len(lake.metrics())

    summary = lake.run("orders", "run-audit-fail", crafted, [batch])

    assert summary["status"] == "FAILED"
    assert summary["error"] == "audit failed: no_delivered_orders (1), broken_audit (0)"
    assert summary["published"] is None
    audits = {a["name"]: a for a in summary["audits"]}
    assert audits["no_delivered_orders"] == {"name": "no_delivered_orders", "passed": False, "violations": 1,
                                             "detail": "no order may be delivered yet"}
    assert audits["broken_audit"]["passed"] is False
    assert audits["broken_audit"]["detail"].startswith("audit error: ")
    assert "no_such_relation" in audits["broken_audit"]["detail"]
    assert [name for name, a in audits.items() if not a["passed"]] == ["no_delivered_orders", "broken_audit"]
    assert summary["counts"]["bronzeRows"] == 2 and summary["counts"]["silverRows"] == 4  # it was staged
    assert summary == lake.summary_file("orders", "run-audit-fail")
    # main is where it was (same snapshot, same history, same rows) and the branch is gone
    after = {role: (lake.refs(plan, role), lake.history(plan, role), lake.content(plan, role)) for role in ROLES}
    for role in ROLES:
        assert after[role] == before[role], role
        assert list(after[role][0]) == ["main"], role
    # a failed run reports its counts, and no freshness (stale data must keep looking stale);
    # RunFailed comes from the handler that records the RUN FAILED
    assert [(m["MetricName"], m["Value"]) for m in lake.metrics()[metrics_before:]] == [
        ("RowsRead", 2.0), ("RowsRejected", 0.0)]


def with_step_sql(plan, name, edit):
    """The plan with sql step `name`'s SELECT changed by `edit` (a crafted bad write)."""
    crafted = copy.deepcopy(plan)
    steps = [s for s in crafted["steps"] if s["kind"] == "sql" and s["name"] == name]
    assert steps, name
    for step in steps:
        step["sql"] = edit(step["sql"])
    return crafted


def unchanged(lake, plan, before):
    return all((lake.refs(plan, r), lake.history(plan, r), lake.content(plan, r)) == before[r] for r in ROLES)


@pytest.mark.parametrize("audit, step, edit, violations", [
    # Order 3, the one silver row the MERGE writes, lands under a wrong month.
    ("partition_values_valid", "silver_changes",
     lambda sql: sql.replace("AS `order_month`", "+ 1 AS `order_month`"), 1),
    # Order 6 (quarantined) is written under key 6 but its replaced key says 1006.
    ("quarantine_written_keys_replaced", "quarantine_changes",
     lambda sql: sql.replace("l._pk_1 AS _pk_1", "l._pk_1 + 1000 AS _pk_1"), 1),
])
def test_a_bad_write_fails_its_audit_and_publishes_nothing(baseline, audit, step, edit, violations):
    lake, plan = baseline["lake"], baseline["plan"]
    batch = lake.landed("orders/20260312-100000000.csv", "\n".join([
        "Op," + ORDERS_HEADER,
        "U,3,12,2026-03-07 12:00:00,delivered,30.00,2026-03-12 10:00:00",
        "I,6,15,2026-03-12 09:00:00,bogus,99.99,2026-03-12 10:05:00",
    ]) + "\n", received_at="2026-03-12T10:30:00.000Z")
    crafted = with_step_sql(plan, step, edit)
    assert crafted != plan
    before = {role: (lake.refs(plan, role), lake.history(plan, role), lake.content(plan, role)) for role in ROLES}

    summary = lake.run("orders", f"run-bad-{audit}", crafted, [batch])

    assert summary["status"] == "FAILED" and summary["published"] is None
    failed = [(a["name"], a["violations"]) for a in summary["audits"] if not a["passed"]]
    assert (audit, violations) in failed
    assert unchanged(lake, plan, before)
