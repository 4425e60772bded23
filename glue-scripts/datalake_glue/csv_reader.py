"""Parse one landed CSV object into string rows, or a whole-file rejection reason (pure).

The rules are the read_files step's contract in engine/plan.ts, shared with the DuckDB
executor: values stay exactly as in the file (no trimming, empty stays ""; null handling is
SQL's job), the header maps columns BY NAME, extra header columns are drift, missing optional
columns are null, and a file is rejected whole with one reason when it cannot be trusted.
Runs on Spark executors (one call per object), so it must stay free of Spark imports.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Union

from .csv_rules import first_csv_problem, parse_header, resolve_header, suspect_csv

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


def count_data_lines(data: bytes) -> int:
    """Non-blank lines minus the header, at least 0: the count of a file that cannot be parsed
    (engine/duckdb/read-files.ts countLines)."""
    lines = [line for line in data.split(b"\n") if line.strip()]
    return max(len(lines) - 1, 0)


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
    """A file whose header passed the checks, positioned after the header."""

    text: str
    #: The first malformed row found before parsing (csv_rules.suspect_csv), if any.
    problem: Optional[str]
    records: Iterator[List[str]]
    width: int
    picks: List[Optional[int]]
    extra: List[str]
    missing: List[str]
    fallback: int


def _open(data: bytes, source: Dict[str, Any]) -> Union[ParsedFile, _Opened]:
    """Byte and header checks, cheapest first, in the DuckDB executor's order: empty, UTF-8,
    header (unterminated quote, not_csv, malformed quoting, duplicate column); missing columns
    are decided after the rows are counted, malformed rows after that."""
    if len(data) == 0:
        return ParsedFile(reason="empty_file")
    body = data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ParsedFile(reason="not_utf8", rows_read=count_data_lines(data))
    fallback = count_data_lines(data)
    delimiter, quote = source["csv"]["delimiter"], source["csv"]["quote"]
    columns: Sequence[Dict[str, Any]] = source["columns"]
    op_column: Optional[str] = source.get("opColumn")
    known = [c["name"] for c in columns] + ([op_column] if op_column else [])
    # The header's names first (read leniently, as the DuckDB executor does): a file that is not
    # CSV at all is not_csv before its quoting is judged.
    written = parse_header(text, delimiter, quote)  # stops at the header's line end
    if written is None:
        return ParsedFile(reason="malformed_csv:header: unterminated quote", rows_read=fallback)
    if not any(name in known for name in resolve_header(written, known)):
        return ParsedFile(reason="not_csv", rows_read=fallback)
    # What csv.reader would read differently from DuckDB is named by the rules both engines
    # share (csv_rules.py): a bad header now, a bad row after the header checks.
    problem = first_csv_problem(text, delimiter, quote) if suspect_csv(text, delimiter, quote) else None
    if problem is not None and problem.startswith("header"):
        return ParsedFile(reason=f"malformed_csv:{problem}", rows_read=fallback)
    records = _records(text, source["csv"])
    try:
        header = resolve_header(next(records, None) or [], known)
    except csv.Error:
        problem = first_csv_problem(text, delimiter, quote)
        return ParsedFile(reason=f"malformed_csv:{problem or 'header: unterminated quote'}", rows_read=fallback)
    duplicate = next((h for i, h in enumerate(header) if header.index(h) != i), None)
    if duplicate is not None:
        return ParsedFile(reason=f"malformed_csv:duplicate column {duplicate}", rows_read=fallback)
    position = {name: index for index, name in enumerate(header)}
    return _Opened(
        text=text,
        problem=problem,
        records=records,
        width=len(header),
        picks=[position.get(c["name"]) for c in columns]
        + [position.get(op_column) if op_column else None],
        extra=[name for name in header if name not in known],
        missing=[c["name"] for c in columns if not c["optional"] and c["name"] not in position],
        fallback=fallback,
    )


def _pick(record: List[str], picks: List[Optional[int]]) -> List[Optional[str]]:
    return [record[i] if i is not None else None for i in picks]


def parse_csv_bytes(data: bytes, source: Dict[str, Any], *, keep_rows: bool = True) -> ParsedFile:
    """Apply the read_files rules to one object's bytes; `source` is the plan's `source`.

    keep_rows=False only decides the outcome and counts rows (memory stays at the file's size:
    the Spark reader checks every file first, then streams the accepted ones with iter_csv_rows).
    """
    opened = _open(data, source)
    if isinstance(opened, ParsedFile):
        return opened
    delimiter, quote = source["csv"]["delimiter"], source["csv"]["quote"]

    def malformed(fallback_message: str) -> ParsedFile:
        # Named by the rules both engines share (csv_rules.py), not by csv.reader's wording.
        problem = opened.problem or first_csv_problem(opened.text, delimiter, quote)
        return ParsedFile(reason=f"malformed_csv:{problem or fallback_message}", rows_read=opened.fallback)

    if opened.problem is not None and not opened.missing:
        return malformed("")
    rows: List[List[Optional[str]]] = []
    count = 0
    try:
        for record in opened.records:
            count += 1
            if len(record) != opened.width:
                if opened.missing:
                    break  # DuckDB counts such a file by lines: the scan fails on the width
                return malformed(f"row {count} has {len(record)} fields, header has {opened.width}")
            if keep_rows:
                rows.append(_pick(record, opened.picks))
        else:
            if opened.missing:
                return ParsedFile(reason="missing_column:" + ",".join(opened.missing), rows_read=count)
    except csv.Error as error:
        if not opened.missing:
            return malformed(str(error))
    if opened.missing:
        return ParsedFile(reason="missing_column:" + ",".join(opened.missing), rows_read=opened.fallback)
    return ParsedFile(rows_read=count, rows=rows, extra_columns=opened.extra)


def iter_csv_rows(data: bytes, source: Dict[str, Any]) -> Iterator[List[Optional[str]]]:
    """Rows of a file that parse_csv_bytes accepted, one at a time (spec columns, then _op)."""
    opened = _open(data, source)
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
