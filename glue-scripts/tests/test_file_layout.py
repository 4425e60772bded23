"""file_layout.py against the vectors engine/file-layout.ts is tested on (test/fixtures/layout-vectors.json)."""

import json
import os

import pytest

from datalake_glue.file_layout import FileLayout, headerless_layout, looks_like_header

VECTORS_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "layout-vectors.json")
with open(VECTORS_FILE, encoding="utf-8") as handle:
    VECTORS = json.load(handle)


@pytest.mark.parametrize("vector", VECTORS["layout"], ids=[v["name"] for v in VECTORS["layout"]])
def test_layout_matches_the_shared_vectors(vector):
    got = headerless_layout(vector["fileName"], vector["first"], vector["columns"],
                            vector["opColumn"], vector["timestampColumn"],
                            vector.get("types"), vector.get("markers", []), vector.get("optional", []))
    expected = vector["expect"]
    if "reason" in expected:
        assert got == expected["reason"]
    else:
        assert got == FileLayout(op=expected["op"], timestamp=expected["timestamp"], data=expected["data"])


@pytest.mark.parametrize("vector", VECTORS["header"], ids=[v["name"] for v in VECTORS["header"]])
def test_auto_header_matches_the_shared_vectors(vector):
    assert looks_like_header(vector["resolved"], vector["known"], vector["required"]) is vector["expect"]
