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
