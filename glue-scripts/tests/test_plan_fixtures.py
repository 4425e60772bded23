"""The committed spark plan fixtures are what engine/compile.ts produces today, and the runner
executes the current plan of EVERY dataset step by step (both modes) on the fake Spark.

The compiler's output comes from `node tests/fixtures/regenerate.js --print` (run once per
session); a stale fixture fails here with the command that refreshes it.
"""

import copy
import json
import os
import re
import shutil
import subprocess

import pytest

from datalake_glue.executor import Placement, execute_plan
from datalake_glue.plan import PlanError, parse_plan, relation_names, steps_for
from tests.helpers import manifest
from tests.test_executor import re_exact, spark_for

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
REPO = os.path.dirname(os.path.dirname(HERE))
REGENERATE = os.path.join("glue-scripts", "tests", "fixtures", "regenerate.js")
DATASETS = ["customers", "products", "orders", "order_items", "payments", "shipments"]
MODES = ["incremental", "full_refresh"]
PLACEMENT = Placement(catalog_database="silver_db", quarantine_database="quarantine_db",
                      bronze_path="s3://bronze-bucket/ds", bronze_database="bronze_db")


@pytest.fixture(scope="module")
def compiled():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the TypeScript compiler cannot be run here")
    done = subprocess.run([node, REGENERATE, "--print"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{REGENERATE} --print failed:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout)


def test_every_committed_fixture_equals_the_compiler_output(compiled):
    committed = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".spark.json"))
    assert committed == sorted(compiled["fixtures"]), "fixture files differ from regenerate.js's list"
    for name, text in compiled["fixtures"].items():
        with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
            stale = handle.read() != text
        assert not stale, f"{name} is stale: run `node {REGENERATE}` from the repository root"


def test_the_compiler_covers_every_dataset(compiled):
    assert sorted(compiled["plans"]) == sorted(DATASETS)


@pytest.mark.parametrize("dataset", DATASETS)
def test_current_plan_of_every_dataset_validates(compiled, dataset):
    plan = parse_plan(compiled["plans"][dataset], source=dataset, dataset=dataset)
    assert plan["modes"] == MODES


# -- the runner over the current plans --------------------------------------------------------
_VIEW = re.compile(r"^CREATE OR REPLACE TEMP VIEW `(\w+)` AS (.*)$", re.S)
_WRITE = re.compile(r"^(?:INSERT (?:INTO|OVERWRITE)|MERGE INTO) (\S+) (?:SELECT|t USING) ")


def executed(log, ids):
    """What the runner did with the plan's relations, in order (DDL, branches, audits left out)."""
    tables = {quoted: role for role, quoted in ids.items()}
    events = []
    for entry in log:
        if entry[0] == "read_files":
            events.append(("read_files", entry[1], entry[2]))
        elif entry[0] == "materialize":
            events.append(("materialize", entry[1], entry[2]))
        elif entry[0] == "register_appended":
            events.append(("read_back", entry[1]))
        elif entry[0] == "sql":
            statement = entry[1]
            view, write = _VIEW.match(statement), _WRITE.match(statement)
            if view and view.group(1).startswith("staged_"):
                events.append(("read_back", view.group(1)))
            elif view and view.group(1).startswith("written_"):
                events.append(("written", view.group(1)))
            elif view:
                events.append(("relation", view.group(1), view.group(2)))
            elif write:
                events.append(("write", tables[write.group(1).rsplit(".", 1)[0]]))
    return events


def expected(plan, mode, ids, steps=None):
    events = []
    for step in steps if steps is not None else steps_for(plan, mode):
        kind = step["kind"]
        if kind == "read_files":
            events.append(("read_files", step["output"], step["filesOutput"]))
        elif kind == "read_table":
            # The PUBLISHED table (main), never the run's branch.
            events.append(("relation", step["output"], f"SELECT * FROM {ids[step['table']]}"))
        elif kind == "sql":
            # A table step is computed from its SELECT, with no temp view of it first.
            events.append(("materialize" if step["materialize"] == "table" else "relation", step["name"], step["sql"]))
        elif kind == "refresh_check":
            continue  # a query, no relation: the fake finds no row, so the run stays incremental
        else:
            events.extend([("write", step["table"]), ("read_back", step["output"])])
            if step.get("written"):
                events.append(("written", step["written"]))
    return events


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("mode", MODES)
def test_runner_executes_exactly_the_steps_of_the_mode_in_plan_order(compiled, dataset, mode):
    plan = parse_plan(compiled["plans"][dataset], dataset=dataset)
    spark, plan_io = spark_for(plan)
    files = manifest(dataset=dataset)["files"]

    result = execute_plan(spark, plan_io, plan, PLACEMENT, files, run_id="run-20261121-0001",
                          full_refresh=mode == "full_refresh")

    assert result.error is None, result.error
    ids = {role: "`" + "`.`".join(PLACEMENT.identifier(role, t).split(".")) + "`"
           for role, t in plan["tables"].items()}
    assert executed(spark.log, ids) == expected(plan, mode, ids)


def test_a_refresh_check_that_finds_a_row_runs_the_rest_as_a_full_refresh(compiled):
    """A dms batch that moves loaded files into another reload generation (compile.ts
    regenerationCheck): the steps so far, then the full refresh's, never the incremental ones."""
    plan = parse_plan(compiled["plans"]["orders"], dataset="orders")
    at = next(i for i, s in enumerate(plan["steps"]) if s["kind"] == "refresh_check")
    check = plan["steps"][at]
    spark, plan_io = spark_for(plan)
    spark.responses.insert(0, (re_exact(check["sql"]), [{"regenerated": 1}]))

    result = execute_plan(spark, plan_io, plan, PLACEMENT, manifest(dataset="orders")["files"],
                          run_id="run-20261121-0001", full_refresh=False)

    assert result.error is None, result.error
    ids = {role: "`" + "`.`".join(PLACEMENT.identifier(role, t).split(".")) + "`"
           for role, t in plan["tables"].items()}
    before = plan["steps"][:at]
    after = [s for s in plan["steps"][at + 1:] if s.get("when") in (None, "full_refresh")]
    assert all(s.get("when") is None for s in before)
    assert any(s.get("when") == "full_refresh" for s in after)
    assert executed(spark.log, ids) == expected(plan, "full_refresh", ids, before + after)
    assert executed(spark.log, ids) != expected(plan, "incremental", ids)


def test_a_refresh_check_after_a_step_of_one_mode_is_refused(compiled):
    plan = copy.deepcopy(compiled["plans"]["orders"])
    at = next(i for i, s in enumerate(plan["steps"]) if s["kind"] == "refresh_check")
    plan["steps"][at - 1]["when"] = "incremental"
    with pytest.raises(PlanError, match="refresh_check may follow only steps of both modes"):
        parse_plan(plan, dataset="orders")


@pytest.mark.parametrize("mode", MODES)
def test_steps_tagged_for_the_other_mode_never_run(compiled, mode):
    plan = parse_plan(compiled["plans"]["orders"], dataset="orders")
    other = MODES[1 - MODES.index(mode)]
    only_other = [s for s in plan["steps"] if s.get("when") == other]
    spark, plan_io = spark_for(plan)

    execute_plan(spark, plan_io, plan, PLACEMENT, manifest()["files"], run_id="run-20261121-0001",
                 full_refresh=mode == "full_refresh")

    assert only_other, "the plan has no steps tagged for one mode: this test checks nothing"
    ran = "\n".join(spark.statements)
    ids = {role: "`" + "`.`".join(PLACEMENT.identifier(role, t).split(".")) + "`"
           for role, t in plan["tables"].items()}
    for step in only_other:
        # Both modes read a table back as staged_<role>: tell their writes apart instead.
        if step["kind"] == "merge":
            body = f"MERGE INTO {ids[step['table']]}"
        elif step["kind"] == "stage":
            body = f"INSERT OVERWRITE {ids[step['table']]}"
        else:
            body = step.get("sql") or f"VIEW `{step['output']}`"
        assert body not in ran, f"{other} step {relation_names(step)} ran in a {mode} run"
