"""Parquet files (datasets of format parquet, and DMS DataFormat=parquet files in dms datasets).

The executors only classify a Parquet object by its bytes (fetch_and_check: the PAR1 magic at
both ends); Spark's own Parquet reader then reads each one on the driver's plan (read_parquet),
and `render` turns every value into the canonical bronze string engine/duckdb/read-parquet.ts
documents, byte for byte what the DuckDB executor writes:
integers as digits, float/double as Python's repr of the double (the shortest round-trip text
DuckDB also prints: 0.1, 1e+20, 1.5e-07), decimals plain with their scale (12.50), booleans
true/false, dates YYYY-MM-DD, timestamps (with or without zone, ms or us) as the UTC wall time
YYYY-MM-DD HH:MM:SS.ffffff, binary as upper-case hex. Reasons: malformed_parquet:no footer|
unreadable|duplicate column <name>, unreadable_parquet_type:time|timestamp_nanos|uuid and
unreadable_parquet_codec:brotli|lzo (Spark refuses the whole file), unsupported_parquet_type:
<column> (a spec column held in a nested type), missing_column:a,b; a broken file counts 0 rows.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Tuple

from .csv_reader import ParsedFile, data_date, source_version
from .csv_rules import resolve_header

MAGIC = b"PAR1"
MALFORMED_UNREADABLE = "malformed_parquet:unreadable"
_EPOCH = dt.datetime(1970, 1, 1)


class ParquetPending(ParsedFile):
    """Bytes that look like a whole Parquet file: the driver reads it with Spark (read_parquet)."""


def is_parquet(data: bytes) -> bool:
    return data[:4] == MAGIC


def check_parquet_bytes(data: bytes) -> ParsedFile:
    """The executor-side check: the footer's magic must close the file (a truncated upload)."""
    if len(data) < 12 or data[-4:] != MAGIC:
        return ParsedFile(reason="malformed_parquet:no footer")
    return ParquetPending()


#: Spark type name (DataType.typeName()) -> how `render` prints it; "instant" values arrive as
#: unix microseconds (selected with unix_micros, so the session time zone never applies).
_KINDS = {
    "byte": "integer", "short": "integer", "integer": "integer", "long": "integer",
    "float": "float", "double": "float", "boolean": "boolean", "string": "string",
    "date": "date", "timestamp_ntz": "timestamp", "timestamp": "instant", "binary": "binary",
}


def kind_of(type_name: str) -> Optional[str]:
    if type_name.startswith("decimal"):
        return "decimal"
    return _KINDS.get(type_name)


def render(value: Any, kind: str) -> Optional[str]:
    """The canonical bronze string of one Parquet value read by Spark."""
    if value is None:
        return None
    if kind == "string":
        # Read as binary and decoded strictly (read_parquet): Spark's own string conversion puts
        # U+FFFD for bytes that are not UTF-8, a silent change; DuckDB refuses such a file, and
        # this raises, so the file is malformed_parquet:unreadable on both (_FILE_FAULTS).
        return bytes(value).decode("utf-8")
    if kind == "integer":
        return str(value)
    if kind == "decimal":
        return format(Decimal(value), "f")
    if kind == "float":
        return repr(float(value))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "date":
        return value.isoformat()
    if kind == "timestamp":
        return value.isoformat(sep=" ", timespec="microseconds")
    if kind == "instant":
        return (_EPOCH + dt.timedelta(microseconds=value)).isoformat(sep=" ", timespec="microseconds")
    if kind == "binary":
        return bytes(value).hex().upper()
    raise ValueError(f"no rendering for {kind}")


def unreadable_reason(message: str) -> str:
    """Why Spark's reader refused a file, as the DuckDB executor names the same file."""
    if "Illegal Parquet type" in message and "TIME(" in message:
        return "unreadable_parquet_type:time"
    if "Illegal Parquet type" in message and "NANOS" in message:
        return "unreadable_parquet_type:timestamp_nanos"
    if "Illegal Parquet type" in message and "(UUID)" in message:
        return "unreadable_parquet_type:uuid"
    if "DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION" in message:  # pyarrow's decimal256, p > 38
        return "unreadable_parquet_type:decimal_precision"
    # A page codec without a class here (Brotli, LZO): "Class ...BrotliCodec was not found".
    codec = re.search(r"Class [\w.$]*?\.(\w+)Codec was not found", message)
    if codec:
        return f"unreadable_parquet_codec:{codec.group(1).lower()}"
    return MALFORMED_UNREADABLE


#: What Spark says when the bytes are at fault: a type it cannot read, a footer or a page it
#: cannot decode, a string that is not UTF-8 (render). Not a path that does not exist, memory,
#: or a stopped context.
_FILE_FAULTS = ("Illegal Parquet type", "while reading file", "CANNOT_READ_FILE_FOOTER",
                "read footer", "readFooter", "not a Parquet file", "magic number",
                "UnicodeDecodeError",
                # A decimal wider than Spark's 38 digits, found when its rows are decoded: it
                # failed the whole run, where DuckDB quarantines the file (read-parquet.ts).
                "DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION")


def file_fault(message: str) -> bool:
    """Spark's reader refused the bytes, as opposed to the machine failing: only the former
    rejects the file (the others fail the run, its files end FAILED)."""
    return any(m in message for m in _FILE_FAULTS)


def glob_escaped(path: str) -> str:
    """Spark reads a path as a Hadoop glob: `[ ] { } * ?` must name themselves."""
    return "".join("\\" + ch if ch in "[]{}*?" else ch for ch in path)


def parquet_path(file: Dict[str, Any], local: bool) -> str:
    """Where Spark reads the object: the local copy in a local run, else the S3 object.

    On Glue, Spark reads the object's current version (its reader cannot pin a versionId), so
    read_parquet checks with version_problem, before and after reading, that the current
    version is the manifest's."""
    if local and file.get("localPath"):
        return file["localPath"]
    return f"s3://{file['bucket']}/{file['key']}"


def version_problem(s3: Any, file: Dict[str, Any]) -> Optional[str]:
    """None when the object's current version is the manifest's (versionId, else the etag), else
    the file's reason: Spark would read other bytes than the manifest names, and a value must
    never change silently. Gone or denied reads as fetch_and_check names it (a HEAD answers
    with the bare status: 404, 403); anything else (throttling, 5xx) fails the run."""
    try:
        head = s3.head_object(Bucket=file["bucket"], Key=file["key"])
    except Exception as error:  # noqa: BLE001 - classified below
        code = str(((getattr(error, "response", None) or {}).get("Error") or {}).get("Code") or "")
        named = {"404": "NoSuchKey", "NoSuchKey": "NoSuchKey", "403": "AccessDenied", "AccessDenied": "AccessDenied"}
        if code not in named:
            raise
        return f"unreadable:{named[code]}"
    if file.get("versionId") is not None:
        same = head.get("VersionId") == file["versionId"]
    else:
        same = str(head.get("ETag", "")).strip('"') == str(file.get("etag", "")).strip('"')
    return None if same else "unreadable:NotCurrentVersion"


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def read_parquet(
    spark: Any, path: str, file: Dict[str, Any], source: Dict[str, Any], run_id: str,
    pinned: Optional[Callable[[], Optional[str]]] = None,
) -> Tuple[Dict[str, Any], Any]:
    """(outcome fields: reason, rowsRead, extraColumns; an RDD of bronze rows or None).
    `pinned` (Glue): a version_problem check, run before the read and after the rows are decoded."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    def rejected(reason: str, rows: int = 0) -> Tuple[Dict[str, Any], Any]:
        return {"reason": reason, "rowsRead": rows, "extraColumns": []}, None

    problem = pinned() if pinned else None
    if problem is not None:
        return rejected(problem)
    try:
        frame = spark.read.parquet(glob_escaped(path))
    except Exception as error:  # noqa: BLE001 - classified by its message
        if not file_fault(str(error)):
            raise
        return rejected(unreadable_reason(str(error)))
    columns: List[Dict[str, Any]] = source["columns"]
    op_column: Optional[str] = source.get("opColumn")
    known = [c["name"] for c in columns] + ([op_column] if op_column else [])
    written = [field.name for field in frame.schema.fields]
    header = resolve_header(written, known)
    duplicate = next((h for i, h in enumerate(header) if header.index(h) != i), None)
    if duplicate is not None:
        return rejected(f"malformed_parquet:duplicate column {duplicate}")
    count = frame.count()
    missing = [c["name"] for c in columns if not c["optional"] and c["name"] not in header]
    if missing:
        return rejected("missing_column:" + ",".join(missing), count)
    selects, kinds = [], []
    for name in known:
        if name not in header:
            selects.append(F.lit(None).cast("string"))
            kinds.append("string")
            continue
        field = frame.schema.fields[header.index(name)]
        kind = kind_of(field.dataType.typeName())
        if kind is None:
            return rejected(f"unsupported_parquet_type:{name}", count)
        column = F.col(_quoted(field.name))
        selects.append(F.unix_micros(column) if kind == "instant" else column.cast("binary") if kind == "string" else column)
        kinds.append(kind)
    if not op_column:
        # Bronze always has its Op slot (NULL without a cdc Op column), as csv_reader fills it:
        # one value short, every load of a Parquet dataset without one failed on Spark.
        selects.append(F.lit(None).cast("string"))
        kinds.append("string")
    tail = (file["key"], source_version(file), file["fileId"])
    day = data_date(file["receivedAt"])

    def bronze(row: Any) -> List[Any]:
        values = [render(row[i], kind) for i, kind in enumerate(kinds)]
        return values + [*tail, row[len(kinds)] + 1, run_id, day]

    rows = frame.select(*selects, F.col("_metadata.row_index")).rdd.map(bronze)
    # Decoded now, once: a corrupt page must reject this file, not fail the whole run later.
    rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        read = rows.count()
    except Exception as error:  # noqa: BLE001 - classified by its message
        rows.unpersist()
        if not file_fault(str(error)):
            raise
        return rejected(unreadable_reason(str(error)))
    problem = pinned() if pinned else None
    if problem is not None:
        rows.unpersist()
        return rejected(problem)
    extra = [h for h in header if h not in known]
    return {"reason": None, "rowsRead": read, "extraColumns": extra}, rows
