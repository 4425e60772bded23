"""A whole job run with stubbed S3/CloudWatch and a fake Spark: the summary is always written."""

import io
import json
import os
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from datalake_glue.args import resolve_args, simple_resolver
from datalake_glue.runner import PublishIncomplete, run_job
from datalake_glue.summary import parse_timestamp
from tests.fake_spark import FakeIO, FakeSpark
from tests.helpers import JOB_ARGV, manifest
from tests.test_executor import counts_row, spark_for

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
MANIFEST_KEY = "manifests/orders/run-20261121-0001.json"
SUMMARY_KEY = "summaries/orders/run-20261121-0001.json"
RECORD_KEY = "summaries/orders/run-20261121-0001.publish.json"


def client(service):
    return boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")


def body(data):
    return StreamingBody(io.BytesIO(data), len(data))


def plan_json():
    with open(os.path.join(FIXTURES, "plan-orders.spark.json"), encoding="utf-8") as handle:
        return json.load(handle)


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(seconds=30)
        return self.now


class Capture:
    def __init__(self):
        self.body = None

    def __eq__(self, other):
        self.body = other
        return True


def stub_run(s3_stub, cw_stub, manifest_data, plan_data, captured, with_metrics=True, record=None,
             summary_error=None, executes=True):
    """`record`: a Capture for the publish record the run writes before publishing (None: the
    run must not publish). `summary_error`: the summary PutObject fails with this code.
    `executes`: the plan reaches the executor (False: it is refused before)."""
    s3_stub.add_response("get_object", {"Body": body(json.dumps(manifest_data).encode())},
                         {"Bucket": "ops-bucket", "Key": MANIFEST_KEY})
    if plan_data is not None:
        s3_stub.add_response("get_object", {"Body": body(json.dumps(plan_data).encode())},
                             {"Bucket": "ops-bucket", "Key": "plans/orders/abc123.json"})
    if plan_data is not None and executes:
        # The executor asks whether this run id published before (it has not).
        s3_stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404,
                                 expected_params={"Bucket": "ops-bucket", "Key": RECORD_KEY})
    if record is not None:
        s3_stub.add_response("put_object", {}, {"Bucket": "ops-bucket", "Key": RECORD_KEY,
                                                "Body": record, "ContentType": "application/json"})
    if summary_error:
        s3_stub.add_client_error("put_object", service_error_code=summary_error, http_status_code=503)
        return
    s3_stub.add_response("put_object", {}, {"Bucket": "ops-bucket", "Key": SUMMARY_KEY,
                                            "Body": captured, "ContentType": "application/json"})
    if with_metrics:
        cw_stub.add_response("put_metric_data", {}, {"Namespace": "Datalake/dev", "MetricData": ANY})


def test_successful_run_writes_a_succeeded_summary_and_metrics():
    args = resolve_args(JOB_ARGV, simple_resolver)
    plan = plan_json()
    spark, plan_io = spark_for(plan)
    s3, cloudwatch, captured = client("s3"), client("cloudwatch"), Capture()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(), plan, captured, record=Capture())
        summary = run_job(args, spark=spark, io=plan_io, s3=s3, cloudwatch=cloudwatch, now=Clock())
        s3_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()
    written = json.loads(captured.body)
    assert written == summary
    assert written["status"] == "SUCCEEDED", written.get("error")
    assert written["counts"]["silverRows"] == 3
    assert [f["rowsLoaded"] for f in written["files"]] == [1, 3]
    assert written["startedAt"] == "2026-11-21T10:00:30.000Z"


@pytest.mark.parametrize("sequence_type, latest, dated_by", [
    ("timestamp", "2026-11-21 09:00:00.000000", "sequence"),
    ("date", "2026-11-21", "sequence"),
    ("bigint", "20261121", "arrival"),  # a counter, not a day: it read as 2026-11-21 and aged 10 h
    ("double", "2.5", "arrival"),
])
def test_a_time_sequence_dates_the_data_and_otherwise_the_newest_loaded_file_does(sequence_type, latest, dated_by):
    args = resolve_args(JOB_ARGV, simple_resolver)
    plan = plan_json()
    for column in plan["source"]["columns"]:
        if column["name"] == plan["source"]["sequenceColumns"][0]:
            column["type"] = sequence_type
    spark, plan_io = spark_for(plan, counts=counts_row(latest_sequence=latest))
    s3, cloudwatch, captured = client("s3"), client("cloudwatch"), Capture()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(), plan, captured, record=Capture())
        summary = run_job(args, spark=spark, io=plan_io, s3=s3, cloudwatch=cloudwatch, now=Clock())
    assert summary["status"] == "SUCCEEDED", summary.get("error")
    assert summary["freshness"]["latestSequence"] == latest
    loaded = {f["fileId"] for f in summary["files"] if f["outcome"] == "LOADED"}
    newest_arrival = max(f["receivedAt"] for f in manifest()["files"] if f["fileId"] in loaded)
    dated = latest if dated_by == "sequence" else newest_arrival
    finished = parse_timestamp(summary["finishedAt"])
    expected = round((finished - parse_timestamp(dated)).total_seconds() / 3600.0, 2)
    assert summary["freshness"]["dataAgeHours"] == expected


def test_bad_plan_still_writes_a_failed_summary():
    args = resolve_args(JOB_ARGV, simple_resolver)
    plan = plan_json()
    plan["dialect"] = "duckdb"
    s3, cloudwatch, captured = client("s3"), client("cloudwatch"), Capture()
    spark = FakeSpark()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(), plan, captured, executes=False)
        summary = run_job(args, spark=spark, io=FakeIO([]), s3=s3, cloudwatch=cloudwatch, now=Clock())
        s3_stub.assert_no_pending_responses()
    assert summary["status"] == "FAILED" and "dialect must be 'spark'" in summary["error"]
    assert spark.statements == []
    assert json.loads(captured.body)["published"] is None


def test_manifest_of_another_dataset_fails_before_touching_spark():
    args = resolve_args(JOB_ARGV, simple_resolver)
    s3, cloudwatch, captured = client("s3"), client("cloudwatch"), Capture()
    spark = FakeSpark()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(dataset="customers"), None, captured)
        summary = run_job(args, spark=spark, io=FakeIO([]), s3=s3, cloudwatch=cloudwatch, now=Clock())
    assert "manifest is for dataset 'customers'" in summary["error"]
    assert spark.statements == []


def test_metrics_failure_does_not_lose_the_summary():
    args = resolve_args(JOB_ARGV, simple_resolver)
    plan = plan_json()
    spark, plan_io = spark_for(plan)
    s3, cloudwatch, captured = client("s3"), client("cloudwatch"), Capture()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(), plan, captured, with_metrics=False, record=Capture())
        cw_stub.add_client_error("put_metric_data", service_error_code="Throttling", http_status_code=400)
        summary = run_job(args, spark=spark, io=plan_io, s3=s3, cloudwatch=cloudwatch, now=Clock())
        s3_stub.assert_no_pending_responses()
    assert summary["status"] == "SUCCEEDED" and captured.body is not None


def test_full_refresh_from_the_manifest_switches_the_mode():
    args = resolve_args(JOB_ARGV, simple_resolver)
    plan = plan_json()
    spark, plan_io = spark_for(plan)
    s3, cloudwatch, captured = client("s3"), client("cloudwatch"), Capture()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(fullRefresh=True), plan, captured, record=Capture())
        run_job(args, spark=spark, io=plan_io, s3=s3, cloudwatch=cloudwatch, now=Clock())
    assert any("VIEW `bronze_prev`" in s for s in spark.statements)


def test_a_lost_summary_leaves_the_publish_record_written_before_the_publish():
    # The summary PutObject fails after the publish: the run raises (Glue ends it FAILED), and
    # job-state finds the record, written before the first fast-forward, and records SUCCEEDED.
    args = resolve_args(JOB_ARGV, simple_resolver)
    plan = plan_json()
    spark, plan_io = spark_for(plan)
    s3, cloudwatch, record = client("s3"), client("cloudwatch"), Capture()
    s3.meta.events.register("before-parameter-build.s3.PutObject", lambda **kw: spark.log.append(("put", kw["params"]["Key"])))
    with Stubber(s3) as s3_stub, Stubber(cloudwatch):
        stub_run(s3_stub, None, manifest(), plan, None, record=record, summary_error="SlowDown")
        with pytest.raises(ClientError):
            run_job(args, spark=spark, io=plan_io, s3=s3, cloudwatch=cloudwatch, now=Clock())
        s3_stub.assert_no_pending_responses()
    written = json.loads(record.body)
    assert written["status"] == "SUCCEEDED" and written["runId"] == "run-20261121-0001"
    assert [f["rowsLoaded"] for f in written["files"]] == [1, 3]
    assert written["counts"]["silverRows"] == 3
    order = [e[0] if e[0] == "put" else e[1] for e in spark.log if e[0] == "put" or "fast_forward" in e[1]]
    assert order[0] == "put" and "fast_forward" in order[1]


def test_a_publish_cut_short_after_the_record_is_a_succeeded_summary_then_an_error():
    args = resolve_args(JOB_ARGV, simple_resolver)
    plan = plan_json()
    spark, plan_io = spark_for(plan, fail_on=r"fast_forward\(table => '[^']*files_orders'")
    s3, cloudwatch, captured = client("s3"), client("cloudwatch"), Capture()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(), plan, captured, record=Capture())
        with pytest.raises(PublishIncomplete, match="publish of files failed after publishing"):
            run_job(args, spark=spark, io=plan_io, s3=s3, cloudwatch=cloudwatch, now=Clock())
        s3_stub.assert_no_pending_responses()
    assert json.loads(captured.body)["status"] == "SUCCEEDED"


def stub_committed_run(s3_stub, plan, recorded, summary=None):
    """A run id whose publish record exists: manifest, plan, the record (the executor's check),
    then the summary (missing unless given) and, without it, the record again."""
    s3_stub.add_response("get_object", {"Body": body(json.dumps(manifest()).encode())}, {"Bucket": "ops-bucket", "Key": MANIFEST_KEY})
    s3_stub.add_response("get_object", {"Body": body(json.dumps(plan).encode())},
                         {"Bucket": "ops-bucket", "Key": "plans/orders/abc123.json"})
    s3_stub.add_response("get_object", {"Body": body(json.dumps(recorded).encode())}, {"Bucket": "ops-bucket", "Key": RECORD_KEY})
    if summary is not None:
        s3_stub.add_response("get_object", {"Body": body(json.dumps(summary).encode())}, {"Bucket": "ops-bucket", "Key": SUMMARY_KEY})
        return
    s3_stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404,
                             expected_params={"Bucket": "ops-bucket", "Key": SUMMARY_KEY})
    s3_stub.add_response("get_object", {"Body": body(json.dumps(recorded).encode())}, {"Bucket": "ops-bucket", "Key": RECORD_KEY})


def recorded_summary():
    """The publish record a published run of this plan writes."""
    args, plan = resolve_args(JOB_ARGV, simple_resolver), plan_json()
    spark, plan_io = spark_for(plan)
    s3, cloudwatch, record = client("s3"), client("cloudwatch"), Capture()
    with Stubber(s3) as s3_stub, Stubber(cloudwatch) as cw_stub:
        stub_run(s3_stub, cw_stub, manifest(), plan, Capture(), record=record)
        run_job(args, spark=spark, io=plan_io, s3=s3, cloudwatch=cloudwatch, now=Clock())
    return json.loads(record.body)


class CommittedRun:
    """A run id whose first execution published: its job arguments, plan, clients and record."""

    def __init__(self):
        self.args, self.plan = resolve_args(JOB_ARGV, simple_resolver), plan_json()
        self.spark, self.plan_io = spark_for(self.plan)
        self.s3, self.cloudwatch = client("s3"), client("cloudwatch")
        self.recorded = recorded_summary()

    def run(self):
        return run_job(self.args, spark=self.spark, io=self.plan_io, s3=self.s3, cloudwatch=self.cloudwatch, now=Clock())


def test_a_run_id_executed_again_after_it_published_runs_nothing_and_keeps_its_summary():
    # A job run started twice, or a local run resumed after its commit point: running it again
    # found its files loaded and, under a changed plan, published a full refresh with 0 rows read.
    again = CommittedRun()
    spark, s3, recorded = again.spark, again.s3, again.recorded
    written = dict(recorded, published={"silverVersion": "7", "quarantineVersion": "7"})
    with Stubber(s3) as s3_stub, Stubber(again.cloudwatch):
        stub_committed_run(s3_stub, again.plan, recorded, summary=written)
        summary = again.run()
        s3_stub.assert_no_pending_responses()  # and nothing written: no put_object was stubbed
    assert summary == written
    assert not any("CREATE BRANCH" in s or "fast_forward" in s or "INSERT" in s or "MERGE" in s for s in spark.statements)


def test_a_run_id_that_published_and_stopped_before_its_summary_writes_its_record_as_the_summary():
    again, captured = CommittedRun(), Capture()
    spark, recorded = again.spark, again.recorded
    with Stubber(again.s3) as s3_stub, Stubber(again.cloudwatch) as cw_stub:
        stub_committed_run(s3_stub, again.plan, recorded)
        s3_stub.add_response("put_object", {}, {"Bucket": "ops-bucket", "Key": SUMMARY_KEY, "Body": captured, "ContentType": "application/json"})
        cw_stub.add_response("put_metric_data", {}, {"Namespace": "Datalake/dev", "MetricData": ANY})
        summary = again.run()
        s3_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()
    assert summary == recorded and json.loads(captured.body) == recorded
    assert recorded["status"] == "SUCCEEDED" and recorded["counts"]["silverRows"] == 3
    assert not any("CREATE BRANCH" in s for s in spark.statements)


def test_a_committed_run_whose_summary_write_fails_writes_no_failed_summary_over_it():
    # The summary PutObject fails: the error is raised (Glue ends the job FAILED) and job-state
    # finds the publish record; a FAILED summary written instead would have failed the run.
    again = CommittedRun()
    with Stubber(again.s3) as s3_stub, Stubber(again.cloudwatch):
        stub_committed_run(s3_stub, again.plan, again.recorded)
        s3_stub.add_client_error("put_object", service_error_code="SlowDown", http_status_code=503)
        with pytest.raises(ClientError):
            again.run()
        s3_stub.assert_no_pending_responses()
