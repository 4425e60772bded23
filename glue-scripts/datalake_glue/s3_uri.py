"""S3 URI parsing and joining, and the storage URIs tables live under (pure)."""

from __future__ import annotations

from typing import NamedTuple

# Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789.-")


class S3Location(NamedTuple):
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.key else f"s3://{self.bucket}"


def parse_s3_uri(uri: str, *, require_key: bool = True) -> S3Location:
    """Split `s3://bucket/key` into bucket and key; raise ValueError with the URI on bad input.

    `s3a://` is accepted because Spark-side paths sometimes carry it; the key is kept verbatim
    (object keys are case-sensitive and may contain any character).
    """
    if not isinstance(uri, str):
        raise ValueError(f"not an S3 URI: {uri!r}")
    for scheme in ("s3://", "s3a://"):
        if uri.startswith(scheme):
            rest = uri[len(scheme):]
            break
    else:
        raise ValueError(f"not an S3 URI (expected s3://bucket/key): {uri!r}")
    bucket, _, key = rest.partition("/")
    if not (3 <= len(bucket) <= 63) or not set(bucket) <= _BUCKET_CHARS:
        raise ValueError(f"bad bucket name in S3 URI: {uri!r}")
    if bucket[0] in ".-" or bucket[-1] in ".-":
        raise ValueError(f"bad bucket name in S3 URI: {uri!r}")
    if require_key and not key:
        raise ValueError(f"S3 URI has no object key: {uri!r}")
    return S3Location(bucket, key)


def join_s3(base: str, *parts: str) -> str:
    """Join path segments under an S3 prefix with single slashes: join_s3("s3://b/x/", "y")."""
    location = parse_s3_uri(base, require_key=False)
    segments = [location.key.strip("/")] + [p.strip("/") for p in parts]
    key = "/".join(s for s in segments if s)
    return S3Location(location.bucket, key).uri


#: Schemes of table storage (--bronze_path, --warehouse_path): S3 on Glue; `file://` only for a
#: local run (local_env.py), where the Iceberg warehouse is a workspace folder.
GLUE_STORAGE_SCHEMES = ("s3",)
LOCAL_STORAGE_SCHEMES = ("s3", "file")


def parse_storage_uri(uri: str, schemes=GLUE_STORAGE_SCHEMES) -> str:
    """Validate a table storage URI (`s3://bucket[/prefix]`, or `file:/abs/path` where allowed:
    Hadoop's form, which Spark gives table locations in, so compare locations in it)."""
    if "file" in schemes and isinstance(uri, str) and uri.startswith("file:"):
        if not uri.startswith("file:/") or uri.startswith("file://"):
            raise ValueError(f"not a file URI in Hadoop's form (expected file:/abs/path): {uri!r}")
        return uri
    if schemes == ("file",):
        raise ValueError(f"not a file:// URI: {uri!r}")
    parse_s3_uri(uri, require_key=False)
    return uri


def join_storage(base: str, *parts: str) -> str:
    """join_s3 for S3 prefixes and `file:/` folders alike."""
    if base.startswith("file:"):
        segments = [base.rstrip("/")] + [p.strip("/") for p in parts]
        return "/".join(s for s in segments if s)
    return join_s3(base, *parts)
