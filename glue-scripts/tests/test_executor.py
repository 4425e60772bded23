"""Orchestration order of a run on a fake Spark: bronze before state merge results are
published, audits on the branch before fast-forward, branches dropped on failure."""

import json
import os
import re
from datetime import datetime, timedelta, timezone

import pytest

from datalake_glue.executor import (
    Placement,
    build_file_results,
    execute_plan,
    split_already_loaded,
)
from datalake_glue.plan import parse_plan
from datalake_glue.silver_plan import RETAG_AFTER
from tests.fake_spark import FakeIO, FakeSpark
from tests.helpers import manifest

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
PLACEMENT = Placement(catalog_database="silver_db", quarantine_database="quarantine_db",
                      bronze_path="s3://bronze-bucket/orders")
BRANCH = "wap_run_20261121_0001"


def load_plan(name="orders"):
    with open(os.path.join(FIXTURES, f"plan-{name}.spark.json"), encoding="utf-8") as handle:
        return parse_plan(json.load(handle))


def counts_row(**overrides):
    row = {"rows_read": 6, "bronze_rows": 6, "rejected_rows": 1, "changes_applied": 5,
           "state_keys": 5, "current_rows": 4, "silver_rows": 3, "quarantine_rows": 1,
           "latest_sequence": "2026-11-21 09:00:00.000000"}
    row.update(overrides)
    return [row]


def files_rows():
    files = manifest()["files"]
    return [
        {"_file_id": files[0]["fileId"], "rows_read": 3, "rows_rejected": 1, "rows_quarantined": 1},
        {"_file_id": files[1]["fileId"], "rows_read": 3, "rows_rejected": 0, "rows_quarantined": 0},
    ]


def spark_for(plan, failing_audit=None, counts=None, fail_on=None):
    log = []
    responses = []
    for audit in plan["audits"]:
        violations = 2 if audit["name"] == failing_audit else 0
        responses.append((re_exact(audit["sql"]), [{"violations": violations}]))
    # Each merge step's written-keys check (executor.written_keys_check).
    responses.append((r"^SELECT COUNT\(\*\) AS violations FROM `\w+` t WHERE NOT EXISTS", [{"violations": 0}]))
    responses.append((re_exact(plan["summary"]["counts"]), counts or counts_row()))
    responses.append((re_exact(plan["summary"]["files"]), files_rows()))
    responses.append((r"SELECT DISTINCT _source_key, _source_version", []))
    return FakeSpark(responses, fail_on=fail_on, log=log), FakeIO(log)


def re_exact(text):
    import re
    return "^" + re.escape(text) + "$"


def run(plan, spark, io, files=None, full_refresh=False, pii_key=None):
    return execute_plan(spark, io, plan, PLACEMENT, files or manifest()["files"],
                        run_id="run-20261121-0001", full_refresh=full_refresh, pii_key=pii_key)


def index_of(statements, needle, start=0):
    for i in range(start, len(statements)):
        if needle in statements[i]:
            return i
    raise AssertionError(f"no statement contains {needle!r}")


def test_successful_run_publishes_every_table_in_plan_order():
    plan = load_plan()
    spark, io = spark_for(plan)
    result = run(plan, spark, io)
    assert result.error is None
    assert all(a["passed"] for a in result.audits)
    forwards = [s for s in spark.statements if "system.fast_forward" in s]
    order = [s.split("table => '")[1].split("'")[0] for s in forwards]
    assert order == ["silver_db.orders", "quarantine_db.quarantine_orders", "silver_db.state_orders",
                     "quarantine_db.rejects_orders", "silver_db.bronze_orders", "silver_db.files_orders"]
    assert all(f"to => '{BRANCH}'" in s and "branch => 'main'" in s for s in forwards)
    assert result.published == {"silverVersion": str(int(result.published["silverVersion"])),
                                "quarantineVersion": str(int(result.published["quarantineVersion"]))}


def test_writes_go_to_the_branch_and_audits_run_before_any_fast_forward():
    plan = load_plan()
    spark, io = spark_for(plan)
    run(plan, spark, io)
    statements = spark.statements
    writes = [s for s in statements if s.startswith(("INSERT INTO", "INSERT OVERWRITE", "MERGE INTO"))]
    # Incremental: state, silver and quarantine merged per key; bronze, rejects, files appended.
    assert len(writes) == 6 and len([w for w in writes if w.startswith("MERGE INTO")]) == 3
    assert all(f".`branch_{BRANCH}`" in s for s in writes)
    last_audit = max(statements.index(s) for s in statements if s in {a["sql"] for a in plan["audits"]})
    first_forward = index_of(statements, "system.fast_forward")
    last_write = max(statements.index(s) for s in writes)
    assert last_write < last_audit < first_forward
    # Audits read the staged relations, which read the branch (replace) or its new snapshots.
    staged_views = [s for s in statements if s.startswith("CREATE OR REPLACE TEMP VIEW `staged_")]
    assert {s.split("`")[1] for s in staged_views} == {"staged_state", "staged_silver", "staged_quarantine"}
    assert all(s.endswith(f".`branch_{BRANCH}`") for s in staged_views)


def test_branches_are_created_before_writes_and_dropped_after_publish():
    plan = load_plan()
    spark, io = spark_for(plan)
    run(plan, spark, io)
    statements = spark.statements
    creates = [i for i, s in enumerate(statements) if f"CREATE BRANCH `{BRANCH}`" in s]
    drops = [i for i, s in enumerate(statements) if f"DROP BRANCH IF EXISTS `{BRANCH}`" in s]
    first_write = index_of(statements, "INSERT ")
    last_forward = max(i for i, s in enumerate(statements) if "system.fast_forward" in s)
    assert len(creates) == 6 and max(creates) < first_write
    # 6 stale-branch drops before creating, 6 drops after publishing.
    assert len(drops) == 12 and len([d for d in drops if d > last_forward]) == 6


def test_bronze_is_read_and_state_merged_in_plan_order():
    plan = load_plan()
    spark, io = spark_for(plan)
    run(plan, spark, io)
    log = spark.log
    read_files = log.index(("read_files", "incoming", "incoming_files"))
    state_prev = next(i for i, e in enumerate(log) if e[0] == "sql" and "VIEW `state_prev`" in e[1])
    state_write = next(i for i, e in enumerate(log) if e[0] == "sql" and e[1].startswith("MERGE INTO")
                       and "`state_orders`" in e[1])
    bronze_write = next(i for i, e in enumerate(log) if e[0] == "sql" and e[1].startswith("INSERT INTO")
                        and "`bronze_orders`" in e[1])
    assert read_files < state_prev < state_write < bronze_write
    # read_table reads main (the published state), never the branch.
    assert "branch_" not in log[state_prev][1]


def test_appends_are_read_back_as_the_snapshots_they_added():
    plan = load_plan()
    spark, io = spark_for(plan)
    run(plan, spark, io)
    appended = [e for e in spark.log if e[0] == "register_appended"]
    assert [e[1] for e in appended] == ["staged_rejects", "staged_bronze", "staged_files"]
    assert all(e[3] < e[4] for e in appended)
    assert appended[1][2] == "glue_catalog.silver_db.bronze_orders"


def test_failed_audit_publishes_nothing_and_drops_every_branch():
    plan = load_plan()
    spark, io = spark_for(plan, failing_audit="silver_primary_key_unique")
    result = run(plan, spark, io)
    statements = spark.statements
    assert not any("system.fast_forward" in s for s in statements)
    last_audit = max(statements.index(s) for s in statements if s in {a["sql"] for a in plan["audits"]})
    drops_after = [s for s in statements[last_audit:] if f"DROP BRANCH IF EXISTS `{BRANCH}`" in s]
    assert len(drops_after) == 6
    assert result.published is None
    assert "silver_primary_key_unique" in result.error
    failed = [a for a in result.audits if not a["passed"]]
    assert [(a["name"], a["violations"]) for a in failed] == [("silver_primary_key_unique", 2)]


def test_row_level_audits_read_the_rows_each_merge_wrote_and_each_merge_is_checked():
    plan = load_plan()
    spark, io = spark_for(plan)
    result = run(plan, spark, io)
    statements = spark.statements
    written = {s.split("`")[1]: s for s in statements if s.startswith("CREATE OR REPLACE TEMP VIEW `written_")}
    # The rows each MERGE inserted or updated with (its source's non-removals), not a branch scan.
    assert set(written) == {"written_state", "written_silver", "written_quarantine"}
    assert written["written_silver"].endswith("FROM `silver_changes` s WHERE NOT COALESCE(s.`_delete`, FALSE)")
    assert written["written_state"].endswith("FROM `state_rows` s")
    assert not any("branch_" in s for s in written.values())
    # After the plan's audits, one check per merge step, in step order, before any fast-forward.
    checks = [s for s in statements if s.startswith("SELECT COUNT(*) AS violations FROM `written_") and "WHERE NOT EXISTS" in s]
    assert [c.split("`")[1] for c in checks] == ["written_state", "written_silver", "written_quarantine"]
    assert "FROM `quarantine_changes` s WHERE" in checks[2] and "= s.`_pk_1`" in checks[2]
    last_audit = max(statements.index(s) for s in statements if s in {a["sql"] for a in plan["audits"]})
    assert last_audit < statements.index(checks[0]) < index_of(statements, "system.fast_forward")
    assert [a["name"] for a in result.audits[len(plan["audits"]):]] == [
        "state_written_keys_replaced", "silver_written_keys_replaced", "quarantine_written_keys_replaced",
        "summary_conservation"]


def test_a_full_refresh_audits_every_row_of_the_tables_it_wrote():
    plan = load_plan()
    spark, io = spark_for(plan)
    result = run(plan, spark, io, full_refresh=True)
    written = [s for s in spark.statements if s.startswith("CREATE OR REPLACE TEMP VIEW `written_")]
    assert written == [f"CREATE OR REPLACE TEMP VIEW `written_{r}` AS SELECT * FROM `staged_{r}`"
                       for r in ("state", "silver", "quarantine")]
    # No merge: no row sits on an older one, so there is nothing to check.
    assert not any(a["name"].endswith("_written_keys_replaced") for a in result.audits)


@pytest.mark.parametrize("empty", ["state", "silver"])
def test_a_merge_into_a_table_without_rows_inserts_and_audits_the_table_whole(empty):
    plan = load_plan()
    spark, io = spark_for(plan)
    # The table's branch opened on a snapshot that counts no record (a first load); the others
    # find nothing in `.snapshots` (the fake's default): they hold rows, and are merged.
    table = {"state": "state_orders", "silver": "orders"}[empty]
    identifier = re.escape(f"`glue_catalog`.`silver_db`.`{table}`")
    spark.responses[:0] = [
        (rf"^SELECT snapshot_id FROM {identifier}\.`refs` WHERE name = 'wap_", [{"snapshot_id": 77}]),
        (rf"^SELECT snapshot_id, parent_id, summary, committed_at < TIMESTAMP '[^']+' AS aged FROM {identifier}\.`snapshots`$",
         [{"snapshot_id": 77, "parent_id": None, "summary": {"total-records": "0"}}])]
    spark.responses.insert(0, (r"^SELECT 0 AS violations$", [{"violations": 0}]))
    result = run(plan, spark, io)
    statements = spark.statements
    target = f"`{table}`.`branch_{BRANCH}`"
    inserts = [s for s in statements if s.startswith("INSERT INTO") and target in s]
    assert len(inserts) == 1 and not any(s.startswith("MERGE INTO") and target in s for s in statements)
    if empty == "silver":  # the MERGE's upserts only: a delete of a key never loaded inserts nothing
        assert inserts[0].endswith("FROM `silver_changes` s WHERE NOT COALESCE(s.`_delete`, FALSE)")
    assert f"CREATE OR REPLACE TEMP VIEW `written_{empty}` AS SELECT * FROM `staged_{empty}`" in statements
    # Every merge's check is listed (as DuckDB lists it); the inserted table's holds by construction.
    checks = [a["name"] for a in result.audits if a["name"].endswith("_written_keys_replaced")]
    assert checks == ["state_written_keys_replaced", "silver_written_keys_replaced", "quarantine_written_keys_replaced"]
    assert "SELECT 0 AS violations" in statements
    assert not any(s.startswith(f"SELECT COUNT(*) AS violations FROM `written_{empty}` t WHERE NOT EXISTS") for s in statements)
    assert result.error is None


SILVER = "`glue_catalog`.`silver_db`.`orders`"


def silver_history(*added, base=1000, expired=False):
    """Silver's snapshots on the branch's ancestry: a first load of `base` rows (`expired`: gone),
    then one merge-on-read delta per `added` count; the branch opens on the newest."""
    history = [{"snapshot_id": 1, "parent_id": None, "summary": {"total-records": str(base)}}]
    for i, rows in enumerate(added, start=2):
        history.append({"snapshot_id": i, "parent_id": i - 1,
                        "summary": {"added-records": str(rows), "total-delete-files": str(i - 1)}})
    return [(rf"^SELECT snapshot_id FROM {re.escape(SILVER)}\.`refs` WHERE name = 'wap_", [{"snapshot_id": len(history)}]),
            (rf"^SELECT snapshot_id, parent_id, summary, committed_at < TIMESTAMP '[^']+' AS aged FROM {re.escape(SILVER)}\.`snapshots`$", history[int(expired):])]


COUNT_SILVER_UPSERTS = "SELECT COUNT(*) AS n FROM `silver_changes` s WHERE NOT COALESCE(s.`_delete`, FALSE)"


@pytest.mark.parametrize("added, expired, file_rows, upserts, compacts", [
    ([1] * 7, False, 3, None, True),       # an 8th delta: the table would hold 9 writes since the whole one
    ([1] * 6, False, 3, None, False),      # the run read 6 rows: not enough to pass the share, not counted
    ([200], False, 100, 51, True),         # 251 upserted rows > a quarter of 1,000
    ([200], False, 100, 50, False),
    ([200], False, 3, None, False),
    ([1], True, 3, None, True),            # the whole write expired: the deltas since are unknown
])
def test_a_merge_due_for_compaction_writes_the_table_whole_and_audits_it_whole(added, expired, file_rows, upserts, compacts):
    plan = load_plan()
    spark, io = spark_for(plan)
    read_files = io.read_files
    io.read_files = lambda *a, **k: [dict(o, rowsRead=file_rows) for o in read_files(*a, **k)]
    spark.responses[:0] = silver_history(*added, expired=expired) + [(f"^{re.escape(COUNT_SILVER_UPSERTS)}$", [{"n": upserts}])]
    spark.responses.insert(0, (r"^SELECT 0 AS violations$", [{"violations": 0}]))
    result = run(plan, spark, io)
    assert result.error is None
    statements = spark.statements
    target = f"{SILVER}.`branch_{BRANCH}`"
    # The batch is counted only when the deltas alone do not decide.
    assert (COUNT_SILVER_UPSERTS in statements) == (upserts is not None)
    merged = [s for s in statements if s.startswith(f"MERGE INTO {target}")]
    overwrites = [s for s in statements if s.startswith(f"INSERT OVERWRITE {target}")]
    assert (len(overwrites), len(merged)) == ((1, 0) if compacts else (0, 1))
    # The other merged tables keep their MERGE.
    assert len([s for s in statements if s.startswith("MERGE INTO")]) == (2 if compacts else 3)
    written = next(s for s in statements if s.startswith("CREATE OR REPLACE TEMP VIEW `written_silver`"))
    check = next(a for a in result.audits if a["name"] == "silver_written_keys_replaced")
    assert check["passed"]
    if compacts:
        # Rows of keys the batch did not touch, then its upserts: the table whole on the branch.
        kept = ", ".join(f"t.`{c['name']}`" for c in plan["tables"]["silver"]["columns"])
        assert overwrites[0].startswith(
            f"INSERT OVERWRITE {target} SELECT {kept} FROM {target} t "
            f"WHERE NOT EXISTS (SELECT 1 FROM `silver_changes` s WHERE t.`order_id` = s.`order_id`) UNION ALL SELECT ")
        assert overwrites[0].endswith("FROM `silver_changes` s WHERE NOT COALESCE(s.`_delete`, FALSE)")
        # Audited whole, as DuckDB audits a compaction; the upserted rows are checked against the
        # keys they replace (a row of another key would sit beside its kept row).
        assert written == "CREATE OR REPLACE TEMP VIEW `written_silver` AS SELECT * FROM `staged_silver`"
        upserted = "CREATE OR REPLACE TEMP VIEW `staged_silver_upserted` AS SELECT " + overwrites[0].split(" UNION ALL SELECT ", 1)[1]
        assert upserted in statements
        assert ("SELECT COUNT(*) AS violations FROM `staged_silver_upserted` t WHERE NOT EXISTS "
                "(SELECT 1 FROM `silver_changes` s WHERE t.`order_id` = s.`order_id`)") in statements
    else:
        assert written.endswith("FROM `silver_changes` s WHERE NOT COALESCE(s.`_delete`, FALSE)")


AGED = r"^SELECT 0 AS t, COUNT\(\*\) AS n FROM .* WHERE committed_at < TIMESTAMP '"


def aged(count, table=SILVER):
    """The aged-snapshots query's answer: `count` for `table`, none for the others."""
    return (AGED, lambda statement: [{"t": i, "n": count if f"{table}.`snapshots`" in part else 0}
                                     for i, part in enumerate(statement.split(" UNION ALL "))])


def aged_history(count, table=SILVER):
    """A merged table's snapshots, `count` of them past retention's age: separate whole writes
    (nothing due for compaction); the branch opens on the newest."""
    rows = [{"snapshot_id": i, "parent_id": None, "summary": {"total-records": "1000"}, "aged": i <= count}
            for i in range(1, count + 2)]
    return [(rf"^SELECT snapshot_id FROM {re.escape(table)}\.`refs` WHERE name = 'wap_", [{"snapshot_id": count + 1}]),
            (rf"^SELECT snapshot_id, parent_id, summary, committed_at < TIMESTAMP '[^']+' AS aged FROM {re.escape(table)}\.`snapshots`$", rows)]


@pytest.mark.parametrize("merged_aged, count, expires", [(19, 50, False), (20, 19, False), (20, 20, True)])
def test_aged_snapshots_of_the_published_tables_expire_after_the_publish(merged_aged, count, expires):
    plan = load_plan()
    spark, io = spark_for(plan)
    # The state's snapshots, read for its merge, decide whether to look; the look decides which.
    spark.responses[:0] = [aged(count)] + aged_history(merged_aged, "`glue_catalog`.`silver_db`.`state_orders`")
    result = run(plan, spark, io)
    assert result.error is None and result.published is not None
    statements = spark.statements
    looks = [i for i, s in enumerate(statements) if s.startswith("SELECT 0 AS t, COUNT(*) AS n FROM")]
    if merged_aged < 20:
        assert looks == [] and not any("expire_snapshots" in s for s in statements)
        return
    # One query for every published table, after the last fast-forward.
    [check] = looks
    assert statements[check].count(" UNION ALL ") == len(plan["publish"]["order"]) - 1
    assert check > max(i for i, s in enumerate(statements) if "system.fast_forward" in s)
    calls = [s for s in statements if "system.expire_snapshots" in s]
    cutoff = re.search(r"TIMESTAMP '([^']+)'", statements[check]).group(1)
    assert calls == ([f"CALL glue_catalog.system.expire_snapshots(table => 'silver_db.orders', "
                      f"older_than => TIMESTAMP '{cutoff}', retain_last => 11)"] if expires else [])
    age = datetime.now(timezone.utc).replace(tzinfo=None) - datetime.strptime(cutoff, "%Y-%m-%d %H:%M:%S.%f")
    assert timedelta(days=5) <= age < timedelta(days=5, minutes=1)


@pytest.mark.parametrize("fail_on", [r"system\.expire_snapshots", r"^SELECT 0 AS t, COUNT"])
def test_a_failed_expiry_is_logged_and_the_run_stays_published(fail_on, caplog):
    plan = load_plan()
    spark, io = spark_for(plan, fail_on=fail_on)
    spark.responses[:0] = [aged(50, "`glue_catalog`.`quarantine_db`.`quarantine_orders`")] + aged_history(30)
    result = run(plan, spark, io)
    assert result.error is None and result.published is not None
    assert any(re.search(fail_on, s) for s in spark.statements)
    assert ("could not expire old snapshots of glue_catalog.quarantine_db.quarantine_orders" in caplog.text
            if "expire" in fail_on else "could not count the aged snapshots of glue_catalog.silver_db.orders" in caplog.text)


def test_a_run_that_publishes_nothing_expires_nothing():
    plan = load_plan()
    spark, io = spark_for(plan, failing_audit=plan["audits"][0]["name"])
    spark.responses[:0] = [aged(50)] + aged_history(30)
    result = run(plan, spark, io)
    assert result.published is None
    assert not any("SELECT 0 AS t, COUNT(*)" in s or "expire_snapshots" in s for s in spark.statements)


def test_a_written_row_whose_key_the_merge_did_not_replace_blocks_publishing():
    plan = load_plan()
    spark, io = spark_for(plan)
    spark.responses.insert(0, (r"AS violations FROM `written_quarantine` t WHERE NOT EXISTS", [{"violations": 1}]))
    result = run(plan, spark, io)
    assert not any("system.fast_forward" in s for s in spark.statements)
    assert result.published is None and "quarantine_written_keys_replaced (1)" in result.error
    failed = [(a["name"], a["violations"]) for a in result.audits if not a["passed"]]
    assert failed == [("quarantine_written_keys_replaced", 1)]


def test_error_mid_run_drops_branches_and_reports_the_error():
    plan = load_plan()
    spark, io = spark_for(plan, fail_on=r"^MERGE INTO .*`orders`")
    result = run(plan, spark, io)
    statements = spark.statements
    failed_at = index_of(statements, "MERGE INTO `glue_catalog`.`silver_db`.`orders`")
    assert len([s for s in statements[failed_at:] if "DROP BRANCH" in s]) == 6
    assert not any("system.fast_forward" in s for s in statements)
    assert result.error.startswith("RuntimeError: boom")
    assert result.published is None


def test_broken_summary_conservation_blocks_publishing():
    plan = load_plan()
    spark, io = spark_for(plan, counts=counts_row(current_rows=9))
    result = run(plan, spark, io)
    assert not any("system.fast_forward" in s for s in spark.statements)
    audit = next(a for a in result.audits if a["name"] == "summary_conservation")
    assert audit["passed"] is False and "currentRows 9" in audit["detail"]


def test_full_refresh_reads_bronze_instead_of_state():
    plan = load_plan()
    spark, io = spark_for(plan)
    run(plan, spark, io, full_refresh=True)
    views = [s for s in spark.statements if s.startswith("CREATE OR REPLACE TEMP VIEW")]
    assert any("VIEW `bronze_prev`" in s for s in views)
    assert not any("VIEW `state_prev`" in s for s in views)


def test_tables_are_created_idempotently_with_bronze_zone_locations():
    plan = load_plan()
    spark, io = spark_for(plan)
    run(plan, spark, io)
    ddl = [s for s in spark.statements if s.startswith("CREATE TABLE IF NOT EXISTS")]
    assert len(ddl) == 6
    bronze = next(s for s in ddl if "`bronze_orders`" in s)
    assert "LOCATION 's3://bronze-bucket/orders/bronze_orders'" in bronze
    assert "PARTITIONED BY (`_data_date`)" in bronze
    silver = next(s for s in ddl if "`orders`" in s)
    assert "LOCATION" not in silver and "`total_amount` DECIMAL(12,2)" in silver
    assert "PARTITIONED BY (`order_year`, `order_month`)" in silver
    assert "UTC" in spark.statements[0]


def test_summary_counts_include_files_quarantined_whole():
    plan = load_plan()
    log = []
    files = manifest()["files"] + [dict(manifest()["files"][0], fileId="f3", key="orders/bad.csv", versionId="v3")]
    spark, _ = spark_for(plan)
    spark.log = log
    outcomes = [
        {"fileId": f["fileId"], "key": f["key"], "version": f["versionId"] or "etag:x", "dataDate": "2026-11-21",
         "reason": None, "rowsRead": 3, "extraColumns": ["note"] if i == 0 else []}
        for i, f in enumerate(files[:2])
    ] + [{"fileId": "f3", "key": "orders/bad.csv", "version": "v3", "dataDate": "2026-11-21",
          "reason": "missing_column:status", "rowsRead": 4, "extraColumns": []}]
    result = execute_plan(spark, FakeIO(log, outcomes), plan, PLACEMENT, files,
                          run_id="run-20261121-0001", full_refresh=False)
    assert result.error is None, result.error
    assert (result.counts["rejectedRows"], result.counts["quarantinedFileRows"]) == (1, 4)
    assert result.counts["rowsRead"] == 6 + 4
    bad = result.files[2]
    assert (bad["outcome"], bad["reason"], bad["rowsQuarantined"], bad["rowsRejected"]) == \
        ("QUARANTINED", "missing_column:status", 4, 0)
    assert result.drift_warnings == [f"{files[0]['key']}: extra column(s) note"]
    assert result.files[0]["rowsLoaded"] == 1


def test_already_loaded_files_are_not_read_again():
    files = manifest()["files"]
    duplicate = dict(files[1], fileId="dup")
    fresh, already = split_already_loaded(files + [duplicate], {(files[0]["key"], "v1")})
    assert [f["fileId"] for f in fresh] == [files[1]["fileId"]]
    assert [f["fileId"] for f in already] == [files[0]["fileId"], "dup"]


def test_file_results_keep_manifest_order_and_mark_already_loaded():
    files = manifest()["files"]
    results, rejected, drift = build_file_results(files, [files[0]], [], [])
    assert [r["outcome"] for r in results] == ["ALREADY_LOADED", "ALREADY_LOADED"]
    assert rejected == 0 and drift == []


def test_unknown_mode_is_refused():
    plan = load_plan()
    plan["modes"] = ["incremental"]
    spark, io = spark_for(plan)
    with pytest.raises(ValueError, match="compiled for incremental, not full_refresh"):
        run(plan, spark, io, full_refresh=True)


def test_broken_audit_query_blocks_publish_and_is_reported():
    plan = load_plan()
    broken = plan["audits"][0]
    spark, io = spark_for(plan, fail_on="^" + __import__("re").escape(broken["sql"]) + "$")
    result = run(plan, spark, io)
    assert not any("system.fast_forward" in s for s in spark.statements)
    audit = next(a for a in result.audits if a["name"] == broken["name"])
    assert audit["passed"] is False and audit["detail"].startswith("audit error: boom")
    # + each merge's written-keys check (state, silver, quarantine) + summary_conservation
    assert len(result.audits) == len(plan["audits"]) + 3 + 1


def test_branches_of_dead_runs_are_dropped_before_opening_this_runs_branch():
    plan = load_plan()
    spark, io = spark_for(plan)
    spark.responses.insert(0, (r"type = 'BRANCH'", [{"name": "wap_old_run"}, {"name": BRANCH}]))
    run(plan, spark, io)
    statements = spark.statements
    stale_drops = [i for i, s in enumerate(statements) if "DROP BRANCH IF EXISTS `wap_old_run`" in s]
    first_create = index_of(statements, f"CREATE BRANCH `{BRANCH}`")
    assert len(stale_drops) == 6 and stale_drops[0] < first_create


class RecordPort:
    """The publish record port: records its calls in the Spark log (to check the order), can fail
    its write, and answers `exists` from what was written (plus `existing`)."""

    def __init__(self, log, fail_write=False, landed_anyway=False, existing=()):
        self.log, self.fail_write, self.landed_anyway = log, fail_write, landed_anyway
        self.written = set(existing)
        self.results = []

    def write(self, result):
        self.log.append(("record", result.run_id if hasattr(result, "run_id") else None))
        if self.fail_write:
            if self.landed_anyway:
                self.written.add(RUN_ID)
            raise OSError("PutObject timed out")
        self.results.append(result)
        self.written.add(RUN_ID)

    def exists(self, run_id):
        self.log.append(("record-exists", run_id))
        return run_id in self.written


RUN_ID = "run-20261121-0001"


def run_with_record(plan, spark, record, files=None):
    return execute_plan(spark, FakeIO(spark.log), plan, PLACEMENT, files or manifest()["files"],
                        run_id=RUN_ID, full_refresh=False, record=record)


def test_the_publish_record_is_written_after_the_marker_and_before_any_fast_forward():
    plan = load_plan()
    spark, _ = spark_for(plan)
    record = RecordPort(spark.log)

    result = run_with_record(plan, spark, record)

    assert result.error is None, result.error
    kinds = [entry[0] if entry[0] != "sql" else entry[1] for entry in spark.log]
    mark = next(i for i, k in enumerate(kinds) if "SET TBLPROPERTIES ('datalake.publishing' =" in k)
    written = kinds.index("record")
    first_forward = next(i for i, k in enumerate(kinds) if "system.fast_forward" in k)
    assert mark < written < first_forward
    # The record is the run's SUCCEEDED result: files, counts, audits as the summary will have them.
    assert record.results[0].files == result.files and record.results[0].counts == result.counts


def test_a_failed_publish_record_write_publishes_nothing():
    plan = load_plan()
    spark, _ = spark_for(plan)
    record = RecordPort(spark.log, fail_write=True)

    result = run_with_record(plan, spark, record)

    assert result.published is None and "PutObject timed out" in result.error
    assert not any("system.fast_forward" in s for s in spark.statements)
    assert "datalake.publishing" not in spark.properties.get(FILES_Q, {})
    assert any(s.startswith(f"ALTER TABLE {FILES_Q} UNSET TBLPROPERTIES") for s in spark.statements)
    assert sum(f"DROP BRANCH IF EXISTS `{BRANCH}`" in s for s in spark.statements) == 12  # 6 opening, 6 discarding


def test_a_record_write_that_landed_despite_its_error_publishes():
    plan = load_plan()
    spark, _ = spark_for(plan)
    record = RecordPort(spark.log, fail_write=True, landed_anyway=True)

    result = run_with_record(plan, spark, record)

    assert result.error is None and result.published is not None
    assert sum("system.fast_forward" in s for s in spark.statements) == 6


def test_a_failed_fast_forward_after_the_record_keeps_the_run_published_for_the_next_run_to_finish():
    plan = load_plan()
    spark, _ = spark_for(plan, fail_on=r"fast_forward\(table => 'silver_db\.state_orders'")
    record = RecordPort(spark.log)

    result = run_with_record(plan, spark, record)

    # Committed: the summary stays SUCCEEDED (the handler records what was committed), the
    # branches and the marker stay for the next run, and the incompleteness is reported.
    assert result.error is None and result.published is not None
    assert result.publish_incomplete.startswith("publish of state failed after publishing [silver, quarantine]")
    forwarded = [s for s in spark.statements if "fast_forward" in s]
    assert len(forwarded) == 3 and not any("files_orders" in s for s in forwarded)
    assert spark.properties[FILES_Q]["datalake.publishing"] == BRANCH
    assert sum(f"DROP BRANCH IF EXISTS `{BRANCH}`" in s for s in spark.statements) == 6  # only the opening drops


DEAD_BRANCH = "wap_run_dead"


def dead_publish(spark):
    spark.properties[FILES_Q] = {"datalake.publishing": DEAD_BRANCH, "datalake.publishing-run": "run-dead"}
    spark.responses.insert(0, (r"SELECT name, snapshot_id FROM",
                               [{"name": "main", "snapshot_id": 1}, {"name": DEAD_BRANCH, "snapshot_id": 2}]))


def test_an_interrupted_publish_with_its_record_is_finished_first():
    plan = load_plan()
    spark, _ = spark_for(plan)
    dead_publish(spark)
    record = RecordPort(spark.log, existing=["run-dead"])

    result = run_with_record(plan, spark, record)

    assert result.error is None, result.error
    finished = [s for s in spark.statements if "system.fast_forward" in s and DEAD_BRANCH in s]
    assert len(finished) == 6
    assert ("record-exists", "run-dead") in spark.log


def test_an_interrupted_publish_without_its_record_is_abandoned():
    # Killed after marking the ledger but before its publish record was written: nothing of it
    # was committed, the handler records it FAILED, so its branches must never reach main.
    plan = load_plan()
    spark, _ = spark_for(plan)
    dead_publish(spark)
    record = RecordPort(spark.log)

    result = run_with_record(plan, spark, record)

    assert result.error is None, result.error
    assert not any("system.fast_forward" in s and DEAD_BRANCH in s for s in spark.statements)
    unset = next(i for i, s in enumerate(spark.statements) if s.startswith(f"ALTER TABLE {FILES_Q} UNSET"))
    first_open = index_of(spark.statements, f"CREATE BRANCH `{BRANCH}`")
    assert unset < first_open


def test_an_interrupted_publish_that_cannot_be_finished_fails_the_run():
    # Its record exists, so its files are recorded loaded: carrying on would lose its rows silently.
    plan = load_plan()
    spark, _ = spark_for(plan, fail_on=rf"fast_forward.*{DEAD_BRANCH}")
    dead_publish(spark)
    record = RecordPort(spark.log, existing=["run-dead"])

    result = run_with_record(plan, spark, record)

    assert result.published is None
    assert "could not finish the publish of run-dead" in result.error
    assert spark.properties[FILES_Q]["datalake.publishing"] == DEAD_BRANCH


STATE_Q = "`glue_catalog`.`silver_db`.`state_orders`"
FILES_Q = "`glue_catalog`.`silver_db`.`files_orders`"


@pytest.mark.parametrize("recorded, merged", [("same", True), ("an-older-plan", False), (None, False)])
def test_a_state_built_by_another_plan_makes_the_run_a_full_refresh(recorded, merged):
    plan = load_plan()
    spark, io = spark_for(plan)
    spark.main.add(STATE_Q)  # the state has been published
    if recorded is not None:
        spark.properties[STATE_Q] = {"datalake.plan-fingerprint": plan["fingerprint"] if recorded == "same" else recorded}

    result = run(plan, spark, io)

    assert result.error is None, result.error
    merges = [s for s in spark.statements if s.startswith(f"MERGE INTO {STATE_Q}")]
    rebuilds = [s for s in spark.statements if s.startswith(f"INSERT OVERWRITE {STATE_Q}")]
    assert (len(merges), len(rebuilds)) == ((1, 0) if merged else (0, 1))
    # Either way the publish records the plan's fingerprint with the state.
    assert spark.properties[STATE_Q]["datalake.plan-fingerprint"] == plan["fingerprint"]


def test_a_first_run_is_incremental_and_the_publish_marks_then_clears_its_intent():
    plan = load_plan()
    spark, io = spark_for(plan)

    result = run(plan, spark, io)

    assert result.error is None, result.error
    assert any(s.startswith(f"MERGE INTO {STATE_Q}") for s in spark.statements)
    statements = spark.statements
    mark = index_of(statements, f"ALTER TABLE {FILES_Q} SET TBLPROPERTIES ('datalake.publishing' = '{BRANCH}')")
    clear = index_of(statements, f"ALTER TABLE {FILES_Q} UNSET TBLPROPERTIES IF EXISTS ('datalake.publishing', 'datalake.publishing-run')", mark)
    forwards = [i for i, s in enumerate(statements) if "system.fast_forward" in s]
    assert mark < min(forwards) and max(forwards) < clear


SILVER_Q = "`glue_catalog`.`silver_db`.`orders`"
SILVER_SNAPSHOTS = r"^SELECT snapshot_id, parent_id, summary FROM `glue_catalog`\.`silver_db`\.`orders`\.`snapshots`$"


@pytest.mark.parametrize("tagged, between, tags", [
    ("same", 0, False),
    ("same", RETAG_AFTER - 2, False),
    # Tagged again before expiry (the RETAIN_LAST newest kept) can drop the plan's only tag.
    ("same", RETAG_AFTER - 1, True),
    ("an-older-plan", 0, True),
    (None, 0, True),
])
def test_silvers_branch_names_the_runs_load_plan_before_the_publish_unless_its_nearest_tag_does(tagged, between, tags):
    plan = load_plan()
    spark, io = spark_for(plan)

    def history(statement):
        # The branch's head (any refs lookup answers spark.snapshot) is a merge on `between`
        # untagged merges on a tagged snapshot (1).
        fingerprint = plan["fingerprint"] if tagged == "same" else tagged
        merges = [{"snapshot_id": 100 + i, "parent_id": 100 + i - 1 if i > 0 else 1, "summary": {}} for i in range(between)]
        return [{"snapshot_id": spark.snapshot, "parent_id": 100 + between - 1 if between else 1, "summary": {}}, *merges,
                {"snapshot_id": 1, "parent_id": None, "summary": {"datalake.plan-fingerprint": fingerprint} if tagged else {}}]
    spark.responses.insert(0, (SILVER_SNAPSHOTS, history))

    result = run(plan, spark, io)

    assert result.error is None, result.error
    tag = ("tag_branch", "glue_catalog.silver_db.orders", BRANCH, {"datalake.plan-fingerprint": plan["fingerprint"]})
    assert (tag in spark.log) == tags
    if tags:  # on the branch before the publish marker (the commit point follows it)
        mark = next(i for i, e in enumerate(spark.log) if e[0] == "sql" and "'datalake.publishing' =" in e[1])
        assert spark.log.index(tag) < mark
