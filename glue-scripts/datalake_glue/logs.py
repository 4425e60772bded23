"""JSON log lines with the dataset and run id on every line (CloudWatch Logs Insights friendly)."""

from __future__ import annotations

import json
import logging
from typing import Optional


class JsonFormatter(logging.Formatter):
    def __init__(self, dataset: str, run_id: str, job_run_id: Optional[str] = None) -> None:
        super().__init__()
        self.context = {"dataset": dataset, "runId": run_id}
        if job_run_id:
            self.context["jobRunId"] = job_run_id

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **self.context,
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line)


def configure(dataset: str, run_id: str, job_run_id: Optional[str] = None) -> None:
    """Route the runner's logger to stdout as JSON (Glue ships stdout to CloudWatch Logs)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(dataset, run_id, job_run_id))
    logger = logging.getLogger("datalake_glue")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
