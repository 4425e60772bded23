"""Fetch one manifest object from S3 and parse it (runs on Spark executors; no Spark imports).

The read_files step maps `fetch_and_check` over the manifest's files (small per-file outcomes
for the summary and the files ledger), then flat-maps `fetch_rows` over the accepted ones: two
GETs of the same pinned version, but no task ever holds a file's parsed rows in memory.
"""

from __future__ import annotations

import errno
import os
from typing import Any, Dict, Iterator, List, Optional, Tuple

from .csv_reader import (
    ParsedFile,
    data_date,
    iter_csv_rows,
    iter_lineage_rows,
    lineage_rows,
    parse_csv_bytes,
    received_at,
    source_version,
)
from .file_bytes import MAX_FILE_BYTES, TOO_LARGE_REASON
from .jsonl_reader import iter_jsonl_rows, parse_jsonl_bytes
from .parquet_reader import ParquetPending, check_parquet_bytes, is_parquet

_S3_CLIENT: Optional[Any] = None

#: Set (to "1") by a local run only (local_env.py): manifest files then name their bytes with
#: `localPath` (local mode keeps one copy per object version), read from disk instead of S3.
#: Workers inherit it from the driver's environment. Never set on Glue.
LOCAL_PATHS_ENV = "DATALAKE_LOCAL_PATHS"

# What S3 answers for the same fault, so a local run rejects (or fails) exactly like Glue does
# and gives the same reason: a gone file is NoSuchKey, a denied one AccessDenied.
_LOCAL_ERROR_CODES = {errno.ENOENT: "NoSuchKey", errno.EACCES: "AccessDenied", errno.EPERM: "AccessDenied"}


class LocalObjectError(OSError):
    """A local read failure shaped like botocore's ClientError (`.response["Error"]["Code"]`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.response = {"Error": {"Code": code, "Message": message}}


def default_s3() -> Any:
    """One boto3 S3 client per Python worker process (clients are not picklable)."""
    global _S3_CLIENT
    if _S3_CLIENT is None:
        import boto3

        _S3_CLIENT = boto3.client("s3")
    return _S3_CLIENT


def fetch_bytes(s3: Any, file: Dict[str, Any]) -> bytes:
    """The exact object version of the manifest (versionId, else the etag must still match)."""
    local_path = file.get("localPath")
    if local_path and os.environ.get(LOCAL_PATHS_ENV) == "1":
        return read_local(local_path)
    request: Dict[str, Any] = {"Bucket": file["bucket"], "Key": file["key"]}
    if file.get("versionId") is not None:
        request["VersionId"] = file["versionId"]
    elif file.get("etag"):
        request["IfMatch"] = file["etag"]
    return s3.get_object(**request)["Body"].read()


def read_local(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        code = _LOCAL_ERROR_CODES.get(error.errno or 0)
        if code is None:
            raise  # an I/O fault of the machine fails the run, as a 5xx does on Glue
        raise LocalObjectError(code, f"{code}: {path}") from error


def fetch_and_check(
    file: Dict[str, Any], source: Dict[str, Any], s3: Optional[Any] = None
) -> Dict[str, Any]:
    """Outcome of one file without keeping its rows. Keys: fileId, key, version, dataDate,
    reason (None when accepted), rowsRead, extraColumns."""
    return _outcome(file, _fetch_parsed(file, source, s3, keep_rows=False))


def fetch_rows(
    file: Dict[str, Any], source: Dict[str, Any], run_id: str, s3: Optional[Any] = None
) -> Iterator[List[Any]]:
    """Bronze rows of a file fetch_and_check accepted, streamed (the same pinned version)."""
    client = s3 if s3 is not None else default_s3()
    data = fetch_bytes(client, file)
    if source["format"] == "jsonl":
        yield from iter_lineage_rows(iter_jsonl_rows(data, source), file, run_id)
        return
    _require_csv(source)
    yield from iter_lineage_rows(iter_csv_rows(data, source, file["key"]), file, run_id)


def fetch_and_parse(
    file: Dict[str, Any], source: Dict[str, Any], run_id: str, s3: Optional[Any] = None
) -> Tuple[Dict[str, Any], List[List[Any]]]:
    """(outcome, bronze rows) of one file in one fetch (small files, tests)."""
    parsed = _fetch_parsed(file, source, s3, keep_rows=True)
    return _outcome(file, parsed), lineage_rows(parsed, file, run_id) if parsed.accepted else []


def _fetch_parsed(
    file: Dict[str, Any], source: Dict[str, Any], s3: Optional[Any], *, keep_rows: bool
) -> ParsedFile:
    if file["size"] > MAX_FILE_BYTES:  # never fetched: it could not load on the DuckDB engine
        return ParsedFile(reason=TOO_LARGE_REASON)
    client = s3 if s3 is not None else default_s3()
    try:
        data = fetch_bytes(client, file)
    except Exception as error:  # noqa: BLE001 - classified below
        if not rejects_file(error):
            # Throttling, 5xx, the network, a KMS or IAM fault: not the file's fault. Raising fails
            # the task (Spark retries it), then the run: its files end FAILED, not QUARANTINED.
            raise
        return ParsedFile(reason=f"unreadable:{_error_message(error)}")
    routed = _by_format(data, source, keep_rows=keep_rows)
    if routed is not None:
        return routed
    _require_csv(source)
    return parse_csv_bytes(data, source, keep_rows=keep_rows, key=file["key"])


# Answers that are about this object version, not the environment: it no longer exists
# (deleted, or replaced in an unversioned bucket so the etag no longer matches), or access to it
# is denied, which is also what S3 answers for a missing object when the caller may not list
# the bucket (the job role has prefix-scoped s3:ListBucket so a gone version reads 404, but a
# deny must not hold a whole batch hostage to one file either). The file is rejected with the
# code as its reason. Anything else (throttling, 5xx, network, NoSuchBucket, an archived object
# that can be restored) fails the run.
_FILE_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "PreconditionFailed", "AccessDenied"})


def rejects_file(error: Exception) -> bool:
    """True when a GetObject error is about the object version itself (see _FILE_CODES)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    return str((response.get("Error") or {}).get("Code") or "") in _FILE_CODES


def _outcome(file: Dict[str, Any], parsed: ParsedFile) -> Dict[str, Any]:
    return {
        "fileId": file["fileId"],
        "key": file["key"],
        "version": source_version(file),
        "dataDate": data_date(file["receivedAt"]),
        "receivedAt": received_at(file["receivedAt"]),
        "sequencer": file["sequencer"],
        "reason": parsed.reason,
        "rowsRead": parsed.rows_read,
        "extraColumns": parsed.extra_columns,
        # Read by Spark on the driver (SparkIO.read_files -> parquet_reader.read_parquet).
        **({"parquet": True} if isinstance(parsed, ParquetPending) else {}),
    }


def _by_format(data: bytes, source: Dict[str, Any], *, keep_rows: bool) -> Optional[ParsedFile]:
    """Files the CSV reader does not read, by the dataset's format and the bytes (never the
    name): Parquet (parquet datasets, and Parquet files in dms datasets) and JSON lines. None:
    the CSV path reads it."""
    fmt = source["format"]
    if fmt in ("parquet", "jsonl") and len(data) == 0:
        return ParsedFile(reason="empty_file")
    if fmt == "parquet":
        return check_parquet_bytes(data) if is_parquet(data) else ParsedFile(reason="not_parquet")
    if fmt == "jsonl":
        return parse_jsonl_bytes(data, source, keep_rows=keep_rows)
    if fmt == "dms" and is_parquet(data):
        return check_parquet_bytes(data)
    return None


def _require_csv(source: Dict[str, Any]) -> None:
    if source["format"] not in ("csv", "dms"):
        raise ValueError(f"read_files supports csv and dms only on Glue, plan source is {source['format']}")


def _error_message(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return str(response["Error"].get("Code") or response["Error"].get("Message"))
    return f"{type(error).__name__}: {error}"
