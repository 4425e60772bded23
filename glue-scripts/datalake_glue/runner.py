"""One job run end to end, with every client passed in: manifest -> plan -> execute (the publish
record, then the publish) -> summary -> CloudWatch. load_dataset.main() wires the real Spark
session and boto3 clients."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Callable, List, Optional

from .args import JobArgs
from .contracts import ManifestFile, RunSummary
from .errors import error_text
from .executor import ExecutionResult, Placement, PlanIO, execute_plan
from .manifest_io import read_manifest, read_s3_json
from .metrics import put_metrics
from .pii_key import plan_hashes_pii, read_pii_key
from .plan import parse_plan
from .publish_record import S3PublishRecord
from .stop import StopSignal
from .summary import build_summary, write_summary

LOG = logging.getLogger("datalake_glue")


class RunFailed(RuntimeError):
    """Raised after the summary is written, so the Glue job run itself ends FAILED."""


class PublishIncomplete(RunFailed):
    """The run committed its publish (SUCCEEDED summary) but a fast-forward failed: raised after
    the summary and metrics so the Glue run ends FAILED with the reason (job-state records the run
    SUCCEEDED with that note); the next run of the dataset finishes the publish first."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def run_job(
    args: JobArgs,
    *,
    spark: Any,
    io: PlanIO,
    s3: Any,
    cloudwatch: Any,
    now: Callable[[], datetime] = utc_now,
    stop: Optional[StopSignal] = None,
    secrets: Any = None,
) -> RunSummary:
    """Execute the run and always write its summary (also when the manifest or plan is bad)."""
    started = now()
    result = ExecutionResult()
    manifest_files: List[ManifestFile] = []

    def summary_of(outcome: ExecutionResult, published: Any = None) -> RunSummary:
        return build_summary(
            dataset=args.dataset,
            run_id=args.run_id,
            started_at=started,
            finished_at=now(),
            counts=outcome.counts,
            files=outcome.files,
            audits=outcome.audits,
            drift_warnings=outcome.drift_warnings,
            published=published if published is not None else outcome.published,
            latest_sequence=outcome.latest_sequence,
            latest_is_time=outcome.latest_sequence_is_time,
            manifest_files=manifest_files,
            error=outcome.error,
        )

    # Versions are known only after the fast-forwards: the record leaves them empty.
    record = S3PublishRecord(s3, args.ops_bucket, args.dataset, lambda outcome: summary_of(
        outcome, {"silverVersion": "", "quarantineVersion": ""}))
    try:
        manifest = read_manifest(s3, args.manifest_uri, dataset=args.dataset, run_id=args.run_id)
        manifest_files.extend(manifest["files"])
        plan = parse_plan(read_s3_json(s3, args.plan_uri), source=args.plan_uri, dataset=args.dataset)
        placement = Placement(
            catalog_database=args.catalog_database,
            quarantine_database=args.quarantine_database,
            bronze_path=args.bronze_path,
            bronze_database=args.bronze_database,
        )
        full_refresh = args.full_refresh or bool(manifest.get("fullRefresh"))
        # Read at start, only when the plan hashes PII: the key never travels in the plan or args.
        pii_key = None
        if plan_hashes_pii(plan) and args.pii_key_secret:
            pii_key = read_pii_key(secrets, args.pii_key_secret)
        result = execute_plan(spark, io, plan, placement, manifest["files"],
                              run_id=args.run_id, full_refresh=full_refresh, stop=stop,
                              pii_key=pii_key, record=record)
    except Exception as error:  # noqa: BLE001 - every failure ends in the summary
        LOG.exception("run %s of %s failed before or outside the plan", args.run_id, args.dataset)
        result.error = error_text(error)
    if result.committed_before:
        # Published by an earlier execution of this run id: what it did stands, summary and
        # metrics included (written now only when that execution stopped before them). Outside
        # the try: a failure here must not write a FAILED summary over a committed run.
        committed, unwritten = record.committed_summary(args.run_id)
        if unwritten:
            report(s3, cloudwatch, args, committed)
        return committed
    summary = summary_of(result)
    report(s3, cloudwatch, args, summary)
    if result.publish_incomplete:
        raise PublishIncomplete(result.publish_incomplete)
    return summary


def report(s3: Any, cloudwatch: Any, args: JobArgs, summary: RunSummary) -> None:
    """Write the run's summary, then its metrics (best effort: the summary is the record)."""
    key = write_summary(s3, args.ops_bucket, summary)
    LOG.info("summary s3://%s/%s status %s", args.ops_bucket, key, summary["status"])
    try:
        put_metrics(cloudwatch, args.metrics_namespace, summary)
    except Exception:  # noqa: BLE001 - metrics are best effort; the summary is the record
        LOG.exception("PutMetricData failed for %s", args.dataset)
