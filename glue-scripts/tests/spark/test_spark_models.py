"""The model job on real Spark + Iceberg: dim_date and dim_customer built from the artifacts the
TypeScript compiler produces today (fixtures/model_artifacts.js), over customers loaded by the
load runner; write-audit-publish on the model's own table (a failed audit leaves main as it was)."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from datetime import date
from typing import Any, Dict

import pytest

from spark_lake import ORDERS_CDC_2, OPS_BUCKET, Lake, fresh_driver, load_plan, orders_files

pytestmark = pytest.mark.spark

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
ARTIFACTS = os.path.join("glue-scripts", "tests", "fixtures", "model_artifacts.js")

CUSTOMERS_HEADER = "customer_id,email,country,signup_date,cdc_ts"
CUSTOMERS_LOAD = "\n".join([
    CUSTOMERS_HEADER,
    "1,a@example.com,FR,2025-01-01,2026-01-01 00:00:00",
    "2,b@example.com,DE,2025-02-01,2026-01-01 00:00:00",
]) + "\n"
#: Customer 1 moves (a new version), 2 is deleted (its version closes), 3 arrives.
CUSTOMERS_CDC = "\n".join([
    "Op," + CUSTOMERS_HEADER,
    "U,1,a@example.com,ES,2025-01-01,2026-02-01 10:00:00",
    "D,2,b@example.com,DE,2025-02-01,2026-02-02 10:00:00",
    "I,3,c@example.com,IT,2025-03-01,2026-02-03 10:00:00",
]) + "\n"


@pytest.fixture(scope="module")
def artifacts() -> Dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the TypeScript compiler cannot be run here")
    done = subprocess.run([node, ARTIFACTS], cwd=REPO, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, f"{ARTIFACTS} failed:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout)


def build(lake: Lake, artifact: Dict[str, Any], run_id: str) -> Dict[str, Any]:
    from datalake_glue.args import simple_resolver
    from datalake_glue.local_env import LocalObjects, ensure_databases
    from datalake_glue.model_args import resolve_model_args
    from datalake_glue.model_runner import run_model_job
    from datalake_glue.s3_uri import LOCAL_STORAGE_SCHEMES
    from datalake_glue.spark_io import SparkIO

    semantic = f"{lake.name}_semantic"
    ensure_databases(lake.spark, [semantic])
    plan_uri = lake._put_json(f"plans/models/{artifact['model']}/{run_id}.json", artifact)
    argv = ["build_model.py", "--model", artifact["model"], "--run_id", run_id, "--plan_uri", plan_uri,
            "--ops_bucket", OPS_BUCKET, "--warehouse_path", f"file:{lake.warehouse}",
            "--semantic_database", semantic, "--silver_database", lake.silver_db,
            "--bronze_database", lake.bronze_db]
    args = resolve_model_args(argv, simple_resolver, LOCAL_STORAGE_SCHEMES)
    fresh_driver(lake.spark)
    return run_model_job(args, spark=lake.spark, io=SparkIO(lake.spark), s3=LocalObjects({OPS_BUCKET: lake.ops}))


def test_dim_date_and_dim_customer_build_and_publish_on_iceberg(make_lake, artifacts):
    lake = make_lake("models")
    files = [lake.landed("customers/LOAD00000001.csv", CUSTOMERS_LOAD, received_at="2026-03-10T09:20:00.000Z"),
             lake.landed("customers/20260310-090000000.csv", CUSTOMERS_CDC)]
    loaded = lake.run("customers", "run-cust-1", load_plan("customers"), files)
    assert loaded["status"] == "SUCCEEDED", loaded.get("error")

    dates = build(lake, artifacts["dim_date"], "build-date-1")
    assert dates["status"] == "SUCCEEDED", dates.get("error")
    days = (date(2030, 12, 31) - date(2020, 1, 1)).days + 1  # the reference spec's range, inclusive
    # a row per day, plus the unknown member (date_key -1) facts point missing dates at
    assert dates["rows"] == days + 1 and all(a["passed"] for a in dates["audits"])
    table = f"glue_catalog.{lake.name}_semantic"
    assert lake.rows(f"SELECT COUNT(*) AS n, MIN(full_date) AS lo, MAX(full_date) AS hi FROM {table}.dim_date "
                     "WHERE date_key <> -1")[0] \
        == {"n": days, "lo": date(2020, 1, 1), "hi": date(2030, 12, 31)}

    customers = build(lake, artifacts["dim_customer"], "build-cust-1")
    assert customers["status"] == "SUCCEEDED", customers.get("error")
    assert customers["version"] == str(lake.rows(
        f"SELECT snapshot_id FROM {table}.dim_customer.refs WHERE name = 'main'")[0]["snapshot_id"])
    rows = lake.rows(f"SELECT customer_id, country, is_current, valid_to FROM {table}.dim_customer "
                     "WHERE customer_key <> -1")  # not the unknown member
    versions = sorted((r["customer_id"], r["country"], r["is_current"]) for r in rows)
    assert versions == [(1, "ES", True), (1, "FR", False), (2, "DE", False), (3, "IT", True)]
    moved = [r for r in rows if r["customer_id"] == 1 and r["country"] == "FR"][0]
    assert moved["valid_to"].strftime("%Y-%m-%d %H:%M:%S") == "2026-02-01 10:00:00"
    # the WAP branch is gone once published
    assert [r["name"] for r in lake.rows(f"SELECT name FROM {table}.dim_customer.refs")] == ["main"]

    # A failing audit: the build is FAILED, names the audit, and main keeps the published table.
    crafted = copy.deepcopy(artifacts["dim_customer"])
    crafted["audits"].append({"name": "no_spanish_customers", "description": "crafted to fail",
                              "sql": "SELECT COUNT(*) AS violations FROM staged WHERE country = 'ES'"})
    failed = build(lake, crafted, "build-cust-2")
    assert failed["status"] == "FAILED" and failed["version"] is None
    assert failed["error"] == "audit failed: no_spanish_customers (1); nothing published"
    assert failed["currentVersion"] == customers["version"]
    assert [r["name"] for r in lake.rows(f"SELECT name FROM {table}.dim_customer.refs")] == ["main"]
    assert str(lake.rows(f"SELECT snapshot_id FROM {table}.dim_customer.refs WHERE name = 'main'")[0]["snapshot_id"]) \
        == customers["version"]


def test_a_load_under_an_edited_orders_spec_rebuilds_fact_orders_in_full(make_lake, artifacts, plan_variants):
    """The first load after a rule edit is a full refresh that moves order 4 (status 'bogus', now
    accepted) from quarantine to silver without a new bronze row of it: an incremental build
    would miss it (no new run touches it) and fail its row_count audit or keep a stale fact."""
    edited = plan_variants["orders_accepting_bogus"]
    orders = load_plan("orders")
    assert edited["fingerprint"] != orders["fingerprint"]
    lake = make_lake("models_spec_edit")
    customers = lake.landed("customers/LOAD00000001.csv", CUSTOMERS_LOAD, received_at="2026-03-10T09:20:00.000Z")
    assert lake.run("customers", "run-cust-1", load_plan("customers"), [customers])["status"] == "SUCCEEDED"
    assert lake.run("orders", "run-orders-1", orders, orders_files(lake))["status"] == "SUCCEEDED"
    for model in ("dim_date", "dim_customer", "fact_orders"):
        built = build(lake, artifacts[model], f"build-{model}-1")
        assert built["status"] == "SUCCEEDED", built.get("error")
    facts = f"glue_catalog.{lake.name}_semantic.fact_orders"
    assert [r["order_id"] for r in lake.rows(f"SELECT order_id FROM {facts} ORDER BY order_id")] == [1, 3, 5]

    later = lake.landed("orders/20260311-100000000.csv", ORDERS_CDC_2)
    assert lake.run("orders", "run-orders-2", edited, [later])["status"] == "SUCCEEDED"
    assert lake.count(edited, "quarantine") == 0
    # The artifact of the spec before the edit reads silver no more (source_specs.py).
    stale = build(lake, artifacts["fact_orders"], "build-fact_orders-stale")
    assert stale["status"] == "FAILED"
    assert re.fullmatch(r"dataset orders: its silver was published under load plan \w+, its spec compiles to \w+ now "
                        r"\(a spec edit or another compiler\); load orders first to apply it "
                        r"\(locally: datalake load --dataset orders --full-refresh\) or revert the edit; nothing built",
                        stale["error"]), stale["error"]
    again = build(lake, plan_variants["fact_orders_accepting_bogus"], "build-fact_orders-2")

    assert again["status"] == "SUCCEEDED", again.get("error")
    assert again["mode"] == "full"
    assert re.fullmatch(r"silver orders was rebuilt by another load plan since snapshot \d+ "
                        r"\(fingerprint \w+ -> \w+: a dataset spec edit\)", again["modeReason"]), again["modeReason"]
    assert [r["order_id"] for r in lake.rows(f"SELECT order_id FROM {facts} ORDER BY order_id")] == [1, 3, 4, 5, 6]


def test_a_dimension_builds_over_a_files_ledger_older_than_its_sequencer_column(make_lake, artifacts, plan_variants):
    """Customers loaded by the plan before the files ledger had `_sequencer` (the platform then
    upgraded, no load since): Iceberg reads the ledger's pinned snapshot with the schema it was
    committed under, which lacks the column the dimension's ordering reads; it reads as NULL."""
    older = plan_variants["customers_ledger_without_sequencer"]
    lake = make_lake("models_old_ledger")
    files = [lake.landed("customers/LOAD00000001.csv", CUSTOMERS_LOAD, received_at="2026-03-10T09:20:00.000Z"),
             lake.landed("customers/20260310-090000000.csv", CUSTOMERS_CDC)]
    assert lake.run("customers", "run-cust-1", older, files)["status"] == "SUCCEEDED"
    ledger = f"glue_catalog.{lake.bronze_db}.files_customers"
    assert "_sequencer" not in [r["col_name"] for r in lake.rows(f"DESCRIBE TABLE {ledger}")]

    built = build(lake, artifacts["dim_customer"], "build-cust-1")
    assert built["status"] == "SUCCEEDED", built.get("error")
    rows = lake.rows(f"SELECT customer_id, country, is_current FROM glue_catalog.{lake.name}_semantic.dim_customer "
                     "WHERE customer_key <> -1")
    assert sorted((r["customer_id"], r["country"], r["is_current"]) for r in rows) \
        == [(1, "ES", True), (1, "FR", False), (2, "DE", False), (3, "IT", True)]
