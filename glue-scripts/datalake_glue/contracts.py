"""Python mirror of engine/contracts.ts: manifest, run summary, Glue argument names, S3 keys.

Change both files together; tests/test_contracts.py fails when the two drift apart.
"""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict

CONTRACT_VERSION = 1

# Glue job arguments set per run by the handlers (StartJobRun Arguments).
RUN_ARGS = {
    "dataset": "--dataset",
    "runId": "--run_id",
    "manifestUri": "--manifest_uri",
    "fullRefresh": "--full_refresh",
}

# Glue job arguments set once per job by the Pulumi program (DefaultArguments).
JOB_ARGS = {
    "planUri": "--plan_uri",
    "opsBucket": "--ops_bucket",
    "bronzePath": "--bronze_path",
    "warehousePath": "--warehouse_path",
    "catalogDatabase": "--catalog_database",
    "quarantineDatabase": "--quarantine_database",
    "metricsNamespace": "--metrics_namespace",
}

# Glue job arguments the Pulumi program may set; the runner has a default for each (args.py).
# bronzeDatabase: own database for bronze/files/state (default: --catalog_database).
OPTIONAL_JOB_ARGS = {
    "bronzeDatabase": "--bronze_database",
    "piiKeySecret": "--pii_key_secret",
}


def manifest_key(dataset: str, run_id: str) -> str:
    return f"manifests/{dataset}/{run_id}.json"


def summary_key(dataset: str, run_id: str) -> str:
    return f"summaries/{dataset}/{run_id}.json"


def publish_record_key(dataset: str, run_id: str) -> str:
    """The run's commit point (engine/contracts.ts publishRecordKey)."""
    return f"summaries/{dataset}/{run_id}.publish.json"


FileOutcome = Literal["LOADED", "QUARANTINED", "ALREADY_LOADED"]
RunStatus = Literal["SUCCEEDED", "FAILED"]


class ManifestFile(TypedDict, total=False):
    fileId: str
    bucket: str
    key: str
    versionId: Optional[str]
    etag: str
    sequencer: str
    size: int
    receivedAt: str
    localPath: str


class Manifest(TypedDict, total=False):
    version: int
    dataset: str
    runId: str
    createdAt: str
    fullRefresh: bool
    files: List[ManifestFile]


class FileResult(TypedDict, total=False):
    fileId: str
    key: str
    versionId: Optional[str]
    outcome: FileOutcome
    reason: str
    rowsRead: int
    rowsLoaded: int
    rowsQuarantined: int
    rowsRejected: int
    extraColumns: List[str]


class AuditResult(TypedDict, total=False):
    name: str
    passed: bool
    violations: int
    detail: str


class RunCounts(TypedDict):
    rowsRead: int
    bronzeRows: int
    rejectedRows: int
    quarantinedFileRows: int
    changesApplied: int
    stateKeys: int
    currentRows: int
    silverRows: int
    quarantineRows: int


class Published(TypedDict):
    silverVersion: str
    quarantineVersion: str


class Freshness(TypedDict):
    rowCount: int
    latestSequence: Optional[str]
    dataAgeHours: Optional[float]


class RunSummary(TypedDict, total=False):
    version: int
    dataset: str
    runId: str
    status: RunStatus
    error: str
    startedAt: str
    finishedAt: str
    counts: RunCounts
    files: List[FileResult]
    audits: List[AuditResult]
    driftWarnings: List[str]
    published: Optional[Published]
    freshness: Freshness


COUNT_FIELDS = (
    "rowsRead",
    "bronzeRows",
    "rejectedRows",
    "quarantinedFileRows",
    "changesApplied",
    "stateKeys",
    "currentRows",
    "silverRows",
    "quarantineRows",
)


class ManifestError(ValueError):
    """The manifest JSON does not match the contract (names the field and the manifest URI)."""


_FILE_STRING_FIELDS = ("fileId", "bucket", "key", "etag", "sequencer", "receivedAt")


def parse_manifest(data: Any, source: str = "<manifest>") -> Manifest:
    """Validate a decoded manifest; raise ManifestError naming the bad field.

    Why strict: a manifest written by another version of the handlers must fail the run loudly
    rather than load the wrong files.
    """
    if not isinstance(data, dict):
        raise ManifestError(f"{source}: manifest must be a JSON object")
    if data.get("version") != CONTRACT_VERSION:
        raise ManifestError(
            f"{source}: version must be {CONTRACT_VERSION}, got {data.get('version')!r}"
        )
    for field in ("dataset", "runId", "createdAt"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise ManifestError(f"{source}: {field} must be a non-empty string")
    if "fullRefresh" in data and not isinstance(data["fullRefresh"], bool):
        raise ManifestError(f"{source}: fullRefresh must be a boolean")
    files = data.get("files")
    if not isinstance(files, list):
        raise ManifestError(f"{source}: files must be an array")
    seen: Dict[str, int] = {}
    for index, item in enumerate(files):
        where = f"{source}: files[{index}]"
        if not isinstance(item, dict):
            raise ManifestError(f"{where} must be an object")
        for field in _FILE_STRING_FIELDS:
            if not isinstance(item.get(field), str):
                raise ManifestError(f"{where}.{field} must be a string")
        if not item["key"]:
            raise ManifestError(f"{where}.key must not be empty")
        if "versionId" not in item or not (
            item["versionId"] is None or isinstance(item["versionId"], str)
        ):
            raise ManifestError(f"{where}.versionId must be a string or null")
        size = item.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ManifestError(f"{where}.size must be a non-negative integer")
        # The same listing twice is allowed (the second reads as ALREADY_LOADED); one id for two
        # different objects is a broken manifest.
        first = seen.get(item["fileId"])
        if first is not None and (files[first]["key"], files[first]["versionId"]) != (item["key"], item["versionId"]):
            raise ManifestError(
                f"{where}.fileId {item['fileId']!r} repeats files[{first}] for another object"
            )
        seen.setdefault(item["fileId"], index)
    return data  # type: ignore[return-value]
