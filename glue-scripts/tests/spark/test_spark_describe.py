"""What Spark 3.5.6 + Iceberg 1.10 print for DESCRIBE TABLE is what schema_evolution.parse_describe /
parse_partitioning read: identity partitions, no partitions, transform partitions; and the
partition evolution statements the runner derives from it run on real Iceberg."""

import pytest

from datalake_glue.schema_evolution import evolve_partitioning, parse_describe, parse_partitioning
from datalake_glue.tables import create_table_sql

pytestmark = pytest.mark.spark


def describe(lake, identifier):
    return [(r["col_name"], r["data_type"], r["comment"]) for r in lake.rows(f"DESCRIBE TABLE {identifier}")]


def as_rows(described):
    return [{"col_name": n, "data_type": t, "comment": c} for n, t, c in described]


@pytest.fixture(scope="module")
def lake(make_lake):
    return make_lake("describe")


def test_identity_partitions_print_a_partition_information_block(lake, orders_plan):
    table = orders_plan["tables"]["silver"]
    identifier = f"glue_catalog.{lake.silver_db}.identity_parts"
    lake.spark.sql(create_table_sql(identifier, table))

    described = describe(lake, identifier)

    columns = [(c["name"], c["type"]) for c in table["columns"]]
    assert described == [(name, kind, None) for name, kind in columns] + [
        ("# Partition Information", "", ""),
        ("# col_name", "data_type", "comment"),
        ("order_year", "int", None),
        ("order_month", "int", None),
    ]
    assert parse_describe(as_rows(described)) == columns
    assert parse_partitioning(as_rows(described)) == ["order_year", "order_month"]


def test_an_unpartitioned_table_prints_no_partition_section(lake, orders_plan):
    table = dict(orders_plan["tables"]["quarantine"])
    identifier = f"glue_catalog.{lake.quarantine_db}.no_parts"
    lake.spark.sql(create_table_sql(identifier, table))

    described = describe(lake, identifier)

    assert [name for name, _, _ in described] == [c["name"] for c in table["columns"]]
    assert parse_describe(as_rows(described)) == [(c["name"], c["type"]) for c in table["columns"]]
    assert parse_partitioning(as_rows(described)) == []


def test_transform_partitions_print_a_partitioning_block_and_evolve_to_identity_fields(lake):
    identifier = f"glue_catalog.{lake.silver_db}.transform_parts"
    lake.spark.sql(f"CREATE TABLE {identifier} (order_id BIGINT, order_ts TIMESTAMP, order_year INT, "
                   "order_month INT) USING iceberg PARTITIONED BY (days(order_ts), bucket(4, order_id), order_year) "
                   "TBLPROPERTIES ('format-version'='2')")

    described = describe(lake, identifier)

    assert described == [
        ("order_id", "bigint", None), ("order_ts", "timestamp", None), ("order_year", "int", None),
        ("order_month", "int", None),
        ("", "", ""),
        ("# Partitioning", "", ""),
        ("Part 0", "days(order_ts)", ""),
        ("Part 1", "bucket(4, order_id)", ""),
        ("Part 2", "order_year", ""),
    ]
    fields = parse_partitioning(as_rows(described))
    assert fields == ["days(order_ts)", "bucket(4, order_id)", "order_year"]
    assert parse_describe(as_rows(described)) == [("order_id", "bigint"), ("order_ts", "timestamp"),
                                                  ("order_year", "int"), ("order_month", "int")]

    # the runner's statements for a plan partitioned by (order_year, order_month) run as printed
    statements = evolve_partitioning(identifier, fields, ["order_year", "order_month"])
    quoted = "`glue_catalog`.`describe_silver`.`transform_parts`"
    assert statements == [f"ALTER TABLE {quoted} DROP PARTITION FIELD days(order_ts)",
                          f"ALTER TABLE {quoted} DROP PARTITION FIELD bucket(4, order_id)",
                          f"ALTER TABLE {quoted} ADD PARTITION FIELD `order_month`"]
    for statement in statements:
        lake.spark.sql(statement)
    evolved = as_rows(describe(lake, identifier))
    assert parse_partitioning(evolved) == ["order_year", "order_month"]
    assert [r["col_name"] for r in evolved][4:6] == ["# Partition Information", "# col_name"]
    assert evolve_partitioning(identifier, parse_partitioning(evolved), ["order_month", "order_year"]) == []
