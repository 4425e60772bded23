"""The model states' store (model_state.py) on moto's S3 and on the local folders the runner uses
locally (local_env.LocalObjects): save, load, and prune after an expiry."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from datalake_glue.local_env import LocalObjects
from datalake_glue.model_state import S3ModelState, stale_state_keys, state_key

BUCKET = "ops"


@pytest.fixture(params=["moto", "local"])
def store(request, tmp_path):
    if request.param == "local":
        yield LocalObjects({BUCKET: str(tmp_path)})
        return
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def keys(s3):
    found, token = [], None
    while True:
        page = s3.list_objects_v2(Bucket=BUCKET, **({"ContinuationToken": token} if token else {}))
        found += [o["Key"] for o in page.get("Contents", [])]
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated"):
            return sorted(found)


def test_a_saved_state_loads_back_and_a_missing_one_is_none(store):
    states = S3ModelState(store, BUCKET)
    states.save("dim_x", "41", {"fingerprint": "fp", "consumed": {"bronze": ["run-1"]}})
    assert states.load("dim_x", "41") == {"fingerprint": "fp", "consumed": {"bronze": ["run-1"]}}
    assert states.load("dim_x", "42") is None


def test_prune_deletes_the_states_of_snapshots_the_table_no_longer_has_and_nothing_else(store):
    states = S3ModelState(store, BUCKET)
    for snapshot in ("1", "2", "3", "40", "41"):
        states.save("dim_x", snapshot, {"segments": {}})
    states.save("dim_xy", "1", {"segments": {}})  # another model whose name starts the same
    store.put_object(Bucket=BUCKET, Key="state/semantic/dim_x/notes.txt", Body=b"not a state")
    store.put_object(Bucket=BUCKET, Key="state/semantic/dim_x/old/1.json", Body=b"{}")

    assert states.prune("dim_x", ["40", "41"]) == 3
    assert keys(store) == ["state/semantic/dim_x/40.json", "state/semantic/dim_x/41.json",
                           "state/semantic/dim_x/notes.txt", "state/semantic/dim_x/old/1.json",
                           "state/semantic/dim_xy/1.json"]
    assert states.prune("dim_x", ["40", "41"]) == 0
    assert states.load("dim_x", "41") == {"segments": {}}


def test_prune_lists_every_page_and_deletes_in_batches_s3_accepts(store):
    states = S3ModelState(store, BUCKET)
    for snapshot in range(1, 1206):  # more than a listing page and than a DeleteObjects call
        store.put_object(Bucket=BUCKET, Key=state_key("fact_y", str(snapshot)), Body=b"{}")

    assert states.prune("fact_y", ["1205"]) == 1204
    assert keys(store) == ["state/semantic/fact_y/1205.json"]


def test_stale_keys_are_only_json_states_directly_under_the_models_prefix():
    listed = ["state/semantic/m/7.json", "state/semantic/m/8.json", "state/semantic/m/a/9.json",
              "state/semantic/m/x.txt", "state/semantic/mm/1.json", "state/semantic/m/7.json.tmp-1-2"]
    assert stale_state_keys("m", listed, [8]) == ["state/semantic/m/7.json"]


def test_a_silver_snapshots_load_plan_is_the_one_its_nearest_tagged_ancestor_names():
    from datalake_glue.silver_plan import plan_at

    tagged = {"datalake.plan-fingerprint": "p2"}
    snapshots = [{"snapshot_id": 1, "parent_id": None, "summary": {"datalake.plan-fingerprint": "p1"}},
                 {"snapshot_id": 2, "parent_id": 1, "summary": {}},
                 {"snapshot_id": 3, "parent_id": 2, "summary": tagged},
                 {"snapshot_id": 4, "parent_id": 3, "summary": {}},
                 {"snapshot_id": 9, "parent_id": 8, "summary": {}}]  # its parent expired
    assert [plan_at(snapshots, s) for s in (4, "3", 2, 1, 9, 7, None)] == ["p2", "p2", "p1", "p1", None, None, None]
