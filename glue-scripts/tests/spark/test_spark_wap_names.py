"""The WAP statements of wap.py on real Iceberg for a catalog database whose name needs quoting
(`--catalog_database` may hold a hyphen): branch, write to the branch, fast-forward main (which
also creates main on a table that has none), drop the branch."""

import pytest

from datalake_glue.local_env import ensure_databases
from datalake_glue.spark_io import SparkIO
from datalake_glue.wap import begin_statements, branch_identifier, drop_branch_sql, fast_forward_sql, quote_identifier

pytestmark = pytest.mark.spark

TABLE = "glue_catalog.wap-names.orders"
BRANCH = "wap_run_1"


@pytest.fixture(scope="module")
def table(spark):
    ensure_databases(spark, ["wap-names"])
    spark.sql(f"CREATE TABLE {quote_identifier(TABLE)} (id BIGINT) USING iceberg TBLPROPERTIES ('format-version'='2')")
    return TABLE


def refs(spark, identifier):
    return {r["name"]: r["snapshot_id"] for r in spark.sql(f"SELECT name, snapshot_id FROM {quote_identifier(identifier + '.refs')}").collect()}


def test_a_branch_is_published_by_fast_forward_on_a_hyphenated_database(spark, table):
    for statement in begin_statements([table], BRANCH):
        spark.sql(statement)
    spark.sql(f"INSERT INTO {branch_identifier(table, BRANCH)} VALUES (1), (2)")
    staged = refs(spark, table)
    assert list(staged) == [BRANCH]  # main does not exist yet

    forwarded = spark.sql(fast_forward_sql(table, BRANCH)).collect()
    spark.sql(drop_branch_sql(table, BRANCH))

    assert [(r["branch_updated"], r["previous_ref"], r["updated_ref"]) for r in forwarded] == [("main", None, staged[BRANCH])]
    assert refs(spark, table) == {"main": staged[BRANCH]}
    assert sorted(r["id"] for r in spark.sql(f"SELECT id FROM {quote_identifier(table)}").collect()) == [1, 2]


def test_appended_rows_are_read_back_on_a_hyphenated_database(spark, table):
    for statement in begin_statements([table], "wap_run_2"):
        spark.sql(statement)
    start = refs(spark, table)["wap_run_2"]
    spark.sql(f"INSERT INTO {branch_identifier(table, 'wap_run_2')} VALUES (3)")
    end = refs(spark, table)["wap_run_2"]
    try:
        SparkIO(spark).register_appended("appended_names", table, start, end)  # as executor.stage calls it
        assert [r["id"] for r in spark.sql("SELECT id FROM appended_names").collect()] == [3]
    finally:
        spark.sql(drop_branch_sql(table, "wap_run_2"))
