"""Build one semantic model (a ModelPlan, engine/models/plan.ts) on Spark + Iceberg with
write-audit-publish on its own table; the twin of engine/duckdb/build-model.ts.

  1. the model's table `<semantic db>.<model>` exists with the plan's columns (created here the
     first time: Iceberg v2, partitioned by months(<partitionBy column>) for facts);
  2. inputs are registered under their relation names: bronze / files / silver tables of the
     load runner (the artifact's `tables`; a table not created yet reads as empty), each dataset's
     tables pinned first to one consistent snapshot each (model_pin.py: never half a load's
     publish, and never two snapshots of one table within a build), published
     models, `previous` = the model's own published table (empty on the first build and on a
     full refresh), `file` inputs (CSV, every column a string), the PII key pads when a step
     reads `pii_key`;
  3. steps in order: temp views, a `table` step materialized once (SparkIO.materialize: a local
     checkpoint, as the load executor does);
  4. the output is written to a WAP branch of the table: whole (INSERT OVERWRITE), or on an
     incremental build the plan's `delta` (its keys' rows deleted, the recomputed rows
     appended; the table is merge-on-read) unless the deltas since the last whole write are due
     for compaction (should_compact); the branch is registered as `staged`, the rows recomputed
     by an incremental build written as a delta (else `staged`) as `audited`, the plan's
     `totals` (if any) materialized as `audit_totals`, and every audit runs on them;
  5. all audits passed: fast-forward main to the branch; otherwise (or on any error) the branch
     is dropped and main, what readers see, is untouched.

Incremental plans (an input of zone `consumed`; engine/models/plan.ts header) build on main's
snapshot when its state (model_state.py: fingerprint, consumed bronze runs, model snapshots read,
silver load plans) exists, matches the plan's fingerprint, names snapshots still there and the
load plans of the silver snapshots pinned now (silver_plan.py); otherwise in full, saying why.
`consumed` is then registered from that state, `semantic_before` inputs as the snapshot of
their model read then (`VERSION AS OF`), `semantic_after` ones as the snapshot read now,
`previous` as main; the new state is saved under the branch's snapshot id before main is
fast-forwarded to it.

Like the load executor it talks to Spark through `spark.sql` and the `io` port only (tests use
tests/fake_spark.py).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Dict, List, Optional

from .audit_queries import run_audits
from .constants import CATALOG_NAME, WAP_BRANCH_PREFIX
from .compaction import should_compact
from .contracts import AuditResult
from .errors import error_text
from .executor import SESSION_SETTINGS, collect
from .model_pin import DatasetTables, datasets_read, pin_dataset, publishing_run
from .pii_key import hmac_pads
from .retention import expire_old_snapshots
from .s3_uri import join_storage
from .silver_plan import changed_silver_plan, plan_at, snapshots_sql
from .source_specs import source_spec_edit
from .spark_io import byte_size
from .tables import MODEL_ROLE, missing_properties, properties_clause, set_properties_sql, spark_type, table_properties
from .wap import (
    begin_statements,
    branch_identifier,
    branch_name,
    decide_publish,
    drop_branch_sql,
    fast_forward_sql,
    quote_identifier,
)

LOG = logging.getLogger("datalake_glue")

PREVIOUS_RELATION = "previous"
STAGED_RELATION = "staged"
AUDITED_RELATION = "audited"
AUDIT_TOTALS_RELATION = "audit_totals"
DELTA_KEYS_RELATION = "delta_keys"
PII_KEY_RELATION = "pii_key"

BROADCAST_THRESHOLD_KEY = "spark.sql.autoBroadcastJoinThreshold"
#: The broadcast threshold of a model build (bytes; a job set higher, or off, keeps its own). A
#: fact's as-of join reads a dimension's surrogate key, natural key and window, ~40 bytes a row:
#: at Spark's 10 MB default a 500,000-row dimension was joined by shuffling and sorting every fact
#: row of a full build (sort-merge join); broadcast, fact rows are joined where they are read.
#: Full fact_orders rebuild at 500,000 customers / 5,000,000 orders, local Spark: 24.3-25.3 s ->
#: 19.6 s (its rows 5.8 -> 3.4 s, its key audit 7.3 -> 4.2 s).
MODEL_BROADCAST_THRESHOLD = 64 * 1024 * 1024

CONSUMED_COLUMNS = [{"name": "relation", "type": "string"}, {"name": "run_id", "type": "string"}]


class ModelSchemaError(RuntimeError):
    """The model's published table has other columns than the plan (the spec changed)."""


@dataclass(frozen=True)
class ModelPlacement:
    semantic_database: str
    silver_database: str
    bronze_database: str
    #: Where `file` inputs are found (a storage URI); None: the plan's paths as they are.
    files_path: Optional[str] = None

    def dataset_table(self, zone: str, name: str) -> str:
        database = self.silver_database if zone == "silver" else self.bronze_database
        return f"{CATALOG_NAME}.{database}.{name}"

    def model_table(self, model: str) -> str:
        return f"{CATALOG_NAME}.{self.semantic_database}.{model}"


@dataclass
class ModelResult:
    audits: List[AuditResult] = field(default_factory=list)
    rows: Optional[int] = None
    #: The snapshot id main was fast-forwarded to (None: nothing published).
    version: Optional[str] = None
    #: main's snapshot id after the build (the old one when nothing was published).
    current_version: Optional[str] = None
    error: Optional[str] = None
    #: Incremental plans: "incremental" (on main's snapshot) or "full", and why full.
    mode: Optional[str] = None
    mode_reason: Optional[str] = None
    #: Rows of the plan's `recomputed` relation.
    recomputed_rows: Optional[int] = None


def empty_select(columns: List[Dict[str, str]]) -> str:
    cols = ", ".join(f"CAST(NULL AS {spark_type(c['type'])}) AS `{c['name']}`" for c in columns)
    return f"SELECT {cols} WHERE 1 = 0"


def column_select(columns: List[Dict[str, str]], present: Optional[Collection[str]] = None) -> str:
    """The plan's `columns`; those not in `present` (a snapshot written before the column was
    added) as typed NULLs, as DuckDB reads such files (build-model.ts projected)."""
    return ", ".join(f"`{c['name']}`" if present is None or c["name"] in present
                     else f"CAST(NULL AS {spark_type(c['type'])}) AS `{c['name']}`" for c in columns)


def create_model_table_sql(identifier: str, plan: Dict[str, Any]) -> str:
    """Idempotent DDL; facts are partitioned by month of their partition date (hidden
    partitioning: readers filter on the date column itself)."""
    columns = ", ".join(f"`{c['name']}` {spark_type(c['type'])}" for c in plan["columns"])
    statement = f"CREATE TABLE IF NOT EXISTS {quote_identifier(identifier)} ({columns}) USING iceberg"
    partition = plan.get("partitionBy")
    if partition:
        statement += f" PARTITIONED BY (months(`{partition['column']}`))"
    # Merge-on-read: an incremental build's delete of its keys' rows writes delete files instead
    # of rewriting every data file they sit in (tables.py ROW_LEVEL_WRITE_MODE).
    return f"{statement} {properties_clause(table_properties(MODEL_ROLE))}"


def sql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def consumed_select(consumed: Dict[str, List[str]]) -> str:
    """The `consumed` and `runs` relations: (relation, run_id) pairs, or no rows."""
    pairs = [f"({sql_string(relation)}, {sql_string(run)})" for relation, runs in sorted(consumed.items()) for run in runs]
    if not pairs:
        return empty_select(CONSUMED_COLUMNS)
    return f"SELECT * FROM VALUES {', '.join(pairs)} AS t(`relation`, `run_id`)"


def gone_runs(previous: Dict[str, List[str]], current: Dict[str, List[str]]) -> Optional[str]:
    """Why the previous build's consumed runs are not all still in bronze (None when they are);
    engine/duckdb/build-model.ts goneRuns says it the same way."""
    for relation, runs in previous.items():
        now = set(current.get(relation, []))
        gone = [r for r in runs if r not in now]
        if gone:
            shown = ", ".join(gone[:3]) + (", ..." if len(gone) > 3 else "")
            return f"{len(gone)} load run(s) it had read are gone from {relation} ({shown}: a rollback)"
    return None


def segments_of(state: Dict[str, Any]) -> Dict[str, Any]:
    """The state's record of the writes since the last whole one (baseRows, deltas, upserted). A
    state saved before the record existed counts from there: no base, so by deltas only."""
    record = state.get("segments") or {}
    return {"baseRows": record.get("baseRows"), "deltas": int(record.get("deltas") or 0),
            "upserted": int(record.get("upserted") or 0)}


def is_incremental(plan: Dict[str, Any]) -> bool:
    return any(i["zone"] == "consumed" for i in plan["inputs"])


def uses_pii_key(plan: Dict[str, Any]) -> bool:
    """A step reads the PII key pads (hashed columns), as engine/duckdb/build-model.ts decides."""
    word = re.compile(rf"\b{PII_KEY_RELATION}\b")
    return any(word.search(step["sql"]) for step in plan["steps"])


class ModelExecutor:
    def __init__(self, spark: Any, io: Any, plan: Dict[str, Any], placement: ModelPlacement, *,
                 run_id: str, full_refresh: bool = False, pii_key: Optional[bytes] = None,
                 state: Any = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.spark = spark
        self.io = io
        self.plan = plan
        self.placement = placement
        self.run_id = run_id
        self.full_refresh = full_refresh
        self.pii_key = pii_key
        self.table = placement.model_table(plan["model"])
        self.branch = branch_name(run_id)
        self.opened = False
        self._tables_in: Dict[str, List[str]] = {}
        #: model_state.S3ModelState (incremental plans need it); the base state, snapshots read.
        self.state = state
        self.base: Optional[Dict[str, Any]] = None
        self.read: Dict[str, str] = {}
        #: relation -> the snapshot a bronze / files / silver input reads (None: empty), pin_inputs().
        self.pins: Dict[str, Optional[str]] = {}
        #: (silver table, snapshot) -> its load plan, plan_of(): edited_source and silver_plans
        #: both ask for a pinned silver's, and each answer is a query of its snapshot log.
        self._plans: Dict[tuple, Optional[str]] = {}
        #: What write() did: the writes since the last whole one (None: this build wrote it whole).
        self.segments: Optional[Dict[str, Any]] = None
        self.sleep = sleep

    # -- ports ---------------------------------------------------------------------------
    def sql(self, statement: str) -> Any:
        return self._timed("sql", statement[:400], lambda: self.spark.sql(statement))

    def rows(self, statement: str) -> List[Dict[str, Any]]:
        return self._timed("rows", statement[:400], lambda: collect(self.spark, statement))

    def materialize(self, relation: str, select: str) -> None:
        """A `table` step (or audit_totals) computed once from its SELECT and registered as
        `relation` (SparkIO.materialize); the log says what each one cost."""
        self._timed("materialized", relation, lambda: self.io.materialize(relation, select))

    @staticmethod
    def _timed(kind: str, what: str, work: Callable[[], Any]) -> Any:
        """Runs `work`, logging its duration: the job log is where a slow build is profiled."""
        started = time.monotonic()
        result = work()
        LOG.info("%s (%d ms): %s", kind, (time.monotonic() - started) * 1000, what)
        return result

    # -- catalog -------------------------------------------------------------------------
    def exists(self, identifier: str) -> bool:
        _, database, name = identifier.split(".", 2)
        if database not in self._tables_in:
            found = self.rows(f"SHOW TABLES IN {quote_identifier(f'{CATALOG_NAME}.{database}')}")
            self._tables_in[database] = [str(r.get("tableName")) for r in found]
        return name in self._tables_in[database]

    def main_snapshot(self, identifier: str) -> Optional[str]:
        found = self.rows(f"SELECT snapshot_id FROM {quote_identifier(identifier + '.refs')} WHERE name = 'main'")
        return str(found[0]["snapshot_id"]) if found and found[0]["snapshot_id"] is not None else None

    def prepare_table(self) -> None:
        self.sql(create_model_table_sql(self.table, self.plan))
        # A table created before models wrote deltas lacks the row-level write mode (a value set
        # on purpose is kept).
        current = {r["key"]: r["value"] for r in self.rows(f"SHOW TBLPROPERTIES {quote_identifier(self.table)}")}
        missing = missing_properties(MODEL_ROLE, current)
        if missing:
            self.sql(set_properties_sql(self.table, missing))
        described = self.rows(f"DESCRIBE TABLE {quote_identifier(self.table)}")
        have = []
        for row in described:
            name = str(row.get("col_name") or "")
            if not name or name.startswith("#"):
                break  # the partitioning section follows the columns
            have.append((name.lower(), str(row.get("data_type")).lower()))
        want = [(c["name"].lower(), spark_type(c["type"]).lower()) for c in self.plan["columns"]]
        if have != want:
            raise ModelSchemaError(
                f"table {self.table} has columns ({', '.join(f'{n} {t}' for n, t in have)}), the model has "
                f"({', '.join(f'{n} {t}' for n, t in want)}): drop the table, then build the model again")

    # -- inputs --------------------------------------------------------------------------
    def view(self, relation: str, select: str) -> None:
        self.sql(f"CREATE OR REPLACE TEMP VIEW `{relation}` AS {select}")

    def register_input(self, item: Dict[str, Any]) -> None:
        relation, zone = item["relation"], item["zone"]
        if zone in ("bronze", "files", "silver"):
            table = self.plan["tables"][relation]
            identifier = self.placement.dataset_table(zone, table["name"])
            snapshot = self.pins.get(relation)
            if snapshot is not None:
                # Iceberg reads a snapshot with the schema it was committed under: one older than a
                # column the plan reads (a ledger's `_sequencer`, a column added to the spec) lacks it.
                source = f"{quote_identifier(identifier)} VERSION AS OF {int(snapshot)}"
                present = self.sql(f"SELECT * FROM {source}").columns
                self.view(relation, f"SELECT {column_select(table['columns'], present)} FROM {source}")
            else:  # the dataset was never loaded (no table, or no snapshot yet): no rows, as on DuckDB
                self.view(relation, empty_select(table["columns"]))
        elif zone == "semantic":
            own = item["model"] == self.plan["model"]
            identifier = self.placement.model_table(item["model"])
            if own:
                # The model's own history; a full rebuild goes without it (incremental_base).
                hidden = self.base is None if is_incremental(self.plan) else self.full_refresh
                published = not hidden and self.main_snapshot(identifier) is not None
                self.view(relation, f"SELECT {column_select(self.plan['columns'])} FROM {quote_identifier(identifier)}"
                          if published else empty_select(self.plan["columns"]))
            else:
                # Pinned to the snapshot recorded as read (the state), not whatever main is later.
                snapshot = self.main_snapshot(identifier) if self.exists(identifier) else None
                if snapshot is None:
                    raise RuntimeError(f"model {self.plan['model']}: input {item['model']} has no published version")
                self.read[item["model"]] = snapshot
                self.view(relation, f"SELECT * FROM {quote_identifier(identifier)} VERSION AS OF {snapshot}")
        elif zone in ("semantic_before", "semantic_after"):
            # After: the snapshot the model's semantic input reads (registered first). Before: the
            # one the previous build read, or (a full rebuild) that same one: no difference. Both
            # whole here; DuckDB narrows the pair to the keys changed in between (plan.ts header).
            identifier = self.placement.model_table(item["model"])
            now = self.read.get(item["model"]) or self.main_snapshot(identifier)
            then = (self.base or {}).get("read", {}).get(item["model"])
            snapshot = (then or now) if zone == "semantic_before" else now
            if snapshot is None:
                raise RuntimeError(f"model {self.plan['model']}: input {item['model']} has no published version")
            self.view(relation, f"SELECT * FROM {quote_identifier(identifier)} VERSION AS OF {snapshot}")
        elif zone == "consumed":
            self.view(relation, consumed_select((self.base or {}).get("consumed", {})))
        elif zone == "runs":
            pass  # registered once the bronze inputs are and their runs read (register_runs)
        elif zone == "pii_key":
            self.register_pii_key(relation)
        elif zone == "file":
            path = item["path"]
            location = join_storage(self.placement.files_path, path) if self.placement.files_path else path
            self.io.register_csv(relation, location)

    def pin_inputs(self) -> None:
        """Pins every bronze / files / silver input, one point per dataset (model_pin.py)."""
        ledgers = self.plan.get("ledgers") or {}
        for dataset in datasets_read(self.plan["inputs"]):
            tables: Dict[str, Optional[str]] = {}
            for item in self.plan["inputs"]:
                if item["zone"] in ("bronze", "files", "silver") and item["dataset"] == dataset:
                    identifier = self.placement.dataset_table(item["zone"], self.plan["tables"][item["relation"]]["name"])
                    tables[item["relation"]] = identifier if self.exists(identifier) else None
            ledger = self.placement.dataset_table("files", ledgers[dataset])
            self.pins.update(pin_dataset(
                DatasetTables(dataset, ledger if self.exists(ledger) else None, tables),
                marker=self.publishing_marker, snapshot=self.fresh_main_snapshot, sleep=self.sleep))

    def edited_source(self) -> Optional[str]:
        """Why the build must not run: a dataset it reads has a spec the silver snapshot it reads
        was not built by (source_specs.py). A silver input is checked at its pinned snapshot;
        a dataset read through bronze only (a dimension's source) at main's."""
        for source in self.plan.get("sources") or []:
            identifier = self.placement.dataset_table("silver", source["silverTable"])
            pinned = [self.pins.get(i["relation"]) for i in self.plan["inputs"]
                      if i["zone"] == "silver" and i.get("dataset") == source["dataset"]]
            if pinned:
                snapshot = pinned[0]
            else:
                snapshot = self.fresh_main_snapshot(identifier) if self.exists(identifier) else None
            if snapshot is None:
                continue
            edit = source_spec_edit(source, self.plan_of(identifier, snapshot))
            if edit:
                return edit
        return None

    def silver_plans(self) -> Dict[str, str]:
        """Per silver input dataset, the load-plan fingerprint of the snapshot pinned (silver_plan.py;
        unknown ones left out)."""
        out: Dict[str, str] = {}
        for item in self.plan["inputs"]:
            snapshot = self.pins.get(item["relation"])
            if item["zone"] != "silver" or snapshot is None:
                continue
            identifier = self.placement.dataset_table("silver", self.plan["tables"][item["relation"]]["name"])
            fingerprint = self.plan_of(identifier, snapshot)
            if fingerprint:
                out[item["dataset"]] = fingerprint
        return out

    def plan_of(self, identifier: str, snapshot: str) -> Optional[str]:
        """The load plan of silver `identifier` at `snapshot` (silver_plan.plan_at), read once."""
        key = (identifier, str(snapshot))
        if key not in self._plans:
            self._plans[key] = plan_at(self.rows(snapshots_sql(quote_identifier(identifier))), snapshot)
        return self._plans[key]

    def publishing_marker(self, ledger: str) -> Optional[str]:
        self.sql(f"REFRESH TABLE {quote_identifier(ledger)}")
        found = self.rows(f"SHOW TBLPROPERTIES {quote_identifier(ledger)}")
        return publishing_run({str(r["key"]): str(r["value"]) for r in found})

    def fresh_main_snapshot(self, identifier: str) -> Optional[str]:
        self.sql(f"REFRESH TABLE {quote_identifier(identifier)}")
        return self.main_snapshot(identifier)

    def register_pii_key(self, relation: str) -> None:
        if self.pii_key is None:
            raise ValueError(f"model {self.plan['model']} hashes PII columns but the job has no --pii_key_secret")
        ipad, opad = hmac_pads(self.pii_key)
        self.io.register_pii_key(relation, ipad, opad)

    # -- incremental ---------------------------------------------------------------------
    def snapshot_exists(self, identifier: str, snapshot: str) -> bool:
        found = self.rows(f"SELECT COUNT(*) AS n FROM {quote_identifier(identifier + '.snapshots')} "
                          f"WHERE snapshot_id = {int(snapshot)}")
        return bool(found) and int(found[0]["n"]) > 0

    def incremental_base(self, current: Optional[str]) -> Optional[str]:
        """Loads the state of main's snapshot into self.base; returns why not (a full rebuild)."""
        if self.full_refresh:
            return "full refresh requested"
        if current is None:
            return "no previous version"
        if self.state is None:
            return "the job has no state store"
        try:
            state = self.state.load(self.plan["model"], current)
        except Exception as error:  # noqa: BLE001 - unreadable state costs a full rebuild, not the build
            LOG.warning("incremental state of %s snapshot %s unreadable: %s", self.plan["model"], current, error)
            return f"incremental state for snapshot {current} unreadable ({error_text(error)})"
        if state is None:
            return f"no incremental state for snapshot {current}"
        if state.get("fingerprint") != self.plan.get("fingerprint"):
            return (f"the plan changed since snapshot {current} (fingerprint {state.get('fingerprint') or 'none'} "
                    f"-> {self.plan.get('fingerprint')})")
        for item in self.plan["inputs"]:
            if item["zone"] != "semantic_before":
                continue
            snapshot = state.get("read", {}).get(item["model"])
            if not snapshot or not self.snapshot_exists(self.placement.model_table(item["model"]), snapshot):
                return f"{item['model']} snapshot {snapshot or '(not recorded)'}, which {current} was built against, is gone"
        self.base = state
        return None

    def consumed_runs(self) -> Dict[str, List[str]]:
        out: Dict[str, List[str]] = {}
        for item in self.plan["inputs"]:
            if item["zone"] == "bronze":
                found = self.rows(f"SELECT DISTINCT `_run_id` AS r FROM `{item['relation']}` WHERE `_run_id` IS NOT NULL")
                out[item["relation"]] = sorted(str(r["r"]) for r in found)
        return out

    def register_runs(self, held: Dict[str, List[str]]) -> None:
        """The `runs` input (engine/models/plan.ts header, step d): the runs each bronze input
        holds, read once by consumed_runs, so the plan's new-runs steps need not scan bronze."""
        for item in self.plan["inputs"]:
            if item["zone"] == "runs":
                self.view(item["relation"], consumed_select(held))

    def branch_snapshot(self) -> Optional[str]:
        found = self.rows(f"SELECT snapshot_id FROM {quote_identifier(self.table + '.refs')} WHERE name = '{self.branch}'")
        return str(found[0]["snapshot_id"]) if found and found[0]["snapshot_id"] is not None else None

    # -- WAP -----------------------------------------------------------------------------
    def open_branch(self) -> None:
        # One build of a model at a time: any other WAP branch is a dead build's leftover.
        found = self.rows(f"SELECT name FROM {quote_identifier(self.table + '.refs')} "
                          f"WHERE type = 'BRANCH' AND startswith(name, '{WAP_BRANCH_PREFIX}')")
        for stale in sorted(r["name"] for r in found if r["name"] != self.branch):
            self.sql(drop_branch_sql(self.table, stale))
        for statement in begin_statements([self.table], self.branch):
            self.sql(statement)
        self.opened = True

    def write(self, target: str) -> None:
        """The new table on the WAP branch, which starts at main. An incremental build of a plan
        with a `delta` (engine/models/plan.ts) changes only the rows of its keys: the replaced
        keys' rows deleted (merge-on-read: delete files), the recomputed rows appended, so a batch
        writes what it changed, as the load runner's merges do. Deltas due for compaction
        (should_compact), and any other build, overwrite the branch whole."""
        delta = self.plan.get("delta")
        self.segments = None
        if self.base is not None and delta:
            upserts = int(self.rows(f"SELECT COUNT(*) AS n FROM ({delta['rows']}) r")[0]["n"])
            before = segments_of(self.base)
            if not should_compact(before, upserts):
                replaced = self.write_delta(target, delta, upserts)
                # A build that changed nothing is no delta (DuckDB adds no segment for it).
                changed = upserts > 0 or replaced > 0
                self.segments = dict(before, deltas=before["deltas"] + int(changed), upserted=before["upserted"] + upserts)
                return
            LOG.info("compacting %s: a whole write instead of delta %d since the last one", self.table, before["deltas"] + 1)
        self.sql(f"INSERT OVERWRITE {target} SELECT {column_select(self.plan['columns'])} FROM `{self.plan['output']}`")

    def write_delta(self, target: str, delta: Dict[str, Any], upserts: int) -> int:
        """The delta on the branch: the replaced keys' rows deleted, then the `upserts` recomputed
        rows appended; each commit only when it has rows (a build that changed nothing leaves the
        branch at main, as DuckDB adds no segment). Returns how many keys it replaced."""
        keys = ", ".join(f"`{k}`" for k in delta["keyColumns"])
        on = " AND ".join(f"t.`{k}` = d.`{k}`" for k in delta["keyColumns"])
        # DISTINCT: MERGE refuses two source rows matching one target row. Materialized first, so
        # a batch's few keys are broadcast (SparkIO.materialize) instead of the table shuffled.
        self.materialize(DELTA_KEYS_RELATION, f"SELECT DISTINCT {keys} FROM ({delta['keys']}) k")
        replaced = int(self.rows(f"SELECT COUNT(*) AS n FROM `{DELTA_KEYS_RELATION}`")[0]["n"])
        if replaced > 0:
            self.sql(f"MERGE INTO {target} t USING `{DELTA_KEYS_RELATION}` d ON {on} WHEN MATCHED THEN DELETE")
        if upserts > 0:
            self.sql(f"INSERT INTO {target} SELECT {column_select(self.plan['columns'])} FROM ({delta['rows']}) r")
        return replaced

    def run_audits(self, whole: bool) -> List[AuditResult]:
        """`whole`: the table was written whole, so `audited` is all of `staged` and an audit's
        `sqlWhole` runs instead of its `sql` (engine/models/plan.ts, step 4)."""
        return run_audits(self.rows, self.plan["audits"], lambda audit: (whole and audit.get("sqlWhole")) or audit["sql"])

    def prune_states(self) -> None:
        """Deletes the saved states of the snapshots the expiry just removed (model_state.py).
        Housekeeping after the publish: a failure is logged (the next expiry retries), never
        raised. The table is refreshed first, so the list is never older than the expiry."""
        try:
            self.sql(f"REFRESH TABLE {quote_identifier(self.table)}")
            snapshots = [str(r["snapshot_id"]) for r in self.rows(f"SELECT snapshot_id FROM {quote_identifier(self.table + '.snapshots')}")]
            pruned = self.state.prune(self.plan["model"], snapshots)
            LOG.info("deleted the states of %d expired snapshot(s) of %s", pruned, self.table)
        except Exception:  # noqa: BLE001 - published already; a stale state is never read
            LOG.exception("could not delete the states of the expired snapshots of %s", self.table)

    def drop_branch_quietly(self) -> None:
        if not self.opened:
            return
        try:
            self.sql(drop_branch_sql(self.table, self.branch))
            self.opened = False
        except Exception:  # noqa: BLE001 - the original outcome matters more; the branch is named
            LOG.exception("could not drop WAP branch %s of %s", self.branch, self.table)

    def staged_rows(self) -> int:
        """Registers the plan's `totals` as audit_totals (computed once: the table-level aggregates
        several audits compare) and returns the staged table's row count, from it when there."""
        totals = self.plan.get("totals")
        if not totals:
            return int(self.rows(f"SELECT COUNT(*) AS n FROM `{STAGED_RELATION}`")[0]["n"])
        self.materialize(AUDIT_TOTALS_RELATION, totals)
        return int(self.rows(f"SELECT staged_rows AS n FROM `{AUDIT_TOTALS_RELATION}`")[0]["n"])

    def raise_broadcast_threshold(self) -> Optional[str]:
        """Sets the session's broadcast threshold to MODEL_BROADCAST_THRESHOLD for the build and
        returns the value to restore, or None when the job's own is off (-1) or higher."""
        found = self.rows(f"SET {BROADCAST_THRESHOLD_KEY}")
        current = str(found[0].get("value")) if found else ""
        size = byte_size(current)
        if size < 0 or size >= MODEL_BROADCAST_THRESHOLD:
            return None
        self.sql(f"SET {BROADCAST_THRESHOLD_KEY} = {MODEL_BROADCAST_THRESHOLD}")
        return current

    # -- whole build ---------------------------------------------------------------------
    def execute(self) -> ModelResult:
        result = ModelResult()
        restore_threshold: Optional[str] = None
        try:
            for statement in SESSION_SETTINGS:
                self.sql(statement)
            restore_threshold = self.raise_broadcast_threshold()
            self.prepare_table()
            result.current_version = self.main_snapshot(self.table)
            incremental = is_incremental(self.plan)
            if incremental:
                result.mode_reason = self.incremental_base(result.current_version)
                result.mode = "full" if self.base is None else "incremental"
            self.pin_inputs()
            edited = self.edited_source()
            if edited:
                # Nothing built: neither incremental nor full (as the DuckDB build reports it).
                result.error, result.mode, result.mode_reason = edited, None, None
                return result
            silver_plans = self.silver_plans() if incremental else {}
            relabelled = changed_silver_plan(self.base, silver_plans, result.current_version) if self.base is not None else None
            if relabelled:
                # A load under another plan relabelled old silver rows without a new bronze row
                # (silver_plan.py): no run is new to find them by.
                self.base = None
                result.mode, result.mode_reason = "full", relabelled
            for item in self.plan["inputs"]:
                self.register_input(item)
            consumed = self.consumed_runs() if incremental else {}
            gone = gone_runs(self.base.get("consumed", {}), consumed) if self.base is not None else None
            if gone:
                # Runs the previous build read left bronze (a rollback): their changes are in
                # kept rows that no new run touches, so only a full rebuild drops them.
                self.base = None
                result.mode, result.mode_reason = "full", gone
                for item in self.plan["inputs"]:
                    self.register_input(item)
            self.register_runs(consumed)
            declared = {i["relation"] for i in self.plan["inputs"]}
            if PII_KEY_RELATION not in declared and uses_pii_key(self.plan):
                self.register_pii_key(PII_KEY_RELATION)
            for step in self.plan["steps"]:
                if step["materialize"] == "table":
                    self.materialize(step["name"], step["sql"])
                else:
                    self.view(step["name"], step["sql"])
            self.open_branch()
            target = branch_identifier(self.table, self.branch)
            self.write(target)
            self.view(STAGED_RELATION, f"SELECT * FROM {target}")
            # Row-level audits read the rows this build wrote (engine/models/plan.ts, step 4):
            # the recomputed ones when it wrote a delta, otherwise the whole table.
            written = self.plan.get("recomputed") if self.segments is not None else None
            self.view(AUDITED_RELATION, f"SELECT * FROM `{written or STAGED_RELATION}`")
            result.rows = self.staged_rows()
            if self.plan.get("recomputed"):
                result.recomputed_rows = int(self.rows(f"SELECT COUNT(*) AS n FROM `{self.plan['recomputed']}`")[0]["n"])
            result.audits = self.run_audits(whole=written is None)
            decision = decide_publish(result.audits)
            if decision.publish and incremental and self.state is not None:
                # Saved under the branch's snapshot before main moves to it (model_state.py).
                staged = self.branch_snapshot()
                if staged is None:
                    raise RuntimeError(f"WAP branch {self.branch} of {self.table} has no snapshot")
                try:
                    segments = self.segments or {"baseRows": result.rows, "deltas": 0, "upserted": 0}
                    self.state.save(self.plan["model"], staged, {
                        "fingerprint": self.plan.get("fingerprint"), "consumed": consumed, "read": self.read,
                        "segments": segments, "silverPlans": silver_plans})
                except Exception:  # noqa: BLE001 - the table is right; the next build is a full one
                    LOG.exception("could not save the incremental state of %s snapshot %s", self.plan["model"], staged)
            if decision.publish:
                found = self.rows(fast_forward_sql(self.table, self.branch))
                result.version = str(found[0]["updated_ref"]) if found else self.main_snapshot(self.table)
                result.current_version = result.version
                if self.table in expire_old_snapshots(self.rows, [self.table]) and incremental and self.state is not None:
                    self.prune_states()
            else:
                result.error = f"{decision.reason}; nothing published"
        except Exception as error:  # noqa: BLE001 - reported in the summary, raised by the entry script
            LOG.exception("model %s failed", self.plan["model"])
            result.error = error_text(error)
        finally:
            self.drop_branch_quietly()
            if restore_threshold is not None:
                # A shared session (local mode) goes on to loads with its own setting. Quietly: a
                # session too broken to take a SET has already failed the build.
                try:
                    self.sql(f"SET {BROADCAST_THRESHOLD_KEY} = {restore_threshold}")
                except Exception as error:  # noqa: BLE001
                    LOG.warning("could not set %s back to %s: %s", BROADCAST_THRESHOLD_KEY, restore_threshold, error)
        return result


def execute_model(spark: Any, io: Any, plan: Dict[str, Any], placement: ModelPlacement, *,
                  run_id: str, full_refresh: bool = False, pii_key: Optional[bytes] = None,
                  state: Any = None, sleep: Callable[[float], None] = time.sleep) -> ModelResult:
    return ModelExecutor(spark, io, plan, placement, run_id=run_id, full_refresh=full_refresh,
                         pii_key=pii_key, state=state, sleep=sleep).execute()
