"""The publish record: a run's commit point, on S3 next to its summary.

Written once the audits passed, after the files ledger is marked and before the first
fast-forward (executor.LoadExecutor.publish). It holds the run's SUCCEEDED summary as known then
(published versions are not known yet: empty strings). Job-state reads it when the summary is
missing (Glue TIMEOUT after the publish, a failed summary write), so a published run is recorded
SUCCEEDED; the next run finishes a marked publish only when this record exists.
"""

from __future__ import annotations

from typing import Any, Callable

from .contracts import RunSummary, publish_record_key
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
        try:
            self.s3.get_object(Bucket=self.bucket, Key=publish_record_key(self.dataset, run_id))
        except Exception as error:  # noqa: BLE001 - botocore ClientError or LocalObjectError
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code in NOT_FOUND_CODES:
                return False
            raise
        return True
