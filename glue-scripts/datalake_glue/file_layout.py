"""Which field of a headerless record is what (twin of engine/file-layout.ts; both are tested
against test/fixtures/layout-vectors.json). Pure: runs on Spark executors, no Spark imports.

AWS DMS writes CSV without a header by default (AddColumnName=false): the source table's columns
in order, Op first in CDC files only (LOAD<hex>.csv full-load files carry it only with
IncludeOpForFullLoad=true), and a timestamp column only when TimestampColumnName is set, right
after Op or last (the DMS guide does not say which, so both are accepted). Candidate order and
reasons: see engine/file-layout.ts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Union

_LOAD_FILE = re.compile(r"LOAD[0-9A-F]{5,}\.(csv|parquet)(\.gz)?", re.IGNORECASE)
_TIMESTAMP_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?")
_OP_VALUES = ("I", "U", "D")
# The timestamp column last in a record: exactly as DMS writes it (engine/file-layout.ts DMS_TIMESTAMP).
_DMS_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")
# str.strip() would also strip what JavaScript's trim() keeps or drops differently; the plan's
# SQL trims spaces, and Op values are ASCII letters.
_SPACES = " \t\n\r\x0b\x0c"


@dataclass(frozen=True)
class FileLayout:
    op: Optional[int]
    timestamp: Optional[int]
    #: None for a trailing optional column the file does not carry (read as NULL).
    data: List[Optional[int]]


def is_load_file(file_name: str) -> bool:
    return _LOAD_FILE.fullmatch(file_name.rsplit("/", 1)[-1]) is not None


def _op_value(value: Optional[str]) -> Optional[str]:
    return None if value is None else value.strip(_SPACES).upper()


def _is_timestamp(value: Optional[str]) -> bool:
    return value is not None and _TIMESTAMP_SHAPE.fullmatch(value) is not None


# Loose shapes (engine/file-layout.ts TYPE_SHAPES, same matches: ASCII case folding, no line end
# in a date's tail; a timestamp's tail is anything, as the TypeScript twin tests it as a prefix).
_TYPE_SHAPES = {
    "int": re.compile(r"[+-]?[0-9]+(\.0*)?"),
    "bigint": re.compile(r"[+-]?[0-9]+(\.0*)?"),
    "decimal": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"),
    "double": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"),
    "boolean": re.compile(r"true|t|1|yes|y|false|f|0|no|n", re.IGNORECASE | re.ASCII),
    "date": re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][^\n\r\u2028\u2029]*)?"),
    "timestamp": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T].*", re.S),
}


def _looks_like_type(column_type: str, value: str) -> bool:
    shape = _TYPE_SHAPES.get("decimal" if column_type.startswith("decimal") else column_type)
    return shape is None or shape.fullmatch(value) is not None


def _fits_types(layout: FileLayout, first: Sequence[str], types: Optional[Sequence[str]],
                markers: Sequence[str]) -> bool:
    """engine/file-layout.ts fitsTypes: every data field could be a value of its column's type."""
    if types is None:
        return True
    for i, field in enumerate(layout.data):
        if field is None:
            continue
        value = first[field].strip(" \t")
        if value != "" and value not in markers and not _looks_like_type(types[i], value):
            return False
    return True


def headerless_layout(
    file_name: str,
    first: Sequence[str],
    columns: Sequence[str],
    op_column: Optional[str],
    timestamp_column: Optional[str],
    types: Optional[Sequence[str]] = None,
    markers: Sequence[str] = (),
    optional: Sequence[bool] = (),
) -> Union[FileLayout, str]:
    """The layout of a headerless file, or the one-line reason (a str) no layout fits. Of the
    layouts the first record's shape fits, the first whose data fields read as their `types`
    (engine/file-layout.ts headerlessLayout), else the first. The `optional` columns that end
    `columns` may be absent (a column the source table gained after the file was written); a
    field in DMS's timestamp format where the timestamp column goes (last, or right after Op) is
    then the timestamp column, not a data column; a LOAD file's readings carrying more columns
    come first."""
    load = is_load_file(file_name)
    fitting: List[FileLayout] = []
    width = len(first)
    op_choices = [False] if op_column is None else [True, False]
    ts_choices = ["none"] if timestamp_column is None else ["none", "first", "last"]
    head = first[0] if first else None
    fewest = len(columns)
    while fewest > 0 and fewest <= len(optional) and optional[fewest - 1]:
        fewest -= 1

    def dms_timestamp_at(field: int) -> bool:
        return timestamp_column is not None and field < width and _DMS_TIMESTAMP.fullmatch(first[field]) is not None

    for with_op in op_choices:
        for ts in ts_choices:
            carried = width - (1 if with_op else 0) - (0 if ts == "none" else 1)
            if carried < fewest or carried > len(columns):
                continue
            if with_op and not (_op_value(head) == "I" if load else _op_value(head) in _OP_VALUES):
                continue
            start = 1 if with_op else 0
            timestamp = None if ts == "none" else start if ts == "first" else width - 1
            if timestamp is not None and not (_DMS_TIMESTAMP.fullmatch(first[timestamp]) is not None if ts == "last"
                                              else _is_timestamp(first[timestamp])):
                continue
            if ts == "none" and carried > fewest and (dms_timestamp_at(width - 1) or dms_timestamp_at(start)):
                continue
            data_start = start + 1 if ts == "first" else start
            fitting.append(FileLayout(op=0 if with_op else None, timestamp=timestamp,
                                      data=[data_start + i if i < carried else None for i in range(len(columns))]))
    if load:  # a LOAD file's reading that carries more columns first (stable: ties keep the order)
        fitting.sort(key=lambda f: -sum(1 for field in f.data if field is not None))
    if fitting:
        return next((f for f in fitting if _fits_types(f, first, types, markers)), fitting[0])
    shape = ([f"{op_column}?"] if op_column is not None else []) + list(columns) \
        + ([f"{timestamp_column}?"] if timestamp_column is not None else [])
    fit = "field fits" if width == 1 else "fields fit"
    return f"column_count:{width} {fit} no layout of {','.join(shape)}"


def looks_like_header(resolved: Sequence[str], known: Sequence[str], required: Sequence[str]) -> bool:
    """Header mode "auto" (engine/file-layout.ts looksLikeHeader)."""
    names = set(resolved)
    named = sum(1 for f in resolved if f in known)
    # Most fields naming columns: a header with drift both ways (a column renamed, or dropped and
    # another added), which read by position put every value in the wrong column.
    return named == len(resolved) or (len(required) > 0 and all(r in names for r in required)) \
        or named * 2 > len(resolved)


# Delimiters producers commonly write: a spreadsheet export in many locales writes ';'.
_COMMON_DELIMITERS = (",", ";", "\t", "|")


def fitting_delimiter(declared: str, record_with: Callable[[str], Optional[Sequence[str]]],
                      fits: Callable[[Sequence[str]], bool]) -> Optional[str]:
    """The other common delimiter under which a first record that names no column or fits no
    layout does (engine/file-layout.ts fittingDelimiter), or None."""
    for delimiter in _COMMON_DELIMITERS:
        if delimiter == declared:
            continue
        fields = record_with(delimiter)
        if fields is not None and len(fields) > 1 and fits(fields):
            return delimiter
    return None


def delimiter_note(found: str, declared: str) -> str:
    """The note a reason carries for fitting_delimiter's find (a tab shown as \\t)."""
    def shown(d: str) -> str:
        return "'\\t'" if d == "\t" else f"'{d}'"
    return f"read with delimiter {shown(found)} it fits (csv.delimiter is {shown(declared)})"
