"""boto3 calls through botocore's Stubber: manifest/plan reads, object fetches, summary writes,
CloudWatch metrics. The Stubber checks operation names and exact parameters."""

import io
import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from datalake_glue.contracts import ManifestError
from datalake_glue.file_reader import fetch_and_parse
from datalake_glue.manifest_io import read_manifest, read_s3_json
from datalake_glue.metrics import metric_data, put_metrics
from datalake_glue.summary import build_summary, write_summary
from tests.helpers import manifest

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 11, 21, 10, 5, tzinfo=timezone.utc)
SOURCE = {
    "format": "csv",
    "csv": {"delimiter": ",", "quote": '"', "nullValue": ""},
    "columns": [{"name": "order_id", "type": "bigint", "optional": False}],
    "opColumn": "Op",
}


def client(service):
    return boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")


def body(data):
    return StreamingBody(io.BytesIO(data), len(data))


def test_read_manifest_gets_the_object_and_validates_it():
    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": body(json.dumps(manifest()).encode())},
                          {"Bucket": "ops-bucket", "Key": "manifests/orders/run-20261121-0001.json"})
        result = read_manifest(s3, "s3://ops-bucket/manifests/orders/run-20261121-0001.json",
                               dataset="orders", run_id="run-20261121-0001")
        stub.assert_no_pending_responses()
    assert len(result["files"]) == 2


def test_read_manifest_refuses_another_runs_manifest():
    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": body(json.dumps(manifest()).encode())}, None)
        with pytest.raises(ManifestError, match="manifest is for run 'run-20261121-0001', job runs 'r2'"):
            read_manifest(s3, "s3://ops-bucket/m.json", dataset="orders", run_id="r2")


def test_read_s3_json_reports_non_json_with_the_uri():
    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": body(b"\xff not json")}, None)
        with pytest.raises(ValueError, match=r"s3://ops-bucket/plan\.json: not a JSON document"):
            read_s3_json(s3, "s3://ops-bucket/plan.json")


def test_missing_manifest_raises_the_client_error():
    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404)
        with pytest.raises(Exception, match="NoSuchKey"):
            read_s3_json(s3, "s3://ops-bucket/missing.json")


def test_fetch_pins_the_object_version():
    s3 = client("s3")
    file = dict(manifest()["files"][0])
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": body(b"order_id,Op\n1,I\n")},
                          {"Bucket": "landing-bucket", "Key": file["key"], "VersionId": "v1"})
        outcome, rows = fetch_and_parse(file, SOURCE, "r1", s3)
        stub.assert_no_pending_responses()
    assert outcome == {"fileId": file["fileId"], "key": file["key"], "version": "v1", "dataDate": "2026-11-21",
                       "receivedAt": "2026-11-21T09:59:00.000Z", "sequencer": "0001", "reason": None, "rowsRead": 1,
                       "extraColumns": []}
    assert rows == [["1", "I", file["key"], "v1", file["fileId"], 1, "r1", "2026-11-21"]]


def test_fetch_of_unversioned_object_requires_the_same_etag():
    s3 = client("s3")
    file = dict(manifest()["files"][1])
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": body(b"order_id\n5\n")},
                          {"Bucket": "landing-bucket", "Key": file["key"], "IfMatch": "etag2"})
        outcome, rows = fetch_and_parse(file, SOURCE, "r1", s3)
    assert outcome["version"] == "etag:etag2" and outcome["reason"] is None and [r[:2] for r in rows] == [["5", None]]


@pytest.mark.parametrize("code,status", [("NoSuchVersion", 404), ("NoSuchKey", 404), ("PreconditionFailed", 412),
                                         ("AccessDenied", 403)])
def test_an_object_version_that_is_gone_or_denied_rejects_only_that_file(code, status):
    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status)
        outcome, rows = fetch_and_parse(dict(manifest()["files"][0]), SOURCE, "r1", s3)
    assert outcome["reason"] == f"unreadable:{code}" and rows == []


@pytest.mark.parametrize("code,status", [("SlowDown", 503), ("InternalError", 500), ("NoSuchBucket", 404),
                                         ("InvalidObjectState", 403), ("KMS.KMSInvalidStateException", 400)])
def test_a_fetch_fault_of_the_environment_fails_the_run_instead_of_rejecting_the_file(code, status):
    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_client_error("get_object", service_error_code=code, http_status_code=status)
        with pytest.raises(ClientError) as raised:
            fetch_and_parse(dict(manifest()["files"][0]), SOURCE, "r1", s3)
    assert raised.value.response["Error"]["Code"] == code


def summary(**overrides):
    params = dict(dataset="orders", run_id="r1", started_at=T0, finished_at=T1,
                  counts={"rowsRead": 5, "silverRows": 4, "currentRows": 4},
                  audits=[{"name": "a", "passed": True, "violations": 0}],
                  published={"silverVersion": "11", "quarantineVersion": "12"},
                  latest_sequence="2026-11-21 07:05:00.000000")
    params.update(overrides)
    return build_summary(**params)


def test_write_summary_puts_json_at_the_contract_key():
    s3 = client("s3")
    result = summary()
    with Stubber(s3) as stub:
        stub.add_response("put_object", {}, {"Bucket": "ops-bucket", "Key": "summaries/orders/r1.json",
                                             "Body": ANY, "ContentType": "application/json"})
        key = write_summary(s3, "ops-bucket", result)
        stub.assert_no_pending_responses()
    assert key == "summaries/orders/r1.json"


def test_put_metrics_sends_freshness_and_counts_in_one_call():
    cloudwatch = client("cloudwatch")
    result = summary()
    expected = metric_data(result)
    with Stubber(cloudwatch) as stub:
        stub.add_response("put_metric_data", {}, {"Namespace": "Datalake/dev", "MetricData": expected})
        sent = put_metrics(cloudwatch, "Datalake/dev", result)
        stub.assert_no_pending_responses()
    by_name = {d["MetricName"]: d for d in expected}
    assert sent == len(expected)
    assert by_name["RowCount"]["Value"] == 4.0
    assert by_name["DataAgeHours"]["Value"] == pytest.approx(3.0, abs=0.01)
    assert all(d["Dimensions"] == [{"Name": "Dataset", "Value": "orders"}] for d in expected)


def test_failed_run_reports_counts_but_no_freshness_and_no_run_failed():
    result = summary(audits=[{"name": "a", "passed": False, "violations": 3}])
    names = {d["MetricName"]: d["Value"] for d in metric_data(result)}
    assert names["RowsRead"] == result["counts"]["rowsRead"]
    assert "RowCount" not in names and "DataAgeHours" not in names
    # RunFailed is emitted once per failed run by the handler that records it FAILED (also for
    # TIMEOUT and crashes, which write no summary); the runner emitting it too would count twice.
    assert "RunFailed" not in names
    assert "RunFailed" not in {d["MetricName"] for d in metric_data(summary())}


def test_check_then_stream_fetch_the_same_pinned_version_twice():
    from datalake_glue.file_reader import fetch_and_check, fetch_rows

    s3 = client("s3")
    file = dict(manifest()["files"][0])
    expected = {"Bucket": "landing-bucket", "Key": file["key"], "VersionId": "v1"}
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": body(b"order_id,Op,x\n1,I,a\n2,D,b\n")}, expected)
        stub.add_response("get_object", {"Body": body(b"order_id,Op,x\n1,I,a\n2,D,b\n")}, expected)
        outcome = fetch_and_check(file, SOURCE, s3)
        rows = list(fetch_rows(file, SOURCE, "r1", s3))
        stub.assert_no_pending_responses()
    assert (outcome["reason"], outcome["rowsRead"], outcome["extraColumns"]) == (None, 2, ["x"])
    assert [r[0:2] + r[5:6] for r in rows] == [["1", "I", 1], ["2", "D", 2]]


def test_a_file_over_2_gib_is_quarantined_without_being_fetched():
    # engine/file-bytes.ts MAX_FILE_BYTES: the DuckDB engine cannot read it; Glue would hold it
    # whole in an executor. Its manifest size decides, before any GetObject (none is stubbed).
    from datalake_glue.file_bytes import MAX_FILE_BYTES
    from datalake_glue.file_reader import fetch_and_check

    s3 = client("s3")
    file = dict(manifest()["files"][0], size=MAX_FILE_BYTES + 1)
    with Stubber(s3) as stub:
        outcome = fetch_and_check(file, SOURCE, s3)
        stub.assert_no_pending_responses()
    assert (outcome["reason"], outcome["rowsRead"]) == ("unsupported:larger than 2 GiB (split it into smaller files)", 0)


def test_publish_record_exists_is_a_404_check_and_other_errors_are_raised():
    from datalake_glue.publish_record import S3PublishRecord

    s3 = client("s3")
    record = S3PublishRecord(s3, "ops-bucket", "orders", summary_of=lambda result: result)
    key = {"Bucket": "ops-bucket", "Key": "summaries/orders/r1.publish.json"}
    with Stubber(s3) as stub:
        stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(b"{}"), 2)}, key)
        stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404, expected_params=key)
        stub.add_client_error("get_object", service_error_code="AccessDenied", http_status_code=403, expected_params=key)
        assert record.exists("r1") is True
        assert record.exists("r1") is False
        # A 403 is not "missing": the run stops rather than abandon a publish that may be committed.
        with pytest.raises(ClientError):
            record.exists("r1")


def test_publish_record_refuses_a_failed_summary():
    from datalake_glue.publish_record import S3PublishRecord

    record = S3PublishRecord(client("s3"), "ops-bucket", "orders", summary_of=lambda result: result)
    with pytest.raises(ValueError, match="not SUCCEEDED"):
        record.write(summary(audits=[{"name": "a", "passed": False, "violations": 1}]))
