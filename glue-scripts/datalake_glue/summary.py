"""Run summary: built from counts, per-file counts and audit results (pure), written to S3.

The summary is what the job-state Lambda reads to finalize the RUN and FILE items, so it is
complete even when the run fails (counts so far, the error, published = None).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence

from .contracts import (
    CONTRACT_VERSION,
    COUNT_FIELDS,
    AuditResult,
    FileResult,
    Freshness,
    ManifestFile,
    Published,
    RunCounts,
    RunSummary,
    summary_key,
)


def file_result(
    file: ManifestFile,
    *,
    rows_read: int,
    rows_rejected: int = 0,
    rows_quarantined: int = 0,
    reason: Optional[str] = None,
    extra_columns: Optional[Sequence[str]] = None,
    already_loaded: bool = False,
) -> FileResult:
    """One file's result; rowsLoaded is the rest (contracts.ts: read = loaded + quarantined + rejected).

    A file quarantined whole (`reason`) counts every row once, as quarantined under that reason.
    """
    if reason is not None:
        rows_rejected = 0
        rows_quarantined = rows_read
    result: FileResult = {
        "fileId": file["fileId"],
        "key": file["key"],
        "versionId": file.get("versionId"),
        "outcome": "ALREADY_LOADED" if already_loaded else ("QUARANTINED" if reason else "LOADED"),
        "rowsRead": rows_read,
        "rowsLoaded": rows_read - rows_rejected - rows_quarantined,
        "rowsQuarantined": rows_quarantined,
        "rowsRejected": rows_rejected,
    }
    if reason is not None:
        result["reason"] = reason
    if extra_columns:
        result["extraColumns"] = list(extra_columns)  # header order, like the DuckDB executor
    return result


def conservation_violations(files: Iterable[FileResult], counts: Optional[RunCounts] = None) -> List[str]:
    """Every broken conservation rule, as readable strings (empty list = conserved)."""
    problems: List[str] = []
    total_read = total_rejected = total_quarantined_whole = 0
    for f in files:
        parts = (f["rowsLoaded"], f["rowsQuarantined"], f["rowsRejected"])
        if min(parts + (f["rowsRead"],)) < 0 or sum(parts) != f["rowsRead"]:
            problems.append(
                f"{f['key']}: rowsRead {f['rowsRead']} != loaded {parts[0]} + quarantined "
                f"{parts[1]} + rejected {parts[2]}"
            )
        # Run-level counts include files quarantined whole (added by the executor to the plan's
        # rows_read, like engine/duckdb/run-load.ts).
        if f["outcome"] != "ALREADY_LOADED":
            total_read += f["rowsRead"]
            total_rejected += f["rowsRejected"]
            if f["outcome"] == "QUARANTINED":
                total_quarantined_whole += f["rowsQuarantined"]
    if counts is not None:
        if counts["rowsRead"] != total_read:
            problems.append(f"run rowsRead {counts['rowsRead']} != sum over files {total_read}")
        if counts["rejectedRows"] != total_rejected:
            problems.append(
                f"run rejectedRows {counts['rejectedRows']} != sum over files {total_rejected}"
            )
        if counts["quarantinedFileRows"] != total_quarantined_whole:
            problems.append(
                f"run quarantinedFileRows {counts['quarantinedFileRows']} != sum over files "
                f"quarantined whole {total_quarantined_whole}"
            )
        if counts["currentRows"] != counts["silverRows"] + counts["quarantineRows"]:
            problems.append(
                f"currentRows {counts['currentRows']} != silver {counts['silverRows']} + "
                f"quarantine {counts['quarantineRows']}"
            )
    return problems


def parse_timestamp(value: str) -> datetime:
    """ISO-8601 or Spark's `yyyy-MM-dd HH:mm:ss[.ffffff]`; naive values are UTC."""
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python < 3.11 accepts only 0, 3 or 6 fraction digits: pad/truncate to microseconds.
    head, dot, tail = text.partition(".")
    if dot:
        # Only the fraction's own digits: "52.5+02:00" has the zone's digits after it.
        digits = tail[:len(tail) - len(tail.lstrip("0123456789"))]
        zone = tail[len(digits):]
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def data_age_hours(latest_sequence: Optional[str], now: datetime) -> Optional[float]:
    """Hours from the newest change in the data to `now`; None when unknown or unparseable."""
    if not latest_sequence:
        return None
    try:
        latest = parse_timestamp(latest_sequence)
    except ValueError:
        return None
    return round((now - latest).total_seconds() / 3600.0, 2)


def newest_loaded_arrival(manifest_files: Sequence[ManifestFile], files: Sequence[FileResult]) -> Optional[str]:
    """receivedAt of the newest file this run LOADED: the data's age without a time sequence.

    A dataset keyed by a counter (DMS without a timestamp column) still tells the stale-data alarm
    it is fed; files quarantined whole or settled by an earlier run do not make silver fresher.
    """
    loaded = {f["fileId"] for f in files if f["outcome"] == "LOADED"}
    arrivals = [parse_timestamp(f["receivedAt"]) for f in manifest_files if f["fileId"] in loaded]
    return max(arrivals).isoformat() if arrivals else None


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def empty_counts() -> RunCounts:
    return {field: 0 for field in COUNT_FIELDS}  # type: ignore[return-value]


def build_summary(
    *,
    dataset: str,
    run_id: str,
    started_at: datetime,
    finished_at: datetime,
    counts: Optional[Dict[str, int]] = None,
    files: Sequence[FileResult] = (),
    audits: Sequence[AuditResult] = (),
    drift_warnings: Sequence[str] = (),
    published: Optional[Published] = None,
    latest_sequence: Optional[str] = None,
    latest_is_time: bool = True,
    manifest_files: Sequence[ManifestFile] = (),
    error: Optional[str] = None,
) -> RunSummary:
    """The run summary. SUCCEEDED only with no error, every audit passed, and a publish."""
    full_counts = empty_counts()
    for field, value in (counts or {}).items():
        if field not in full_counts:
            raise ValueError(f"unknown count {field!r} (expected one of {', '.join(COUNT_FIELDS)})")
        full_counts[field] = int(value)  # type: ignore[literal-required]
    failed_audits = [a for a in audits if not a["passed"]]
    if error is None and failed_audits:
        error = "audit failed: " + "; ".join(
            f"{a['name']} ({a['violations']} violations)" + (f": {a['detail']}" if a.get("detail") else "")
            for a in failed_audits
        )
    if error is None and published is None:
        error = "nothing was published"
    status = "SUCCEEDED" if error is None else "FAILED"
    freshness: Freshness = {
        "rowCount": full_counts["silverRows"],
        "latestSequence": latest_sequence,
        # Only a date or timestamp sequence dates the data (plan.sequence_is_time); otherwise the
        # newest loaded file's arrival does.
        "dataAgeHours": data_age_hours(
            latest_sequence if latest_is_time else newest_loaded_arrival(manifest_files, files), finished_at),
    }
    summary: RunSummary = {
        "version": CONTRACT_VERSION,
        "dataset": dataset,
        "runId": run_id,
        "status": status,  # type: ignore[typeddict-item]
        "startedAt": iso(started_at),
        "finishedAt": iso(finished_at),
        "counts": full_counts,
        "files": list(files),
        "audits": list(audits),
        "driftWarnings": list(drift_warnings),
        "published": published if status == "SUCCEEDED" else None,
        "freshness": freshness,
    }
    if error is not None:
        summary["error"] = error
    return summary


def summary_bytes(summary: RunSummary) -> bytes:
    return json.dumps(summary, indent=2, sort_keys=False).encode("utf-8")


def write_summary(s3: Any, bucket: str, summary: RunSummary) -> str:
    """PutObject the summary at summaries/<dataset>/<runId>.json; returns the key.

    Encryption comes from the ops bucket's default SSE-KMS configuration (set by infra).
    """
    key = summary_key(summary["dataset"], summary["runId"])
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=summary_bytes(summary),
        ContentType="application/json",
    )
    return key
