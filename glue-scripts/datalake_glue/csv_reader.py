"""Parse one landed CSV object into string rows, or a whole-file rejection reason (pure).

The rules are the read_files step's contract in engine/plan.ts, shared with the DuckDB
executor: bytes classified first (file_bytes.py: empty, gzip, Parquet, text), values stay
exactly as in the file (no trimming, empty stays ""; null handling is SQL's job), a header maps
columns BY NAME (extra header columns are drift, missing optional columns are null), a
headerless file maps them by position (file_layout.py), and a file is rejected whole with one
reason when it cannot be trusted.
Runs on Spark executors (one call per object), so it must stay free of Spark imports.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from .csv_rules import (
    EMPTY_LINES_MIXED,
    first_csv_problem,
    first_record,
    mixed_line_ends,
    parse_header,
    resolve_header,
    starts_with_empty_line,
    suspect_csv,
)
from .file_bytes import classify_bytes
from .file_layout import FileLayout, delimiter_note, fitting_delimiter, headerless_layout, looks_like_header

UTF8_BOM = b"\xef\xbb\xbf"
# csv's default field limit is 128 KiB; the contract has no length limit on fields.
_FIELD_LIMIT = 2**31 - 1


@dataclass
class ParsedFile:
    """Rows hold the spec columns (spec order) then the raw Op value (None when absent)."""

    reason: Optional[str] = None
    rows_read: int = 0
    rows: List[List[Optional[str]]] = field(default_factory=list)
    extra_columns: List[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.reason is None


def count_data_lines(data: bytes, header: bool = True) -> int:
    """Non-blank lines minus the header if there is one, at least 0: the count of a file that
    cannot be parsed (engine/duckdb/read-files.ts countLines)."""
    lines = [line for line in data.split(b"\n") if line.strip()]
    return max(len(lines) - (1 if header else 0), 0)


def _records(text: str, options: Dict[str, str]) -> Iterator[List[str]]:
    csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=options["delimiter"],
        quotechar=options["quote"],
        doublequote=True,
        strict=True,
    )
    return (record for record in reader if record)


@dataclass
class _Opened:
    """A file that passed the checks, positioned after its header (when it has one)."""

    text: str
    #: The first malformed row found before parsing (csv_rules.suspect_csv), if any.
    problem: Optional[str]
    records: Iterator[List[str]]
    width: int
    picks: List[Optional[int]]
    extra: List[str]
    #: A whole-file reason whose rows are still counted by parsing (missing_column, column_count).
    counted_reason: Optional[str]
    fallback: int
    header: bool


def _dms_parquet_file(gzipped: bool) -> ParsedFile:
    """A Parquet file in a dms dataset. file_reader._by_format gives plain ones to the Parquet
    reader before the CSV reader sees them; a gzipped one is refused (DMS compresses Parquet
    pages inside the file, never the file itself: engine/duckdb/read-files.ts)."""
    if not gzipped:
        raise ValueError("a Parquet file reached the CSV reader: file_reader routes it to parquet_reader")
    return ParsedFile(reason="unsupported:gzipped parquet")


def _open(data: bytes, source: Dict[str, Any], key: str = "") -> Union[ParsedFile, _Opened]:
    """Byte and header checks, cheapest first, in the DuckDB executor's order: bytes (empty,
    gzip, Parquet), no record, header or not, UTF-8, header (unterminated quote, not_csv,
    malformed quoting, duplicate column) or headerless layout; missing columns (and a layout
    that fits nothing) are decided after the rows are counted, malformed rows after that."""
    classified = classify_bytes(data)
    if classified.reason is not None:
        return ParsedFile(reason=classified.reason)
    if classified.kind == "parquet":
        return _dms_parquet_file(classified.gzip) if source["format"] == "dms" else ParsedFile(reason="parquet_where_csv_declared")
    data = classified.data
    body = data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data
    if body.strip(b"\r\n") == b"":
        return ParsedFile(reason="empty_file")  # line ends only: no record
    delimiter, quote = source["csv"]["delimiter"], source["csv"]["quote"]
    columns: Sequence[Dict[str, Any]] = source["columns"]
    op_column: Optional[str] = source.get("opColumn")
    known, required = _declared_names(source)
    try:
        text: Optional[str] = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    # The first record, read leniently (also from bytes that are not UTF-8, to count their rows).
    written = parse_header(text if text is not None else body.decode("utf-8", errors="replace"), delimiter, quote)
    mode = source["csv"].get("header", "present")  # absent in plans compiled before header modes
    has_header = mode == "present" or (
        mode == "auto" and written is not None and looks_like_header(resolve_header(written, known), known, required))
    if text is None:
        return ParsedFile(reason="not_utf8", rows_read=count_data_lines(data, has_header))
    fallback = count_data_lines(data, has_header)
    if not has_header:
        # A data record is read by the rules every row is (a stray quote is a character), not as
        # the header is (engine/duckdb/read-files.ts checkFile).
        return _open_headerless(text, source, key, first_record(text, delimiter, quote), fallback)
    # The header's names first (read leniently, as the DuckDB executor does): a file that is not
    # CSV at all is not_csv before its quoting is judged.
    if written is None:
        return ParsedFile(reason="malformed_csv:header: unterminated quote", rows_read=fallback)
    if not any(name in known for name in resolve_header(written, known)):
        found = fitting_delimiter(delimiter, lambda d: parse_header(text, d, quote),
                                  lambda f: any(name in known for name in resolve_header(list(f), known)))
        return ParsedFile(reason="not_csv" if found is None else f"not_csv:{delimiter_note(found, delimiter)}",
                          rows_read=fallback)
    # What csv.reader would read differently from DuckDB is named by the rules both engines
    # share (csv_rules.py): a bad header now, a bad row after the header checks.
    problem = first_csv_problem(text, delimiter, quote) if suspect_csv(text, delimiter, quote) else None
    if problem is not None and problem.startswith("header"):
        return ParsedFile(reason=f"malformed_csv:{problem}", rows_read=fallback)
    # DuckDB's reader counts the empty lines it skips before the header by its own reading of
    # mixed line ends, so such a file is refused on both engines (engine/duckdb/read-files.ts).
    if starts_with_empty_line(text) and mixed_line_ends(data):
        return ParsedFile(reason=f"malformed_csv:{EMPTY_LINES_MIXED}", rows_read=fallback)
    records = _records(text, source["csv"])
    try:
        header = resolve_header(next(records, None) or [], known)
    except csv.Error:
        problem = first_csv_problem(text, delimiter, quote)
        return ParsedFile(reason=f"malformed_csv:{problem or 'header: unterminated quote'}", rows_read=fallback)
    # Only a declared column twice is ambiguous; an extra name twice (",," of trailing delimiters)
    # is never read (engine/duckdb/read-files.ts checkFile).
    duplicate = next((h for i, h in enumerate(header) if h in known and header.index(h) != i), None)
    if duplicate is not None:
        return ParsedFile(reason=f"malformed_csv:duplicate column {duplicate}", rows_read=fallback)
    position = {name: index for index, name in enumerate(header)}
    missing = [name for name in required if name not in position]
    return _Opened(
        text=text,
        problem=problem,
        records=records,
        width=len(header),
        picks=[position.get(c["name"]) for c in columns]
        + [position.get(op_column) if op_column else None],
        extra=[name for name in header if name not in known],
        counted_reason="missing_column:" + ",".join(missing) if missing else None,
        fallback=fallback,
        header=True,
    )


def _declared_names(source: Dict[str, Any]) -> Tuple[List[str], List[str]]:
    """The names a header may hold (spec columns, then the Op column) and those it must
    (read-files.ts declaredNames)."""
    op_column: Optional[str] = source.get("opColumn")
    known = [c["name"] for c in source["columns"]] + ([op_column] if op_column else [])
    return known, [c["name"] for c in source["columns"] if not c["optional"]]


def _open_headerless(
    text: str, source: Dict[str, Any], key: str, first: Optional[List[str]], fallback: int
) -> Union[ParsedFile, _Opened]:
    """A headerless file: columns by position, the layout decided once from its name and first
    record (file_layout.py); every record is a row (engine/duckdb/read-files.ts checkHeaderless)."""
    delimiter, quote = source["csv"]["delimiter"], source["csv"]["quote"]
    if first is None:
        problem = first_csv_problem(text, delimiter, quote, False) or "row 1: unterminated quote"
        return ParsedFile(reason=f"malformed_csv:{problem}", rows_read=fallback)
    dms = source.get("dms") or {}
    timestamp_column: Optional[str] = dms.get("timestampColumn")
    op_column: Optional[str] = source.get("opColumn")
    names = [c["name"] for c in source["columns"]]
    data = [c for c in source["columns"] if c["name"] != timestamp_column]
    columns = [c["name"] for c in data]
    markers = [m for m in (source["csv"].get("nullValue"), dms.get("noSupValue")) if m]
    optional = [bool(c.get("optional")) for c in data]
    layout = headerless_layout(key, first, columns, op_column, timestamp_column,
                               [c["type"] for c in data], markers, optional)
    problem = None
    if isinstance(layout, str):
        picks: List[Optional[int]] = []
        # A header or a record of another delimiter: the reason says which (read-files.ts checkHeaderless).
        known, required = _declared_names(source)
        def fits(fields: Sequence[str]) -> bool:
            return looks_like_header(resolve_header(list(fields), known), known, required) or isinstance(
                headerless_layout(key, fields, columns, op_column, timestamp_column, [c["type"] for c in data], markers,
                                  optional),
                FileLayout)

        found = fitting_delimiter(delimiter, lambda d: first_record(text, d, quote), fits)
        if found is not None:
            layout = f"{layout}; {delimiter_note(found, delimiter)}"
    else:
        problem = first_csv_problem(text, delimiter, quote, False) if suspect_csv(text, delimiter, quote) else None
        if problem is not None:
            return ParsedFile(reason=f"malformed_csv:{problem}", rows_read=fallback)
        # A trailing optional column the file does not carry has no position: it reads as NULL.
        position = {name: at for name, at in zip(columns, layout.data) if at is not None}
        if layout.timestamp is not None and timestamp_column is not None:
            position[timestamp_column] = layout.timestamp
        picks = [position.get(name) for name in names] + [layout.op]
    return _Opened(
        text=text,
        problem=problem,
        records=_records(text, source["csv"]),
        width=len(first),
        picks=picks,
        extra=[],
        counted_reason=layout if isinstance(layout, str) else None,
        fallback=fallback,
        header=False,
    )


def _pick(record: List[str], picks: List[Optional[int]]) -> List[Optional[str]]:
    return [record[i] if i is not None else None for i in picks]


def parse_csv_bytes(data: bytes, source: Dict[str, Any], *, keep_rows: bool = True, key: str = "") -> ParsedFile:
    """Apply the read_files rules to one object's bytes; `source` is the plan's `source`, `key`
    the object key (a headerless file's layout looks at its name: LOAD files).

    keep_rows=False only decides the outcome and counts rows (memory stays at the file's size:
    the Spark reader checks every file first, then streams the accepted ones with iter_csv_rows).
    """
    opened = _open(data, source, key)
    if isinstance(opened, ParsedFile):
        return opened
    delimiter, quote = source["csv"]["delimiter"], source["csv"]["quote"]

    def malformed(fallback_message: str) -> ParsedFile:
        # Named by the rules both engines share (csv_rules.py), not by csv.reader's wording.
        problem = opened.problem or first_csv_problem(opened.text, delimiter, quote, opened.header)
        return ParsedFile(reason=f"malformed_csv:{problem or fallback_message}", rows_read=opened.fallback)

    whole = opened.counted_reason
    if opened.problem is not None and whole is None:
        return malformed("")
    rows: List[List[Optional[str]]] = []
    count = 0
    try:
        for record in opened.records:
            count += 1
            if len(record) != opened.width:
                if whole is not None:
                    break  # DuckDB counts such a file by lines: the scan fails on the width
                against = "header" if opened.header else "row 1"
                noun = "field" if len(record) == 1 else "fields"
                return malformed(f"row {count} has {len(record)} {noun}, {against} has {opened.width}")
            if keep_rows and whole is None:
                rows.append(_pick(record, opened.picks))
        else:
            if whole is not None:
                return ParsedFile(reason=whole, rows_read=count)
    except csv.Error as error:
        if whole is None:
            return malformed(str(error))
    if whole is not None:
        return ParsedFile(reason=whole, rows_read=opened.fallback)
    if count == 0:
        # A header and no rows: nothing to load, and not the file the producer meant to send
        # (engine/duckdb/read-files.ts decides it the same way, after counting rows).
        return ParsedFile(reason="header_only", rows_read=0)
    return ParsedFile(rows_read=count, rows=rows, extra_columns=opened.extra)


def iter_csv_rows(data: bytes, source: Dict[str, Any], key: str = "") -> Iterator[List[Optional[str]]]:
    """Rows of a file that parse_csv_bytes accepted, one at a time (spec columns, then _op)."""
    opened = _open(data, source, key)
    if isinstance(opened, ParsedFile):
        raise ValueError(f"file was not accepted: {opened.reason}")
    for record in opened.records:
        yield _pick(record, opened.picks)


def source_version(file: Dict[str, Any]) -> str:
    """`_source_version`: the S3 versionId, or "etag:<etag>" for an unversioned bucket."""
    return file["versionId"] if file.get("versionId") is not None else f"etag:{file['etag']}"


def data_date(received_at: str) -> str:
    """`_data_date`: UTC date (YYYY-MM-DD) of the manifest's receivedAt (never the clock)."""
    from .summary import parse_timestamp  # local: keeps this module's import surface tiny

    return parse_timestamp(received_at).astimezone(timezone.utc).strftime("%Y-%m-%d")


def received_at(value: str) -> str:
    """The ledger's `_received_at`: the manifest's receivedAt as ISO-8601 UTC with milliseconds
    ("2026-11-30T15:29:52.000Z", JavaScript's toISOString), so text order is time order."""
    from .summary import parse_timestamp

    t = parse_timestamp(value).astimezone(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iter_lineage_rows(
    rows: Iterable[List[Optional[str]]], file: Dict[str, Any], run_id: str
) -> Iterator[List[Any]]:
    """Bronze rows: the parsed values (spec columns, then _op) + the other lineage columns."""
    version = source_version(file)
    day = data_date(file["receivedAt"])
    tail = (file["key"], version, file["fileId"])
    for number, values in enumerate(rows, start=1):
        yield values + [*tail, number, run_id, day]


def lineage_rows(parsed: ParsedFile, file: Dict[str, Any], run_id: str) -> List[List[Any]]:
    return list(iter_lineage_rows(parsed.rows, file, run_id))
