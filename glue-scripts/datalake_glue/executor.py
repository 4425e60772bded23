"""Execute a load plan on Spark + Iceberg with write-audit-publish (orchestration only).

Everything here goes through two narrow ports, so the order of operations is tested with a
fake that records calls (tests/fake_spark.py):
  - `spark.sql(text)` for every SQL statement (DDL, branch commands, plan SQL, procedures);
  - `io` (spark_io.SparkIO on Glue) for the DataFrame-level operations: reading the manifest's
    objects into string rows, reading back the rows an append added to a branch, registering
    the PII key, and materializing a `table` step (computed once, its plan cut off).

Order (engine/plan.ts "How an executor runs a plan"): session settings -> tables exist and
have the plan's columns (schema_evolution.py) -> branches opened for every staged table -> steps in order (read_files, read_table, sql, stage on
the branch) -> audits on the staged and written relations, then each merge's written-keys check ->
summary queries -> publish in publish.order
(fast-forward main, then drop branches) only if every audit passed; otherwise, and on any
error, drop the branches: main is untouched.

The commit point of a run is its publish record (publish_record.py), written after the ledger is
marked and before the first fast-forward: from then on the run counts as published (job-state
records it SUCCEEDED even if the summary is never written) and a publish cut short is finished by
the next run; without the record the next run abandons the marked publish.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Protocol, Sequence, Set, Tuple

from .audit_queries import run_audits
from .compaction import segments_since_whole, should_compact
from .constants import FINGERPRINT_PROPERTY, PUBLISHING_PROPERTY, PUBLISHING_RUN_PROPERTY, WAP_BRANCH_PREFIX
from .contracts import AuditResult, FileResult, ManifestFile, Published
from .errors import error_text
from .outcomes import build_file_results, conservation_audit, split_already_loaded
from .pii_key import hmac_pads, keyed_fingerprint, plan_hashes_pii
from .plan import (SUMMARY_COUNT_COLUMNS, latest_sequence_text, relation_names, sequence_is_time, run_mode, staged_roles,
                   steps_after_switch, steps_for)
from .retention import cutoff_text, due, expire_old_snapshots
from .schema_evolution import SchemaChangeError, SchemaEvolution, evolve_schema, parse_describe, parse_partitioning
from .silver_plan import needs_tag, snapshots_sql
from .stop import StopSignal
from .tables import (
    MERGED_ROLES,
    create_table_sql,
    missing_properties,
    set_properties_sql,
    table_identifier,
    table_location,
)
from .wap import (
    MAIN_BRANCH,
    PublishDecision,
    begin_statements,
    branch_identifier,
    branch_name,
    decide_publish,
    drop_branch_sql,
    fast_forward_sql,
    quote_identifier,
)

LOG = logging.getLogger("datalake_glue")

SESSION_SETTINGS = (
    # Files hold zone-less timestamps; the plan's SQL assumes UTC (engine/dialects.ts).
    "SET spark.sql.session.timeZone = UTC",
    # INSERT OVERWRITE without PARTITION must replace the whole (branch of the) table.
    "SET spark.sql.sources.partitionOverwriteMode = static",
    # Dates before 1582-10-15 and timestamps before 1900 in Parquet of other writers (DMS,
    # pyarrow, DuckDB: a 0001-01-01 sentinel) are proleptic Gregorian as written: read them as
    # such, as DuckDB does. Spark's default refuses the file (READ_ANCIENT_DATETIME).
    "SET spark.sql.parquet.datetimeRebaseModeInRead = CORRECTED",
    "SET spark.sql.parquet.int96RebaseModeInRead = CORRECTED",
    # Decimal arithmetic whose exact result needs more than 38 digits keeps its scale and is NULL
    # when it overflows, as on DuckDB (a TRY around the rule, engine/dialects.ts). Spark's default
    # rounds such a result to 6 decimals: `1 - discount > 0` was false for a discount of
    # 0.99999999 (integer operands are DECIMAL(38,0): engine/expression-sql.ts).
    "SET spark.sql.decimalOperations.allowPrecisionLoss = false",
    # Overflow and bad casts give NULL, not an error, as the plans' TRY_CAST-style SQL assumes
    # (Spark 3.5's default, stated here so a runtime that changes it cannot change the tables).
    "SET spark.sql.ansi.enabled = false",
    # A plan's views are built on views (a load's state_delta reads a chain of them). Spark's
    # default keeps a temp view as SQL text and parses and analyzes it again, with every view
    # under it, each time a statement reads it: in a 2-row orders load the analyzer's
    # ResolveRelations rule took 1.8 s of 5.2 s of analyzer/optimizer time. Keeping the analyzed
    # plan (what a DataFrame's temp view always keeps) analyzes each view once, when it is
    # created; a plan creates every view after the relations it reads, each run anew. Seven
    # 2-row loads in one server, loads 4-7: 10.4 s and 13.0 s per load on average before, 8.9 s
    # and 9.0 s after (two runs of each, alternating).
    "SET spark.sql.legacy.storeAnalyzedPlanForView = true",
)


class PlanIO(Protocol):
    def read_files(
        self, files: Sequence[ManifestFile], source: Dict[str, Any], run_id: str,
        output: str, files_output: str,
    ) -> List[Dict[str, Any]]: ...

    def register_appended(self, output: str, identifier: str, start_snapshot: int,
                          end_snapshot: int) -> None: ...

    def register_pii_key(self, output: str, ipad: bytes, opad: bytes) -> None: ...

    def materialize(self, name: str, select: str) -> None: ...

    def tag_branch(self, identifier: str, branch: str, summary: Dict[str, str]) -> None: ...


class PublishRecord(Protocol):
    """The run's commit point (publish_record.S3PublishRecord on Glue)."""

    def write(self, result: "ExecutionResult") -> None: ...

    def exists(self, run_id: str) -> bool: ...


@dataclass
class Placement:
    """Where the plan's tables live (from the job arguments)."""

    catalog_database: str
    quarantine_database: str
    bronze_path: str
    bronze_database: Optional[str] = None

    def identifier(self, role: str, table: Dict[str, Any]) -> str:
        return table_identifier(role, table, catalog_database=self.catalog_database,
                                quarantine_database=self.quarantine_database,
                                bronze_database=self.bronze_database)


@dataclass
class ExecutionResult:
    files: List[FileResult] = field(default_factory=list)
    audits: List[AuditResult] = field(default_factory=list)
    counts: Dict[str, int] = field(default_factory=dict)
    latest_sequence: Optional[str] = None
    #: Whether latest_sequence is a date or timestamp, so the data has an age (plan.sequence_is_time).
    latest_sequence_is_time: bool = False
    drift_warnings: List[str] = field(default_factory=list)
    published: Optional[Published] = None
    error: Optional[str] = None
    #: Set when the publish was committed but a fast-forward failed (the next run finishes it).
    publish_incomplete: Optional[str] = None
    #: Set when this run id had already committed (its publish record exists): nothing was run.
    committed_before: bool = False


def _clip(statement: str) -> str:
    return statement if len(statement) < 400 else statement[:400] + " ..."


def collect(spark: Any, statement: str) -> List[Dict[str, Any]]:
    rows = spark.sql(statement).collect()
    return [row.asDict() if hasattr(row, "asDict") else dict(row) for row in rows]


def written_keys_check(step: Dict[str, Any], layered: bool = True, rows: Optional[str] = None) -> Dict[str, str]:
    """The audit of one merge step's written rows (`t`): those whose key matches no key of the
    MERGE source (`s`) by the step's `on` would stay beside the older row of their key, which
    the row-level audits (reading written rows only) cannot see. `rows`: the relation of the rows
    it wrote when `written` is not (a compaction registers the whole table there; its kept rows
    are those of the keys the source did not name). `layered` False: the table had no row
    before, so the check passes by construction, and is still listed, as DuckDB lists it. Twin
    of engine/audits.ts writtenKeysCheck."""
    match = " AND ".join(f"{o['target']} = s.`{o['source']}`" for o in step["on"])
    return {
        "name": f"{step['table']}_written_keys_replaced",
        "description": f"every row written to {step['table']} has its key among the keys the merge replaced",
        "sql": (f"SELECT COUNT(*) AS violations FROM `{rows or step['written']}` t "
                f"WHERE NOT EXISTS (SELECT 1 FROM `{step['from']}` s WHERE {match})") if layered
        else "SELECT 0 AS violations",
    }


class LoadExecutor:
    def __init__(self, spark: Any, io: PlanIO, plan: Dict[str, Any], placement: Placement,
                 *, run_id: str, full_refresh: bool, stop: Optional[StopSignal] = None,
                 pii_key: Optional[bytes] = None,
                 record: Optional[PublishRecord] = None) -> None:
        self.spark = spark
        self.record = record
        self.stop = stop or StopSignal()
        self.io = io
        if plan_hashes_pii(plan) and pii_key is not None:
            # Tables hashed under another key are rebuilt (pii_key.py), never mixed.
            plan = dict(plan, fingerprint=keyed_fingerprint(plan["fingerprint"], pii_key))
        self.pii_key = pii_key
        self.plan = plan
        self.placement = placement
        self.run_id = run_id
        self.mode = run_mode(full_refresh)
        self.steps = steps_for(plan, self.mode)
        self.branch = branch_name(run_id)
        self.tables = plan["tables"]
        self.ids = {role: placement.identifier(role, t) for role, t in self.tables.items()}
        self.staged = staged_roles(self.steps)
        self.opened: List[str] = []
        self.branch_start: Dict[str, Optional[int]] = {}
        self.schemas: Dict[str, SchemaEvolution] = {}
        self.publish_started = False
        self.incomplete: Optional[str] = None
        #: One written_keys_check per merge step run, in step order (run after the plan's audits).
        self.merge_checks: List[Dict[str, str]] = []
        #: Retention's age limit (retention.py) and each merged table's snapshots older than it.
        self.snapshot_cutoff = cutoff_text(datetime.now(timezone.utc))
        self.aged: Dict[str, int] = {}
        #: Rows the run's files held (read_files; None: unknown), a bound on any merge's upserts.
        self.rows_read: Optional[int] = None
        #: Table properties read in prepare() (row-level write mode, plan fingerprint).
        self.properties: Dict[str, Dict[str, str]] = {}

    # -- ports ---------------------------------------------------------------------------
    # Each statement is logged with its duration: the profile of a run, step by step.
    def sql(self, statement: str) -> Any:
        started = time.monotonic()
        result = self.spark.sql(statement)
        LOG.info("sql (%d ms): %s", (time.monotonic() - started) * 1000, _clip(statement))
        return result

    def rows(self, statement: str) -> List[Dict[str, Any]]:
        started = time.monotonic()
        result = collect(self.spark, statement)
        LOG.info("query (%d ms): %s", (time.monotonic() - started) * 1000, _clip(statement))
        return result

    # -- phases --------------------------------------------------------------------------
    def prepare(self) -> None:
        for statement in SESSION_SETTINGS:
            self.sql(statement)
        for role, table in self.tables.items():
            location = table_location(role, table, self.placement.bronze_path)
            self.sql(create_table_sql(self.ids[role], table, location))
        # A table that already existed may predate the spec (infra never updates tables): decide
        # for every table first, so a type conflict anywhere alters nothing, then add columns.
        conflicts: List[str] = []
        for role, table in self.tables.items():
            described = self.rows(f"DESCRIBE TABLE {quote_identifier(self.ids[role])}")
            try:
                self.schemas[role] = evolve_schema(
                    self.ids[role], role, parse_describe(described), table, parse_partitioning(described)
                )
            except SchemaChangeError as error:
                conflicts.append(str(error))  # every table's conflict in one run, not one per run
        if conflicts:
            raise SchemaChangeError("\n".join(conflicts))
        for role in self.tables:
            for statement in self.schemas[role].statements:
                self.sql(statement)
        for role in MERGED_ROLES:
            current = self.table_properties(role)
            self.properties[role] = current
            missing = missing_properties(role, current)
            if missing:
                self.sql(set_properties_sql(self.ids[role], missing))

    def table_properties(self, role: str) -> Dict[str, str]:
        """The Iceberg table properties of one of the plan's tables."""
        return {r["key"]: r["value"] for r in self.rows(f"SHOW TBLPROPERTIES {quote_identifier(self.ids[role])}")}

    def finish_interrupted_publish(self) -> None:
        """A run that died between marking the ledger and its last fast-forward: if its publish
        record exists it was committed (its files are recorded loaded), so publish the rest of its
        branches in publish order before reading anything, and fail loudly if that is impossible
        (carrying on would lose its rows silently). Without the record nothing of it counts:
        abandon it (its branches are dropped as stale)."""
        properties = self.table_properties("files")
        branch = properties.get(PUBLISHING_PROPERTY)
        if not branch:
            return
        run = properties.get(PUBLISHING_RUN_PROPERTY)
        # A marker without its run predates publish records: finish it, as before them.
        if run and branch_name(run) == branch and self.record is not None and not self.record.exists(run):
            LOG.warning("abandoning the publish of %s: killed before its publish record was written", branch)
            self.sql(self.unset_marker_sql())
            return
        LOG.info("finishing the publish of %s, interrupted before every table went live", branch)
        for role in self.plan["publish"]["order"]:
            refs = {r["name"]: r["snapshot_id"] for r in self.rows(
                f"SELECT name, snapshot_id FROM {quote_identifier(self.ids[role] + '.refs')}")}
            if branch in refs and refs.get(MAIN_BRANCH) != refs[branch]:
                try:
                    self.rows(fast_forward_sql(self.ids[role], branch))
                except Exception as error:
                    raise RuntimeError(
                        f"could not finish the publish of {run or branch} ({role}); it is committed, so "
                        f"no run can go on until it is (see docs/deploy.md, runbook): {error}") from error
        self.sql(self.unset_marker_sql())

    def unset_marker_sql(self) -> str:
        return (f"ALTER TABLE {quote_identifier(self.ids['files'])} UNSET TBLPROPERTIES IF EXISTS "
                f"('{PUBLISHING_PROPERTY}', '{PUBLISHING_RUN_PROPERTY}')")

    def choose_mode(self) -> None:
        """An incremental run changes only the rows of the keys it touches: when the published
        state was built by another plan (plan.ts LoadPlan.fingerprint: a rule, a type or the
        compiler changed), every row is rebuilt instead, as a full refresh."""
        if self.mode != "incremental":
            return
        published = self.rows(f"SELECT snapshot_id FROM {quote_identifier(self.ids['state'] + '.refs')} WHERE name = 'main'")
        if not published:
            return
        recorded = self.properties["state"].get(FINGERPRINT_PROPERTY)
        if recorded != self.plan["fingerprint"]:
            LOG.info("full refresh: the published tables were built by another plan (%s -> %s)",
                     recorded or "unrecorded", self.plan["fingerprint"])
            self.mode = "full_refresh"
            self.steps = steps_for(self.plan, self.mode)

    def refresh_check(self, step: Dict[str, Any]) -> None:
        """plan.ts RefreshCheckStep: a row found means this batch cannot be applied per key (a dms
        reload that reorders files already loaded), so the rest of the run is a full refresh."""
        if self.rows(step["sql"]):
            LOG.info("full refresh: %s", step["reason"])
            self.mode = "full_refresh"
            self.steps = steps_after_switch(self.plan, self.steps, step)

    def record_fingerprint(self) -> None:
        """After the publish: the state now published was built by this plan. A failure here only
        makes the next run a full refresh."""
        try:
            self.sql(f"ALTER TABLE {quote_identifier(self.ids['state'])} SET TBLPROPERTIES "
                     f"('{FINGERPRINT_PROPERTY}' = '{self.plan['fingerprint']}')")
        except Exception:  # noqa: BLE001 - the data is published; the next run rebuilds instead
            LOG.exception("could not record the plan fingerprint on %s", self.ids["state"])

    def tag_silver_plan(self) -> None:
        """Before the publish: the silver branch's snapshot names this run's plan in its summary
        (silver_plan.py), so a model build can tell a silver relabelled by another plan. A failure
        fails the run before anything is published: an untagged relabel would go unseen."""
        if "silver" not in self.staged:
            return
        head = self.branch_snapshot("silver")
        if needs_tag(self.rows(snapshots_sql(quote_identifier(self.ids["silver"]))), head, self.plan["fingerprint"]):
            self.io.tag_branch(self.ids["silver"], self.branch, {FINGERPRINT_PROPERTY: self.plan["fingerprint"]})

    def open_branches(self) -> None:
        for role in self.staged:
            identifier = self.ids[role]
            # The dataset's run slot admits one run at a time, so any other WAP branch belongs
            # to a run that died before cleaning up: drop it (its snapshots can then expire).
            for stale in self.stale_branches(role):
                self.sql(drop_branch_sql(identifier, stale))
            for statement in begin_statements([identifier], self.branch):
                self.sql(statement)
            self.opened.append(role)
            self.branch_start[role] = self.branch_snapshot(role)

    def stale_branches(self, role: str) -> List[str]:
        found = self.rows(
            f"SELECT name FROM {quote_identifier(self.ids[role] + '.refs')} "
            f"WHERE type = 'BRANCH' AND startswith(name, '{WAP_BRANCH_PREFIX}')"
        )
        return sorted(r["name"] for r in found if r["name"] != self.branch)

    def branch_snapshot(self, role: str) -> Optional[int]:
        found = self.rows(
            f"SELECT snapshot_id FROM {quote_identifier(self.ids[role] + '.refs')} "
            f"WHERE name = '{self.branch}'"
        )
        return int(found[0]["snapshot_id"]) if found and found[0]["snapshot_id"] is not None else None

    def history(self, role: str) -> List[Dict[str, Any]]:
        """The table's `.snapshots` rows (snapshot_id, parent_id, summary, aged), read once per
        merge: what the branch started on, the deltas since the last whole write, and how many
        snapshots have aged past retention's limit (expire_snapshots)."""
        if self.branch_start.get(role) is None:
            return []
        found = self.rows(f"SELECT snapshot_id, parent_id, summary, committed_at < TIMESTAMP '{self.snapshot_cutoff}' AS aged "
                          f"FROM {quote_identifier(self.ids[role] + '.snapshots')}")
        self.aged[role] = sum(1 for r in found if r.get("aged"))
        return found

    def started_empty(self, role: str, history: List[Dict[str, Any]]) -> bool:
        """True when the table held no row on the branch when the run began: no snapshot, or
        one whose summary counts no record (Iceberg may open a branch on a new table with an
        empty snapshot). Rows deleted by delete files still count: such a table is merged."""
        start = self.branch_start.get(role)
        if start is None:
            return True
        found = [r for r in history if int(r["snapshot_id"]) == int(start)]
        return bool(found) and str(dict(found[0].get("summary") or {}).get("total-records")) == "0"

    def compact(self, step: Dict[str, Any], target: str, on: str, names: List[str], upserted: str) -> None:
        """The merge as a whole write of the branch (DuckDB's compaction, tables.ts merge): the
        rows of keys the batch did not name, then its upserts. The scan of the branch reads its
        start snapshot, which Iceberg pins while the overwrite commits. Audited whole; the
        upserted rows are still checked against the keys they replace (written_keys_check)."""
        kept = (f"SELECT {', '.join(f't.{n}' for n in names)} FROM {target} t "
                f"WHERE NOT EXISTS (SELECT 1 FROM `{step['from']}` s WHERE {on})")
        self.sql(f"INSERT OVERWRITE {target} {kept} UNION ALL {upserted}")
        rows = f"{step['output']}_upserted"
        self.sql(f"CREATE OR REPLACE TEMP VIEW `{rows}` AS {upserted}")
        self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['output']}` AS SELECT * FROM {target}")
        self.register_whole(step)
        self.merge_checks.append(written_keys_check(step, rows=rows))

    def due_for_compaction(self, role: str, history: List[Dict[str, Any]], count_upserts: str) -> bool:
        """Whether this merge should write the table whole (compaction.should_compact): the deltas
        since the last whole write are read from the table's snapshots on the branch's ancestry
        (a history cut short by expiry: whole). The batch's upserts are counted only when they
        could decide: never more than the rows the run read (each is a key one of them changed)."""
        segments = segments_since_whole(history, self.branch_start.get(role))
        if segments is None:
            LOG.info("compacting %s: a whole write, its history since the last one expired", self.ids[role])
            return True
        due = should_compact(segments, 0)
        if not due and (self.rows_read is None or should_compact(segments, self.rows_read)):
            due = should_compact(segments, int(self.rows(count_upserts)[0]["n"]))
        if due:
            LOG.info("compacting %s: a whole write instead of delta %d since the last one",
                     self.ids[role], segments["deltas"] + 1)
        return due

    def ledger(self) -> Set[Tuple[str, str]]:
        found = self.rows(
            f"SELECT DISTINCT _source_key, _source_version FROM {quote_identifier(self.ids['files'])}"
        )
        return {(r["_source_key"], r["_source_version"]) for r in found}

    def run_step(self, step: Dict[str, Any], manifest_files: Sequence[ManifestFile],
                 state: Dict[str, Any]) -> None:
        kind = step["kind"]
        if kind == "read_files":
            ledger = self.ledger()
            fresh, already = split_already_loaded(manifest_files, ledger)
            state["already"] = already
            state["outcomes"] = self.io.read_files(
                fresh, self.plan["source"], self.run_id, step["output"], step["filesOutput"]
            )
            read = [o.get("rowsRead") for o in state["outcomes"]]
            self.rows_read = None if any(n is None for n in read) else sum(int(n) for n in read)
        elif kind == "pii_key":
            ipad, opad = hmac_pads(self.pii_key or b"")  # present: checked before the first step
            self.io.register_pii_key(step["output"], ipad, opad)
        elif kind == "read_table":
            self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['output']}` AS "
                     f"SELECT * FROM {quote_identifier(self.ids[step['table']])}")
        elif kind == "sql":
            if step["materialize"] == "table":
                started = time.monotonic()
                self.io.materialize(step["name"], step["sql"])
                LOG.info("materialize (%d ms): %s AS %s", (time.monotonic() - started) * 1000, step["name"], _clip(step["sql"]))
            else:
                self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['name']}` AS {step['sql']}")
        elif kind == "refresh_check":
            self.refresh_check(step)
        elif kind == "stage":
            self.stage(step)
        elif kind == "merge":
            self.merge(step)
        else:  # parse_plan rejects unknown kinds; this guards hand-built plans
            raise ValueError(f"unknown step kind {kind!r}")

    def stage(self, step: Dict[str, Any]) -> None:
        role = step["table"]
        table = self.tables[role]
        target = branch_identifier(self.ids[role], self.branch)
        # By position in the TABLE's column order (an evolved table may differ from the plan's).
        select = f"SELECT {self.schemas[role].select_list()} FROM `{step['from']}`"
        if table["writeMode"] == "append":
            self.sql(f"INSERT INTO {target} {select}")
            start, end = self.branch_start.get(role), self.branch_snapshot(role)
            if end is None or end == start:
                # An empty append may commit no snapshot: nothing was added.
                self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['output']}` AS "
                         f"SELECT * FROM {target} WHERE 1 = 0")
            elif start is None:
                # The branch started without a snapshot: everything on it is this run's.
                self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['output']}` AS SELECT * FROM {target}")
            else:
                self.io.register_appended(step["output"], self.ids[role], start, end)
        else:
            self.sql(f"INSERT OVERWRITE {target} {select}")
            self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['output']}` AS SELECT * FROM {target}")
            if step.get("written"):
                self.register_whole(step)

    def register_whole(self, step: Dict[str, Any]) -> None:
        """`written` of a table written whole: every row of the branch is this run's (tables.ts
        registerWhole is the DuckDB twin)."""
        self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['written']}` AS SELECT * FROM `{step['output']}`")

    def merge(self, step: Dict[str, Any]) -> None:
        """Row-level changes on the branch (plan.ts MergeStep): only the data files holding the
        batch's keys are rewritten (or get delete files, per the table's write mode), unless the
        deltas since the last whole write are due for compaction: then the table is written whole."""
        role = step["table"]
        target = branch_identifier(self.ids[role], self.branch)
        source = f"`{step['from']}`"
        on = " AND ".join(f"{o['target']} = s.`{o['source']}`" for o in step["on"])
        # Table columns in table order; a column only the table has is written NULL (evolved table).
        columns = self.schemas[role].write_columns
        values = [f"s.`{name}`" if plan_type is not None else
                  f"CAST(NULL AS {self.schemas[role].table_types[name.lower()]})" for name, plan_type in columns]
        names = [f"`{name}`" for name, _ in columns]
        updates = ", ".join(f"t.{n} = {v}" for n, v in zip(names, values))
        delete = step.get("delete")
        upserts = f" WHERE NOT COALESCE(s.`{delete}`, FALSE)" if delete else ""
        written = ", ".join(f"{v} AS {n}" for n, v in zip(names, values))
        upserted = f"SELECT {written} FROM {source} s{upserts}"
        history = self.history(role)
        whole = self.started_empty(role, history)
        if not whole and self.due_for_compaction(role, history, f"SELECT COUNT(*) AS n FROM {source} s{upserts}"):
            self.compact(step, target, on, names, upserted)
            return
        if whole:
            # A MERGE into no rows (a first load) inserts its upserts: INSERT writes them without
            # joining the table, and the table is then this run's alone, audited whole like a
            # replace's (no older row to hide: the written-keys check holds by construction).
            # Auditing the MERGE's source rows instead re-ran the view chain under them per
            # audit: a 5,000,000-row first load spent 41 s there and ran out of aggregation
            # memory (local, 2 GB driver).
            self.sql(f"INSERT INTO {target} {upserted}")
        else:
            statement = f"MERGE INTO {target} t USING {source} s ON {on} "
            if delete:
                statement += f"WHEN MATCHED AND s.`{delete}` THEN DELETE "
            statement += f"WHEN MATCHED THEN UPDATE SET {updates} "
            statement += f"WHEN NOT MATCHED{f' AND NOT s.`{delete}`' if delete else ''} "
            statement += f"THEN INSERT ({', '.join(names)}) VALUES ({', '.join(values)})"
            self.sql(statement)
        self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['output']}` AS SELECT * FROM {target}")
        if whole:
            self.register_whole(step)
        else:
            # The rows the MERGE inserted or updated with, as it wrote them (plan.ts MergeStep
            # `written`): reading them back from the branch would scan the whole table per audit.
            self.sql(f"CREATE OR REPLACE TEMP VIEW `{step['written']}` AS {upserted}")
        self.merge_checks.append(written_keys_check(step, layered=not whole))

    def run_audits(self) -> List[AuditResult]:
        """The plan's audits, then each merge step's written-keys check (plan.ts, step 2)."""
        return run_audits(self.rows, self.plan["audits"] + self.merge_checks, lambda audit: audit["sql"])

    def run_summary(self) -> Tuple[Dict[str, int], Optional[str], List[Dict[str, Any]]]:
        found = self.rows(self.plan["summary"]["counts"])
        row = found[0] if found else {}
        counts = {camel: int(row.get(snake) or 0) for snake, camel in SUMMARY_COUNT_COLUMNS.items()}
        latest = latest_sequence_text(self.plan, row.get("latest_sequence"))
        return counts, latest, self.rows(self.plan["summary"]["files"])

    def publish(self, result: ExecutionResult) -> Published:
        # Iceberg has no multi-table commit. The ledger (published last) is marked with the run,
        # then the publish record is written: the commit point. A driver killed between the
        # fast-forwards leaves the marker and the audited branches, and the next run finishes
        # this publish before it reads anything, so no row is appended twice; killed before the
        # record, the next run abandons it. Nothing after the record can make the run FAILED.
        self.tag_silver_plan()
        files = quote_identifier(self.ids["files"])
        self.sql(f"ALTER TABLE {files} SET TBLPROPERTIES ('{PUBLISHING_RUN_PROPERTY}' = '{self.run_id}')")
        self.sql(f"ALTER TABLE {files} SET TBLPROPERTIES ('{PUBLISHING_PROPERTY}' = '{self.branch}')")
        self.commit(result)
        self.publish_started = True
        versions: Dict[str, str] = {}
        for role in self.plan["publish"]["order"]:
            try:
                found = self.rows(fast_forward_sql(self.ids[role], self.branch))
            except Exception as error:  # noqa: BLE001 - committed: the next run finishes it
                done = ", ".join(versions) or "none"
                LOG.exception("publish of %s failed after the commit", role)
                self.incomplete = (f"publish of {role} failed after publishing [{done}]; "
                                   f"the next run finishes it: {error_text(error)}")
                break
            versions[role] = str(found[0]["updated_ref"]) if found else ""
        else:
            self.quietly("clear the publish marker", lambda: self.sql(self.unset_marker_sql()))
            self.record_fingerprint()
            self.drop_branches_quietly()
        return {"silverVersion": versions.get("silver", ""),
                "quarantineVersion": versions.get("quarantine", "")}

    def commit(self, result: ExecutionResult) -> None:
        """Write the publish record; on error, publish nothing unless the write landed anyway."""
        if self.record is None:
            return
        try:
            self.record.write(result)
        except Exception:
            try:
                landed = self.record.exists(self.run_id)
            except Exception:  # noqa: BLE001 - unknown: not committed; the marker decides next time
                LOG.exception("could not check the publish record of %s", self.run_id)
                raise
            if landed:
                LOG.warning("the publish record write reported an error but the record exists")
                return
            self.quietly("clear the publish marker", lambda: self.sql(self.unset_marker_sql()))
            raise

    @staticmethod
    def quietly(what: str, action: Any) -> None:
        try:
            action()
        except Exception:  # noqa: BLE001 - after the commit, housekeeping never fails the run
            LOG.exception("could not %s (the next run does it)", what)

    def expire_snapshots(self) -> None:
        """After a whole publish: the published tables' old snapshots expire when due
        (retention.py; failures are logged, and the next run tries again). Looked for only when
        a merged table's snapshots, read for its merge, count EXPIRE_AT aged ones: every table
        of the run commits about once per run, so they age together, and the look is one query
        over all of them (~0.45 s a run on local Spark)."""
        if due(self.aged.values()):
            expire_old_snapshots(self.rows, [self.ids[role] for role in self.plan["publish"]["order"]])

    def drop_branches(self) -> None:
        while self.opened:
            role = self.opened.pop(0)
            self.sql(drop_branch_sql(self.ids[role], self.branch))

    def drop_branches_quietly(self) -> None:
        try:
            self.drop_branches()
        except Exception:  # noqa: BLE001 - the original error matters more; the branch is named
            LOG.exception("could not drop WAP branch %s (drop it by hand)", self.branch)

    # -- whole run -----------------------------------------------------------------------
    def execute(self, manifest_files: Sequence[ManifestFile]) -> ExecutionResult:
        result = ExecutionResult()
        state: Dict[str, Any] = {"already": [], "outcomes": []}
        published = False
        try:
            if plan_hashes_pii(self.plan) and self.pii_key is None:
                raise ValueError("the plan hashes PII columns but the job has no --pii_key_secret")
            self.prepare()
            self.finish_interrupted_publish()
            # A run publishes once (engine/duckdb/run-load.ts does the same). The same run id
            # executed again after its commit point (a local run resumed after a stop, a job run
            # started twice) would find its files in the ledger, and under a changed plan publish
            # a full refresh again and overwrite its record with 0 rows read.
            if self.record is not None and self.record.exists(self.run_id):
                LOG.info("run %s published before: its publish record stands", self.run_id)
                result.committed_before = True
                return result
            self.choose_mode()
            self.open_branches()
            index = 0
            while index < len(self.steps):  # a refresh_check may replace the steps after it
                step = self.steps[index]
                self.stop.check()
                LOG.info("step %s %s", step["kind"], ",".join(relation_names(step)))
                self.run_step(step, manifest_files, state)
                index += 1
            self.stop.check()
            audits = self.run_audits()
            counts, latest, file_rows = self.run_summary()
            files, whole_file_rows, drift = build_file_results(
                manifest_files, state["already"], state["outcomes"], file_rows, self.plan["source"].get("opColumn"))
            # Files quarantined whole never reach the plan's relations: their rows are read and
            # counted once, under the file's reason, like the DuckDB executor counts them.
            counts["rowsRead"] += whole_file_rows
            counts["quarantinedFileRows"] = whole_file_rows
            audits.append(conservation_audit(files, counts))
            result.files, result.audits, result.counts = files, audits, counts
            result.latest_sequence, result.drift_warnings = latest, drift
            result.latest_sequence_is_time = sequence_is_time(self.plan)
            decision: PublishDecision = decide_publish(audits)
            if decision.publish:
                with self.stop.publishing():
                    result.published = self.publish(result)
                    result.publish_incomplete = self.incomplete
                    published = True
                if not self.incomplete:
                    self.expire_snapshots()
            else:
                result.error = decision.reason
        except Exception as error:  # noqa: BLE001 - reported in the summary, re-raised by main
            LOG.exception("load failed")
            result.error = error_text(error)
            if not result.files:
                result.files, _, _ = build_file_results(
                    manifest_files, state["already"], state["outcomes"], [])
        finally:
            # A publish that failed half-way keeps its branches: the next run finishes it.
            if not published and not self.publish_started:
                self.drop_branches_quietly()
        return result


def execute_plan(spark: Any, io: PlanIO, plan: Dict[str, Any], placement: Placement,
                 manifest_files: Sequence[ManifestFile], *, run_id: str,
                 full_refresh: bool, stop: Optional[StopSignal] = None,
                 pii_key: Optional[bytes] = None,
                 record: Optional[PublishRecord] = None) -> ExecutionResult:
    executor = LoadExecutor(spark, io, plan, placement, run_id=run_id, full_refresh=full_refresh,
                            stop=stop, pii_key=pii_key, record=record)
    return executor.execute(manifest_files)
