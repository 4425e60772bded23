"""The load plan (engine/plan.ts) as the Glue runner reads it: parsing, validation, step selection.

The plan is compiled once per dataset by the TypeScript engine (dialect "spark") and uploaded by
the Pulumi program to --plan_uri; the runner never re-derives anything from the dataset spec.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Sequence

PLAN_VERSION = 1
ROLES = ("bronze", "files", "state", "silver", "quarantine", "rejects")
RUN_MODES = ("incremental", "full_refresh")
STEP_KINDS = ("read_files", "read_table", "sql", "stage", "merge", "pii_key", "refresh_check")
#: Tables a merge step may change per key (plan.ts MergeStep).
MERGE_ROLES = ("state", "silver", "quarantine")

#: Lineage columns appended to bronze/state/rejects/quarantine rows (plan.ts BRONZE_LINEAGE).
BRONZE_LINEAGE = (
    ("_op", "string"),
    ("_source_key", "string"),
    ("_source_version", "string"),
    ("_file_id", "string"),
    ("_row_number", "bigint"),
    ("_run_id", "string"),
    ("_data_date", "string"),
)
#: Columns of the `files` ledger and of read_files' filesOutput (plan.ts FILES_COLUMNS).
FILES_COLUMNS = (
    ("_file_id", "string"),
    ("_source_key", "string"),
    ("_source_version", "string"),
    ("_run_id", "string"),
    ("_data_date", "string"),
    ("_rows_read", "bigint"),
    ("_received_at", "string"),
    ("_sequencer", "string"),
)
REASONS_COLUMN = "_reasons"
REASON_SEPARATOR = ";"

#: Columns of the summary `counts` query (plan.ts SummaryQueries), mapped to RunSummary counts.
SUMMARY_COUNT_COLUMNS = {
    "rows_read": "rowsRead",
    "bronze_rows": "bronzeRows",
    "rejected_rows": "rejectedRows",
    "changes_applied": "changesApplied",
    "state_keys": "stateKeys",
    "current_rows": "currentRows",
    "silver_rows": "silverRows",
    "quarantine_rows": "quarantineRows",
}


class PlanError(ValueError):
    """The plan JSON is not a plan this runner can execute (names the field)."""


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise PlanError(f"{where}: {message}")


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_plan(data: Any, source: str = "<plan>", *, dataset: str | None = None) -> Dict[str, Any]:
    """Validate a decoded plan; raise PlanError naming the first bad field."""
    _require(isinstance(data, dict), source, "plan must be a JSON object")
    _require(data.get("planVersion") == PLAN_VERSION, source,
             f"planVersion must be {PLAN_VERSION}, got {data.get('planVersion')!r}")
    _require(data.get("dialect") == "spark", source,
             f"dialect must be 'spark' (compilePlan(spec, {{ dialect: 'spark' }})), got {data.get('dialect')!r}")
    _require(_is_text(data.get("dataset")), source, "dataset must be a non-empty string")
    _require(_is_text(data.get("fingerprint")), source, "fingerprint must be a non-empty string")
    if dataset is not None:
        _require(data["dataset"] == dataset, source,
                 f"plan is for dataset {data['dataset']!r}, job runs {dataset!r}")
    modes = data.get("modes")
    _require(isinstance(modes, list) and bool(modes) and all(m in RUN_MODES for m in modes),
             source, f"modes must be a non-empty subset of {list(RUN_MODES)}")
    _validate_source(data.get("source"), f"{source}: source")
    _validate_tables(data.get("tables"), f"{source}: tables")
    steps = data.get("steps")
    _require(isinstance(steps, list) and bool(steps), source, "steps must be a non-empty array")
    for index, step in enumerate(steps):
        _validate_step(step, f"{source}: steps[{index}]")
        if step["kind"] == "refresh_check":
            # The run so far must be what a full refresh runs (plan.ts RefreshCheckStep).
            _require(all(s.get("when") is None for s in steps[:index]), f"{source}: steps[{index}]",
                     "a refresh_check may follow only steps of both modes (no `when`)")
    audits = data.get("audits")
    _require(isinstance(audits, list) and bool(audits), source,
             "audits must be a non-empty array (nothing is published unaudited)")
    names = set()
    for index, audit in enumerate(audits):
        where = f"{source}: audits[{index}]"
        _require(isinstance(audit, dict) and _is_text(audit.get("name")) and _is_text(audit.get("sql")),
                 where, "needs a name and sql")
        _require(audit["name"] not in names, where, f"duplicate audit name {audit['name']!r}")
        names.add(audit["name"])
    summary = data.get("summary")
    _require(isinstance(summary, dict) and _is_text(summary.get("counts")) and _is_text(summary.get("files")),
             source, "summary needs counts and files queries")
    publish = data.get("publish")
    _require(isinstance(publish, dict) and isinstance(publish.get("order"), list), source,
             "publish.order must be an array of table roles")
    order = publish["order"]
    _require(all(role in ROLES for role in order) and len(set(order)) == len(order), source,
             f"publish.order must list distinct roles of {list(ROLES)}, got {order!r}")
    for mode in modes:
        _validate_flow(data, mode, source)
    return data


def _validate_source(source: Any, where: str) -> None:
    _require(isinstance(source, dict), where, "must be an object")
    _require(source.get("format") in ("csv", "jsonl", "parquet", "dms"), where, "format must be csv, jsonl, parquet or dms")
    csv = source.get("csv")
    _require(isinstance(csv, dict) and all(isinstance(csv.get(k), str) for k in ("delimiter", "quote", "nullValue")),
             where, "csv needs delimiter, quote and nullValue strings")
    _require(len(csv["delimiter"]) == 1 and len(csv["quote"]) == 1, where,
             "csv delimiter and quote must be one character each")
    # Absent in plans compiled before headerless files were read: those read a header.
    _require(csv.get("header", "present") in ("present", "absent", "auto"), where, "csv.header must be present, absent or auto")
    dms = source.get("dms")
    _require(dms is None or (isinstance(dms, dict) and dms.get("partialImages") in ("keep_previous", "as_written")),
             where, "dms must be null or an object with partialImages")
    _require((dms is not None) == (source["format"] == "dms"), where, "dms options go with format dms only")
    columns = source.get("columns")
    _require(isinstance(columns, list) and bool(columns), where, "columns must be a non-empty array")
    for index, column in enumerate(columns):
        _require(isinstance(column, dict) and _is_text(column.get("name")) and _is_text(column.get("type"))
                 and isinstance(column.get("optional"), bool), f"{where}.columns[{index}]",
                 "needs name, type and optional")
    _require(source.get("opColumn") is None or _is_text(source.get("opColumn")), where,
             "opColumn must be a string or null")
    names = {c["name"] for c in columns}
    for field in ("primaryKey", "sequenceColumns"):
        values = source.get(field)
        _require(isinstance(values, list) and all(v in names for v in values), where,
                 f"{field} must list spec columns")
    _require(bool(source["primaryKey"]), where, "primaryKey must not be empty")


def _validate_tables(tables: Any, where: str) -> None:
    _require(isinstance(tables, dict), where, "must be an object keyed by role")
    for role in ROLES:
        table = tables.get(role)
        at = f"{where}.{role}"
        _require(isinstance(table, dict), at, "is missing")
        _require(table.get("role") == role, at, f"role must be {role!r}")
        _require(_is_text(table.get("name")), at, "name must be a non-empty string")
        columns = table.get("columns")
        _require(isinstance(columns, list) and bool(columns), at, "columns must be a non-empty array")
        names = [c.get("name") for c in columns if isinstance(c, dict)]
        _require(len(names) == len(columns) and all(_is_text(n) for n in names)
                 and all(_is_text(c.get("type")) for c in columns), at, "every column needs name and type")
        _require(len(set(names)) == len(names), at, "column names must be unique")
        partition = table.get("partitionBy")
        _require(isinstance(partition, list) and all(p in names for p in partition), at,
                 "partitionBy must list columns of the table")
        _require(table.get("writeMode") in ("append", "replace"), at, "writeMode must be append or replace")


_STEP_FIELDS = {
    "read_files": ("output", "filesOutput"),
    "read_table": ("output",),
    "sql": ("name", "sql"),
    "stage": ("from", "output"),
    "merge": ("from", "output", "written"),
    "pii_key": ("output",),
    "refresh_check": ("sql", "reason"),
}


def _validate_step(step: Any, where: str) -> None:
    _require(isinstance(step, dict), where, "must be an object")
    kind = step.get("kind")
    _require(kind in STEP_KINDS, where, f"kind must be one of {list(STEP_KINDS)}, got {kind!r}")
    for field in _STEP_FIELDS[kind]:
        _require(_is_text(step.get(field)), where, f"{kind} step needs {field}")
    _require(step.get("when") in (None,) + RUN_MODES, where, f"when must be one of {list(RUN_MODES)}")
    if kind == "read_table":
        _require(step.get("table") in ("state", "bronze", "files", "rejects"), where,
                 "read_table reads state, bronze, files or rejects")
    if kind == "stage":
        _require(step.get("table") in ROLES, where, f"stage table must be a role of {list(ROLES)}")
        _require(step.get("written") is None or (_is_text(step["written"]) and step["table"] in MERGE_ROLES),
                 where, f"stage `written` must name a relation, for a table of {list(MERGE_ROLES)}")
    if kind == "sql":
        _require(step.get("materialize") in ("table", "view"), where, "materialize must be table or view")
    if kind == "refresh_check":
        _require(step.get("when") == "incremental", where, "a refresh_check runs only when incremental")
    if kind == "merge":
        _require(step.get("table") in MERGE_ROLES, where, f"merge table must be one of {list(MERGE_ROLES)}")
        on = step.get("on")
        _require(isinstance(on, list) and bool(on) and all(
            isinstance(o, dict) and _is_text(o.get("target")) and _is_text(o.get("source")) for o in on),
            where, "merge needs `on`: a non-empty array of {target, source}")
        _require(step.get("delete") is None or _is_text(step.get("delete")), where,
                 "merge delete must name a column")


def relation_names(step: Dict[str, Any]) -> List[str]:
    """Relations a step registers."""
    if step["kind"] == "read_files":
        return [step["output"], step["filesOutput"]]
    if step["kind"] == "sql":
        return [step["name"]]
    if step["kind"] == "refresh_check":
        return []
    return [step["output"]] + ([step["written"]] if step.get("written") else [])


def _validate_flow(plan: Dict[str, Any], mode: str, source: str) -> None:
    """Per mode: relations are unique and defined before a stage reads them; every staged table
    is published and every published table is staged exactly once."""
    defined: set = set()
    staged: List[str] = []
    for step in steps_for(plan, mode):
        if step["kind"] in ("stage", "merge"):
            _require(step["from"] in defined, source,
                     f"{mode}: {step['kind']} of {step['table']} reads {step['from']!r} before it is defined")
            staged.append(step["table"])
        for name in relation_names(step):
            _require(name not in defined, source, f"{mode}: relation {name!r} is defined twice")
            defined.add(name)
    _require(len(set(staged)) == len(staged), source, f"{mode}: a table is staged twice: {staged}")
    _require(sorted(staged) == sorted(plan["publish"]["order"]), source,
             f"{mode}: staged tables {sorted(staged)} differ from publish.order {sorted(plan['publish']['order'])}")


def steps_for(plan: Dict[str, Any], mode: str) -> List[Dict[str, Any]]:
    """Steps an executor runs for one mode, in order (plan.ts stepsFor)."""
    if mode not in plan["modes"]:
        raise PlanError(f"plan for {plan['dataset']} was compiled for {'+'.join(plan['modes'])}, not {mode}")
    return [s for s in plan["steps"] if s.get("when") in (None, mode)]


def steps_after_switch(plan: Dict[str, Any], ran: Sequence[Dict[str, Any]],
                       check: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The steps of a run a refresh_check switched to a full refresh: those it ran, up to and
    including `check`, then the plan's full-refresh steps after it (plan.ts stepsAfterSwitch)."""
    at = next((i for i, s in enumerate(plan["steps"]) if s is check), -1)
    done = next((i for i, s in enumerate(ran) if s is check), -1)
    if at < 0 or done < 0:
        raise PlanError(f"refresh_check of {plan['dataset']} is not a step of its plan")
    rest = [s for s in plan["steps"][at + 1:] if s.get("when") in (None, "full_refresh")]
    return list(ran[:done + 1]) + rest


def run_mode(full_refresh: bool) -> str:
    return "full_refresh" if full_refresh else "incremental"


def staged_roles(steps: Sequence[Dict[str, Any]]) -> List[str]:
    return [s["table"] for s in steps if s["kind"] in ("stage", "merge")]


def _sequence_type(plan: Dict[str, Any]) -> str | None:
    source = plan["source"]
    sequence = source["sequenceColumns"][:1]
    types = {column["name"]: column["type"] for column in source["columns"]}
    return types.get(sequence[0]) if sequence else None


def sequence_is_time(plan: Dict[str, Any]) -> bool:
    """Whether the latest sequence is a point in time, so the data has an age (the summary's
    dataAgeHours): only a date or a timestamp. An int sequence 20240102 read as a date here, and
    the DuckDB executor read 42 as the year 2042."""
    return _sequence_type(plan) in ("timestamp", "date")


def latest_sequence_text(plan: Dict[str, Any], value: Any) -> str | None:
    """The summary's latest sequence as the DuckDB executor writes it. A double's text in the
    plan SQL is Java's (1.0E-4, 1.23456785E7, 1.0E20) where DuckDB prints the shortest
    round-trip text (0.0001, 12345678.5, 1e+20), which Python's repr also prints; Java's text
    always reads back as the same double, so re-rendering it loses nothing. A decimal's is
    Java's BigDecimal text, scientific below 1E-6 (0E-10, 1.000E-7), where DuckDB prints it
    plain with its scale (0.0000000000, 0.0000001000)."""
    if value is None:
        return None
    kind = _sequence_type(plan) or ""
    if kind == "double":
        return repr(float(value))
    if kind.startswith("decimal"):
        return format(Decimal(str(value)), "f")
    return str(value)
