"""Bring an existing Iceberg table up to the plan's columns before a run writes it (pure).

Pulumi creates the catalog tables but never updates them (Glue UpdateTable drops the Iceberg
`metadata_location`: https://github.com/hashicorp/terraform-provider-aws/issues/33370,
https://github.com/pulumi/pulumi-aws/issues/4618), and `CREATE TABLE IF NOT EXISTS` leaves an
existing table as it is. So a spec that gains a column reaches the table only through here:

  - a plan column the table lacks   -> `ALTER TABLE ... ADD COLUMN` at the plan's position
                                       (nullable: rows written before read it as NULL);
  - a column whose type differs     -> SchemaChangeError naming every such column (never a
                                       silent cast; Iceberg's in-place widenings are suggested);
  - a table column the plan lacks   -> kept (dropping loses data; that is a human decision) and
                                       written as NULL;
  - partition fields that differ     -> `ALTER TABLE ... DROP / ADD PARTITION FIELD` (Iceberg
                                       partition evolution: metadata only; rows written from then
                                       on use the new spec, and replaced tables such as silver are
                                       rewritten whole every run).

Iceberg schema changes apply to the table, not to a WAP branch: an added nullable column is
visible on main at once, which every reader tolerates, and a failed run leaves it in place for
the next one (the decision is recomputed each run, so it is idempotent).
https://iceberg.apache.org/docs/latest/spark-ddl/#alter-table-add-column
https://iceberg.apache.org/docs/latest/spark-ddl/#alter-table-add-partition-field
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .tables import spark_type
from .wap import quote_identifier

Column = Tuple[str, str]  # (name, Spark type as DESCRIBE prints it)

# Spellings of one Spark type (DESCRIBE prints the short ones; DDL accepts both).
_SYNONYMS = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint",
             "real": "float", "bool": "boolean"}
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


class SchemaChangeError(ValueError):
    """The table holds a column with another type than the plan: the run must not write."""


@dataclass(frozen=True)
class SchemaEvolution:
    """What to run before writing, and the table's column order afterwards.

    `write_columns`: every table column in table order, with the plan's type, or None for a
    column only the table has (written as NULL of `table_types[name]`).
    """

    statements: List[str]
    write_columns: List[Tuple[str, Optional[str]]]
    table_types: Dict[str, str]

    def select_list(self) -> str:
        """SELECT list that writes a plan relation into the table by position."""
        items = []
        for name, plan_type in self.write_columns:
            if plan_type is None:
                items.append(f"CAST(NULL AS {self.table_types[name.lower()]}) AS `{name}`")
            else:
                items.append(f"`{name}`")
        return ", ".join(items)


def normalize_type(spark_text: str) -> str:
    """'DECIMAL(12, 2)' -> 'decimal(12,2)', 'INTEGER' -> 'int', 'long' -> 'bigint'."""
    compact = re.sub(r"\s+", "", spark_text.strip().lower())
    return _SYNONYMS.get(compact, compact)


def parse_describe(rows: Iterable[Mapping[str, Any]]) -> List[Column]:
    """Columns from `DESCRIBE TABLE` rows (col_name, data_type): the schema block ends at the
    first blank or '#' row (partitioning, metadata sections follow it)."""
    columns: List[Column] = []
    for row in rows:
        name = str(row.get("col_name") or "").strip()
        if not name or name.startswith("#"):
            break
        columns.append((name, str(row.get("data_type") or "").strip()))
    return columns


def parse_partitioning(rows: Iterable[Mapping[str, Any]]) -> List[str]:
    """Partition fields from `DESCRIBE TABLE` rows of a v2 (Iceberg) table, as Spark 3.4+ (Glue
    5.0) prints them (DescribeTableExec, SPARK-39552):
      - only identity fields: '# Partition Information', a '# col_name' header row, then one row
        per partition column (its name);
      - any other transform: '# Partitioning', then one 'Part <i>' row per field with the
        transform in data_type ('order_year', 'years(order_ts)');
      - not partitioned: no section at all (Spark 3.3 printed '# Partitioning' + 'Not
        partitioned', also read as none)."""
    fields: List[str] = []
    section = None
    for row in rows:
        name = str(row.get("col_name") or "").strip()
        if name in ("# Partition Information", "# Partitioning"):
            section = name
        elif section is None or name.startswith("# col_name"):
            continue
        elif not name or name.startswith("#"):
            break
        elif section == "# Partition Information":
            fields.append(name)
        elif name.startswith("Part "):
            fields.append(str(row.get("data_type") or "").strip())
    return fields


_PLAIN_FIELD = re.compile(r"^`?(\w+)`?$")


def evolve_partitioning(identifier: str, existing: Optional[Sequence[str]], partition_by: Sequence[str]) -> List[str]:
    """Statements that give the table the plan's identity partition fields `partition_by`: drop the
    fields the plan no longer has, then add the new ones (after their columns exist). Fields
    compare as a set: a new order of the same fields changes only the file layout, not what
    the table holds, and is left alone. `existing` None: unknown, nothing changes."""
    if existing is None:
        return []
    quoted = quote_identifier(identifier)
    # (field as DESCRIBE prints it, its column name when it is an identity field, else None)
    named = [(field, m.group(1) if (m := _PLAIN_FIELD.match(field)) else None) for field in existing]
    have = {name.lower() for _, name in named if name}
    wanted = {name.lower() for name in partition_by}
    statements = [f"ALTER TABLE {quoted} DROP PARTITION FIELD {f'`{name}`' if name else field}"
                  for field, name in named if name is None or name.lower() not in wanted]
    statements += [f"ALTER TABLE {quoted} ADD PARTITION FIELD `{name}`" for name in partition_by if name.lower() not in have]
    return statements


def _widening(table_type: str, plan_type: str) -> bool:
    """Type promotions Iceberg applies in place (ALTER COLUMN ... TYPE): int -> bigint,
    float -> double, decimal(P,S) -> decimal(P',S) with P' > P."""
    if (table_type, plan_type) in (("int", "bigint"), ("float", "double")):
        return True
    old, new = _DECIMAL.match(table_type), _DECIMAL.match(plan_type)
    return bool(old and new and old.group(2) == new.group(2) and int(new.group(1)) > int(old.group(1)))


def _type_error(identifier: str, role: str, conflicts: Sequence[Tuple[str, str, str]]) -> SchemaChangeError:
    lines = []
    for name, table_type, plan_type in conflicts:
        line = f"column `{name}` is {table_type.upper()} in the table but {plan_type.upper()} in the plan"
        if _widening(table_type, plan_type):
            line += (f"; Iceberg widens it in place: ALTER TABLE {quote_identifier(identifier)} "
                     f"ALTER COLUMN `{name}` TYPE {plan_type.upper()}, then re-run")
        else:
            line += "; not a widening Iceberg can apply: revert the spec, or add a new column instead"
        lines.append(line)
    return SchemaChangeError(
        f"{role} table {identifier}: the runner never changes a column's type (no silent cast):\n  "
        + "\n  ".join(lines)
    )


def evolve_schema(identifier: str, role: str, existing: Sequence[Column],
                  table: Mapping[str, Any], partitioning: Optional[Sequence[str]] = None) -> SchemaEvolution:
    """Decide the statements that give `identifier` (its columns `existing`, its partition fields
    `partitioning` when known) every column and the partitioning of the plan's table definition
    `table`; raise SchemaChangeError on a type change."""
    if not existing:
        raise SchemaChangeError(f"{role} table {identifier}: no columns found (DESCRIBE returned none)")
    order: List[List[Any]] = [[name, None] for name, _ in existing]  # [name, plan type or None]
    table_types = {name.lower(): normalize_type(kind) for name, kind in existing}
    conflicts: List[Tuple[str, str, str]] = []
    statements: List[str] = []
    previous: Optional[str] = None
    quoted = quote_identifier(identifier)
    for column in table["columns"]:
        name, plan_type = column["name"], normalize_type(spark_type(column["type"]))
        key = name.lower()
        if key in table_types:
            if table_types[key] != plan_type:
                conflicts.append((name, table_types[key], plan_type))
            order[_index(order, key)][1] = plan_type
        else:
            # At the plan's position (after the plan column before it, which exists by now), so
            # the table reads in plan order like a freshly created one.
            at = _index(order, previous) + 1 if previous is not None else 0
            where = f"AFTER `{order[at - 1][0]}`" if previous is not None else "FIRST"
            statements.append(f"ALTER TABLE {quoted} ADD COLUMN `{name}` {plan_type.upper()} {where}")
            order.insert(at, [name, plan_type])
            table_types[key] = plan_type
        previous = key
    if conflicts:
        raise _type_error(identifier, role, conflicts)
    statements.extend(evolve_partitioning(identifier, partitioning, table.get("partitionBy") or []))
    return SchemaEvolution(statements=statements,
                           write_columns=[(name, kind) for name, kind in order],
                           table_types=table_types)


def _index(order: List[List[Any]], key: str) -> int:
    return next(i for i, (name, _) in enumerate(order) if name.lower() == key)
