"""The CSV rules both executors apply (twin of engine/csv-rules.ts; both are tested against
test/fixtures/csv-vectors.json). DuckDB's reader and Python's csv module agree on RFC 4180 files
but not on some malformed ones (DuckDB drops the spaces in ` "a"` and after a closing quote;
Python keeps ` "a"` literally and takes a bare CR for a line end), so such files are rejected
before either parser sees them, and every malformed file is named here, the same way on both
engines. Rules and messages: see engine/csv-rules.ts.
"""

from __future__ import annotations

import re
from typing import List, Optional

_BLANK = " \t"


def suspect_csv(text: str, delimiter: str, quote: str) -> bool:
    """True when a text may hold what csv.reader accepts but DuckDB reads differently (spaces
    before an opening quote, a bare CR): first_csv_problem then decides. Everything else that is
    malformed, csv.reader (strict) refuses on its own. Regex scans: no per-character Python."""
    d, q = re.escape(delimiter), re.escape(quote)
    return (re.search(f"(?:^|[{d}\\n])[ \\t]+{q}", text) is not None
            or re.search("\r(?!\n)", text) is not None)


def first_csv_problem(text: str, delimiter: str, quote: str, header: bool = True) -> Optional[str]:
    """The first problem of a CSV text as its malformed_csv message, or None when every record
    is well formed and as wide as the header (headerless: the first row; character by character:
    only for a bad file)."""
    body = text[1:] if text.startswith("\ufeff") else text
    n = len(body)
    row = -1 if header else 0
    width = 0
    i = 0
    while i < n:
        if body[i] == "\n":
            i += 1
            continue
        if body[i] == "\r" and body[i + 1:i + 2] == "\n":
            i += 2
            continue
        row += 1
        where = "header" if header and row == 0 else f"row {row}"
        fields = 0
        while True:
            fields += 1
            if body[i:i + 1] == quote:
                i += 1
                while True:
                    if i >= n:
                        return f"{where}: unterminated quote"
                    if body[i] == quote and body[i + 1:i + 2] == quote:
                        i += 2
                    elif body[i] == quote:
                        break
                    else:
                        i += 1
                i += 1
                after = body[i:i + 1]
                if after not in ("", delimiter, "\n", "\r"):
                    return f"{where}: text after closing quote"
            else:
                start = i
                while i < n and body[i] not in (delimiter, "\n", "\r"):
                    if body[i] == quote and i > start and body[start:i].strip(_BLANK) == "":
                        return f"{where}: space before opening quote"
                    i += 1
            if body[i:i + 1] == delimiter:
                i += 1
                continue
            if body[i:i + 1] == "\r" and body[i + 1:i + 2] != "\n":
                return f"{where}: bare carriage return"
            i += 2 if body[i:i + 1] == "\r" else 1 if body[i:i + 1] == "\n" else 0
            break
        if row == (0 if header else 1):
            width = fields
        elif fields != width:
            return f"row {row} has {fields} field{'' if fields == 1 else 's'}, {'header' if header else 'row 1'} has {width}"
    return None


def first_record(text: str, delimiter: str, quote: str) -> Optional[List[str]]:
    """The first record of a headerless file under the rules: its fields (a quote inside an
    unquoted field kept as written, as every later row reads it), or None when that record is
    malformed (first_csv_problem(text, ..., False) names why). (engine/csv-rules.ts firstRecord)"""
    body = text[1:] if text.startswith("\ufeff") else text
    n = len(body)
    i = empty_lines_end(body)
    fields: List[str] = []
    while True:
        if body[i:i + 1] == quote:
            i += 1
            field: List[str] = []
            while True:
                if i >= n:
                    return None
                if body[i] == quote and body[i + 1:i + 2] == quote:
                    field.append(quote)
                    i += 2
                elif body[i] == quote:
                    break
                else:
                    field.append(body[i])
                    i += 1
            i += 1
            if i < n and body[i] not in (delimiter, "\n", "\r"):
                return None
            fields.append("".join(field))
        else:
            start = i
            while i < n and body[i] not in (delimiter, "\n", "\r"):
                if body[i] == quote and i > start and body[start:i].strip(_BLANK) == "":
                    return None
                i += 1
            fields.append(body[start:i])
        if i >= n:
            return fields
        if body[i] == delimiter:
            i += 1
            continue
        if body[i] == "\r" and body[i + 1:i + 2] != "\n":
            return None
        return fields


#: The malformed_csv reason of a file with empty lines before its header and mixed line ends.
EMPTY_LINES_MIXED = "empty lines before the header, and mixed line ends"


def empty_lines_end(text: str) -> int:
    """Where the empty lines (LF or CRLF) a BOM-less text starts with end: no records, so a
    header or first record begins there (engine/csv-rules.ts emptyLinesBefore().chars)."""
    i = 0
    while text[i:i + 1] == "\n" or text[i:i + 2] == "\r\n":
        i += 1 if text[i] == "\n" else 2
    return i


def starts_with_empty_line(text: str) -> bool:
    """Whether the (BOM-less) text starts with an empty line: LF or CRLF."""
    return empty_lines_end(text) > 0


def mixed_line_ends(data: bytes) -> bool:
    """A CR that is not before an LF, or an LF that is not after a CR, where a CR exists
    (engine/duckdb/read-files.ts mixedLineEnds)."""
    crs = data.count(b"\r")
    if crs == 0:
        return False
    crlfs = data.count(b"\r\n")
    return crs != crlfs or data.count(b"\n") != crlfs


def parse_header(text: str, delimiter: str, quote: str) -> Optional[List[str]]:
    """The header: the first record, read leniently (a quote toggles quoting wherever it stands),
    so a file that is not CSV at all is told apart by its names (not_csv) before its quoting is
    judged. None when a quote never closes. Empty lines before it are no records: an export
    that writes a blank line first still has its header. (engine/csv-rules.ts parseHeader)"""
    fields: List[str] = []
    field: List[str] = []
    in_quotes = False
    i = empty_lines_end(text)
    n = len(text)
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == quote and text[i + 1:i + 2] == quote:
                field.append(quote)
                i += 1
            elif ch == quote:
                in_quotes = False
            else:
                field.append(ch)
        elif ch == quote:
            in_quotes = True
        elif ch == delimiter:
            fields.append("".join(field))
            field = []
        elif ch == "\n":
            break
        elif ch != "\r":
            field.append(ch)
        i += 1
    if in_quotes:
        return None
    fields.append("".join(field))
    return fields


def _fold_ascii(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: m.group(0).lower(), name)


def _alnum_folded(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold_ascii(name))


def resolve_header(header: List[str], declared: List[str]) -> List[str]:
    """Header names as the spec declares them, matched case-insensitively and without the spaces
    or tabs around them (ASCII letters only folded, exactly like engine/csv-rules.ts
    resolveHeader); an unmatched name is kept as written."""
    by_folded = {_fold_ascii(name): name for name in declared}
    return [by_folded.get(_fold_ascii(name.strip(" \t")), name) for name in header]


def drift_warnings(key: str, extra: List[str], op_column: Optional[str]) -> List[str]:
    """An accepted file's drift warnings, worded as engine/csv-rules.ts driftWarnings words them."""
    if not extra:
        return []
    # An empty name (a trailing delimiter) is named, not printed as nothing.
    warnings = [f"{key}: extra column(s) {', '.join(name or '(unnamed)' for name in extra)}"]
    op_like = next((n for n in extra if _alnum_folded(n) == _alnum_folded(op_column)), None) if op_column else None
    if op_like is not None:
        warnings.append(
            f'{key}: column "{op_like}" is not the Op column {op_column}: its values are not read as operations '
            f"(a file without {op_column} loads as a full load: no deletes); if it holds them, rename it to {op_column}")
    return warnings
