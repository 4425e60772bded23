"""Schema and partition evolution on real Spark + Iceberg: tables created by an older plan of the
same dataset (tests/spark/plan_variants.js compiles it from the current spec with one change undone)
are brought up to the current plan by the next run, or the run fails before altering anything."""

import re

import pytest

from datalake_glue.schema_evolution import normalize_type, parse_describe, parse_partitioning
from datalake_glue.tables import spark_type
from spark_lake import ORDERS_CDC_2, ROLES, load_plan, orders_files

pytestmark = pytest.mark.spark


CUSTOMERS_LOAD = "customer_id,email,country,cdc_ts\n1,a@example.com,DE,2026-01-01 00:00:00\n2,b@example.com,FR,2026-01-02 00:00:00\n"
CUSTOMERS_CDC = ("Op,customer_id,email,country,signup_date,cdc_ts\n"
                 "U,2,b2@example.com,FR,2025-12-31,2026-03-10 09:00:00\n"
                 "I,3,c@example.com,US,2026-03-01,2026-03-10 09:01:00\n")


def columns_of(lake, identifier):
    return [(name, normalize_type(kind)) for name, kind in parse_describe(lake.rows(f"DESCRIBE TABLE {identifier}"))]


def plan_columns(plan, role):
    return [(c["name"], normalize_type(spark_type(c["type"]))) for c in plan["tables"][role]["columns"]]


TYPE_ERROR = re.compile(
    r"^(?:SchemaChangeError: )?(\w+) table glue_catalog\.[\w.]+: the runner never changes a column's type "
    r"\(no silent cast\):\n  column `(\w+)` is INT in the table but BIGINT in the plan; Iceberg widens it in "
    r"place: (ALTER TABLE `glue_catalog`\.`[\w]+`\.`\w+` ALTER COLUMN `\w+` TYPE BIGINT), then re-run$")


def test_a_type_change_fails_before_any_table_is_altered_then_new_columns_land_at_their_plan_position(
        make_lake, plan_variants):
    older, current = plan_variants["customers_int_id_without_signup_date"], load_plan("customers")
    lake = make_lake("customers_evolve")
    ids = {role: lake.table(current, role) for role in ROLES}
    first = lake.run("customers", "run-c1", older, [lake.landed("customers/LOAD00000001.csv", CUSTOMERS_LOAD)])
    assert first["status"] == "SUCCEEDED", first.get("error")
    batch = lake.landed("customers/20260310-090000000.csv", CUSTOMERS_CDC)
    assert "signup_date" not in dict(columns_of(lake, ids["bronze"]))

    # The current plan types customer_id BIGINT (the tables: INT) and adds signup_date to every
    # table. The run fails before ANY table is altered (bronze, checked first, does not get
    # signup_date), naming every typed table's conflict at once; the operator runs the widenings.
    columns_before = {role: columns_of(lake, ids[role]) for role in ROLES}
    refs_before = {role: lake.refs(current, role) for role in ROLES}
    failed = lake.run("customers", "run-c2-1", current, [batch])
    assert failed["status"] == "FAILED"
    conflicts = [TYPE_ERROR.match(part) for part in re.split(r"\n(?=SchemaChangeError: |\w+ table )", failed["error"])]
    assert conflicts and all(conflicts), failed["error"]
    assert {role: columns_of(lake, ids[role]) for role in ROLES} == columns_before
    assert {role: lake.refs(current, role) for role in ROLES} == refs_before
    widened = set()
    for match in conflicts:
        role, column, alter = match.groups()
        assert ids[role].split(".", 1)[1].replace(".", "`.`") in alter
        widened.add((role, column))
        lake.spark.sql(alter)
    # silver's customer_id and the key typed in state (`_pk_1`), in one run's error
    assert widened == {("silver", "customer_id"), ("state", "_pk_1")}, widened
    summary = lake.run("customers", "run-c2-2", current, [batch])

    assert summary["status"] == "SUCCEEDED", summary.get("error")
    for role in ROLES:  # signup_date sits after country, as in a table the current plan creates
        assert columns_of(lake, ids[role]) == plan_columns(current, role), role
    bronze = lake.rows(f"SELECT customer_id, signup_date, _run_id FROM {ids['bronze']} ORDER BY _run_id, customer_id")
    assert [(r["customer_id"], r["signup_date"], r["_run_id"]) for r in bronze] == [
        ("1", None, "run-c1"), ("2", None, "run-c1"),
        ("2", "2025-12-31", summary["runId"]), ("3", "2026-03-01", summary["runId"])]
    rows = lake.rows(f"SELECT customer_id, email, CAST(signup_date AS STRING) AS d FROM {ids['silver']} ORDER BY customer_id")
    assert [(r["customer_id"], r["email"], r["d"]) for r in rows] == [
        (1, "a@example.com", None), (2, "b2@example.com", "2025-12-31"), (3, "c@example.com", "2026-03-01")]


def test_a_changed_partition_by_drops_and_adds_partition_fields(make_lake, plan_variants):
    older, current = plan_variants["orders_by_cdc_month"], load_plan("orders")
    lake = make_lake("orders_repartition")
    silver = lake.table(current, "silver")
    first = lake.run("orders", "run-p1", older, orders_files(lake))
    assert first["status"] == "SUCCEEDED", first.get("error")
    assert parse_partitioning(lake.rows(f"DESCRIBE TABLE {silver}")) == ["cdc_year", "cdc_month"]

    batch = lake.landed("orders/20260311-100000000.csv", ORDERS_CDC_2, received_at="2026-03-11T10:30:00.000Z")
    summary = lake.run("orders", "run-p2", current, [batch])

    assert summary["status"] == "SUCCEEDED", summary.get("error")
    described = lake.rows(f"DESCRIBE TABLE {silver}")
    assert parse_partitioning(described) == ["order_year", "order_month"]
    # the new columns at their plan position; the old partition columns kept (dropping loses data)
    names = [name for name, _ in parse_describe(described)]
    assert names == ["order_id", "customer_id", "order_ts", "status", "total_amount", "cdc_ts", "order_year",
                     "order_month", "cdc_year", "cdc_month", "_source_key", "_source_version", "_file_id",
                     "_row_number", "_run_id"]
    rows = lake.rows(f"SELECT order_id, status, order_year, order_month, cdc_year, cdc_month FROM {silver} ORDER BY order_id")
    assert [tuple(r.values()) for r in rows] == [
        (1, "paid", 2026, 1, None, None), (3, "delivered", 2026, 3, None, None),
        (5, "pending", 2026, 3, None, None), (6, "paid", 2026, 3, None, None)]
    # silver was rewritten whole: every live data file is laid out by order month (a later spec
    # than the table's first, spec 0), none by change month any more
    files = lake.rows(f"SELECT spec_id, partition.order_year AS y, partition.order_month AS m, "
                      f"partition.cdc_year AS cy, partition.cdc_month AS cm FROM {silver}.files ORDER BY y, m")
    assert [(f["y"], f["m"], f["cy"], f["cm"]) for f in files] == [(2026, 1, None, None), (2026, 3, None, None)]
    assert len({f["spec_id"] for f in files}) == 1 and files[0]["spec_id"] > 0
