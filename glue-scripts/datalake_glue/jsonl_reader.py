"""Parse one landed JSON lines object into string rows, or a whole-file rejection reason (pure).

The rules of engine/jsonl-rules.ts, word for word, so both engines give the same bronze strings
and reasons: one JSON object per line (blank lines skipped and not counted, a leading BOM
ignored; objects written back to back on one line, as Kinesis Data Firehose writes them without
a newline delimiter, are a row each), keys matched to spec columns case-insensitively (ASCII
letters), a number kept as the exact text written (12.50 stays "12.50"), true/false as
"true"/"false", null as None; a line that is not valid JSON, not an object, holds a key twice
or holds an object or array under a spec column quarantines the file:
malformed_jsonl:line <n>: <why>. Runs on Spark executors.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, Iterator, List, Optional, Set

from .csv_reader import UTF8_BOM, ParsedFile
from .file_bytes import classify_bytes


class _Object(list):
    """A JSON object as its (key, value) pairs, in order (duplicates kept, to be refused)."""


class _Nested:
    """An object or array value."""


_NESTED = _Nested()

_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity; JSON does not


def _fold_ascii(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: m.group(0).lower(), name)


def _lines(text: str) -> List[str]:
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def _blank(line: str) -> bool:
    return line.strip(" \t\r") == ""


def count_json_lines(text: str) -> int:
    """Non-blank lines: the row count of a file quarantined whole."""
    return sum(1 for line in _lines(text) if not _blank(line))


# One decoder for every value on a line: numbers keep their text, NaN and Infinity are refused.
_DECODER = json.JSONDecoder(
    parse_float=str, parse_int=str, parse_constant=_refuse_constant, object_pairs_hook=_Object
)
_BLANKS = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, between values as around them
#: After "invalid JSON" for a line holding only "{" or "[" (engine/jsonl-rules.ts SPREAD_HINT).
_SPREAD_HINT = " (an object or array spread over lines: JSON lines holds one object per line)"


def _values(line: str) -> Any:
    """The JSON values one line holds, in order (several when written back to back), or "invalid JSON"."""
    values = []
    at = _BLANKS.match(line).end()
    try:
        while at < len(line):
            value, at = _DECODER.raw_decode(line, at)
            values.append(value)
            at = _BLANKS.match(line, at).end()
    except (ValueError, RecursionError):
        return "invalid JSON"
    return values


def _members(parsed: Any) -> Any:
    """One value's top-level (key, bronze value) pairs, or why it is refused (a str)."""
    if not isinstance(parsed, _Object):
        return "not a JSON object"
    pairs = []
    for key, value in parsed:
        # json.loads joins an escaped surrogate pair into one character: any surrogate left is
        # unpaired ("\ud83d" alone), no character (engine/jsonl-rules.ts refuses it the same way).
        if _SURROGATE.search(key) or (isinstance(value, str) and _SURROGATE.search(value)):
            return "unpaired surrogate"
        if isinstance(value, (_Object, list)):
            value = _NESTED
        elif value is True or value is False:
            value = "true" if value else "false"
        pairs.append((key, value))
    return pairs


class _Parsed:
    def __init__(self) -> None:
        self.rows: List[List[Optional[str]]] = []
        self.extra: List[str] = []
        self.present: Set[str] = set()


#: engine/jsonl-rules.ts MAX_JSON_LINE_BYTES: the longest line the DuckDB executor reads (V8's
#: longest string), in UTF-8 bytes without the line end; a longer line quarantines the file.
MAX_LINE_BYTES = 536_870_888


def _too_long(line: str, limit: int) -> bool:
    # A character is 1 to 4 UTF-8 bytes: encoded only when its length allows either answer.
    return len(line) > limit or (len(line) * 4 > limit and len(line.encode("utf-8", "surrogatepass")) > limit)


def _parse(text: str, declared: List[str], max_line_bytes: int = MAX_LINE_BYTES) -> Any:
    """A _Parsed, or (problem, non-blank line count)."""
    by_folded = {_fold_ascii(name): i for i, name in enumerate(declared)}
    lines = _lines(text)
    result = _Parsed()
    extra_folded: Set[str] = set()

    def fail(number: int, why: str) -> Any:
        return (f"line {number}: {why}", sum(1 for line in lines if not _blank(line)))

    for number, line in enumerate(lines, start=1):
        if _too_long(line, max_line_bytes):
            return fail(number, f"longer than {max_line_bytes} bytes, the longest line read (one record per line)")
        if _blank(line):
            continue
        values = _values(line)
        if isinstance(values, str):
            return fail(number, values + (_SPREAD_HINT if line.strip(" \t\r") in ("{", "[") else ""))
        for value in values:
            members = _members(value)
            if isinstance(members, str):
                return fail(number, members)
            row: List[Optional[str]] = [None] * len(declared)
            seen: Set[str] = set()
            for key, value in members:
                folded = _fold_ascii(key)
                if folded in seen:
                    return fail(number, f"duplicate key {key}")
                seen.add(folded)
                at = by_folded.get(folded)
                if at is None:
                    if folded not in extra_folded:
                        extra_folded.add(folded)
                        result.extra.append(key)
                    continue
                if value is _NESTED:
                    return fail(number, f"{declared[at]} holds an object or array")
                result.present.add(declared[at])
                row[at] = value
            result.rows.append(row)
    return result


def _declared(source: Dict[str, Any]) -> List[str]:
    op_column = source.get("opColumn")
    return [c["name"] for c in source["columns"]] + ([op_column] if op_column else [])


def parse_jsonl_bytes(data: bytes, source: Dict[str, Any], *, keep_rows: bool = True,
                      max_line_bytes: int = MAX_LINE_BYTES) -> ParsedFile:
    """Apply the JSON lines rules to one object's bytes; rows hold spec columns then the Op value."""
    # By bytes, as a CSV file is (file_bytes.py): gzip is read, Parquet and other compressions named.
    classified = classify_bytes(data)
    if classified.reason is not None:
        return ParsedFile(reason=classified.reason)
    if classified.kind == "parquet":
        return ParsedFile(reason="not_jsonl:parquet")
    data = classified.data
    try:
        text = (data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data).decode("utf-8")
    except UnicodeDecodeError:
        return ParsedFile(reason="not_utf8", rows_read=count_json_lines(data.decode("latin-1")))
    parsed = _parse(text, _declared(source), max_line_bytes)
    if isinstance(parsed, tuple):
        problem, lines = parsed
        return ParsedFile(reason=f"malformed_jsonl:{problem}", rows_read=lines)
    missing = [c["name"] for c in source["columns"] if not c["optional"] and c["name"] not in parsed.present]
    if missing and parsed.rows:  # a file without data lines lacks nothing (0 rows, like a header-only CSV)
        return ParsedFile(reason="missing_column:" + ",".join(missing), rows_read=len(parsed.rows))
    # Rows always end with their Op slot (NULL without a cdc Op column), as csv_reader fills it:
    # one value short, every load of a JSON lines dataset without one failed on Spark.
    rows = parsed.rows if source.get("opColumn") else [row + [None] for row in parsed.rows]
    return ParsedFile(rows_read=len(parsed.rows), rows=rows if keep_rows else [], extra_columns=parsed.extra)


def iter_jsonl_rows(data: bytes, source: Dict[str, Any]) -> Iterator[List[Optional[str]]]:
    """Rows of a file that parse_jsonl_bytes accepted (spec columns, then _op)."""
    parsed = parse_jsonl_bytes(data, source)
    if not parsed.accepted:
        raise ValueError(f"file was not accepted: {parsed.reason}")
    yield from parsed.rows
