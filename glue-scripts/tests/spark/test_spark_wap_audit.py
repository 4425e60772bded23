"""A failed audit publishes nothing on real Iceberg: main of every table stays on its snapshot,
the WAP branches are dropped, the summary is FAILED and names the failed audits."""

import pytest

from spark_lake import ORDERS_CDC_2, ROLES, with_audit

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
