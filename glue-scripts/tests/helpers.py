"""Shared test data builders."""

import copy

MANIFEST = {
    "version": 1,
    "dataset": "orders",
    "runId": "run-20261121-0001",
    "createdAt": "2026-11-21T10:00:00.000Z",
    "files": [
        {
            "fileId": "landing-bucket/orders/2026/11/21/LOAD0001.csv/v1",
            "bucket": "landing-bucket",
            "key": "orders/2026/11/21/LOAD0001.csv",
            "versionId": "v1",
            "etag": "etag1",
            "sequencer": "0001",
            "size": 120,
            "receivedAt": "2026-11-21T09:59:00.000Z",
        },
        {
            "fileId": "landing-bucket/orders/2026/11/21/LOAD0002.csv/null",
            "bucket": "landing-bucket",
            "key": "orders/2026/11/21/LOAD0002.csv",
            "versionId": None,
            "etag": "etag2",
            "sequencer": "0002",
            "size": 80,
            "receivedAt": "2026-11-21T09:59:30.000Z",
        },
    ],
}


def manifest(**overrides):
    data = copy.deepcopy(MANIFEST)
    data.update(overrides)
    return data


JOB_ARGV = [
    "load_dataset.py",
    "--JOB_NAME", "datalake-orders",
    "--JOB_RUN_ID", "jr_123",
    "--dataset", "orders",
    "--run_id", "run-20261121-0001",
    "--manifest_uri", "s3://ops-bucket/manifests/orders/run-20261121-0001.json",
    "--plan_uri", "s3://ops-bucket/plans/orders/abc123.json",
    "--ops_bucket", "ops-bucket",
    "--bronze_path", "s3://bronze-bucket/orders/",
    "--warehouse_path", "s3://silver-bucket/warehouse/",
    "--catalog_database", "datalake_silver",
    "--quarantine_database", "datalake_quarantine",
    "--metrics_namespace", "Datalake/dev",
]
