"""Pure helpers of the PySpark IO layer, and the JSON log format."""

import json
import logging

from datalake_glue.logs import JsonFormatter
from datalake_glue.csv_reader import received_at
from datalake_glue.spark_io import byte_size, fits_broadcast, ledger_rows, task_count


def test_ledger_rows_cover_accepted_files_only():
    outcomes = [
        {"fileId": "f1", "key": "k1", "version": "v1", "dataDate": "2026-11-21", "reason": None, "rowsRead": 0,
         "receivedAt": "2026-11-21T09:59:00.000Z", "sequencer": "00AB"},
        {"fileId": "f2", "key": "k2", "version": "v2", "dataDate": "2026-11-21", "reason": "not_utf8", "rowsRead": 3,
         "receivedAt": "2026-11-21T10:00:00.000Z", "sequencer": "00AC"},
    ]
    assert ledger_rows(outcomes, "r1") == [["f1", "k1", "v1", "r1", "2026-11-21", 0, "2026-11-21T09:59:00.000Z", "00AB"]]


def test_received_at_is_iso_utc_with_milliseconds_like_javascript():
    # The ledger's _received_at (engine/duckdb/read-files.ts receivedAtText): text order = time order.
    assert received_at("2026-11-30T15:29:52Z") == "2026-11-30T15:29:52.000Z"
    assert received_at("2026-11-30T15:29:52.123456Z") == "2026-11-30T15:29:52.123Z"
    assert received_at("2026-11-30T17:29:52.5+02:00") == "2026-11-30T15:29:52.500Z"
    assert received_at("2026-11-30T15:29:52") == "2026-11-30T15:29:52.000Z"
    assert received_at("2026-11-30 15:29:52.25") == "2026-11-30T15:29:52.250Z"


def test_task_count_is_bounded_by_files_and_cores():
    assert task_count(3, 8) == 3
    assert task_count(10_000, 8) == 32
    assert task_count(0, 8) == 1


def test_json_log_lines_carry_dataset_and_run():
    record = logging.LogRecord("datalake_glue", logging.INFO, __file__, 1, "step %s", ("sql",), None)
    line = json.loads(JsonFormatter("orders", "r1", "jr_1").format(record))
    assert line == {"level": "INFO", "logger": "datalake_glue", "message": "step sql",
                    "dataset": "orders", "runId": "r1", "jobRunId": "jr_1"}


def test_a_checkpoint_is_broadcast_when_its_real_size_fits_the_sessions_threshold():
    # 25,000 keys of 8 bytes fit 10 MB; a million 300-byte rows do not; -1 turns broadcasting off.
    assert fits_broadcast(25_000, 8, byte_size("10485760b"))
    assert not fits_broadcast(1_000_000, 300, byte_size("10m"))
    assert not fits_broadcast(10, 8, byte_size("-1"))
    assert [byte_size(v) for v in ("64k", "1g", "2MB", "nonsense")] == [65536, 1024 ** 3, 2 * 1024 ** 2, -1]
