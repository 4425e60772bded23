"""The local session's own catalog stays beside the Iceberg warehouse: Spark's default puts a
`spark-warehouse` folder in the working directory of whoever started the run."""

import os

import pytest

pytestmark = pytest.mark.spark


def test_the_session_catalog_folder_is_beside_the_warehouse_not_in_the_working_directory(spark, warehouse):
    # Listing the session catalog's default database creates its folder, as any statement that
    # reaches `spark_catalog` does.
    spark.sql("SHOW TABLES IN spark_catalog.default").collect()
    folder = spark.conf.get("spark.sql.warehouse.dir")
    assert folder.removeprefix("file:") == warehouse + "-spark-session"
    assert os.path.isdir(warehouse + "-spark-session")
    # Not a namespace of the Hadoop catalog: the Iceberg warehouse holds only databases.
    assert not os.path.exists(os.path.join(warehouse, "spark-warehouse"))


def test_a_view_keeps_the_plan_it_was_created_over(spark):
    """The runner's session keeps each temp view's analyzed plan (executor.SESSION_SETTINGS):
    a view is analyzed once, when a plan creates it, not again with every view under it at each
    read. So a view reads what the relations it names were when it was created: a plan creates
    every view after the relations it reads, each run anew. Without the setting this reads 2."""
    from datalake_glue.executor import SESSION_SETTINGS

    for statement in SESSION_SETTINGS:
        spark.sql(statement)
    spark.sql("CREATE OR REPLACE TEMP VIEW kept_plan_inner AS SELECT 1 AS x")
    spark.sql("CREATE OR REPLACE TEMP VIEW kept_plan_outer AS SELECT x FROM kept_plan_inner")
    spark.sql("CREATE OR REPLACE TEMP VIEW kept_plan_inner AS SELECT 2 AS x")
    assert [row.x for row in spark.sql("SELECT x FROM kept_plan_outer").collect()] == [1]
