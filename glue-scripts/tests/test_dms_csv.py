"""DMS CSV as DMS writes it, on the Glue runner's reader (the cases of test/engine/dms-csv.test.ts):
orders' compiled plan source (format dms, header auto, timestampColumn cdc_ts)."""

import gzip
import json
import lzma
import os

import pytest

from datalake_glue.csv_reader import parse_csv_bytes

PLAN = os.path.join(os.path.dirname(__file__), "fixtures", "plan-orders.spark.json")
with open(PLAN, encoding="utf-8") as handle:
    ORDERS = json.load(handle)["source"]

T1 = "2026-11-01 10:00:00.000000"
T2 = "2026-11-01 11:00:00.000000"
SHAPE = "Op?,order_id,customer_id,order_ts,status,total_amount,cdc_ts?"


def data(order_id, status="paid", amount="10.00", customer="100"):
    return [str(order_id), customer, "2026-11-01 09:00:00", status, amount]


def lines(*records, delimiter=","):
    return ("\n".join(delimiter.join(r) for r in records) + "\n").encode()


def with_csv(**options):
    return {**ORDERS, "csv": {**ORDERS["csv"], **options}}


def row(order_id, op=None, ts=None, status="paid", amount="10.00", customer="100"):
    """A parsed row: spec columns in spec order (cdc_ts last), then the raw Op."""
    return [str(order_id), customer, "2026-11-01 09:00:00", status, amount, ts, op]


def test_dms_defaults_load_file_without_op_and_cdc_file_with_op_first():
    load = parse_csv_bytes(lines(data(1), data(2)), ORDERS, key="dbo/orders/LOAD00000001.csv")
    cdc = parse_csv_bytes(lines(["U", *data(1, "shipped")], ["D", *data(2)]), ORDERS, key="dbo/orders/20261101-110000000.csv")
    assert (load.reason, load.rows_read, load.rows) == (None, 2, [row(1), row(2)])
    assert (cdc.reason, cdc.rows_read, cdc.rows) == (None, 2, [row(1, "U", status="shipped"), row(2, "D")])


def test_timestamp_column_first_or_last():
    first = parse_csv_bytes(lines([T1, *data(1)]), ORDERS, key="LOAD00000001.csv")
    last = parse_csv_bytes(lines(["U", *data(1), T2]), ORDERS, key="20261101-110000000.csv")
    after_op = parse_csv_bytes(lines(["I", T2, *data(1)]), ORDERS, key="LOAD00000002.csv")
    assert first.rows == [row(1, ts=T1)]
    assert last.rows == [row(1, "U", T2)]
    assert after_op.rows == [row(1, "I", T2)]


def test_add_column_name_header_in_another_case_is_not_counted():
    text = lines(["CDC_TS", "ORDER_ID", "CUSTOMER_ID", "ORDER_TS", "STATUS", "TOTAL_AMOUNT"], [T1, *data(1)])
    parsed = parse_csv_bytes(text, ORDERS, key="LOAD00000001.csv")
    assert (parsed.rows_read, parsed.rows) == (1, [row(1, ts=T1)])


def test_a_header_with_an_extra_column_is_still_a_header_in_auto_mode():
    text = lines(["Op", "order_id", "customer_id", "order_ts", "status", "total_amount", "region"], ["I", *data(1), "eu"])
    parsed = parse_csv_bytes(text, ORDERS, key="20261101-110000000.csv")
    assert (parsed.reason, parsed.rows, parsed.extra_columns) == (None, [row(1, "I")], ["region"])


def test_delimiter_null_value_and_gzip_on_a_headerless_file():
    source = with_csv(delimiter=";", nullValue="NULL")
    parsed = parse_csv_bytes(gzip.compress(lines(["U", *data(3, "NULL", "1,5"), T2], delimiter=";")), source,
                             key="20261101-110000000.csv.gz")
    # Values stay as written: NULL and the decimal comma are the plan's SQL's business.
    assert parsed.rows == [row(3, "U", T2, status="NULL", amount="1,5")]


def test_a_text_file_named_gz_is_text():
    assert parse_csv_bytes(lines(data(1)), ORDERS, key="LOAD00000001.csv.gz").rows == [row(1)]


@pytest.mark.parametrize("content, reason", [
    (b"Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts\n", "header_only"),
    (b"", "empty_file"),
    (b"\r\n\n", "empty_file"),
    (gzip.compress(b""), "empty_file"),
    (gzip.compress(lines(data(1)))[:-6], "corrupt_gzip:truncated"),
    (gzip.compress(b"PAR1\x00\x00PAR1"), "unsupported:gzipped parquet"),
    (lzma.compress(lines(data(1))), "unsupported:xz compressed"),
    (("\ufeff" + lines(data(1)).decode()).encode("utf-16-le"), "not_utf8:UTF-16 text"),
], ids=["header-only", "empty", "line-ends", "gzip-empty", "gzip-cut", "gzipped-parquet", "xz", "utf-16"])
def test_whole_file_reasons(content, reason):
    parsed = parse_csv_bytes(content, ORDERS, key="orders/f.csv")
    assert (parsed.reason, parsed.rows_read) == (reason, 0)


def test_parquet_under_a_csv_dataset():
    parsed = parse_csv_bytes(b"PAR1\x15\x04\xff\xfePAR1", {**ORDERS, "format": "csv", "dms": None})
    assert (parsed.reason, parsed.rows_read) == ("parquet_where_csv_declared", 0)


@pytest.mark.parametrize("content, reason", [
    (lines(["X", *data(1)], ["X", *data(2)], ["X", *data(3)]), f"column_count:6 fields fit no layout of {SHAPE}"),
    (lines(["I", *data(1)], ["I", *data(2)[:4]], ["I", *data(3)]), "malformed_csv:row 2 has 5 fields, row 1 has 6"),
    (lines(["I", *data(1)]) + b"\xff,\n" + lines(["I", *data(3)]), "not_utf8"),
], ids=["no-layout", "other-width", "not-utf8"])
def test_every_row_of_a_rejected_headerless_file_is_counted(content, reason):
    parsed = parse_csv_bytes(content, ORDERS, key="20261101-110000000.csv")
    assert (parsed.reason, parsed.rows_read) == (reason, 3)


def test_a_stray_quote_in_the_first_record_of_a_headerless_file_is_a_character():
    first = ["I", "1", "100", "2026-11-01 09:00:00", 'pa"id', "10.00"]
    parsed = parse_csv_bytes(lines(first, ["I", *data(2)]), ORDERS, key="20261101-110000000.csv")
    assert (parsed.reason, parsed.rows_read, [r[3] for r in parsed.rows]) == (None, 2, ['pa"id', "paid"])
    bare_cr = parse_csv_bytes(b"I,3,100,2026-11-01 09:00:00,paid,10.00\rI,4,100,2026-11-01 09:00:00,paid,10.00\r",
                              ORDERS, key="20261101-120000000.csv")
    assert (bare_cr.reason, bare_cr.rows_read) == ("malformed_csv:row 1: bare carriage return", 1)


SHAPE_1 = "column_count:1 field fits no layout of Op?,order_id,customer_id,order_ts,status,total_amount,cdc_ts?"


@pytest.mark.parametrize("content, spec, reason, rows", [
    (lines(["Op", "order_id", "customer_id", "order_ts", "status", "total_amount", "cdc_ts"], ["I", *data(1), T1],
           delimiter=";"), ORDERS, f"{SHAPE_1}; read with delimiter ';' it fits (csv.delimiter is ',')", 2),
    (lines(["I", *data(2)], ["U", *data(2)], delimiter="\t"), ORDERS,
     f"{SHAPE_1}; read with delimiter '\\t' it fits (csv.delimiter is ',')", 2),
    (b"a;b\n1;2\n", ORDERS, SHAPE_1, 2),
    (b"order_id;status\n1;paid\n", with_csv(header="present"), "not_csv:read with delimiter ';' it fits (csv.delimiter is ',')", 1),
], ids=["semicolon-header", "tab-headerless", "fits-no-delimiter", "semicolon-named-header"])
def test_a_file_of_another_common_delimiter_names_it(content, spec, reason, rows):
    """The cases of dms-csv.test.ts "a file written with another common delimiter"."""
    parsed = parse_csv_bytes(content, spec, key="20261101-100000000.csv")
    assert (parsed.reason, parsed.rows_read) == (reason, rows)


def test_header_present_and_absent():
    headerless = lines(data(1), data(2))
    assert parse_csv_bytes(headerless, with_csv(header="present"), key="LOAD00000001.csv").reason == "not_csv"
    named = lines(["order_id", "customer_id", "order_ts", "status", "total_amount"], data(1))
    parsed = parse_csv_bytes(named, with_csv(header="absent"), key="LOAD00000001.csv")
    assert (parsed.rows_read, [r[0] for r in parsed.rows]) == (2, ["order_id", "1"])


def test_bom_crlf_and_blank_lines_on_a_headerless_file():
    text = b"\xef\xbb\xbf" + lines([T1, *data(7)], [], [T1, *data(8)]).replace(b"\n", b"\r\n")
    parsed = parse_csv_bytes(text, ORDERS, key="LOAD00000001.csv")
    assert (parsed.rows_read, parsed.rows) == (2, [row(7, ts=T1), row(8, ts=T1)])
