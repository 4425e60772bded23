"""The publish record: a run's commit point, on S3 next to its summary.

Written once the audits passed, after the files ledger is marked and before the first
fast-forward (executor.LoadExecutor.publish). It holds the run's SUCCEEDED summary as known then
(published versions are not known yet: empty strings). Job-state reads it when the summary is
missing (Glue TIMEOUT after the publish, a failed summary write), so a published run is recorded
SUCCEEDED; the next run finishes a marked publish only when this record exists.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional, Tuple

from .contracts import RunSummary, publish_record_key, summary_key
from .summary import summary_bytes

NOT_FOUND_CODES = ("NoSuchKey", "404", "NotFound")


class S3PublishRecord:
    """`summary_of(result)` builds the run's summary from an executor.ExecutionResult."""

    def __init__(self, s3: Any, bucket: str, dataset: str, summary_of: Callable[[Any], RunSummary]) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.dataset = dataset
        self.summary_of = summary_of

    def write(self, result: Any) -> None:
        summary = self.summary_of(result)
        if summary["status"] != "SUCCEEDED":  # a programming error: only audited runs publish
            raise ValueError(f"publish record of a run that is not SUCCEEDED: {summary.get('error')}")
        self.s3.put_object(Bucket=self.bucket, Key=publish_record_key(self.dataset, summary["runId"]),
                           Body=summary_bytes(summary), ContentType="application/json")

    def exists(self, run_id: str) -> bool:
        """True when the record exists; any error other than not-found is raised (the job role
        lists `summaries/<dataset>/`, so a missing key is a 404, not a 403)."""
        return self.read(run_id) is not None

    def read(self, run_id: str) -> Optional[RunSummary]:
        """The record, or None when it does not exist."""
        return read_json_if_any(self.s3, self.bucket, publish_record_key(self.dataset, run_id))

    def committed_summary(self, run_id: str) -> Tuple[RunSummary, bool]:
        """For a run that had committed before this execution: its summary when it was written,
        else its record (then True: the caller writes it as the summary). Raises when neither exists."""
        summary = read_json_if_any(self.s3, self.bucket, summary_key(self.dataset, run_id))
        if summary is not None:
            return summary, False
        recorded = self.read(run_id)
        if recorded is None:
            raise RuntimeError(f"run {run_id} has neither its summary nor its publish record")
        return recorded, True


def read_json_if_any(s3: Any, bucket: str, key: str) -> Optional[Any]:
    """The JSON object at the key, or None when there is none (any other error is raised)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:  # noqa: BLE001 - botocore ClientError or LocalObjectError
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code in NOT_FOUND_CODES:
            return None
        raise
    return json.loads(body.decode("utf-8"))
