"""One model job run end to end, every client passed in: plan artifact -> build with
write-audit-publish (model_executor.py) -> summary on the ops bucket. build_model.main() wires
the real Spark session and boto3 clients; local_glue.py the local ones.

The summary (`summaries/semantic/<model>/<runId>.json`, where the DuckDB build writes its own
under the workspace's ops folder) has the fields of engine/duckdb/build-model.ts
ModelBuildResult, so both engines report a build alike:
  {model, runId, status SUCCEEDED|FAILED, startedAt, finishedAt, durationMs, rows, audits,
   version (published snapshot id, null when nothing was published), currentVersion, error?,
   and for incremental plans mode, modeReason?, recomputedRows}
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Callable, Dict, Optional

from .errors import error_text
from .manifest_io import read_s3_json
from .model_args import ModelJobArgs
from .model_executor import ModelPlacement, ModelResult, execute_model, uses_pii_key
from .model_plan import parse_model_plan
from .model_state import S3ModelState
from .pii_key import read_pii_key
from .runner import utc_now
from .summary import iso

LOG = logging.getLogger("datalake_glue")


def model_summary_key(model: str, run_id: str) -> str:
    return f"summaries/semantic/{model}/{run_id}.json"


def build_model_summary(model: str, run_id: str, started: datetime, finished: datetime,
                        result: ModelResult) -> Dict[str, Any]:
    """SUCCEEDED only when the build published (every audit passed, no error)."""
    succeeded = result.error is None and result.version is not None
    summary: Dict[str, Any] = {
        "model": model,
        "runId": run_id,
        "status": "SUCCEEDED" if succeeded else "FAILED",
        "startedAt": iso(started),
        "finishedAt": iso(finished),
        "durationMs": int((finished - started).total_seconds() * 1000),
        "rows": result.rows,
        "audits": list(result.audits),
        "version": result.version if succeeded else None,
        "currentVersion": result.current_version,
    }
    if result.mode is not None:
        summary["mode"] = result.mode
        if result.mode_reason:
            summary["modeReason"] = result.mode_reason
        summary["recomputedRows"] = result.recomputed_rows
    if not succeeded:
        summary["error"] = result.error or "nothing was published"
    return summary


def run_model_job(args: ModelJobArgs, *, spark: Any, io: Any, s3: Any, secrets: Any = None,
                  now: Callable[[], datetime] = utc_now) -> Dict[str, Any]:
    """Build the model and always write its summary (also when the artifact is bad)."""
    started = now()
    result = ModelResult()
    try:
        plan = parse_model_plan(read_s3_json(s3, args.plan_uri), source=args.plan_uri, model=args.model)
        # Read at start, only when the plan hashes PII: the key never travels in the plan or args.
        pii_key: Optional[bytes] = None
        if args.pii_key_secret and (uses_pii_key(plan) or any(i["zone"] == "pii_key" for i in plan["inputs"])):
            pii_key = read_pii_key(secrets, args.pii_key_secret)
        placement = ModelPlacement(semantic_database=args.semantic_database, silver_database=args.silver_database,
                                   bronze_database=args.bronze_database, files_path=args.files_path)
        result = execute_model(spark, io, plan, placement, run_id=args.run_id,
                               full_refresh=args.full_refresh, pii_key=pii_key,
                               state=S3ModelState(s3, args.ops_bucket))
    except Exception as error:  # noqa: BLE001 - every failure ends in the summary
        LOG.exception("build %s of %s failed before or outside the plan", args.run_id, args.model)
        result.error = error_text(error)
    summary = build_model_summary(args.model, args.run_id, started, now(), result)
    key = model_summary_key(args.model, args.run_id)
    s3.put_object(Bucket=args.ops_bucket, Key=key, Body=json.dumps(summary, indent=2).encode("utf-8"),
                  ContentType="application/json")
    LOG.info("summary s3://%s/%s status %s", args.ops_bucket, key, summary["status"])
    return summary
