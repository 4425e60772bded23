"""The model job on a fake Spark: what is registered, built and published in which order, and
that a failed audit, a bad artifact or a changed table publishes nothing."""

import copy
import io
import json

import re

import pytest

from datalake_glue.args import ArgumentError, simple_resolver
from datalake_glue.model_args import resolve_model_args
from datalake_glue.model_executor import ModelPlacement, ModelSchemaError, execute_model
from datalake_glue.model_pin import PUBLISH_POLL_SECONDS, PUBLISH_WAIT_SECONDS, DatasetTables, pin_dataset
from datalake_glue.model_plan import ModelPlanError, parse_model_plan
from datalake_glue.model_runner import run_model_job
from datalake_glue.pii_key import hmac_pads
from tests.fake_spark import FakeIO, FakeSpark

PLACEMENT = ModelPlacement(semantic_database="sem", silver_database="silver_db", bronze_database="bronze_db")
TABLE = "`glue_catalog`.`sem`.`dim_thing`"
BRANCH = "wap_build_1"
BRONZE = "`glue_catalog`.`bronze_db`.`bronze_things`"
SILVER = "`glue_catalog`.`silver_db`.`things_current`"
LEDGER = "`glue_catalog`.`bronze_db`.`files_things`"
AUDIT = "SELECT COUNT(*) AS violations FROM staged WHERE thing_key IS NULL"

PLAN = {
    "model": "dim_thing", "kind": "dimension", "dialect": "spark",
    "inputs": [
        {"relation": "bronze", "zone": "bronze", "dataset": "things"},
        {"relation": "silver_things", "zone": "silver", "dataset": "things"},
        {"relation": "previous", "zone": "semantic", "model": "dim_thing"},
    ],
    "steps": [
        {"name": "hashed", "sql": "SELECT id, sha2(concat(name, hex(pii_key.ipad)), 256) AS h FROM bronze, pii_key",
         "materialize": "view"},
        {"name": "dim_thing", "sql": "SELECT id AS thing_key, h AS name_hash FROM hashed", "materialize": "table"},
    ],
    "output": "dim_thing",
    "columns": [{"name": "thing_key", "type": "bigint"}, {"name": "name_hash", "type": "string"}],
    "audits": [{"name": "no_null_keys", "sql": AUDIT, "description": "every row has a key"}],
    "partitionBy": None,
    "tables": {
        "bronze": {"name": "bronze_things", "columns": [{"name": "id", "type": "string"}, {"name": "name", "type": "string"}]},
        "silver_things": {"name": "things_current", "columns": [{"name": "id", "type": "bigint"}]},
    },
    "ledgers": {"things": "files_things"},
}


def fake(violations=0, tables=("bronze_things",), main=False, seeded=None):
    log = []
    spark = FakeSpark([
        (r"^SHOW TABLES IN `glue_catalog`\.`bronze_db`$", [{"tableName": t} for t in tables]),
        (r"^SHOW TABLES IN ", []),
        ("^" + AUDIT.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*") + "$", [{"violations": violations}]),
        (r"^SELECT COUNT\(\*\) AS n FROM `(staged|dim_thing)`$", [{"n": 3}]),
    ], log=log, tables=seeded)
    if main:
        spark.main.add(TABLE)
    return spark, FakeIO(log)


def run(spark, fio, plan=PLAN, **kwargs):
    kwargs.setdefault("pii_key", b"k3y")
    return execute_model(spark, fio, parse_model_plan(copy.deepcopy(plan), source="s3://ops/p.json", model="dim_thing"),
                         PLACEMENT, run_id="build-1", **kwargs)


def test_builds_on_a_branch_audits_it_then_fast_forwards_main():
    spark, fio = fake()
    spark.main.add(BRONZE)
    result = run(spark, fio)
    assert result.error is None and result.rows == 3
    assert result.audits == [{"name": "no_null_keys", "passed": True, "violations": 0}]
    assert result.version is not None and result.current_version == result.version
    log = [e for e in spark.log]
    text = [e[1] if e[0] == "sql" else e[0] + ":" + str(e[1]) for e in log]

    def at(prefix):
        return next(i for i, t in enumerate(text) if t.startswith(prefix))

    assert at("CREATE TABLE IF NOT EXISTS " + TABLE + " (`thing_key` BIGINT, `name_hash` STRING) USING iceberg") \
        < at(f"CREATE OR REPLACE TEMP VIEW `bronze` AS SELECT `id`, `name` FROM {BRONZE} VERSION AS OF 1") \
        < at("register_pii_key:pii_key") < at("CREATE OR REPLACE TEMP VIEW `hashed`") \
        < at("materialize:dim_thing") \
        < at(f"ALTER TABLE {TABLE} CREATE BRANCH `{BRANCH}`") \
        < at(f"INSERT OVERWRITE `glue_catalog`.`sem`.`dim_thing`.`branch_{BRANCH}` SELECT `thing_key`, `name_hash` FROM `dim_thing`") \
        < at("CREATE OR REPLACE TEMP VIEW `staged`") < at(AUDIT) < at("CALL glue_catalog.system.fast_forward") \
        < max(i for i, t in enumerate(text) if t == f"ALTER TABLE {TABLE} DROP BRANCH IF EXISTS `{BRANCH}`")
    # the pads of this key, never the key itself
    assert ("register_pii_key", "pii_key", *hmac_pads(b"k3y")) in log
    # only `table` steps are materialized, from their SELECT: no temp view is made of them first
    assert [e for e in log if e[0] == "materialize"] == [("materialize", "dim_thing", PLAN["steps"][-1]["sql"])]
    assert not any(t.startswith("CREATE OR REPLACE TEMP VIEW `dim_thing`") for t in text)


def test_a_snapshot_older_than_a_plan_column_reads_it_as_null():
    # bronze_things written before `name` existed: Iceberg reads that snapshot without the column
    # (a files ledger before `_sequencer`, likewise), so the view fills it with NULL, as DuckDB does.
    spark, fio = fake(seeded={BRONZE: [("id", "string")]})
    spark.main.add(BRONZE)
    result = run(spark, fio)
    assert result.error is None
    assert (f"CREATE OR REPLACE TEMP VIEW `bronze` AS SELECT `id`, CAST(NULL AS STRING) AS `name` "
            f"FROM {BRONZE} VERSION AS OF 1") in spark.statements


def test_a_plans_totals_are_computed_once_after_the_write_and_give_the_row_count():
    totals = "SELECT COUNT(*) AS staged_rows, SUM(x) AS staged_sum_0 FROM staged"
    spark, fio = fake()
    spark.responses[:0] = [(r"^SELECT staged_rows AS n FROM `audit_totals`$", [{"n": 7}])]
    result = run(spark, fio, dict(PLAN, totals=totals))
    assert result.error is None and result.rows == 7
    text = spark.statements
    events = spark.events
    staged = next(i for i, e in enumerate(events) if str(e).startswith("CREATE OR REPLACE TEMP VIEW `staged`"))
    assert staged < events.index(("materialize", "audit_totals", totals)) < events.index(AUDIT)
    assert not any(t.startswith("SELECT COUNT(*) AS n FROM `staged`") for t in text)
    with pytest.raises(ModelPlanError, match="totals must be a SELECT"):
        parse_model_plan(dict(copy.deepcopy(PLAN), totals=""), source="p.json", model="dim_thing")


def test_inputs_not_loaded_yet_and_a_first_build_read_as_empty_tables():
    spark, fio = fake(tables=())
    run(spark, fio)
    views = [s for s in spark.statements if s.startswith("CREATE OR REPLACE TEMP VIEW")]
    assert "CREATE OR REPLACE TEMP VIEW `bronze` AS SELECT CAST(NULL AS STRING) AS `id`, CAST(NULL AS STRING) AS `name` WHERE 1 = 0" in views
    assert "CREATE OR REPLACE TEMP VIEW `silver_things` AS SELECT CAST(NULL AS BIGINT) AS `id` WHERE 1 = 0" in views
    assert "CREATE OR REPLACE TEMP VIEW `previous` AS SELECT CAST(NULL AS BIGINT) AS `thing_key`, CAST(NULL AS STRING) AS `name_hash` WHERE 1 = 0" in views


def test_previous_is_the_published_table_unless_full_refresh():
    spark, fio = fake(main=True)
    run(spark, fio)
    assert f"CREATE OR REPLACE TEMP VIEW `previous` AS SELECT `thing_key`, `name_hash` FROM {TABLE}" in spark.statements
    spark, fio = fake(main=True)
    run(spark, fio, full_refresh=True)
    assert f"CREATE OR REPLACE TEMP VIEW `previous` AS SELECT `thing_key`, `name_hash` FROM {TABLE}" not in spark.statements


def test_another_models_table_is_read_at_the_main_snapshot_looked_up_once_and_recorded_as_read():
    other = "`glue_catalog`.`sem`.`dim_other`"
    plan = dict(copy.deepcopy(PLAN), inputs=PLAN["inputs"] + [{"relation": "dim_other", "zone": "semantic", "model": "dim_other"}])
    spark, fio = fake()
    spark.responses[:0] = [(r"^SHOW TABLES IN `glue_catalog`\.`sem`$", [{"tableName": "dim_other"}])]
    spark.main.add(other)
    assert run(spark, fio, plan).error is None
    assert f"CREATE OR REPLACE TEMP VIEW `dim_other` AS SELECT * FROM {other} VERSION AS OF 1" in spark.statements
    assert [s for s in spark.statements if s.startswith(f"SELECT snapshot_id FROM {other[:-1]}`.`refs`")] == [
        f"SELECT snapshot_id FROM {other[:-1]}`.`refs` WHERE name = 'main'"]
    spark, fio = fake()
    assert "model dim_thing: input dim_other has no published version" in run(spark, fio, plan).error


def test_a_failed_audit_publishes_nothing_and_drops_the_branch():
    spark, fio = fake(violations=2, main=True)
    result = run(spark, fio)
    assert not any("fast_forward" in s for s in spark.statements)
    assert spark.statements[-1] == f"ALTER TABLE {TABLE} DROP BRANCH IF EXISTS `{BRANCH}`"
    assert result.version is None and result.current_version == "1"
    assert result.audits == [{"name": "no_null_keys", "passed": False, "violations": 2, "detail": "every row has a key"}]
    assert result.error == "audit failed: no_null_keys (2); nothing published"


AGED = r"^SELECT 0 AS t, COUNT\(\*\) AS n FROM `glue_catalog`\.`sem`\.`dim_thing`\.`snapshots` WHERE committed_at < TIMESTAMP '[^']+'$"


@pytest.mark.parametrize("violations, aged, fails, expired", [
    (0, 20, False, True), (0, 19, False, False), (0, 50, True, False), (2, 50, False, False)])
def test_a_published_model_expires_its_aged_snapshots(violations, aged, fails, expired):
    spark, fio = fake(violations=violations, main=True)
    spark.fail_on = r"system\.expire_snapshots" if fails else None
    spark.responses.insert(0, (AGED, [{"t": 0, "n": aged}]))
    result = run(spark, fio)
    # A failed expiry leaves the build published; a build that publishes nothing expires nothing.
    assert (result.error is None) == (violations == 0)
    calls = [s for s in spark.statements if "system.expire_snapshots" in s]
    assert len(calls) == (int(expired or fails))
    assert all(c.startswith("CALL glue_catalog.system.expire_snapshots(table => 'sem.dim_thing', older_than => TIMESTAMP '")
               and c.endswith("', retain_last => 11)") for c in calls)
    if calls:
        publish = next(i for i, s in enumerate(spark.statements) if "system.fast_forward" in s)
        assert spark.statements.index(calls[0]) > publish
    if violations:
        assert not any("committed_at" in s for s in spark.statements)


def test_a_table_with_other_columns_is_refused_before_anything_is_written():
    seeded = {TABLE: [("thing_key", "bigint"), ("old_name", "string")]}
    spark, fio = fake(seeded=seeded)
    result = run(spark, fio)
    assert result.error.startswith("ModelSchemaError: table glue_catalog.sem.dim_thing has columns (thing_key bigint, old_name string), the model has (thing_key bigint, name_hash string)")
    assert not any("BRANCH" in s or "INSERT" in s for s in spark.statements)


def test_a_plan_hashing_pii_without_a_key_fails():
    spark, fio = fake()
    result = run(spark, fio, pii_key=None)
    assert "hashes PII columns but the job has no --pii_key_secret" in result.error
    assert not any("INSERT" in s for s in spark.statements)


def test_a_fact_table_is_partitioned_by_month_of_its_date():
    plan = dict(copy.deepcopy(PLAN), partitionBy={"column": "thing_key"})
    spark, fio = fake()
    run(spark, fio, plan=plan)
    assert any(s.startswith(f"CREATE TABLE IF NOT EXISTS {TABLE}") and "PARTITIONED BY (months(`thing_key`))" in s
               for s in spark.statements)


@pytest.mark.parametrize("change,message", [
    ({"dialect": "duckdb"}, "is compiled for duckdb, the Glue job runs spark plans"),
    ({"model": "dim_other"}, "is for model dim_other, the job builds dim_thing"),
    ({"tables": {}}, "input bronze (bronze of things) has no entry in tables"),
    ({"output": "nope"}, "output nope is neither a step nor an input"),
    ({"delta": {"rows": "SELECT 1", "keys": "SELECT 1", "keyColumns": ["nope"]}},
     "delta needs rows and keys (SQL) and keyColumns (columns of the table)"),
    ({"audits": [dict(PLAN["audits"][0], sqlWhole=" ")]}, "audit no_null_keys: sqlWhole must be a SELECT (SQL text)"),
])
def test_a_bad_artifact_is_refused_in_one_line(change, message):
    with pytest.raises(ModelPlanError) as caught:
        parse_model_plan(dict(copy.deepcopy(PLAN), **change), source="s3://ops/p.json", model="dim_thing")
    assert str(caught.value) == f"model plan s3://ops/p.json: {message}"


class Objects:
    def __init__(self, docs):
        self.docs = dict(docs)

    def get_object(self, Bucket, Key):  # noqa: N803
        return {"Body": io.BytesIO(json.dumps(self.docs[f"{Bucket}/{Key}"]).encode())}

    def put_object(self, Bucket, Key, Body, **_):  # noqa: N803
        self.docs[f"{Bucket}/{Key}"] = json.loads(Body)


class Secrets:
    def get_secret_value(self, SecretId):  # noqa: N803
        return {"SecretString": " k3y\n"}


ARGV = ["build_model.py", "--model", "dim_thing", "--run_id", "build-1", "--plan_uri", "s3://ops-bucket/plans/m.json",
        "--ops_bucket", "ops-bucket", "--warehouse_path", "s3://lake/warehouse", "--semantic_database", "sem",
        "--silver_database", "silver_db", "--bronze_database", "bronze_db", "--pii_key_secret", "arn:key"]


def test_the_job_writes_its_summary_and_reports_failed_audits():
    s3 = Objects({"ops-bucket/plans/m.json": PLAN})
    spark, fio = fake(violations=1)
    args = resolve_model_args(ARGV, simple_resolver)
    summary = run_model_job(args, spark=spark, io=fio, s3=s3, secrets=Secrets())
    assert s3.docs["ops-bucket/summaries/semantic/dim_thing/build-1.json"] == summary
    assert summary["status"] == "FAILED" and summary["version"] is None and summary["rows"] == 3
    assert summary["error"] == "audit failed: no_null_keys (1); nothing published"
    spark, fio = fake()
    summary = run_model_job(args, spark=spark, io=fio, s3=s3, secrets=Secrets())
    assert summary["status"] == "SUCCEEDED" and "error" not in summary and summary["version"]
    assert ("register_pii_key", "pii_key", *hmac_pads(b"k3y")) in spark.log  # key trimmed, from the secret


def test_a_missing_plan_still_writes_a_failed_summary():
    s3 = Objects({})
    spark, fio = fake()
    summary = run_model_job(resolve_model_args(ARGV, simple_resolver), spark=spark, io=fio, s3=s3, secrets=Secrets())
    assert summary["status"] == "FAILED" and summary["error"].startswith("KeyError")
    assert s3.docs["ops-bucket/summaries/semantic/dim_thing/build-1.json"] == summary


def test_model_job_arguments():
    with pytest.raises(ArgumentError) as caught:
        resolve_model_args(ARGV[:3], simple_resolver)
    assert str(caught.value) == ("missing required job argument(s): --run_id, --plan_uri, --ops_bucket, --warehouse_path, "
                                 "--semantic_database, --silver_database, --bronze_database")
    with pytest.raises(ArgumentError) as caught:
        resolve_model_args(ARGV + ["--full_refresh", "maybe", "--warehouse_path", "/tmp/x"], simple_resolver)
    assert "--full_refresh must be true or false, got 'maybe'" in str(caught.value)
    assert "--warehouse_path" in str(caught.value)
    args = resolve_model_args(ARGV + ["--full_refresh", "true", "--files_path", "s3://lake/model-files"], simple_resolver)
    assert (args.model, args.full_refresh, args.files_path, args.pii_key_secret) == ("dim_thing", True, "s3://lake/model-files", "arn:key")


class MemoryState:
    def __init__(self, prune_fails=False):
        self.saved = {}
        self.pruned = []
        self.prune_fails = prune_fails

    def prune(self, model, snapshots):
        if self.prune_fails:
            raise RuntimeError("AccessDenied")
        self.pruned.append((model, sorted(snapshots)))
        gone = [k for k in self.saved if k[0] == model and k[1] not in snapshots]
        for k in gone:
            del self.saved[k]
        return len(gone)

    def load(self, model, snapshot):
        return self.saved.get((model, snapshot))

    def save(self, model, snapshot, state):
        self.saved[(model, snapshot)] = state


INCREMENTAL = dict(copy.deepcopy(PLAN), fingerprint="fp1", recomputed="dim_thing", inputs=PLAN["inputs"] + [
    {"relation": "consumed", "zone": "consumed"},
    {"relation": "runs", "zone": "runs"},
    {"relation": "before_dim_other", "zone": "semantic_before", "model": "dim_other"},
    {"relation": "after_dim_other", "zone": "semantic_after", "model": "dim_other"},
], delta={"rows": "SELECT * FROM `dim_thing`", "keys": "SELECT `thing_key` FROM `touched`", "keyColumns": ["thing_key"]})
DELTA_KEYS = ("materialize", "delta_keys", "SELECT DISTINCT `thing_key` FROM (SELECT `thing_key` FROM `touched`) k")
DELETE_DELTA_KEYS = (f"MERGE INTO {TABLE[:-1]}`.`branch_{BRANCH}` t USING `delta_keys` d "
                     "ON t.`thing_key` = d.`thing_key` WHEN MATCHED THEN DELETE")
APPEND_DELTA_ROWS = f"INSERT INTO {TABLE[:-1]}`.`branch_{BRANCH}` SELECT `thing_key`, `name_hash` FROM (SELECT * FROM `dim_thing`) r"
#: The delta's 2 rows, and the 2 keys they replace.
DELTA_COUNTS = [(r"^SELECT COUNT\(\*\) AS n FROM \(SELECT \* FROM `dim_thing`\) r$", [{"n": 2}]),
                (r"^SELECT COUNT\(\*\) AS n FROM `delta_keys`$", [{"n": 2}])]


def test_an_incremental_plan_builds_on_the_state_of_mains_snapshot_and_saves_its_own_before_publishing():
    state = MemoryState()
    spark, fio = fake()
    spark.responses[:0] = [(r"^SELECT DISTINCT `_run_id` AS r FROM `bronze`", [{"r": "run-2"}, {"r": "run-1"}]),
                           (r"`dim_other`\.`snapshots`", [{"n": 1}])]
    spark.main.add("`glue_catalog`.`sem`.`dim_other`")
    first = run(spark, fio, INCREMENTAL, state=state)
    assert first.error is None and (first.mode, first.mode_reason) == ("full", "no previous version")
    assert first.recomputed_rows == 3
    # Saved under the branch's snapshot, before the fast-forward; previous and consumed empty.
    [(key, saved)] = state.saved.items()
    assert saved == {"fingerprint": "fp1", "consumed": {"bronze": ["run-1", "run-2"]}, "read": {},
                     "segments": {"baseRows": 3, "deltas": 0, "upserted": 0}, "silverPlans": {}}
    text = spark.statements
    assert any(t.startswith("CREATE OR REPLACE TEMP VIEW `consumed` AS SELECT CAST(NULL AS STRING)") for t in text)
    assert "CREATE OR REPLACE TEMP VIEW `before_dim_other` AS SELECT * FROM `glue_catalog`.`sem`.`dim_other` VERSION AS OF 1" in text
    assert "CREATE OR REPLACE TEMP VIEW `after_dim_other` AS SELECT * FROM `glue_catalog`.`sem`.`dim_other` VERSION AS OF 1" in text
    # A full build writes and audits the whole table, created merge-on-read.
    assert "CREATE OR REPLACE TEMP VIEW `audited` AS SELECT * FROM `staged`" in text
    assert any(t.startswith(f"INSERT OVERWRITE {TABLE[:-1]}`.`branch_{BRANCH}`") for t in text)
    assert DELETE_DELTA_KEYS not in text and APPEND_DELTA_ROWS not in text
    assert any(t.startswith(f"CREATE TABLE IF NOT EXISTS {TABLE}") and "'write.delete.mode'='merge-on-read'" in t for t in text)

    # main now at the saved snapshot: incremental, consumed from the state.
    # (A 100-row table: 2 upserted rows are no reason to compact; see the test below.)
    state.saved[("dim_thing", "1")] = dict(saved, read={"dim_other": "7"}, segments={"baseRows": 100, "deltas": 0, "upserted": 0})
    spark, fio = fake(main=True)
    spark.responses[:0] = [(r"^SELECT DISTINCT `_run_id` AS r FROM `bronze`", [{"r": "run-1"}, {"r": "run-2"}]),
                           (r"`dim_other`\.`snapshots`", [{"n": 1}]), *DELTA_COUNTS]
    spark.main.add("`glue_catalog`.`sem`.`dim_other`")
    again = run(spark, fio, INCREMENTAL, state=state)
    assert again.error is None and (again.mode, again.mode_reason) == ("incremental", None)
    text = spark.statements
    assert "CREATE OR REPLACE TEMP VIEW `consumed` AS SELECT * FROM VALUES ('bronze', 'run-1'), ('bronze', 'run-2') AS t(`relation`, `run_id`)" in text
    # `runs`: what bronze holds now, from the one DISTINCT scan, registered before the steps run.
    runs_view = "CREATE OR REPLACE TEMP VIEW `runs` AS SELECT * FROM VALUES ('bronze', 'run-1'), ('bronze', 'run-2') AS t(`relation`, `run_id`)"
    assert runs_view in text and len([t for t in text if "DISTINCT `_run_id`" in t]) == 1
    assert text.index(next(t for t in text if "DISTINCT `_run_id`" in t)) < text.index(runs_view) < text.index(
        next(t for t in text if t.startswith("CREATE OR REPLACE TEMP VIEW `hashed`")))
    assert "CREATE OR REPLACE TEMP VIEW `before_dim_other` AS SELECT * FROM `glue_catalog`.`sem`.`dim_other` VERSION AS OF 7" in text
    # Its twin: the snapshot read now (whole on Spark; DuckDB narrows both to the keys changed since).
    assert "CREATE OR REPLACE TEMP VIEW `after_dim_other` AS SELECT * FROM `glue_catalog`.`sem`.`dim_other` VERSION AS OF 1" in text
    assert "CREATE OR REPLACE TEMP VIEW `previous` AS SELECT `thing_key`, `name_hash` FROM `glue_catalog`.`sem`.`dim_thing`" in text
    # Only the delta is written: its keys' rows deleted, then the recomputed rows appended.
    assert not any(t.startswith("INSERT OVERWRITE") for t in text)
    events = spark.events
    assert events.index(DELTA_KEYS) < events.index(DELETE_DELTA_KEYS) < events.index(APPEND_DELTA_ROWS) < events.index(
        next(t for t in text if t.startswith("CREATE OR REPLACE TEMP VIEW `staged`")))
    # Row-level audits read only the recomputed rows, registered after the table is staged.
    assert text.index("CREATE OR REPLACE TEMP VIEW `audited` AS SELECT * FROM `dim_thing`") > text.index(
        next(t for t in text if t.startswith("CREATE OR REPLACE TEMP VIEW `staged`")))
    # The state counts the delta on top of the whole write.
    assert [s["segments"] for k, s in state.saved.items() if k != ("dim_thing", "1")] == [{"baseRows": 100, "deltas": 1, "upserted": 2}]

    # Another plan (fingerprint), a read snapshot gone, a full refresh: full rebuilds, saying why.
    for change, kwargs, reason in [
        ({"fingerprint": "fp2"}, {}, "the plan changed since snapshot 1 (fingerprint fp1 -> fp2)"),
        ({}, {"full_refresh": True}, "full refresh requested"),
    ]:
        spark, fio = fake(main=True)
        spark.main.add("`glue_catalog`.`sem`.`dim_other`")
        spark.responses[:0] = [(r"`dim_other`\.`snapshots`", [{"n": 1}])]
        result = run(spark, fio, dict(INCREMENTAL, **change), state=state, **kwargs)
        assert (result.mode, result.mode_reason) == ("full", reason)
        assert any(t.startswith("CREATE OR REPLACE TEMP VIEW `previous` AS SELECT CAST(NULL") for t in spark.statements)
    spark, fio = fake(main=True)
    spark.main.add("`glue_catalog`.`sem`.`dim_other`")
    gone = run(spark, fio, INCREMENTAL, state=state)
    assert (gone.mode, gone.mode_reason) == ("full", "dim_other snapshot 7, which 1 was built against, is gone")


#: The audit's variant for a table written whole (engine/models/plan.ts ModelAudit.sqlWhole).
WHOLE_AUDIT = "SELECT COUNT(*) AS violations FROM staged WHERE thing_key IS NULL OR thing_key < 0"


def test_deltas_due_for_compaction_are_written_whole_audited_whole_and_counted_again_from_zero():
    plan = dict(INCREMENTAL, audits=[dict(INCREMENTAL["audits"][0], sqlWhole=WHOLE_AUDIT)])
    for segments, compacts in [
        ({"baseRows": 100, "deltas": 7, "upserted": 10}, True),   # a 9th segment: the whole write + 8 deltas
        ({"baseRows": 100, "deltas": 6, "upserted": 10}, False),
        ({"baseRows": 40, "deltas": 1, "upserted": 9}, True),     # 9 + 2 upserted rows > 25% of 40
        ({"baseRows": 44, "deltas": 1, "upserted": 9}, False),    # 11 = 25% of 44
        (None, False),                                           # a state saved before the record
    ]:
        state = MemoryState()
        state.saved[("dim_thing", "1")] = {"fingerprint": "fp1", "consumed": {"bronze": ["run-1"]}, "read": {"dim_other": "7"},
                                           **({"segments": segments} if segments else {})}
        spark, fio = fake(main=True)
        spark.responses[:0] = [(r"^SELECT DISTINCT `_run_id` AS r FROM `bronze`", [{"r": "run-1"}, {"r": "run-2"}]),
                               (r"`dim_other`\.`snapshots`", [{"n": 1}]), *DELTA_COUNTS,
                               ("^" + re.escape(WHOLE_AUDIT) + "$", [{"violations": 0}])]
        spark.main.add("`glue_catalog`.`sem`.`dim_other`")
        result = run(spark, fio, plan, state=state)
        assert result.error is None and result.mode == "incremental", segments
        text = spark.statements
        # The whole table's variant of the audit when written whole, else the rows' own.
        assert (WHOLE_AUDIT in text, AUDIT in text) == (compacts, not compacts), segments
        overwrote = any(t.startswith(f"INSERT OVERWRITE {TABLE[:-1]}`.`branch_{BRANCH}`") for t in text)
        assert overwrote == compacts and (APPEND_DELTA_ROWS in text) == (not compacts), segments
        audited = "CREATE OR REPLACE TEMP VIEW `audited` AS SELECT * FROM `staged`" if compacts else \
            "CREATE OR REPLACE TEMP VIEW `audited` AS SELECT * FROM `dim_thing`"
        assert audited in text, segments
        [saved] = [s for k, s in state.saved.items() if k != ("dim_thing", "1")]
        before = segments or {"baseRows": None, "deltas": 0, "upserted": 0}
        assert saved["segments"] == ({"baseRows": 3, "deltas": 0, "upserted": 0} if compacts else
                                     {"baseRows": before["baseRows"], "deltas": before["deltas"] + 1, "upserted": before["upserted"] + 2}), segments


def test_a_build_that_changed_nothing_is_no_delta():
    state = MemoryState()
    state.saved[("dim_thing", "1")] = {"fingerprint": "fp1", "consumed": {"bronze": ["run-1"]}, "read": {"dim_other": "7"},
                                       "segments": {"baseRows": 100, "deltas": 3, "upserted": 10}}
    spark, fio = fake(main=True)
    spark.responses[:0] = [(r"^SELECT DISTINCT `_run_id` AS r FROM `bronze`", [{"r": "run-1"}, {"r": "run-2"}]),
                           (r"`dim_other`\.`snapshots`", [{"n": 1}]),
                           (r"^SELECT COUNT\(\*\) AS n FROM \(SELECT \* FROM `dim_thing`\) r$", [{"n": 0}]),
                           (r"^SELECT COUNT\(\*\) AS n FROM `delta_keys`$", [{"n": 0}])]
    spark.main.add("`glue_catalog`.`sem`.`dim_other`")
    result = run(spark, fio, INCREMENTAL, state=state)
    # No commit at all: the branch stays at main (the keys are still listed, to count them).
    assert result.error is None and not any(t.startswith(("INSERT", "MERGE")) for t in spark.statements)
    assert DELTA_KEYS in spark.log
    [saved] = [s for k, s in state.saved.items() if k != ("dim_thing", "1")]
    assert saved["segments"] == {"baseRows": 100, "deltas": 3, "upserted": 10}


def test_runs_gone_from_bronze_since_the_previous_build_mean_a_full_rebuild():
    state = MemoryState()
    state.saved[("dim_thing", "1")] = {"fingerprint": "fp1", "consumed": {"bronze": ["run-1", "run-2"]}, "read": {"dim_other": "7"}}
    spark, fio = fake(main=True)
    # run-2 was rolled back: bronze holds run-1 and a new run-3 only.
    spark.responses[:0] = [(r"^SELECT DISTINCT `_run_id` AS r FROM `bronze`", [{"r": "run-1"}, {"r": "run-3"}]),
                           (r"`dim_other`\.`snapshots`", [{"n": 1}])]
    spark.main.add("`glue_catalog`.`sem`.`dim_other`")
    result = run(spark, fio, INCREMENTAL, state=state)
    assert result.error is None
    assert (result.mode, result.mode_reason) == ("full", "1 load run(s) it had read are gone from bronze (run-2: a rollback)")
    # Registered again as a full rebuild: no previous rows, nothing consumed.
    text = spark.statements
    assert any(t.startswith("CREATE OR REPLACE TEMP VIEW `previous` AS SELECT CAST(NULL") for t in text)
    assert text.index("CREATE OR REPLACE TEMP VIEW `previous` AS SELECT `thing_key`, `name_hash` FROM `glue_catalog`.`sem`.`dim_thing`") < max(
        i for i, t in enumerate(text) if t.startswith("CREATE OR REPLACE TEMP VIEW `previous` AS SELECT CAST(NULL"))
    assert [s for s in state.saved.values() if s["consumed"] == {"bronze": ["run-1", "run-3"]}], "the new state records what is in bronze now"


SILVER_SNAPSHOTS = r"^SELECT snapshot_id, parent_id, summary FROM `glue_catalog`\.`silver_db`\.`things_current`\.`snapshots`$"


@pytest.mark.parametrize("recorded, now, reason", [
    ({"things": "load-a"}, "load-b", "silver things was rebuilt by another load plan since snapshot 1 "
                                     "(fingerprint load-a -> load-b: a dataset spec edit)"),
    ({"things": "load-a"}, "load-a", None),
    (None, "load-b", None),               # a state saved before silverPlans were recorded
    ({"things": "load-a"}, None, None),   # a silver snapshot without a tag in reach
    ({}, "load-b", "silver things has a load plan snapshot 1 did not record "  # its tag had expired
                   "(load-b: first loaded since, or its tag expired)"),
])
def test_a_silver_rebuilt_by_another_load_plan_since_the_previous_build_means_a_full_rebuild(recorded, now, reason):
    state = MemoryState()
    state.saved[("dim_thing", "1")] = {"fingerprint": "fp1", "consumed": {"bronze": ["run-1"]}, "read": {"dim_other": "7"},
                                       **({"silverPlans": recorded} if recorded is not None else {})}
    spark, fio = fake(main=True)
    # Silver's main (1, the snapshot pinned) is an untagged merge on the one its load plan tagged (0).
    spark.responses[:0] = [(r"^SELECT DISTINCT `_run_id` AS r FROM `bronze`", [{"r": "run-1"}]),
                           (r"`dim_other`\.`snapshots`", [{"n": 1}]), *DELTA_COUNTS,
                           (r"^SHOW TABLES IN `glue_catalog`\.`silver_db`$", [{"tableName": "things_current"}]),
                           (SILVER_SNAPSHOTS, [{"snapshot_id": 1, "parent_id": 0, "summary": {}},
                                               {"snapshot_id": 0, "parent_id": None,
                                                "summary": {"datalake.plan-fingerprint": now} if now else {}}])]
    spark.main.update({"`glue_catalog`.`sem`.`dim_other`", SILVER})
    # With the plan's sources the spec check reads the same pinned snapshot's plan first.
    plan = dict(INCREMENTAL, sources=[{"dataset": "things", "silverTable": "things_current", "loadPlan": now or "load-b"}])
    result = run(spark, fio, plan, state=state)
    assert result.error is None
    assert len([s for s in spark.statements if re.match(SILVER_SNAPSHOTS, s)]) == 1, "one query of the snapshot log"
    assert (result.mode, result.mode_reason) == (("full", reason) if reason else ("incremental", None))
    # Decided before any input is registered: a full rebuild reads no previous rows.
    assert any(t.startswith("CREATE OR REPLACE TEMP VIEW `previous` AS SELECT CAST(NULL") for t in spark.statements) == bool(reason)
    [saved] = [s for k, s in state.saved.items() if k != ("dim_thing", "1")]
    assert saved["silverPlans"] == ({"things": now} if now else {})


class BrokenState:
    def load(self, model, snapshot):
        raise PermissionError("AccessDenied")

    def save(self, model, snapshot, state):
        raise PermissionError("AccessDenied")


def test_a_state_store_that_fails_costs_a_full_rebuild_not_the_build():
    spark, fio = fake(main=True)
    spark.main.add("`glue_catalog`.`sem`.`dim_other`")
    result = run(spark, fio, INCREMENTAL, state=BrokenState())
    assert result.error is None and result.version is not None
    assert (result.mode, result.mode_reason) == ("full", "incremental state for snapshot 1 unreadable (PermissionError: AccessDenied)")


class MovingSpark(FakeSpark):
    """A FakeSpark whose tables' main snapshots are `snapshots` (identifier -> id), which a test
    moves, as a load publishing meanwhile would."""

    def __init__(self, snapshots, **kwargs):
        super().__init__(**kwargs)
        self.snapshots = snapshots

    def _catalog(self, statement):
        found = re.match(r"^SELECT snapshot_id FROM (\S+)\.`refs` WHERE name = 'main'$", statement)
        if found and found.group(1) in self.snapshots:
            return [{"snapshot_id": self.snapshots[found.group(1)]}]
        return super()._catalog(statement)


def moving(snapshots, marker_run=None):
    log = []
    spark = MovingSpark(dict(snapshots), responses=[
        (r"^SHOW TABLES IN `glue_catalog`\.`bronze_db`$", [{"tableName": "bronze_things"}, {"tableName": "files_things"}]),
        (r"^SHOW TABLES IN `glue_catalog`\.`silver_db`$", [{"tableName": "things_current"}]),
        (r"^SHOW TABLES IN ", []),
        (r"^SELECT COUNT\(\*\) AS n FROM `(staged|dim_thing)`$", [{"n": 3}]),
        ("^" + re.escape(AUDIT) + "$", [{"violations": 0}]),
    ], log=log)
    if marker_run:
        spark.properties[LEDGER] = {"datalake.publishing": f"wap_{marker_run}", "datalake.publishing-run": marker_run}
    return spark, FakeIO(log)


def test_a_build_waits_out_a_load_publishing_an_input_and_reads_each_table_at_the_snapshot_it_left():
    # run-3 is mid-publish: silver already fast-forwarded (6), bronze not yet (8).
    spark, fio = moving({SILVER: 6, BRONZE: 8}, marker_run="run-3")
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:  # the publish ends: bronze fast-forwarded, the marker removed
            spark.snapshots[BRONZE] = 9
            spark.properties[LEDGER] = {}

    result = run(spark, fio, sleep=sleep)
    assert result.error is None
    assert sleeps == [PUBLISH_POLL_SECONDS, PUBLISH_POLL_SECONDS]
    text = spark.statements
    assert f"CREATE OR REPLACE TEMP VIEW `bronze` AS SELECT `id`, `name` FROM {BRONZE} VERSION AS OF 9" in text
    assert f"CREATE OR REPLACE TEMP VIEW `silver_things` AS SELECT `id` FROM {SILVER} VERSION AS OF 6" in text
    # Each look at a table refreshes it first (the catalog caches tables for 30 s).
    assert text.index(f"REFRESH TABLE {LEDGER}") < text.index(f"SHOW TBLPROPERTIES {LEDGER}")
    assert text.index(f"REFRESH TABLE {BRONZE}") < text.index(f"SELECT snapshot_id FROM {BRONZE}.`refs` WHERE name = 'main'")


def test_a_publish_that_lands_between_two_looks_is_read_whole_or_not_at_all():
    # No marker either time, but run-4 published whole between the two looks: bronze moved.
    spark, fio = moving({SILVER: 6, BRONZE: 9})
    looks = []
    original = spark._catalog

    def catalog(statement):
        if statement == f"SELECT snapshot_id FROM {BRONZE}.`refs` WHERE name = 'main'":
            looks.append(statement)
            if len(looks) == 1:  # first look: before run-4; then run-4 publishes silver 7, bronze 10
                found = [{"snapshot_id": 9}]
                spark.snapshots.update({SILVER: 7, BRONZE: 10})
                return found
        return original(statement)

    spark._catalog = catalog
    result = run(spark, fio, sleep=lambda s: pytest.fail("nothing was publishing: no wait"))
    assert result.error is None
    text = spark.statements
    assert f"CREATE OR REPLACE TEMP VIEW `bronze` AS SELECT `id`, `name` FROM {BRONZE} VERSION AS OF 10" in text
    assert f"CREATE OR REPLACE TEMP VIEW `silver_things` AS SELECT `id` FROM {SILVER} VERSION AS OF 7" in text


def test_a_load_stopped_mid_publish_fails_the_build_in_one_line_and_writes_nothing():
    spark, fio = moving({SILVER: 6, BRONZE: 8}, marker_run="run-3")
    sleeps = []
    result = run(spark, fio, sleep=sleeps.append)
    assert len(sleeps) == int(PUBLISH_WAIT_SECONDS / PUBLISH_POLL_SECONDS)
    assert result.error == ("PublishInProgressError: dataset things: load run run-3 has been publishing for over 300 s "
                            "(datalake.publishing on glue_catalog.bronze_db.files_things): a load stopped mid-publish? "
                            "the next load of things finishes it")
    assert not any("INSERT" in s or "fast_forward" in s for s in spark.statements)


@pytest.mark.parametrize("marks,rounds,expected", [
    # marker reads, snapshot rounds (silver, bronze) in call order -> the point chosen
    ([None, None], [(5, 8), (5, 8)], (5, 8)),
    # silver of run-2 moved before the first round, its bronze after: run-2 was still publishing
    # at the second look, so wait; then both rounds agree.
    ([None, "run-2", None, None], [(6, 8), (6, 9), (6, 9)], (6, 9)),
])
def test_pin_dataset_returns_only_a_point_no_publish_straddles(marks, rounds, expected):
    marks, rounds = list(marks), [dict(zip(("silver", "bronze"), r)) for r in rounds]
    current = {}

    def snapshot(identifier):
        if identifier == "s":
            current.update(rounds.pop(0))
            return current["silver"]
        return current["bronze"]

    item = DatasetTables("things", "ledger", {"silver": "s", "bronze": "b"})
    pinned = pin_dataset(item, marker=lambda ledger: marks.pop(0), snapshot=snapshot, sleep=lambda s: None)
    assert (pinned["silver"], pinned["bronze"]) == expected
    assert marks == [] and rounds == []


def test_a_model_table_without_the_row_level_write_mode_gets_it_and_a_mode_set_on_purpose_stays():
    spark, fio = fake()
    spark.main.add(BRONZE)
    spark.properties[TABLE] = {"format-version": "2", "write.delete.mode": "copy-on-write"}
    assert run(spark, fio).error is None
    assert (f"ALTER TABLE {TABLE} SET TBLPROPERTIES ('write.merge.mode'='merge-on-read', 'write.update.mode'='merge-on-read')"
            in spark.statements)
    spark, fio = fake()
    spark.main.add(BRONZE)
    spark.properties[TABLE] = {f"write.{op}.mode": "merge-on-read" for op in ("delete", "update", "merge")}
    assert run(spark, fio).error is None
    assert not any(t.startswith(f"ALTER TABLE {TABLE} SET TBLPROPERTIES") for t in spark.statements)


SNAPSHOT_IDS = r"^SELECT snapshot_id FROM `glue_catalog`\.`sem`\.`dim_thing`\.`snapshots`$"


@pytest.mark.parametrize("aged, prune_fails, pruned", [(20, False, True), (19, False, False), (20, True, False)])
def test_an_expiry_of_an_incremental_models_snapshots_deletes_their_states(aged, prune_fails, pruned):
    state = MemoryState(prune_fails=prune_fails)
    state.saved[("dim_thing", "3")] = {"old": True}
    spark, fio = fake()
    spark.responses[:0] = [(r"^SELECT DISTINCT `_run_id` AS r FROM `bronze`", [{"r": "run-1"}]),
                           (r"`dim_other`\.`snapshots`", [{"n": 1}]), (AGED, [{"t": 0, "n": aged}]),
                           (SNAPSHOT_IDS, [{"snapshot_id": 7}, {"snapshot_id": 8}])]
    spark.main.add("`glue_catalog`.`sem`.`dim_other`")

    result = run(spark, fio, INCREMENTAL, state=state)

    # Published whatever the housekeeping does; the states of the snapshots left are kept.
    assert result.error is None and result.version is not None
    assert state.pruned == ([("dim_thing", ["7", "8"])] if pruned else [])
    assert (("dim_thing", "3") in state.saved) == (not pruned)
    refresh = [s for s in spark.statements if s == f"REFRESH TABLE {TABLE}"]
    assert len(refresh) == int(aged >= 20)


def test_a_model_that_is_not_incremental_has_no_states_to_prune():
    state = MemoryState()
    spark, fio = fake(main=True)
    spark.responses.insert(0, (AGED, [{"t": 0, "n": 20}]))
    assert run(spark, fio, state=state).error is None
    assert state.pruned == [] and not any(s.startswith(f"REFRESH TABLE {TABLE}") for s in spark.statements)


@pytest.mark.parametrize("current, raised", [("10485760b", True), ("-1", False), ("128m", False), (None, False)])
def test_a_build_broadcasts_up_to_64_mb_then_restores_the_sessions_threshold(current, raised):
    spark, fio = fake()
    if current is not None:
        spark.responses[:0] = [(r"^SET spark\.sql\.autoBroadcastJoinThreshold$",
                                [{"key": "spark.sql.autoBroadcastJoinThreshold", "value": current}])]
    assert run(spark, fio).error is None
    sets = [t for t in spark.statements if t.startswith("SET spark.sql.autoBroadcastJoinThreshold =")]
    # Raised before the first step, restored after the publish; a job's own higher value or -1 stays.
    assert sets == (["SET spark.sql.autoBroadcastJoinThreshold = 67108864",
                     f"SET spark.sql.autoBroadcastJoinThreshold = {current}"] if raised else [])
    if raised:
        text = spark.statements
        assert text.index(sets[0]) < text.index(next(t for t in text if "`hashed`" in t))
        assert text.index(sets[1]) > text.index(next(t for t in text if "fast_forward" in t))


def test_a_threshold_that_cannot_be_set_back_leaves_the_builds_result_alone():
    spark, fio = fake()
    spark.responses[:0] = [(r"^SET spark\.sql\.autoBroadcastJoinThreshold$", [{"value": "10485760b"}])]
    spark.fail_on = r"^SET spark\.sql\.autoBroadcastJoinThreshold = 10485760b$"
    result = run(spark, fio)
    assert result.error is None and result.version is not None


@pytest.mark.parametrize("recorded, refused", [
    ("load-a", True),              # the spec was edited and no load has applied the edit
    ("load-b", False),
    ("load-b.3f2a", False),        # a fingerprint keyed with the PII key's id (pii_key.py)
    (None, False),                 # a silver snapshot without a tag in reach decides nothing
])
@pytest.mark.parametrize("reads_silver", [True, False])
def test_a_build_refuses_while_a_dataset_it_reads_has_a_spec_no_load_has_applied(recorded, refused, reads_silver):
    plan = copy.deepcopy(PLAN)
    plan["sources"] = [{"dataset": "things", "silverTable": "things_current", "loadPlan": "load-b"}]
    if not reads_silver:
        # A dimension reads its source's bronze only: its silver is read at main's snapshot.
        plan["inputs"] = [i for i in plan["inputs"] if i["zone"] != "silver"]
        del plan["tables"]["silver_things"]
    spark, fio = fake()
    spark.main.update({BRONZE, SILVER})
    spark.responses[:0] = [(r"^SHOW TABLES IN `glue_catalog`\.`silver_db`$", [{"tableName": "things_current"}]),
                           (SILVER_SNAPSHOTS, [{"snapshot_id": 1, "parent_id": None,
                                                "summary": {"datalake.plan-fingerprint": recorded} if recorded else {}}])]
    result = run(spark, fio, plan)
    if refused:
        assert result.error == ("dataset things: its silver was published under load plan load-a, its spec compiles to "
                                "load-b now (a spec edit or another compiler); load things first to apply it "
                                "(locally: datalake load --dataset things --full-refresh) or revert the edit; nothing built")
        assert result.version is None and result.mode is None and result.mode_reason is None
        assert not [s for s in spark.statements if "CREATE BRANCH" in s or "fast_forward" in s]
    else:
        assert result.error is None and result.version is not None


def test_a_plan_source_without_its_fields_is_refused_in_one_line():
    plan = dict(copy.deepcopy(PLAN), sources=[{"dataset": "things", "silverTable": "things_current"}])
    with pytest.raises(ModelPlanError, match=r"^model plan s3://ops/p\.json: source .* needs dataset, silverTable and loadPlan$"):
        parse_model_plan(plan, source="s3://ops/p.json", model="dim_thing")
