"""Schema evolution of existing Iceberg tables: the pure decision (existing schema + plan columns
-> statements) and the run on the fake Spark (columns added before anything is written; a type
change fails the run before any table is touched)."""

import copy
import re

import pytest

from datalake_glue.schema_evolution import (
    SchemaChangeError,
    evolve_partitioning,
    evolve_schema,
    normalize_type,
    parse_describe,
    parse_partitioning,
)
from tests.fake_spark import FakeIO, FakeSpark
from tests.test_executor import BRANCH, PLACEMENT, load_plan, run, spark_for

SILVER = "glue_catalog.silver_db.orders"
SILVER_Q = "`glue_catalog`.`silver_db`.`orders`"
BRONZE_Q = "`glue_catalog`.`silver_db`.`bronze_orders`"


def table(*columns):
    return {"name": "t", "columns": [{"name": n, "type": t} for n, t in columns], "partitionBy": []}


def spark_columns(plan_table):
    from datalake_glue.tables import spark_type

    return [(c["name"], spark_type(c["type"]).lower()) for c in plan_table["columns"]]


def without(columns, *names):
    return [c for c in columns if c[0] not in names]


# -- parse_describe --------------------------------------------------------------------------
def test_describe_rows_end_at_the_partitioning_section():
    rows = [
        {"col_name": "order_id", "data_type": "bigint", "comment": None},
        {"col_name": "total_amount", "data_type": "decimal(12,2)", "comment": None},
        {"col_name": "order_year", "data_type": "int", "comment": None},
        {"col_name": "", "data_type": "", "comment": ""},
        {"col_name": "# Partitioning", "data_type": "", "comment": ""},
        {"col_name": "Part 0", "data_type": "order_year", "comment": ""},
    ]

    assert parse_describe(rows) == [("order_id", "bigint"), ("total_amount", "decimal(12,2)"), ("order_year", "int")]


def test_describe_of_an_unpartitioned_table_reads_every_row():
    rows = [{"col_name": "a", "data_type": "string"}, {"col_name": "b", "data_type": "bigint"}]

    assert parse_describe(rows) == [("a", "string"), ("b", "bigint")]


@pytest.mark.parametrize("text, expected", [
    ("STRING", "string"), ("INTEGER", "int"), ("long", "bigint"), ("DECIMAL(12, 2)", "decimal(12,2)"),
    (" timestamp ", "timestamp"),
])
def test_type_spellings_are_normalized(text, expected):
    assert normalize_type(text) == expected


# -- evolve_schema ---------------------------------------------------------------------------
def test_a_table_with_the_plans_columns_needs_nothing_whatever_the_spelling():
    plan_table = table(("id", "bigint"), ("Amount", "decimal(12,2)"), ("n", "int"))
    existing = [("id", "BIGINT"), ("amount", "decimal(12, 2)"), ("n", "integer")]

    evolution = evolve_schema("glue_catalog.db.t", "silver", existing, plan_table)

    assert evolution.statements == []
    assert evolution.write_columns == [("id", "bigint"), ("amount", "decimal(12,2)"), ("n", "int")]


def test_new_plan_columns_are_added_at_their_plan_position():
    plan_table = table(("first", "string"), ("id", "bigint"), ("channel", "string"),
                       ("score", "decimal(5,1)"), ("status", "string"), ("last", "date"))
    existing = [("id", "bigint"), ("status", "string")]

    evolution = evolve_schema("glue_catalog.db.t", "silver", existing, plan_table)

    quoted = "`glue_catalog`.`db`.`t`"
    assert evolution.statements == [
        f"ALTER TABLE {quoted} ADD COLUMN `first` STRING FIRST",
        f"ALTER TABLE {quoted} ADD COLUMN `channel` STRING AFTER `id`",
        f"ALTER TABLE {quoted} ADD COLUMN `score` DECIMAL(5,1) AFTER `channel`",
        f"ALTER TABLE {quoted} ADD COLUMN `last` DATE AFTER `status`",
    ]
    assert [name for name, _ in evolution.write_columns] == ["first", "id", "channel", "score", "status", "last"]
    assert evolution.select_list() == "`first`, `id`, `channel`, `score`, `status`, `last`"


def test_a_column_only_the_table_has_is_kept_and_written_as_null():
    plan_table = table(("id", "bigint"), ("status", "string"))
    existing = [("id", "bigint"), ("legacy_amount", "decimal(10,2)"), ("status", "string")]

    evolution = evolve_schema("glue_catalog.db.t", "silver", existing, plan_table)

    assert evolution.statements == []
    assert evolution.select_list() == "`id`, CAST(NULL AS decimal(10,2)) AS `legacy_amount`, `status`"


def test_a_type_change_is_an_error_naming_table_column_and_both_types():
    plan_table = table(("id", "bigint"), ("status", "int"), ("note", "string"))
    existing = [("id", "bigint"), ("status", "string")]

    with pytest.raises(SchemaChangeError) as caught:
        evolve_schema("glue_catalog.db.t", "silver", existing, plan_table)

    message = str(caught.value)
    assert message.startswith("silver table glue_catalog.db.t: the runner never changes a column's type")
    assert "column `status` is STRING in the table but INT in the plan" in message
    assert "not a widening" in message


def test_every_conflicting_column_is_named_and_widenings_get_the_iceberg_statement():
    plan_table = table(("id", "bigint"), ("amount", "decimal(14,2)"), ("flag", "boolean"))
    existing = [("id", "int"), ("amount", "decimal(12,2)"), ("flag", "string")]

    with pytest.raises(SchemaChangeError) as caught:
        evolve_schema("glue_catalog.db.t", "silver", existing, plan_table)

    lines = str(caught.value).split("\n")[1:]
    assert len(lines) == 3
    assert "ALTER TABLE `glue_catalog`.`db`.`t` ALTER COLUMN `id` TYPE BIGINT, then re-run" in lines[0]
    assert "ALTER COLUMN `amount` TYPE DECIMAL(14,2)" in lines[1]
    assert "`flag` is STRING in the table but BOOLEAN" in lines[2] and "not a widening" in lines[2]


def test_a_decimal_scale_change_is_not_a_widening():
    with pytest.raises(SchemaChangeError, match="not a widening"):
        evolve_schema("glue_catalog.db.t", "silver", [("a", "decimal(12,2)")], table(("a", "decimal(14,3)")))


def test_a_table_without_columns_is_refused():
    with pytest.raises(SchemaChangeError, match="no columns found"):
        evolve_schema("glue_catalog.db.t", "bronze", [], table(("a", "string")))


def test_statements_follow_sparks_add_column_grammar():
    # sqlglot (Debian) cannot parse ALTER TABLE ... ADD COLUMN; check the shape Spark 3.5 accepts:
    # ALTER TABLE ident ADD COLUMN col type [FIRST | AFTER col]
    plan = load_plan()
    existing = without(spark_columns(plan["tables"]["silver"]), "status", "order_id")

    evolution = evolve_schema(SILVER, "silver", existing, plan["tables"]["silver"])

    grammar = re.compile(r"^ALTER TABLE (`\w+`\.){2}`\w+` ADD COLUMN `\w+` [A-Z]+(\(\d+,\d+\))? (FIRST|AFTER `\w+`)$")
    assert len(evolution.statements) == 2
    assert all(grammar.match(s) for s in evolution.statements), evolution.statements


# -- on the fake Spark -----------------------------------------------------------------------
def older_tables(plan, **dropped):
    """Tables as an older spec created them: the plan's columns minus `dropped[role]`."""
    tables = {}
    for role, names in dropped.items():
        identifier = "`" + "`.`".join(PLACEMENT.identifier(role, plan["tables"][role]).split(".")) + "`"
        tables[identifier] = without(spark_columns(plan["tables"][role]), *names)
    return tables


def test_a_run_adds_the_missing_columns_before_opening_branches_and_writes_in_table_order():
    plan = load_plan()
    spark, io = spark_for(plan)
    spark.tables.update(older_tables(plan, silver=["status"], bronze=["status"], state=["status"]))

    result = run(plan, spark, io)

    assert result.error is None, result.error
    statements = spark.statements
    alters = [i for i, s in enumerate(statements) if s.startswith("ALTER TABLE") and "ADD COLUMN" in s]
    assert [statements[i] for i in alters] == [
        f"ALTER TABLE {BRONZE_Q} ADD COLUMN `status` STRING AFTER `order_ts`",
        "ALTER TABLE `glue_catalog`.`silver_db`.`state_orders` ADD COLUMN `status` STRING AFTER `order_ts`",
        f"ALTER TABLE {SILVER_Q} ADD COLUMN `status` STRING AFTER `order_ts`",
    ]
    first_branch = next(i for i, s in enumerate(statements) if "CREATE BRANCH" in s)
    last_describe = max(i for i, s in enumerate(statements) if s.startswith("DESCRIBE TABLE"))
    assert last_describe < min(alters) and max(alters) < first_branch
    # The evolved tables read like fresh ones, and the writes list every column in that order.
    assert spark.tables[SILVER_Q] == spark_columns(plan["tables"]["silver"])
    silver_write = next(s for s in statements if s.startswith(f"MERGE INTO {SILVER_Q}"))
    names = [c["name"] for c in plan["tables"]["silver"]["columns"]]
    assert silver_write.endswith(f"INSERT ({', '.join(f'`{n}`' for n in names)}) "
                                 f"VALUES ({', '.join(f's.`{n}`' for n in names)})")


def test_a_second_run_after_evolution_alters_nothing():
    plan = load_plan()
    spark, io = spark_for(plan)
    spark.tables.update(older_tables(plan, silver=["status"]))
    run(plan, spark, io)
    evolved = copy.deepcopy(spark.tables)

    again, again_io = spark_for(plan)
    again.tables = evolved
    result = run(plan, again, again_io)

    assert result.error is None
    assert not any(s.startswith("ALTER TABLE") and "ADD COLUMN" in s for s in again.statements)


def test_a_type_change_fails_the_run_before_any_table_is_altered_or_written():
    plan = load_plan()
    spark, io = spark_for(plan)
    silver = spark_columns(plan["tables"]["silver"])
    spark.tables.update(older_tables(plan, bronze=["status"]))
    spark.tables[SILVER_Q] = [(n, "string" if n == "total_amount" else t) for n, t in silver]

    result = run(plan, spark, io)

    assert result.error.startswith(f"SchemaChangeError: silver table {SILVER}: ")
    assert "`total_amount` is STRING in the table but DECIMAL(12,2) in the plan" in result.error
    statements = spark.statements
    assert not any(s.startswith("ALTER TABLE") and "ADD COLUMN" in s for s in statements)
    assert not any(s.startswith("INSERT") or f"CREATE BRANCH `{BRANCH}`" in s for s in statements)
    assert result.published is None


def test_a_column_dropped_from_the_spec_stays_in_the_table_and_gets_nulls():
    plan = load_plan()
    spark = FakeSpark(spark_for(plan)[0].responses)
    io = FakeIO(spark.log)
    silver = spark_columns(plan["tables"]["silver"])
    spark.tables[SILVER_Q] = silver[:4] + [("discount", "decimal(12,2)")] + silver[4:]

    result = run(plan, spark, io)

    assert result.error is None, result.error
    write = next(s for s in spark.statements if s.startswith(f"MERGE INTO {SILVER_Q}"))
    assert "`status`, `discount`, `total_amount`" in write
    assert "s.`status`, CAST(NULL AS decimal(12,2)), s.`total_amount`" in write


# -- partition evolution ---------------------------------------------------------------------
def describe_rows(*fields, spark="3.5"):
    """DESCRIBE TABLE rows of an Iceberg table partitioned by `fields`, as Spark prints them."""
    rows = [{"col_name": "order_id", "data_type": "bigint"}, {"col_name": "order_year", "data_type": "int"}]
    identity = all("(" not in f for f in fields)
    if spark == "3.3":
        rows += [{"col_name": "", "data_type": ""}, {"col_name": "# Partitioning", "data_type": ""}]
        rows += [{"col_name": f"Part {i}", "data_type": f} for i, f in enumerate(fields)] or [
            {"col_name": "Not partitioned", "data_type": ""}]
    elif fields and identity:
        rows += [{"col_name": "# Partition Information", "data_type": ""},
                 {"col_name": "# col_name", "data_type": "data_type"}]
        rows += [{"col_name": f, "data_type": "int"} for f in fields]
    elif fields:
        rows += [{"col_name": "", "data_type": ""}, {"col_name": "# Partitioning", "data_type": ""}]
        rows += [{"col_name": f"Part {i}", "data_type": f} for i, f in enumerate(fields)]
    return rows + [{"col_name": "", "data_type": ""}, {"col_name": "# Metadata Columns", "data_type": ""},
                   {"col_name": "_spec_id", "data_type": "int"}]


def test_partitioning_is_read_in_every_format_spark_prints():
    for spark in ("3.5", "3.3"):
        assert parse_partitioning(describe_rows("order_year", "order_month", spark=spark)) == ["order_year", "order_month"]
        assert parse_partitioning(describe_rows("years(order_ts)", "order_month", spark=spark)) == ["years(order_ts)", "order_month"]
        assert parse_partitioning(describe_rows(spark=spark)) == []
    # The schema block still ends where the partition section starts.
    assert parse_describe(describe_rows("order_year")) == [("order_id", "bigint"), ("order_year", "int")]


def test_the_plans_partitioning_needs_nothing_and_unknown_partitioning_is_left_alone():
    assert evolve_partitioning(SILVER, ["order_year", "`order_month`"], ["order_year", "order_month"]) == []
    assert evolve_partitioning(SILVER, ["order_month", "order_year"], ["order_year", "order_month"]) == []
    assert evolve_partitioning(SILVER, None, ["order_year"]) == []


def test_changed_partition_fields_are_dropped_then_added():
    statements = evolve_partitioning(SILVER, ["order_year", "years(order_ts)"], ["order_year", "order_month"])

    assert statements == [
        f"ALTER TABLE {SILVER_Q} DROP PARTITION FIELD years(order_ts)",
        f"ALTER TABLE {SILVER_Q} ADD PARTITION FIELD `order_month`",
    ]
    # Iceberg's grammar (IcebergSqlExtensions.g4): ALTER TABLE ident (ADD | DROP) PARTITION FIELD transform
    grammar = re.compile(r"^ALTER TABLE (`\w+`\.){2}`\w+` (ADD|DROP) PARTITION FIELD (`\w+`|\w+\(\w+\))$")
    assert all(grammar.match(s) for s in statements), statements


def test_a_table_created_unpartitioned_gets_the_specs_partition_fields():
    plan = load_plan()
    spark, io = spark_for(plan)
    spark.partitions[SILVER_Q] = []

    assert run(plan, spark, io).error is None
    assert [s for s in spark.statements if " PARTITION FIELD " in s] == [
        f"ALTER TABLE {SILVER_Q} ADD PARTITION FIELD `order_year`",
        f"ALTER TABLE {SILVER_Q} ADD PARTITION FIELD `order_month`",
    ]


def test_a_spec_whose_partitioning_changed_evolves_the_table_before_branches_and_only_once():
    plan = load_plan()
    spark, io = spark_for(plan)
    spark.partitions[SILVER_Q] = ["order_month", "status"]  # as an older spec created silver

    result = run(plan, spark, io)

    assert result.error is None, result.error
    statements = spark.statements
    evolved = [i for i, s in enumerate(statements) if " PARTITION FIELD " in s]
    assert [statements[i] for i in evolved] == [
        f"ALTER TABLE {SILVER_Q} DROP PARTITION FIELD `status`",
        f"ALTER TABLE {SILVER_Q} ADD PARTITION FIELD `order_year`",
    ]
    assert max(evolved) < next(i for i, s in enumerate(statements) if "CREATE BRANCH" in s)
    assert spark.partitions[SILVER_Q] == ["order_month", "order_year"]

    again, again_io = spark_for(plan)
    again.tables, again.partitions = copy.deepcopy(spark.tables), copy.deepcopy(spark.partitions)
    assert run(plan, again, again_io).error is None
    assert not any(" PARTITION FIELD " in s for s in again.statements)
