"""contracts.py mirrors engine/contracts.ts, and manifests are validated field by field."""

import os
import re

import pytest

from datalake_glue import contracts
from datalake_glue.contracts import ManifestError, parse_manifest
from tests.helpers import manifest

TS_CONTRACTS = os.path.join(
    os.path.dirname(__file__), "..", "..", "engine", "contracts.ts"
)


def ts_source():
    with open(TS_CONTRACTS, encoding="utf-8") as handle:
        return handle.read()


def ts_const_object(source, name):
    body = re.search(r"export const " + name + r" = \{(.*?)\} as const;", source, re.S).group(1)
    return dict(re.findall(r'(\w+): "([^"]+)"', body))


def test_contract_version_matches_typescript():
    source = ts_source()
    version = int(re.search(r"export const CONTRACT_VERSION = (\d+);", source).group(1))
    assert contracts.CONTRACT_VERSION == version


@pytest.mark.parametrize("name", ["RUN_ARGS", "JOB_ARGS", "OPTIONAL_JOB_ARGS"])
def test_glue_argument_names_match_typescript(name):
    assert getattr(contracts, name) == ts_const_object(ts_source(), name)


def test_s3_keys_match_typescript_templates():
    source = ts_source()
    manifest_template = re.search(r"manifestKey = .*?`([^`]+)`", source).group(1)
    summary_template = re.search(r"summaryKey = .*?`([^`]+)`", source).group(1)
    record_template = re.search(r"publishRecordKey = .*?`([^`]+)`", source).group(1)
    fill = lambda t: t.replace("${dataset}", "orders").replace("${runId}", "r1")
    assert contracts.manifest_key("orders", "r1") == fill(manifest_template)
    assert contracts.summary_key("orders", "r1") == fill(summary_template)
    assert contracts.publish_record_key("orders", "r1") == fill(record_template)


def test_count_fields_match_typescript_run_summary():
    source = ts_source()
    counts = re.search(r"counts: \{(.*?)\};", source, re.S).group(1)
    assert list(contracts.COUNT_FIELDS) == re.findall(r"(\w+): number;", counts)


def test_parse_manifest_accepts_a_valid_manifest():
    data = manifest()
    assert parse_manifest(data) is data


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda m: m.update(version=2), "version must be 1"),
        (lambda m: m.update(runId=""), "runId must be a non-empty string"),
        (lambda m: m.update(files={}), "files must be an array"),
        (lambda m: m["files"][1].pop("key"), r"files\[1\]\.key must be a string"),
        (lambda m: m["files"][0].update(size=-1), r"files\[0\]\.size must be a non-negative"),
        (lambda m: m["files"][0].update(size=True), r"files\[0\]\.size"),
        (lambda m: m["files"][0].pop("versionId"), r"files\[0\]\.versionId must be a string or null"),
        (lambda m: m.update(fullRefresh="yes"), "fullRefresh must be a boolean"),
        (
            lambda m: m["files"][1].update(fileId=m["files"][0]["fileId"]),
            r"files\[1\]\.fileId .* repeats files\[0\]",
        ),
    ],
)
def test_parse_manifest_names_the_bad_field(mutate, message):
    data = manifest()
    mutate(data)
    with pytest.raises(ManifestError, match=message):
        parse_manifest(data, source="s3://ops/m.json")


def test_parse_manifest_error_names_the_source():
    with pytest.raises(ManifestError, match=r"^s3://ops/m\.json: "):
        parse_manifest([], source="s3://ops/m.json")


def ts_interface_fields(source, name):
    body = re.search(r"export interface " + name + r" \{(.*?)\n\}", source, re.S).group(1)
    # Top-level fields only: two-space indent, then `name:` or `name?:`.
    return {m.group(1): m.group(2) == "?" for m in re.finditer(r"^  (\w+)(\??):", body, re.M)}


def test_summary_keys_match_typescript_run_summary():
    from datetime import datetime, timezone

    from datalake_glue.summary import build_summary, file_result

    fields = ts_interface_fields(ts_source(), "RunSummary")
    at = datetime(2026, 11, 21, tzinfo=timezone.utc)
    failed = build_summary(dataset="d", run_id="r", started_at=at, finished_at=at, error="x")
    assert set(failed) == set(fields)
    required = {name for name, optional in fields.items() if not optional}
    ok = build_summary(dataset="d", run_id="r", started_at=at, finished_at=at,
                       audits=[{"name": "a", "passed": True, "violations": 0}],
                       published={"silverVersion": "1", "quarantineVersion": "2"})
    assert set(ok) == required

    file_fields = ts_interface_fields(ts_source(), "FileResult")
    full = file_result(manifest()["files"][0], rows_read=1, reason="empty_file", extra_columns=["x"])
    assert set(full) == set(file_fields)
