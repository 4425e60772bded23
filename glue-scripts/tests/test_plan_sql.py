"""The plan's Spark SQL parses (sqlglot, spark dialect) and only reads relations defined before
it in the same mode: catches a broken or reordered spark plan without a Spark cluster."""

import json
import os

import pytest

sqlglot = pytest.importorskip("sqlglot")
from sqlglot import exp  # noqa: E402

from datalake_glue.plan import relation_names, steps_for  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
CASES = [(name, mode) for name in ("orders", "customers") for mode in ("incremental", "full_refresh")]


def fixture(name):
    with open(os.path.join(FIXTURES, f"plan-{name}.spark.json"), encoding="utf-8") as handle:
        return json.load(handle)


def relations_read(sql):
    tree = sqlglot.parse_one(sql, read="spark")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    # A join hint names an alias of the statement (/*+ BROADCAST(r) */), not a relation.
    return {table.name for table in tree.find_all(exp.Table) if not table.find_ancestor(exp.Hint)} - ctes


@pytest.mark.parametrize("name, mode", CASES)
def test_sql_steps_read_only_earlier_relations(name, mode):
    defined = set()
    for step in steps_for(fixture(name), mode):
        if step["kind"] == "sql":
            missing = relations_read(step["sql"]) - defined
            assert not missing, f"{step['name']} reads {sorted(missing)} before they exist"
        defined.update(relation_names(step))


@pytest.mark.parametrize("name, mode", CASES)
def test_audits_and_summary_read_defined_relations(name, mode):
    plan = fixture(name)
    defined = set()
    for step in steps_for(plan, mode):
        defined.update(relation_names(step))
    queries = [a["sql"] for a in plan["audits"]] + [plan["summary"]["counts"], plan["summary"]["files"]]
    for sql in queries:
        assert relations_read(sql) <= defined, sql[:120]


def test_audits_select_a_violations_column():
    for audit in fixture("orders")["audits"]:
        tree = sqlglot.parse_one(audit["sql"], read="spark")
        assert [e.alias_or_name for e in tree.expressions] == ["violations"], audit["name"]


def test_a_broken_statement_is_detected():
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse_one("SELECT FROM x WHERE", read="spark")


def test_statements_the_executor_generates_parse_as_spark_sql():
    from tests.test_executor import load_plan, run, spark_for

    plan = load_plan()
    spark, plan_io = spark_for(plan)
    run(plan, spark, plan_io)
    # Branch and partition-field DDL are Iceberg's SQL extensions (IcebergSparkSessionExtensions):
    # not core Spark.
    checked = [s for s in spark.statements if " BRANCH " not in s and " PARTITION FIELD " not in s]
    assert len(checked) > 30
    for statement in checked:
        sqlglot.parse_one(statement, read="spark")
