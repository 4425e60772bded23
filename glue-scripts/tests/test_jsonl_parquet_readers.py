"""The JSON lines rules (engine/jsonl-rules.ts, word for word), Parquet's canonical bronze strings
(engine/duckdb/read-parquet.ts) and the format dispatch of file_reader, without Spark."""

import datetime as dt
import gzip
import lzma
from decimal import Decimal

import pytest

from datalake_glue.file_reader import _by_format
from datalake_glue.jsonl_reader import count_json_lines, parse_jsonl_bytes
from datalake_glue.parquet_reader import ParquetPending, kind_of, render, unreadable_reason

SOURCE = {
    "format": "jsonl",
    "csv": {"delimiter": ",", "quote": '"', "nullValue": "", "header": "present"},
    "columns": [
        {"name": "id", "type": "bigint", "optional": False},
        {"name": "amount", "type": "decimal(10,2)", "optional": False},
        {"name": "label", "type": "string", "optional": True},
    ],
    "opColumn": "Op",
}

PARQUET = b"PAR1" + b"\x00" * 20 + b"PAR1"


def parse(text, source=SOURCE):
    return parse_jsonl_bytes(text.encode("utf-8") if isinstance(text, str) else text, source)


def test_numbers_keep_their_text_literals_and_null_and_keys_fold():
    parsed = parse('\ufeff{"ID": 1, "amount": 12.50, "label": true, "op": "U"}\r\n\n  \n{"id": -0, "amount": 1E3, "label": null}\n')
    assert parsed.accepted and parsed.rows_read == 2
    assert parsed.rows == [["1", "12.50", "true", "U"], ["-0", "1E3", None, None]]


def test_objects_written_back_to_back_on_a_line_are_a_row_each():
    """Kinesis Data Firehose writes records without a delimiter unless told to add a newline."""
    parsed = parse('{"id": 1, "amount": 1}{"id": 2, "amount": "2.50"}\t {"id": 3, "amount": 3}\n{"id": 4, "amount": 4}')
    assert parsed.accepted and parsed.rows_read == 4
    assert [row[:2] for row in parsed.rows] == [["1", "1"], ["2", "2.50"], ["3", "3"], ["4", "4"]]


def test_strings_are_unescaped_and_extra_keys_are_drift_even_nested():
    parsed = parse('{"id": "7", "amount": "x\\u00e9 \\"q\\"", "meta": {"a": [1, "}"]}, "Meta2": [1]}\n')
    assert parsed.rows == [["7", 'xé "q"', None, None]]
    assert parsed.extra_columns == ["meta", "Meta2"]


@pytest.mark.parametrize(
    "text, reason, rows",
    [
        ('{"id": 1, "amount": 1}\n\n[1, 2]\n', "malformed_jsonl:line 3: not a JSON object", 2),
        ('{"id": 1, "amount": 1}\n{"id": 2,\n', "malformed_jsonl:line 2: invalid JSON", 2),
        ('{"id": 1, "amount": NaN}\n', "malformed_jsonl:line 1: invalid JSON", 1),
        ('5\n', "malformed_jsonl:line 1: not a JSON object", 1),
        ('{"id": 1, "amount": 1}{"id": 2,\n', "malformed_jsonl:line 1: invalid JSON", 1),
        ('{"id": 1, "amount": 1} 5\n', "malformed_jsonl:line 1: not a JSON object", 1),
        ('[\n  {"id": 1, "amount": 1}\n]\n', "malformed_jsonl:line 1: invalid JSON (an object or array spread over lines: "
         "JSON lines holds one object per line)", 3),
        ('\n {\r\n  "id": 1\n}\n', "malformed_jsonl:line 2: invalid JSON (an object or array spread over lines: "
         "JSON lines holds one object per line)", 3),
        ('{"id": 1, "amount": 1}{"id": 2, "amount": 2, "ID": 3}\n', "malformed_jsonl:line 1: duplicate key ID", 1),
        ('{"id": 1, "ID": 2, "amount": 1}\n', "malformed_jsonl:line 1: duplicate key ID", 1),
        ('{"id": 1, "amount": [1]}\n', "malformed_jsonl:line 1: amount holds an object or array", 1),
        ('{"id": 1, "amount": 1}\n{"id": 2, "amount": 1, "note": "lone \\ud83d"}\n', "malformed_jsonl:line 2: unpaired surrogate", 2),
        ('{"id": 1, "amount": 1, "\\udc00": 1}\n', "malformed_jsonl:line 1: unpaired surrogate", 1),
        ('{"id": 1}\n{"id": 2}\n', "missing_column:amount", 2),
        ("", "empty_file", 0),
    ],
)
def test_a_bad_file_is_quarantined_whole_with_its_line_and_counted(text, reason, rows):
    parsed = parse(text)
    assert (parsed.reason, parsed.rows_read) == (reason, rows)


def test_a_line_longer_than_the_longest_line_read_quarantines_the_file():
    # engine/jsonl-rules.ts MAX_JSON_LINE_BYTES scaled down to 40 bytes (test/engine/jsonl-pieces.test.ts).
    line = '{"id": 1, "amount": 2, "label": "%s"}'
    exact = line % ("x" * (40 - len(line % "")))
    assert len(exact.encode()) == 40
    assert parse_jsonl_bytes(f"{exact}\r\n".encode(), SOURCE, max_line_bytes=40).accepted
    longer = line % ("\u00e9" + "x" * (40 - len(line % "") - 1))  # 40 characters, 41 bytes
    parsed = parse_jsonl_bytes(f'{{"id": 2, "amount": 1}}\n\n{longer}\n{{"id": 4,\n'.encode(), SOURCE, max_line_bytes=40)
    assert (parsed.reason, parsed.rows_read) == (
        "malformed_jsonl:line 3: longer than 40 bytes, the longest line read (one record per line)", 3)


def test_not_utf8_counts_non_blank_lines():
    parsed = parse('{"id": 1, "amount": "\xe9"}\n\n{"id": 2}\n'.encode("latin-1"))
    assert (parsed.reason, parsed.rows_read) == ("not_utf8", 2)
    assert count_json_lines("a\n \t\nb\r\n") == 2


def test_gzip_is_read_and_other_compressions_are_named():
    """The cases of parquet-jsonl.test.ts "reads gzipped JSON lines"."""
    text = b'{"id": 1, "amount": "1.50"}\n{"id": 2, "amount": "2.00"}\n'
    zipped = parse(gzip.compress(text))
    assert (zipped.reason, zipped.rows) == (None, parse(text).rows)
    assert (parse(gzip.compress(text)[:-5]).reason, parse(lzma.compress(text)).reason) == (
        "corrupt_gzip:truncated", "unsupported:xz compressed")
    assert (parse(gzip.compress(b"")).reason, parse(gzip.compress(PARQUET)).reason) == ("empty_file", "not_jsonl:parquet")


def test_dispatch_by_format_and_bytes():
    parquet_source = dict(SOURCE, format="parquet")
    dms_source = dict(SOURCE, format="dms")
    assert _by_format(b'{"id": 1}\n', parquet_source, keep_rows=False).reason == "not_parquet"
    assert isinstance(_by_format(PARQUET, parquet_source, keep_rows=False), ParquetPending)
    assert _by_format(PARQUET[:-1], parquet_source, keep_rows=False).reason == "malformed_parquet:no footer"
    assert _by_format(b"", parquet_source, keep_rows=False).reason == "empty_file"
    assert _by_format(PARQUET, SOURCE, keep_rows=False).reason == "not_jsonl:parquet"
    assert isinstance(_by_format(PARQUET, dms_source, keep_rows=False), ParquetPending)
    assert _by_format(b"order_id\n1\n", dms_source, keep_rows=False) is None
    assert _by_format(PARQUET, dict(SOURCE, format="csv"), keep_rows=False) is None


@pytest.mark.parametrize(
    "value, type_name, text",
    [
        (-128, "byte", "-128"),
        (9223372036854775807, "long", "9223372036854775807"),
        (Decimal("18446744073709551615"), "decimal(20,0)", "18446744073709551615"),
        (Decimal("12.50"), "decimal(10,2)", "12.50"),
        (Decimal("0E-10"), "decimal(38,10)", "0.0000000000"),
        (Decimal("-0.50"), "decimal(4,2)", "-0.50"),
        (1e20, "double", "1e+20"),
        (1.5e-7, "double", "1.5e-07"),
        (0.10000000149011612, "float", "0.10000000149011612"),
        (-0.0, "double", "-0.0"),
        (1e16, "double", "1e+16"),
        (1e15, "double", "1000000000000000.0"),
        (float("nan"), "double", "nan"),
        (True, "boolean", "true"),
        (False, "boolean", "false"),
        (bytearray(b""), "string", ""),
        (bytearray("h\u00e9".encode()), "string", "h\u00e9"),
        (None, "string", None),
        (dt.date(999, 1, 2), "date", "0999-01-02"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 123000), "timestamp_ntz", "2024-01-02 03:04:05.123000"),
        (dt.datetime(2024, 1, 2, 3, 4, 5), "timestamp_ntz", "2024-01-02 03:04:05.000000"),
        (1704157445500000, "timestamp", "2024-01-02 01:04:05.500000"),
        (bytearray(b"\xab\x00"), "binary", "AB00"),
    ],
)
def test_parquet_values_render_to_the_duckdb_executors_strings(value, type_name, text):
    assert render(value, kind_of(type_name)) == text


def test_a_string_that_is_not_utf8_is_a_fault_of_the_file_never_a_replaced_value():
    # Strings arrive as their bytes: Spark's own conversion would give "\ufffdt\ufffd".
    with pytest.raises(UnicodeDecodeError) as raised:
        render(bytearray(b"\xe9t\xe9"), kind_of("string"))
    from datalake_glue.parquet_reader import file_fault

    assert file_fault(f"PythonException: Traceback (most recent call last): ... {type(raised.value).__name__}: {raised.value}")
    assert unreadable_reason(f"UnicodeDecodeError: {raised.value}") == "malformed_parquet:unreadable"


def test_nested_types_have_no_rendering_and_unreadable_types_are_named():
    assert kind_of("struct") is None and kind_of("array") is None and kind_of("map") is None
    assert unreadable_reason("Illegal Parquet type: INT64 (TIME(MICROS,false)).") == "unreadable_parquet_type:time"
    assert unreadable_reason("Illegal Parquet type: INT64 (TIMESTAMP(NANOS,false)).") == "unreadable_parquet_type:timestamp_nanos"
    assert unreadable_reason("Illegal Parquet type: FIXED_LEN_BYTE_ARRAY (UUID)") == "unreadable_parquet_type:uuid"
    assert unreadable_reason("Caused by: org.apache.parquet.hadoop.BadConfigurationException: Class "
                             "org.apache.hadoop.io.compress.BrotliCodec was not found") == "unreadable_parquet_codec:brotli"
    assert unreadable_reason("Class com.hadoop.compression.lzo.LzoCodec was not found") == "unreadable_parquet_codec:lzo"
    assert unreadable_reason("Encountered error while reading file x") == "malformed_parquet:unreadable"


def test_a_file_of_blank_lines_loads_as_zero_rows():
    parsed = parse("\n  \r\n")
    assert parsed.accepted and (parsed.rows_read, parsed.rows) == (0, [])


def _s3():
    import boto3

    return boto3.client("s3", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")


@pytest.mark.parametrize(
    "file, head, reason",
    [
        ({"versionId": "v1", "etag": "e1"}, {"VersionId": "v1", "ETag": '"e2"'}, None),
        ({"versionId": "v1", "etag": "e1"}, {"VersionId": "v2", "ETag": '"e1"'}, "unreadable:NotCurrentVersion"),
        ({"versionId": None, "etag": "e1"}, {"ETag": '"e1"'}, None),
        ({"versionId": None, "etag": "e1"}, {"ETag": '"e2"'}, "unreadable:NotCurrentVersion"),
    ],
)
def test_spark_reads_a_parquet_object_only_when_its_current_version_is_the_manifests(file, head, reason):
    from botocore.stub import Stubber

    from datalake_glue.parquet_reader import version_problem

    s3 = _s3()
    with Stubber(s3) as stub:
        stub.add_response("head_object", head, {"Bucket": "landing", "Key": "orders/a.parquet"})
        assert version_problem(s3, dict(file, bucket="landing", key="orders/a.parquet")) == reason


def test_a_gone_parquet_object_is_unreadable_and_a_throttle_fails_the_run():
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber

    from datalake_glue.parquet_reader import version_problem

    s3 = _s3()
    file = {"bucket": "landing", "key": "orders/a.parquet", "versionId": "v1", "etag": "e1"}
    with Stubber(s3) as stub:
        stub.add_client_error("head_object", service_error_code="404", http_status_code=404)
        stub.add_client_error("head_object", service_error_code="403", http_status_code=403)
        stub.add_client_error("head_object", service_error_code="SlowDown", http_status_code=503)
        assert version_problem(s3, file) == "unreadable:NoSuchKey"
        assert version_problem(s3, file) == "unreadable:AccessDenied"
        with pytest.raises(ClientError):
            version_problem(s3, file)


def test_only_the_readers_verdict_on_the_bytes_rejects_a_parquet_file():
    from datalake_glue.parquet_reader import file_fault

    assert file_fault("SparkException: Encountered error while reading file file:///x/a.parquet. Details:")
    assert file_fault("AnalysisException: Illegal Parquet type: INT64 (TIME(MICROS,false)).")
    assert file_fault("[CANNOT_READ_FILE_FOOTER] Could not read footer for file: file:/x/a.parquet.")
    assert not file_fault("[PATH_NOT_FOUND] Path does not exist: file:/x/a.parquet.")
    assert not file_fault("java.lang.OutOfMemoryError: Java heap space (reading a.parquet)")


def test_a_path_is_escaped_for_sparks_glob_reader():
    # Checked against Spark 3.5: the escaped path reads the file, the raw one is PATH_NOT_FOUND.
    from datalake_glue.parquet_reader import glob_escaped

    assert glob_escaped("/l/odd[1]/a{b}*?.parquet") == "/l/odd\\[1\\]/a\\{b\\}\\*\\?.parquet"
