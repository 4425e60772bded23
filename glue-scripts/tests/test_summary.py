from datetime import datetime, timezone

import pytest

from datalake_glue.contracts import COUNT_FIELDS
from datalake_glue.summary import (
    build_summary,
    conservation_violations,
    data_age_hours,
    file_result,
    parse_timestamp,
)
from tests.helpers import manifest

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 21, 10, 1, 30, tzinfo=timezone.utc)
PASSED = [{"name": "pk", "passed": True, "violations": 0}]
PUBLISHED = {"silverVersion": "1", "quarantineVersion": "2"}
FILE = manifest()["files"][0]


def build(**overrides):
    params = dict(dataset="orders", run_id="r1", started_at=T0, finished_at=T1, audits=PASSED,
                  published=PUBLISHED)
    params.update(overrides)
    return build_summary(**params)


def test_successful_summary_has_every_contract_field():
    summary = build(counts={"rowsRead": 3, "silverRows": 2}, latest_sequence="2026-11-21 08:01:30")
    assert summary["status"] == "SUCCEEDED" and "error" not in summary
    assert list(summary["counts"]) == list(COUNT_FIELDS)
    assert summary["counts"]["rowsRead"] == 3 and summary["counts"]["stateKeys"] == 0
    assert summary["startedAt"] == "2026-11-21T10:00:00.000Z"
    assert summary["finishedAt"] == "2026-11-21T10:01:30.000Z"
    assert summary["freshness"] == {"rowCount": 2, "latestSequence": "2026-11-21 08:01:30", "dataAgeHours": 2.0}
    assert summary["published"] == PUBLISHED and summary["version"] == 1


def test_failed_audit_fails_the_run_and_publishes_nothing():
    summary = build(audits=PASSED + [{"name": "silver_not_null", "passed": False, "violations": 4,
                                      "detail": "nulls in customer_id"}])
    assert summary["status"] == "FAILED" and summary["published"] is None
    assert summary["error"] == "audit failed: silver_not_null (4 violations): nulls in customer_id"


def test_error_wins_and_no_publish_is_a_failure():
    assert build(error="RuntimeError: x")["error"] == "RuntimeError: x"
    assert build(published=None)["error"] == "nothing was published"


def test_unknown_count_is_refused():
    with pytest.raises(ValueError, match="unknown count 'rows'"):
        build(counts={"rows": 1})


def test_file_result_derives_rows_loaded_and_outcomes():
    result = file_result(FILE, rows_read=10, rows_rejected=2, rows_quarantined=3, extra_columns=["z", "a"])
    assert (result["outcome"], result["rowsLoaded"], result["extraColumns"]) == ("LOADED", 5, ["z", "a"])
    whole = file_result(FILE, rows_read=7, rows_quarantined=1, reason="not_utf8")
    # Quarantined whole: every row counted once, under the file's reason.
    assert (whole["outcome"], whole["rowsRejected"], whole["rowsQuarantined"], whole["rowsLoaded"]) == \
        ("QUARANTINED", 0, 7, 0)
    assert file_result(FILE, rows_read=0, already_loaded=True)["outcome"] == "ALREADY_LOADED"


def test_conservation_violations_find_every_broken_rule():
    bad = file_result(FILE, rows_read=2, rows_rejected=2, rows_quarantined=1)
    counts = {"rowsRead": 5, "rejectedRows": 2, "quarantinedFileRows": 1, "currentRows": 3, "silverRows": 1,
              "quarantineRows": 1}
    problems = conservation_violations([bad], counts)
    assert len(problems) == 4
    assert "quarantinedFileRows 1 != sum over files quarantined whole 0" in problems[2]
    assert "rowsRead 2 != loaded -1" in problems[0]
    good = file_result(FILE, rows_read=5, rows_rejected=2, rows_quarantined=1)
    counts["currentRows"] = 2
    counts["quarantinedFileRows"] = 0
    assert conservation_violations([good], counts) == []


@pytest.mark.parametrize("text", ["2026-11-21 08:00:00.123456789", "2026-11-21T08:00:00.1Z",
                                  "2026-11-21T09:00:00+01:00", "2026-11-21 08:00:00"])
def test_parse_timestamp_accepts_spark_and_iso_text(text):
    assert parse_timestamp(text).astimezone(timezone.utc).replace(microsecond=0) == \
        datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)


def test_data_age_is_none_when_unknown():
    assert data_age_hours(None, T1) is None
    assert data_age_hours("not a time", T1) is None


def test_without_a_time_sequence_the_newest_loaded_file_dates_the_data():
    first, second = manifest()["files"]  # arrived 09:59:00 and 09:59:30
    files = [file_result(first, rows_read=2), file_result(second, rows_read=1, reason="not_utf8")]
    summary = build(files=files, manifest_files=[first, second], latest_sequence="42", latest_is_time=False)
    # The file quarantined whole does not make silver younger: 10:01:30 - 09:59:00.
    assert summary["freshness"]["dataAgeHours"] == round(2.5 / 60, 2)
    settled = [file_result(first, rows_read=0, already_loaded=True)]
    assert build(files=settled, manifest_files=[first], latest_is_time=False)["freshness"]["dataAgeHours"] is None
