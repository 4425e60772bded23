"""csv_rules.py against the vectors engine/csv-rules.ts is tested on (test/fixtures/csv-vectors.json)."""

import json
import os

import pytest

from datalake_glue.csv_rules import (
    drift_warnings,
    first_csv_problem,
    first_record,
    mixed_line_ends,
    parse_header,
    resolve_header,
    starts_with_empty_line,
    suspect_csv,
)

VECTORS_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "csv-vectors.json")
with open(VECTORS_FILE, encoding="utf-8") as handle:
    VECTORS = json.load(handle)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_first_problem_is_named_as_on_duckdb(vector):
    header = vector.get("header", True)
    assert first_csv_problem(vector["text"], vector["delimiter"], vector["quote"], header) == vector["problem"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_suspect_flags_what_csv_reader_would_accept(vector):
    # csv.reader (strict) refuses the other problems by itself; these two it would read.
    problem = vector["problem"] or ""
    if "space before opening quote" in problem or "bare carriage return" in problem:
        assert suspect_csv(vector["text"].lstrip("\ufeff"), vector["delimiter"], vector["quote"])


FIRST_RECORDS = [v for v in VECTORS if "firstRecord" in v]


@pytest.mark.parametrize("vector", FIRST_RECORDS, ids=[v["name"] for v in FIRST_RECORDS])
def test_a_headerless_files_first_record_is_read_as_on_duckdb(vector):
    assert first_record(vector["text"], vector["delimiter"], vector["quote"]) == vector["firstRecord"]


def test_resolve_header_matches_any_case_without_spaces_or_tabs_around_a_name():
    # The same vector as test/engine/csv-rules.test.ts: a no-break space is part of a name.
    known = ["order_id", "Op", "total"]
    assert resolve_header(["ORDER_ID", " op", "Total\t", "extra ", "to tal", "\u00a0total"], known) == [
        "order_id", "Op", "total", "extra ", "to tal", "\u00a0total"]


def test_parse_header_skips_empty_lines_before_the_header():
    # The same rule as engine/csv-rules.ts parseHeader: empty lines are no records.
    assert parse_header("\n\r\nid,name\n1,a\n", ",", '"') == ["id", "name"]
    assert parse_header("id,name\n", ",", '"') == ["id", "name"]


def test_drift_warnings_name_an_unnamed_column():
    # Worded as engine/csv-rules.ts driftWarnings (bad-input.test.ts checks the DuckDB side).
    assert drift_warnings("k.csv", ["note", "", ""], "Op") == ["k.csv: extra column(s) note, (unnamed), (unnamed)"]


def test_mixed_line_ends_and_a_leading_empty_line():
    # As engine/duckdb/read-files.ts mixedLineEnds: only files holding a CR can be mixed.
    assert not mixed_line_ends(b"a\nb\n") and not mixed_line_ends(b"a\r\nb\r\n")
    assert mixed_line_ends(b"\n\r\na\n") and mixed_line_ends(b"a\rb\r\n") and mixed_line_ends(b"a\r\nb\n")
    assert starts_with_empty_line("\r\nid") and starts_with_empty_line("\nid") and not starts_with_empty_line("id\n")


def test_drift_warnings_name_a_column_that_looks_like_op():
    # Worded as engine/csv-rules.ts driftWarnings (test/cli/process.test.ts checks the DuckDB side).
    assert drift_warnings("k.csv", ["Op_"], "Op") == [
        "k.csv: extra column(s) Op_",
        'k.csv: column "Op_" is not the Op column Op: its values are not read as operations '
        "(a file without Op loads as a full load: no deletes); if it holds them, rename it to Op",
    ]
