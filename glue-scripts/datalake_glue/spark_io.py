"""The DataFrame-level IO operations of the executor, on PySpark (thin; imported on Glue only).

pyspark is imported inside the methods so the package imports without Spark.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Sequence

from .contracts import ManifestFile
from .file_reader import LOCAL_PATHS_ENV, default_s3, fetch_and_check, fetch_rows
from .parquet_reader import parquet_path, read_parquet, version_problem
from .plan import BRONZE_LINEAGE, FILES_COLUMNS
from .wap import branch_identifier, quote_identifier


def _schema(columns: Sequence[tuple]) -> Any:
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    return StructType([
        StructField(name, LongType() if kind == "bigint" else StringType(), True)
        for name, kind in columns
    ])


def byte_size(text: str) -> int:
    """A Spark byte-size setting ("10485760b", "10m", "-1") in bytes; unreadable: -1 (off)."""
    found = re.fullmatch(r"\s*(-?\d+)\s*([kmgt]?)b?\s*", text.lower())
    if not found:
        return -1
    return int(found.group(1)) * 1024 ** " kmgt".index(found.group(2) or " ")


def fits_broadcast(rows: int, row_bytes: int, threshold: int) -> bool:
    """Whether `rows` rows of `row_bytes` (Spark's schema estimate) fit the broadcast threshold
    (autoBroadcastJoinThreshold; -1 disables broadcasting)."""
    return threshold > 0 and rows * max(row_bytes, 1) <= threshold


def task_count(files: int, parallelism: int) -> int:
    """Tasks for reading `files` objects: each file is parsed whole inside one task, so any
    split works; a few tasks per core balance uneven file sizes without one task per file."""
    return max(1, min(files, max(parallelism, 1) * 4))


def ledger_rows(outcomes: Sequence[Dict[str, Any]], run_id: str) -> List[List[Any]]:
    """FILES_COLUMNS rows for the accepted files (a header-only file is quarantined, not accepted)."""
    return [
        [o["fileId"], o["key"], o["version"], run_id, o["dataDate"], int(o["rowsRead"]), o["receivedAt"],
         o["sequencer"]]
        for o in outcomes if o["reason"] is None
    ]


class SparkIO:
    def __init__(self, spark: Any) -> None:
        self.spark = spark

    def read_files(self, files: Sequence[ManifestFile], source: Dict[str, Any], run_id: str,
                   output: str, files_output: str) -> List[Dict[str, Any]]:
        """Check every object on the executors, then stream the accepted ones into `output`
        (bronze rows) and register `files_output` (one ledger row per accepted file). A file is
        never split across tasks, so quoted newlines and row numbers stay exact."""
        from pyspark import StorageLevel

        bronze_columns = [(c["name"], "string") for c in source["columns"]] + list(BRONZE_LINEAGE)
        files = [dict(f) for f in files]
        context = self.spark.sparkContext
        cores = context.defaultParallelism
        outcomes: List[Dict[str, Any]] = []
        rows: Any = []
        if files:
            checks = context.parallelize(files, task_count(len(files), cores))
            outcomes = checks.map(lambda f: fetch_and_check(f, source)).collect()
            parquet_rows = self.read_parquet_files(files, outcomes, source, run_id)
            accepted = {o["fileId"] for o in outcomes if o["reason"] is None}
            chosen = [f for f in files if f["fileId"] in accepted and f["fileId"] not in parquet_rows]
            if chosen:
                reads = context.parallelize(chosen, task_count(len(chosen), cores))
                rows = reads.flatMap(lambda f: fetch_rows(f, source, run_id))
            if parquet_rows:
                rows = context.union(([rows] if chosen else []) + list(parquet_rows.values()))
        incoming = self.spark.createDataFrame(rows, _schema(bronze_columns))
        # Persisted: the plan reads `incoming` several times (parse, rejects, audits, counts).
        incoming.persist(StorageLevel.MEMORY_AND_DISK).createOrReplaceTempView(output)
        self.spark.createDataFrame(
            ledger_rows(outcomes, run_id), _schema(FILES_COLUMNS)
        ).createOrReplaceTempView(files_output)
        return outcomes

    def read_parquet_files(self, files: Sequence[Dict[str, Any]], outcomes: List[Dict[str, Any]],
                           source: Dict[str, Any], run_id: str) -> Dict[str, Any]:
        """Read the files fetch_and_check found to be Parquet with Spark's reader, one by one,
        completing their outcomes in place; their bronze rows (RDDs) by fileId."""
        local = os.environ.get(LOCAL_PATHS_ENV) == "1"
        by_id = {f["fileId"]: f for f in files}
        rows: Dict[str, Any] = {}
        for outcome in outcomes:
            if not outcome.pop("parquet", False):
                continue
            file = by_id[outcome["fileId"]]
            pinned = None if local else (lambda f=file: version_problem(default_s3(), f))
            found, read = read_parquet(self.spark, parquet_path(file, local), file, source, run_id, pinned)
            outcome.update(found)
            if read is not None:
                rows[outcome["fileId"]] = read
        return rows

    def materialize(self, name: str, select: str) -> None:
        """Compute a `table` step once and re-register it with its lineage cut. CACHE TABLE kept
        the whole upstream plan: every later view and MERGE re-analyzed the chain of views under
        it (the dms incremental plan reads state_winners and fresh_keyed several times each), and
        analysis alone took seconds per statement, 2.7x the run time. A local checkpoint keeps the
        rows on the executors (memory, spilling to disk); an executor lost with its blocks fails
        the job, which publishes nothing (write-audit-publish) and is retried from the files.

        A checkpoint keeps the size Spark estimated for the plan it cut, not what it holds: the
        25,000 new keys of a batch over 5,000,000 bronze rows were estimated at tens of MB, so
        every join with them (the touched fact rows, a MERGE of a batch into its table) shuffled
        the big side. A result that fits the session's broadcast threshold by its real row count
        is marked for broadcast (fits_broadcast), as its true size would have made it.

        Computed from `select` itself, not from a temp view of it created first: Spark analyzes a
        view's query when it creates the view and again when it reads it (a view keeps its text),
        and that second analysis of a load's table steps (the state delta's chain of windows and
        joins) cost ~1 s of an 11 s local load (glue-scripts/README.md, "Running it locally")."""
        checkpointed = self.spark.sql(select).localCheckpoint(eager=True)
        if fits_broadcast(checkpointed.count(), checkpointed._jdf.schema().defaultSize(), self.broadcast_threshold()):
            from pyspark.sql.functions import broadcast

            checkpointed = broadcast(checkpointed)
        checkpointed.createOrReplaceTempView(name)

    def broadcast_threshold(self) -> int:
        return byte_size(str(self.spark.conf.get("spark.sql.autoBroadcastJoinThreshold", "10485760b")))

    def register_csv(self, output: str, location: str) -> None:
        """A model's `file` input (engine/models/plan.ts): a CSV with a header row, every column
        a string (the compiler types them), registered as `output`."""
        (
            self.spark.read.option("header", "true").option("inferSchema", "false")
            .csv(location).createOrReplaceTempView(output)
        )

    def register_pii_key(self, output: str, ipad: bytes, opad: bytes) -> None:
        """The plan's pii_key relation: one row of HMAC's padded keys (BINARY), from memory."""
        frame = self.spark.createDataFrame([(bytearray(ipad), bytearray(opad))], "ipad BINARY, opad BINARY")
        frame.createOrReplaceTempView(output)

    def tag_branch(self, identifier: str, branch: str, summary: Dict[str, str]) -> None:
        """Commit an empty append to the branch whose snapshot summary holds `summary`
        (silver_plan.py): Iceberg takes `snapshot-property.*` from DataFrame write options only,
        never from an SQL INSERT or MERGE."""
        target = branch_identifier(identifier, branch)
        writer = self.spark.sql(f"SELECT * FROM {target} WHERE FALSE").writeTo(target)
        for key, value in summary.items():
            writer = writer.option(f"snapshot-property.{key}", value)
        writer.append()

    def register_appended(self, output: str, identifier: str, start_snapshot: int,
                          end_snapshot: int) -> None:
        """Register exactly the rows appended to a branch between two of its snapshots (Iceberg
        incremental read: start exclusive, end inclusive; both required; appends only)."""
        (
            self.spark.read.format("iceberg")
            .option("start-snapshot-id", str(start_snapshot))
            .option("end-snapshot-id", str(end_snapshot))
            .load(quote_identifier(identifier))  # a hyphenated database needs its backticks
            .createOrReplaceTempView(output)
        )
