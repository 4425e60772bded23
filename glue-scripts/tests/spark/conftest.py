"""The Glue runner on real Spark + Iceberg at the Glue runtime's versions (runtime.json), with
ONE SparkSession for the whole test run (a JVM start is ~10 s on two cores).

Every test works in its own `Lake`: three catalog databases (`<name>_silver`, `<name>_quarantine`,
`<name>_bronze`) of the shared Hadoop-catalog warehouse, its own ops folder (the ops bucket,
through LocalObjects) and metrics file (LocalMetrics). Runs go through `runner.run_job` with the
job arguments a local run gets (engine/spark/run-load.ts).

Marked `spark` (registered here): `pytest -m "not spark"` skips them all and never starts a JVM.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from typing import Any, Callable, Dict

import pytest

from spark_lake import ROLES, Lake, load_plan, orders_files

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
JARS = os.path.join(REPO, ".jars")


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "spark: runs on real local Spark + Iceberg (one shared JVM)")


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: Any) -> str:
    """The Hadoop catalog's folder (tables at <warehouse>/<database>/<table>)."""
    return str(tmp_path_factory.mktemp("warehouse"))


@pytest.fixture(scope="session")
def spark(warehouse: str) -> Any:
    try:
        import pyspark  # noqa: F401
    except ImportError:  # pragma: no cover - the venv is set up by scripts/setup-glue-runtime.js
        pytest.fail("pyspark is missing: run `node scripts/setup-glue-runtime.js` and use .venv/bin/python")
    from datalake_glue.constants import ICEBERG_VERSION, SPARK_VERSION
    from datalake_glue.local_env import local_spark_session

    jars = sorted(glob.glob(os.path.join(JARS, f"iceberg-spark-runtime-*_*-{ICEBERG_VERSION}.jar")))
    if not jars:
        pytest.fail(f"no Iceberg {ICEBERG_VERSION} runtime jar in {JARS}: run `node scripts/setup-glue-runtime.js`")
    # One shuffle partition: the test batches are a few rows (about a quarter off every load).
    session = local_spark_session("file:" + warehouse, jars[:1], shuffle_partitions=1)
    assert session.version == SPARK_VERSION, f"pyspark {session.version} is not the Glue runtime's {SPARK_VERSION}"
    yield session
    session.stop()


@pytest.fixture(scope="session")
def make_lake(spark: Any, warehouse: str, tmp_path_factory: Any) -> Callable[[str], Lake]:
    made: set = set()

    def make(name: str) -> Lake:
        assert name not in made, f"lake {name} made twice: use another name per test"
        made.add(name)
        return Lake(spark, warehouse, str(tmp_path_factory.mktemp(name)), name)

    return make


@pytest.fixture(scope="session")
def orders_plan() -> Dict[str, Any]:
    return load_plan("orders")


@pytest.fixture(scope="session")
def baseline(make_lake: Callable[[str], Lake], orders_plan: Dict[str, Any]) -> Dict[str, Any]:
    """A clean single run of the two orders files: what every repaired lake must equal."""
    lake = make_lake("baseline")
    files = orders_files(lake)
    summary = lake.run("orders", "run-base-1", orders_plan, files)
    assert summary["status"] == "SUCCEEDED", summary.get("error")
    # Captured now: later tests may run this lake again (which must change nothing).
    content = {role: lake.content(orders_plan, role, without=("_run_id",)) for role in ROLES}
    return {"lake": lake, "files": files, "summary": summary, "plan": orders_plan, "content": content,
            "metrics": lake.metrics()}


@pytest.fixture(scope="session")
def plan_variants() -> Dict[str, Any]:
    """Spark load plans of other versions of the reference specs (plan_variants.js): the schema
    evolution and model tests load with them."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the plan variants cannot be compiled")
    done = subprocess.run([node, os.path.join(HERE, "plan_variants.js")], cwd=REPO, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)
