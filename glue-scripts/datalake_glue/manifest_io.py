"""Read JSON documents (manifest, plan) from S3 with boto3 (client passed in)."""

from __future__ import annotations

import json
from typing import Any

from .contracts import Manifest, ManifestError, parse_manifest
from .s3_uri import parse_s3_uri


def read_s3_json(s3: Any, uri: str) -> Any:
    location = parse_s3_uri(uri)
    response = s3.get_object(Bucket=location.bucket, Key=location.key)
    body = response["Body"].read()
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{uri}: not a JSON document ({error})") from error


def read_manifest(s3: Any, uri: str, *, dataset: str, run_id: str) -> Manifest:
    """Fetch and validate the manifest; it must be the one for this dataset and run."""
    manifest = parse_manifest(read_s3_json(s3, uri), source=uri)
    if manifest["dataset"] != dataset:
        raise ManifestError(f"{uri}: manifest is for dataset {manifest['dataset']!r}, job runs {dataset!r}")
    if manifest["runId"] != run_id:
        raise ManifestError(f"{uri}: manifest is for run {manifest['runId']!r}, job runs {run_id!r}")
    return manifest
