"""The model job's plan artifact: a ModelPlan (engine/models/plan.ts) compiled for Spark, plus the
tables its dataset inputs read (engine/spark/model-artifact.ts writes it). Checked here, so a
wrong artifact fails in one line before Spark does anything (pure).

  { "model", "kind", "dialect": "spark", "inputs", "steps", "output", "columns",
    "audits": [{"name", "sql", "sqlWhole"?, "description"}] (sqlWhole: for a table written whole),
    "partitionBy": {"column"} | null, "recomputed"?, "fingerprint"?,
    "delta"?: {"rows", "keys", "keyColumns"} (an incremental build's change of the table),
    "totals"?: SQL of one row the audits compare, with `staged_rows` (registered as audit_totals),
    "tables": { "<relation>": {"name": "bronze_customers", "columns": [{"name", "type"}]} },
    "ledgers": { "<dataset>": "files_customers" },
    "sources"?: [{"dataset", "silverTable", "loadPlan"}] (every dataset read: source_specs.py) }

`tables` names the Iceberg table of every bronze / files / silver input (a dataset's silver table
is named by its spec, not after the dataset) and its columns (an input whose table does not
exist yet, a dataset never loaded, reads as empty with them, as on DuckDB). `ledgers` names the
files ledger of every dataset those inputs read: its publishing marker tells the build that a load
is mid-publish (model_pin.py).
"""

from __future__ import annotations

from typing import Any, Dict, List

from .tables import spark_type

DATASET_ZONES = ("bronze", "files", "silver")
ZONES = DATASET_ZONES + ("pii_key", "semantic", "file", "consumed", "runs", "semantic_before", "semantic_after")
KINDS = ("date", "dimension", "fact")


class ModelPlanError(ValueError):
    """The plan artifact cannot be run; the message names the artifact and the field."""


def parse_model_plan(doc: Any, *, source: str, model: str) -> Dict[str, Any]:
    def fail(message: str) -> None:
        raise ModelPlanError(f"model plan {source}: {message}")

    if not isinstance(doc, dict):
        fail("is not a JSON object")
    for key, kind in (("model", str), ("kind", str), ("dialect", str), ("inputs", list), ("steps", list),
                      ("output", str), ("columns", list), ("audits", list)):
        if not isinstance(doc.get(key), kind):
            fail(f"field {key} must be a {kind.__name__}")
    if doc["model"] != model:
        fail(f"is for model {doc['model']}, the job builds {model}")
    if doc["dialect"] != "spark":
        fail(f"is compiled for {doc['dialect']}, the Glue job runs spark plans")
    if doc["kind"] not in KINDS:
        fail(f"kind {doc['kind']!r} is not one of {', '.join(KINDS)}")
    if not doc["columns"]:
        fail("has no columns")
    for column in doc["columns"]:
        try:
            spark_type(column["type"])
        except (KeyError, TypeError, ValueError) as error:
            fail(f"column {column!r}: {error}")
    tables = doc.get("tables") or {}
    ledgers = doc.get("ledgers") or {}
    for item in doc["inputs"]:
        zone, relation = item.get("zone"), item.get("relation")
        if zone not in ZONES or not relation:
            fail(f"input {item!r} has no relation or an unknown zone")
        if zone in DATASET_ZONES and not (isinstance(tables.get(relation), dict) and tables[relation].get("name")):
            fail(f"input {relation} ({zone} of {item.get('dataset')}) has no entry in tables")
        if zone in DATASET_ZONES and not isinstance(ledgers.get(item.get("dataset")), str):
            fail(f"input {relation} ({zone} of {item.get('dataset')}) has no entry in ledgers")
        if zone in ("semantic", "semantic_before", "semantic_after") and not item.get("model"):
            fail(f"input {relation} names no model")
        if zone == "file" and not item.get("path"):
            fail(f"input {relation} names no path")
    for step in doc["steps"]:
        if not step.get("name") or not step.get("sql") or step.get("materialize") not in ("view", "table"):
            fail(f"step {step.get('name')!r} needs name, sql and materialize view|table")
    names: List[str] = [s["name"] for s in doc["steps"]] + [i["relation"] for i in doc["inputs"]]
    if doc["output"] not in names:
        fail(f"output {doc['output']} is neither a step nor an input")
    for audit in doc["audits"]:
        if not audit.get("name") or not audit.get("sql"):
            fail(f"audit {audit!r} needs name and sql")
        if "sqlWhole" in audit and not (isinstance(audit["sqlWhole"], str) and audit["sqlWhole"].strip()):
            fail(f"audit {audit['name']}: sqlWhole must be a SELECT (SQL text)")
    columns = [c["name"] for c in doc["columns"]]
    partition = doc.get("partitionBy")
    if partition and partition.get("column") not in columns:
        fail(f"partitionBy column {partition.get('column')!r} is not one of the columns")
    delta = doc.get("delta")
    if delta is not None:
        keys = delta.get("keyColumns") if isinstance(delta, dict) else None
        if not (isinstance(delta, dict) and isinstance(delta.get("rows"), str) and isinstance(delta.get("keys"), str)
                and isinstance(keys, list) and keys and all(k in columns for k in keys)):
            fail("delta needs rows and keys (SQL) and keyColumns (columns of the table)")
    for read in doc.get("sources") or []:
        if not (isinstance(read, dict) and all(isinstance(read.get(k), str) and read[k] for k in ("dataset", "silverTable", "loadPlan"))):
            fail(f"source {read!r} needs dataset, silverTable and loadPlan")
    if "totals" in doc and not (isinstance(doc["totals"], str) and doc["totals"].strip()):
        fail("totals must be a SELECT (SQL text)")
    return dict(doc, tables=tables, ledgers=ledgers)
