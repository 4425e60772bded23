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


def create_table_sql(identifier: str, table: Dict[str, Any], location: Optional[str] = None) -> str:
    """Idempotent Iceberg DDL (format v2); a table infra already created is left as it is."""
    columns = ", ".join(f"`{c['name']}` {spark_type(c['type'])}" for c in table["columns"])
    statement = f"CREATE TABLE IF NOT EXISTS {quote_identifier(identifier)} ({columns}) USING iceberg"
    if table["partitionBy"]:
        statement += " PARTITIONED BY (" + ", ".join(f"`{p}`" for p in table["partitionBy"]) + ")"
    if location:
        statement += f" LOCATION '{location}'"
    return statement + " TBLPROPERTIES ('format-version'='2')"


def column_list(table: Dict[str, Any]) -> str:
    return ", ".join(f"`{c['name']}`" for c in table["columns"])
