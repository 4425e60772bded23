"""Where each table role of a plan lives in the Glue Data Catalog, and its Iceberg DDL (pure).

Roles -> databases (names from the job arguments):
  silver                  -> --catalog_database (reader-facing; Lake Formation grants per table)
  quarantine, rejects     -> --quarantine_database
  bronze, files, state    -> --bronze_database when given, else --catalog_database, with an
                             explicit LOCATION under --bronze_path (the bronze bucket), so the
                             replayable history sits in the bronze zone whatever the database.
Silver and quarantine tables take their location from the database's LocationUri (set by infra)
or, failing that, from the catalog warehouse (--warehouse_path).
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from .constants import CATALOG_NAME
from .s3_uri import join_storage
from .wap import quote_identifier

BRONZE_ZONE_ROLES = ("bronze", "files", "state")
QUARANTINE_ZONE_ROLES = ("quarantine", "rejects")

_SIMPLE_TYPES = {
    "string": "STRING",
    "int": "INT",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")


def spark_type(plan_type: str) -> str:
    match = _DECIMAL.match(plan_type)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    if plan_type not in _SIMPLE_TYPES:
        raise ValueError(f"no Spark type for plan column type {plan_type!r}")
    return _SIMPLE_TYPES[plan_type]


def database_for(role: str, *, catalog_database: str, quarantine_database: str,
                 bronze_database: Optional[str] = None) -> str:
    if role in QUARANTINE_ZONE_ROLES:
        return quarantine_database
    if role in BRONZE_ZONE_ROLES:
        return bronze_database or catalog_database
    return catalog_database


def table_identifier(role: str, table: Dict[str, Any], **databases: Any) -> str:
    """Unquoted `glue_catalog.<db>.<name>` of a role's table."""
    return f"{CATALOG_NAME}.{database_for(role, **databases)}.{table['name']}"


def table_location(role: str, table: Dict[str, Any], bronze_path: str) -> Optional[str]:
    return join_storage(bronze_path, table["name"]) if role in BRONZE_ZONE_ROLES else None


#: Tables an incremental run changes per key (plan.ts MergeStep).
MERGED_ROLES = ("state", "silver", "quarantine")
#: How their row-level changes are written: merge-on-read adds delete files and new rows, so a
#: batch writes what it changes, not the data files its keys happen to sit in (with keys spread
#: over every file, copy-on-write rewrites the whole table). bench/spark.bench.ts measures both.
#: Readers (Athena, Spark, DuckDB's iceberg_scan) apply the deletes.
ROW_LEVEL_WRITE_MODE = "merge-on-read"
ROW_LEVEL_PROPERTIES = {f"write.{op}.mode": ROW_LEVEL_WRITE_MODE for op in ("delete", "update", "merge")}


#: A semantic model's table (model_executor.py): an incremental build deletes its keys' rows too.
MODEL_ROLE = "model"


def table_properties(role: str) -> Dict[str, str]:
    """Properties a table gets when the runner creates it (infra-created tables get them from the
    runner's first run, see missing_properties)."""
    properties = {"format-version": "2"}
    if role in MERGED_ROLES or role == MODEL_ROLE:
        properties.update(ROW_LEVEL_PROPERTIES)
    return properties


def properties_clause(properties: Dict[str, str]) -> str:
    return "TBLPROPERTIES (" + ", ".join(f"'{k}'='{v}'" for k, v in properties.items()) + ")"


def missing_properties(role: str, current: Dict[str, str]) -> Dict[str, str]:
    """The runner's properties a table lacks; a value someone set on purpose is left alone."""
    return {k: v for k, v in table_properties(role).items() if k not in current and k != "format-version"}


def set_properties_sql(identifier: str, properties: Dict[str, str]) -> str:
    pairs = ", ".join(f"'{k}'='{v}'" for k, v in sorted(properties.items()))
    return f"ALTER TABLE {quote_identifier(identifier)} SET TBLPROPERTIES ({pairs})"


def create_table_sql(identifier: str, table: Dict[str, Any], location: Optional[str] = None) -> str:
    """Idempotent Iceberg DDL (format v2); a table infra already created is left as it is."""
    columns = ", ".join(f"`{c['name']}` {spark_type(c['type'])}" for c in table["columns"])
    statement = f"CREATE TABLE IF NOT EXISTS {quote_identifier(identifier)} ({columns}) USING iceberg"
    if table["partitionBy"]:
        statement += " PARTITIONED BY (" + ", ".join(f"`{p}`" for p in table["partitionBy"]) + ")"
    if location:
        statement += f" LOCATION '{location}'"
    return f"{statement} {properties_clause(table_properties(table['role']))}"


def column_list(table: Dict[str, Any]) -> str:
    return ", ".join(f"`{c['name']}`" for c in table["columns"])
