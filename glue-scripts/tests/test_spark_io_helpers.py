"""Pure helpers of the PySpark IO layer, and the JSON log format."""

import json
import logging

from datalake_glue.logs import JsonFormatter
from datalake_glue.spark_io import ledger_rows, task_count


def test_ledger_rows_cover_accepted_files_only():
    outcomes = [
        {"fileId": "f1", "key": "k1", "version": "v1", "dataDate": "2026-11-21", "reason": None, "rowsRead": 0},
        {"fileId": "f2", "key": "k2", "version": "v2", "dataDate": "2026-11-21", "reason": "not_utf8", "rowsRead": 3},
    ]
    assert ledger_rows(outcomes, "r1") == [["f1", "k1", "v1", "r1", "2026-11-21", 0]]


def test_task_count_is_bounded_by_files_and_cores():
    assert task_count(3, 8) == 3
    assert task_count(10_000, 8) == 32
    assert task_count(0, 8) == 1


def test_json_log_lines_carry_dataset_and_run():
    record = logging.LogRecord("datalake_glue", logging.INFO, __file__, 1, "step %s", ("sql",), None)
    line = json.loads(JsonFormatter("orders", "r1", "jr_1").format(record))
    assert line == {"level": "INFO", "logger": "datalake_glue", "message": "step sql",
                    "dataset": "orders", "runId": "r1", "jobRunId": "jr_1"}
