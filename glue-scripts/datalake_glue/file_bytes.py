"""What a landed file's bytes are, by their magic bytes, never by the name (twin of
engine/file-bytes.ts, which states the rules and reasons). Pure: runs on Spark executors."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from typing import Optional

#: The largest file either engine reads (engine/file-bytes.ts MAX_FILE_BYTES): larger files are
#: quarantined before they are read, as the DuckDB engine must (Node reads no file over 2 GiB).
MAX_FILE_BYTES = 2**31 - 1
TOO_LARGE_REASON = "unsupported:larger than 2 GiB (split it into smaller files)"

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_GZIP_HEADER_BYTES = 10
_DEFLATE = 8
# Formats recognised and refused (file-bytes.ts REFUSED says why these magics).
_BZIP2 = tuple(b"BZh" + bytes([size]) + block for size in b"123456789"
               for block in (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90"))
_REFUSED = (
    ((b"\xfd7zXZ\x00",), "unsupported:xz compressed"),
    (_BZIP2, "unsupported:bzip2 compressed"),
    ((b"\x28\xb5\x2f\xfd",), "unsupported:zstd compressed"),
    ((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"), "unsupported:zip archive"),
    ((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"), "not_utf8:UTF-32 text"),
    ((b"\xff\xfe", b"\xfe\xff"), "not_utf8:UTF-16 text"),
)


@dataclass(frozen=True)
class Classified:
    """kind "text" or "parquet" (data = the bytes, decompressed when they came gzipped), or None
    with a whole-file reason."""

    kind: Optional[str]
    data: bytes = b""
    gzip: bool = False
    reason: Optional[str] = None


def classify_bytes(data: bytes) -> Classified:
    if len(data) == 0:
        return Classified(kind=None, reason="empty_file")
    if not data.startswith(_GZIP_MAGIC):
        return _classify_plain(data, False)
    reason = None
    text = b""
    if len(data) < _GZIP_HEADER_BYTES:
        reason = "corrupt_gzip:truncated"
    elif data[2] != _DEFLATE:
        reason = "corrupt_gzip:bad data"
    else:
        try:
            text = gzip.decompress(data)
        except EOFError:
            reason = "corrupt_gzip:truncated"
        except (gzip.BadGzipFile, zlib.error):
            reason = "corrupt_gzip:bad data"
    if reason is not None:
        return Classified(kind=None, reason=reason)
    if len(text) == 0:
        return Classified(kind=None, reason="empty_file")
    return _classify_plain(text, True)


def _classify_plain(data: bytes, gzipped: bool) -> Classified:
    """The bytes once any gzip is undone: Parquet, a refused format, or text."""
    if data.startswith(_PARQUET_MAGIC):
        return Classified(kind="parquet", data=data, gzip=gzipped)
    for magics, reason in _REFUSED:
        if data.startswith(magics):
            return Classified(kind=None, reason=reason)
    return Classified(kind="text", data=data, gzip=gzipped)
