"""read_files rules of engine/plan.ts on raw bytes (the bad-input list of the load issue)."""

import pytest

from datalake_glue.csv_reader import (
    iter_csv_rows,
    count_data_lines,
    data_date,
    lineage_rows,
    parse_csv_bytes,
    source_version,
)

SOURCE = {
    "format": "csv",
    "csv": {"delimiter": ",", "quote": '"', "nullValue": ""},
    "columns": [
        {"name": "order_id", "type": "bigint", "optional": False},
        {"name": "status", "type": "string", "optional": False},
        {"name": "note", "type": "string", "optional": True},
    ],
    "opColumn": "Op",
}


def parse(data, source=SOURCE):
    return parse_csv_bytes(data, source)


def test_empty_file_is_rejected_whole():
    parsed = parse(b"")
    assert (parsed.reason, parsed.rows_read) == ("empty_file", 0)


def test_header_only_is_quarantined_with_its_own_reason():
    parsed = parse(b"order_id,status\n\n")
    assert (parsed.reason, parsed.rows_read, parsed.rows) == ("header_only", 0, [])


def test_bom_and_crlf_are_handled():
    parsed = parse(b"\xef\xbb\xbforder_id,status\r\n1,paid\r\n2,shipped\r\n")
    assert parsed.rows == [["1", "paid", None, None], ["2", "shipped", None, None]]


def test_quoted_delimiters_and_embedded_newlines_stay_one_row():
    parsed = parse(b'order_id,status,note\n1,paid,"a, b\nc ""q"""\n2,paid,x\n')
    assert parsed.rows_read == 2
    assert parsed.rows[0][2] == 'a, b\nc "q"'


def test_columns_map_by_name_whatever_their_order_and_op_is_raw():
    parsed = parse(b"status,Op,order_id\npaid,U,7\n")
    assert parsed.rows == [["7", "paid", None, "U"]]


def test_values_are_kept_verbatim_empty_stays_empty():
    parsed = parse(b"order_id,status\n 1 ,\n")
    assert parsed.rows == [[" 1 ", "", None, None]]


def test_extra_columns_are_dropped_and_reported():
    parsed = parse(b"order_id,status,colour,size\n1,paid,red,L\n")
    assert parsed.rows == [["1", "paid", None, None]]
    assert parsed.extra_columns == ["colour", "size"]


def test_missing_required_columns_reject_the_file_with_counted_rows():
    parsed = parse(b"order_id,note\n1,x\n2,y\n")
    assert (parsed.reason, parsed.rows_read) == ("missing_column:status", 2)
    parsed = parse(b"note,Op\nx,I\n")
    assert parsed.reason == "missing_column:order_id,status"


def test_non_utf8_bytes_reject_the_file():
    parsed = parse(b"order_id,status\n1,caf\xe9\n2,ok\n")
    assert (parsed.reason, parsed.rows_read) == ("not_utf8", 2)


def test_a_file_that_is_not_csv_at_all():
    parsed = parse(b"<html><body>this is not a table</body>\nstill not\n</html>\n")
    assert parsed.reason == "not_csv"


def test_unterminated_quote_is_malformed():
    parsed = parse(b'order_id,status\n1,"paid\n2,shipped\n')
    assert parsed.reason.startswith("malformed_csv:")
    assert parsed.rows_read == 2
    parsed = parse(b'"order_id,status\n1,paid\n')
    assert (parsed.reason, parsed.rows_read) == ("malformed_csv:header: unterminated quote", 1)


def test_duplicate_header_column_is_malformed():
    parsed = parse(b"order_id,status,status\n1,a,b\n")
    assert (parsed.reason, parsed.rows_read) == ("malformed_csv:duplicate column status", 1)


def test_too_many_fields_is_malformed():
    parsed = parse(b"order_id,status\n1,paid,extra\n")
    assert parsed.reason == "malformed_csv:row 1 has 3 fields, header has 2"


def test_very_long_field_is_read_whole():
    long_value = "x" * 300_000
    parsed = parse(f"order_id,status\n1,{long_value}\n".encode())
    assert parsed.rows[0][1] == long_value


def test_other_delimiter_and_quote():
    source = dict(SOURCE, csv={"delimiter": ";", "quote": "'", "nullValue": ""})
    parsed = parse(b"order_id;status\n1;'a;b'\n", source)
    assert parsed.rows == [["1", "a;b", None, None]]


def test_blank_lines_are_not_rows():
    parsed = parse(b"order_id,status\n\n1,paid\n\n")
    assert parsed.rows_read == 1


def test_count_data_lines_ignores_blank_lines_and_header():
    assert count_data_lines(b"h\r\n\r\n  \na\nb") == 2
    assert count_data_lines(b"h") == 0


def test_lineage_rows_number_rows_and_use_manifest_facts():
    parsed = parse(b"order_id,status\n1,paid\n2,paid\n")
    file = {"fileId": "f1", "key": "orders/a.csv", "versionId": None, "etag": "abc",
            "receivedAt": "2026-11-21T23:59:59.999Z"}
    rows = lineage_rows(parsed, file, "r1")
    assert rows[1] == ["2", "paid", None, None, "orders/a.csv", "etag:abc", "f1", 2, "r1", "2026-11-21"]


@pytest.mark.parametrize("received, day", [("2026-11-21T23:30:00.000Z", "2026-11-21"),
                                           ("2026-11-22T01:30:00+02:00", "2026-11-21")])
def test_data_date_is_the_utc_date_of_received_at(received, day):
    assert data_date(received) == day


def test_source_version_prefers_the_version_id():
    assert source_version({"versionId": "v9", "etag": "e"}) == "v9"


def test_check_only_mode_counts_without_keeping_rows():
    data = b"order_id,status,extra\n1,paid,x\n2,paid,y\n"
    checked = parse_csv_bytes(data, SOURCE, keep_rows=False)
    assert (checked.reason, checked.rows_read, checked.rows, checked.extra_columns) == (None, 2, [], ["extra"])
    assert list(iter_csv_rows(data, SOURCE)) == parse(data).rows


def test_missing_column_with_a_bad_row_counts_lines_like_duckdb():
    parsed = parse(b"order_id\n1\n2,3\n4\n")
    assert (parsed.reason, parsed.rows_read) == ("missing_column:status", 3)


def test_streaming_a_rejected_file_is_refused():
    with pytest.raises(ValueError, match="not accepted: empty_file"):
        list(iter_csv_rows(b"", SOURCE))
