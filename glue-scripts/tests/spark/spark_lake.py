"""Helpers of the Spark suite (conftest.py holds the fixtures): a `Lake` is one isolated set of
catalog databases + ops folder + landing files on the shared SparkSession; `KillSwitch` kills the
"driver" at a chosen statement; the reference orders files."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
OPS_BUCKET = "local-ops"
NAMESPACE = "datalake-test"
#: Table roles of a load plan, in the plan's table order.
ROLES = ("bronze", "files", "state", "silver", "quarantine", "rejects")


class DriverKilled(BaseException):
    """The driver died: not an Exception, so neither the executor's nor run_job's handlers see it,
    and no summary or metric is written."""


def load_plan(dataset: str) -> Dict[str, Any]:
    with open(os.path.join(FIXTURES, f"plan-{dataset}.spark.json"), encoding="utf-8") as handle:
        return json.load(handle)


class KillSwitch:
    """Stands in for the SparkSession the executor talks to and kills the driver at a chosen
    statement: `before(statement)` / `after(statement)` predicates. Once killed, every later
    statement raises too (a dead driver runs no `finally` cleanup against the catalog)."""

    def __init__(self, spark: Any, *, before: Optional[Callable[[str], bool]] = None,
                 after: Optional[Callable[[str], bool]] = None) -> None:
        self._spark = spark
        self.before, self.after = before, after
        self.killed_at: Optional[str] = None

    def sql(self, statement: str) -> Any:
        if self.killed_at is not None or (self.before is not None and self.before(statement)):
            self.killed_at = self.killed_at or statement
            raise DriverKilled(statement)
        result = self._spark.sql(statement)
        if self.after is not None and self.after(statement):
            result.collect()  # commands run eagerly already; this makes sure it happened
            self.killed_at = statement
            raise DriverKilled(statement)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spark, name)


def fast_forward_of(table_name: str) -> Callable[[str], bool]:
    """Predicate: the publish's fast_forward of the table named `table_name`."""
    return lambda statement: "system.fast_forward" in statement and f".{table_name}'" in statement


def any_fast_forward(statement: str) -> bool:
    return "system.fast_forward" in statement


class Lake:
    """One isolated set of catalog databases + ops folder + landing files."""

    def __init__(self, spark: Any, warehouse: str, root: str, name: str) -> None:
        from datalake_glue.local_env import ensure_databases

        self.spark = spark
        self.warehouse = warehouse
        self.name = name
        self.root = root
        self.ops = os.path.join(root, "ops")
        self.landing = os.path.join(root, "landing")
        self.metrics_path = os.path.join(self.ops, "metrics.jsonl")
        self.silver_db, self.quarantine_db, self.bronze_db = (f"{name}_silver", f"{name}_quarantine", f"{name}_bronze")
        ensure_databases(spark, [self.silver_db, self.quarantine_db, self.bronze_db])

    # -- inputs --------------------------------------------------------------------------
    def landed(self, key: str, text: str, *, version: str = "v1",
               received_at: str = "2026-03-10T09:30:00.000Z") -> Dict[str, Any]:
        """Write a landing object's bytes and return its manifest entry (read through localPath)."""
        path = os.path.join(self.landing, version, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = text.encode("utf-8")
        with open(path, "wb") as handle:
            handle.write(data)
        return {
            "fileId": f"landing-bucket/{key}/{version}", "bucket": "landing-bucket", "key": key,
            "versionId": version, "etag": hashlib.md5(data).hexdigest(),
            "sequencer": "0001", "size": len(data), "receivedAt": received_at, "localPath": path,
        }

    def _put_json(self, key: str, value: Any) -> str:
        path = os.path.join(self.ops, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(value, handle)
        return f"s3://{OPS_BUCKET}/{key}"

    def args(self, dataset: str, run_id: str, plan: Dict[str, Any], files: Sequence[Dict[str, Any]],
             *, full_refresh: bool = False) -> Any:
        from datalake_glue.args import resolve_args, simple_resolver
        from datalake_glue.contracts import manifest_key
        from datalake_glue.s3_uri import LOCAL_STORAGE_SCHEMES

        manifest = {"version": 1, "dataset": dataset, "runId": run_id,
                    "createdAt": "2026-03-10T09:31:00.000Z", "files": [dict(f) for f in files]}
        manifest_uri = self._put_json(manifest_key(dataset, run_id), manifest)
        plan_uri = self._put_json(f"plans/{dataset}/{run_id}.json", plan)
        argv = [
            "local_glue.py", "--dataset", dataset, "--run_id", run_id, "--manifest_uri", manifest_uri,
            "--full_refresh", str(full_refresh).lower(), "--plan_uri", plan_uri,
            "--ops_bucket", OPS_BUCKET,
            "--bronze_path", f"file:{self.warehouse}/{self.bronze_db}",
            "--warehouse_path", f"file:{self.warehouse}",
            "--catalog_database", self.silver_db, "--quarantine_database", self.quarantine_db,
            "--bronze_database", self.bronze_db, "--metrics_namespace", NAMESPACE,
        ]
        return resolve_args(argv, simple_resolver, LOCAL_STORAGE_SCHEMES)

    # -- runs ----------------------------------------------------------------------------
    def run(self, dataset: str, run_id: str, plan: Dict[str, Any], files: Sequence[Dict[str, Any]],
            *, full_refresh: bool = False, spark: Any = None) -> Dict[str, Any]:
        """One job run through run_job; `spark` may be a KillSwitch around the session."""
        from datalake_glue.local_env import LocalMetrics, LocalObjects
        from datalake_glue.runner import run_job
        from datalake_glue.spark_io import SparkIO

        args = self.args(dataset, run_id, plan, files, full_refresh=full_refresh)
        fresh_driver(self.spark)
        return run_job(args, spark=spark or self.spark, io=SparkIO(self.spark),
                       s3=LocalObjects({OPS_BUCKET: self.ops}), cloudwatch=LocalMetrics(self.metrics_path))

    def summary_file(self, dataset: str, run_id: str) -> Optional[Dict[str, Any]]:
        path = os.path.join(self.ops, "summaries", dataset, f"{run_id}.json")
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    def metrics(self) -> List[Dict[str, Any]]:
        if not os.path.exists(self.metrics_path):
            return []
        with open(self.metrics_path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    # -- reading the tables --------------------------------------------------------------
    def table(self, plan: Dict[str, Any], role: str) -> str:
        database = {"silver": self.silver_db, "quarantine": self.quarantine_db,
                    "rejects": self.quarantine_db}.get(role, self.bronze_db)
        return f"glue_catalog.{database}.{plan['tables'][role]['name']}"

    def rows(self, statement: str) -> List[Dict[str, Any]]:
        return [row.asDict() for row in self.spark.sql(statement).collect()]

    def refs(self, plan: Dict[str, Any], role: str) -> Dict[str, int]:
        """{branch or tag name: snapshot id} of a table."""
        return {r["name"]: r["snapshot_id"] for r in self.rows(f"SELECT name, snapshot_id FROM {self.table(plan, role)}.refs")}

    def main_snapshot(self, plan: Dict[str, Any], role: str) -> Dict[str, str]:
        """The summary map of the snapshot main points at ({} when the table has no main)."""
        main = self.refs(plan, role).get("main")
        if main is None:
            return {}
        found = self.rows(f"SELECT summary FROM {self.table(plan, role)}.snapshots WHERE snapshot_id = {main}")
        return dict(found[0]["summary"])

    def history(self, plan: Dict[str, Any], role: str) -> List[int]:
        """Snapshot ids main has pointed at, oldest first (the table's history metadata table)."""
        found = self.rows(f"SELECT snapshot_id FROM {self.table(plan, role)}.history ORDER BY made_current_at")
        return [r["snapshot_id"] for r in found]

    def content(self, plan: Dict[str, Any], role: str, *, without: Iterable[str] = ()) -> List[tuple]:
        """Every row of a table's main as sorted tuples of its plan columns (minus `without`),
        values rendered as strings, so two lakes compare exactly."""
        skip = set(without)
        columns = [c["name"] for c in plan["tables"][role]["columns"] if c["name"] not in skip]
        select = ", ".join(f"CAST(`{c}` AS STRING) AS `{c}`" for c in columns)
        found = self.spark.sql(f"SELECT {select} FROM {self.table(plan, role)}").collect()
        return sorted(tuple("<null>" if v is None else v for v in row) for row in found)

    def count(self, plan: Dict[str, Any], role: str, where: str = "TRUE") -> int:
        return self.rows(f"SELECT COUNT(*) AS n FROM {self.table(plan, role)} WHERE {where}")[0]["n"]


def fresh_driver(spark: Any) -> None:
    """What a new Glue driver starts with: no cached relations, no temp views of an earlier run."""
    spark.catalog.clearCache()
    for view in spark.catalog.listTables():
        if view.isTemporary:
            spark.catalog.dropTempView(view.name)


# -- the reference data: orders, a full load then a CDC file ---------------------------------

ORDERS_HEADER = "order_id,customer_id,order_ts,status,total_amount,cdc_ts"
#: Full load (no Op column, as DMS writes it): order 4 has a status the spec does not accept.
ORDERS_LOAD = "\n".join([
    ORDERS_HEADER,
    "1,10,2026-01-05 10:00:00,pending,10.00,2026-01-05 10:00:00",
    "2,11,2026-02-06 11:00:00,paid,20.50,2026-02-06 11:00:00",
    "3,12,2026-03-07 12:00:00,shipped,30.00,2026-03-07 12:00:00",
    "4,13,2026-03-08 12:00:00,bogus,5.00,2026-03-08 12:00:00",
]) + "\n"
#: CDC file: an update, a delete, an insert, and a row whose key cannot be parsed (a reject).
ORDERS_CDC = "\n".join([
    "Op," + ORDERS_HEADER,
    "U,1,10,2026-01-05 10:00:00,paid,10.00,2026-03-10 09:00:00",
    "D,2,11,2026-02-06 11:00:00,paid,20.50,2026-03-10 09:05:00",
    "I,5,14,2026-03-10 08:00:00,pending,7.25,2026-03-10 09:10:00",
    "I,x5,14,2026-03-10 08:00:00,pending,7.25,2026-03-10 09:11:00",
]) + "\n"
#: A later CDC file (a second batch).
ORDERS_CDC_2 = "\n".join([
    "Op," + ORDERS_HEADER,
    "U,3,12,2026-03-07 12:00:00,delivered,30.00,2026-03-11 10:00:00",
    "I,6,15,2026-03-11 09:00:00,paid,99.99,2026-03-11 10:05:00",
]) + "\n"

#: What the two first files give: silver 1 (paid), 3, 5; quarantine 4; state 1-5 (2 deleted).
EXPECTED_SILVER_ORDERS = {1: "paid", 3: "shipped", 5: "pending"}


def orders_files(lake: Lake) -> List[Dict[str, Any]]:
    return [
        lake.landed("orders/LOAD00000001.csv", ORDERS_LOAD, received_at="2026-03-10T09:20:00.000Z"),
        lake.landed("orders/20260310-090000000.csv", ORDERS_CDC),
    ]


def with_audit(plan: Dict[str, Any], name: str, sql: str, description: str) -> Dict[str, Any]:
    crafted = copy.deepcopy(plan)
    crafted["audits"].append({"name": name, "description": description, "sql": sql})
    return crafted

