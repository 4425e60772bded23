"""What a landed file's bytes are, by their magic bytes, never by the name (twin of
engine/file-bytes.ts, which states the rules and reasons). Pure: runs on Spark executors."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from typing import Optional

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_GZIP_HEADER_BYTES = 10
_DEFLATE = 8


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
        return Classified(kind="parquet" if data.startswith(_PARQUET_MAGIC) else "text", data=data)
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
    if text.startswith(_PARQUET_MAGIC):
        return Classified(kind="parquet", data=text, gzip=True)
    return Classified(kind="text", data=text, gzip=True)
