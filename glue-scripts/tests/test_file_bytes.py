"""file_bytes.py against the vectors engine/file-bytes.ts is tested on (test/fixtures/bytes-vectors.json)."""

import base64
import json
import os

import pytest

from datalake_glue.file_bytes import classify_bytes

VECTORS_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "bytes-vectors.json")
with open(VECTORS_FILE, encoding="utf-8") as handle:
    VECTORS = json.load(handle)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_classification_matches_the_shared_vectors(vector):
    got = classify_bytes(base64.b64decode(vector["base64"]))
    expected = vector["expect"]
    if "reason" in expected:
        assert (got.kind, got.reason) == (None, expected["reason"])
    else:
        assert (got.kind, got.gzip, got.data.decode("latin-1")) == (expected["kind"], expected["gzip"], expected["text"])
