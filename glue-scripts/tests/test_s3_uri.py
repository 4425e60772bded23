import pytest

from datalake_glue.s3_uri import S3Location, join_s3, parse_s3_uri


def test_parse_splits_bucket_and_key_verbatim():
    assert parse_s3_uri("s3://ops-bucket/manifests/orders/r 1+x.json") == S3Location(
        "ops-bucket", "manifests/orders/r 1+x.json"
    )


def test_parse_accepts_s3a_and_bucket_only_when_allowed():
    assert parse_s3_uri("s3a://my.bucket/k").bucket == "my.bucket"
    assert parse_s3_uri("s3://bucket", require_key=False) == S3Location("bucket", "")


@pytest.mark.parametrize(
    "uri",
    ["https://bucket/key", "bucket/key", "s3://", "s3://Bucket/key", "s3://ab/key", "s3://-bad/k", None],
)
def test_parse_rejects_non_s3_uris_and_bad_buckets(uri):
    with pytest.raises(ValueError):
        parse_s3_uri(uri)


def test_parse_requires_a_key_by_default():
    with pytest.raises(ValueError, match="no object key"):
        parse_s3_uri("s3://bucket/")


def test_join_uses_single_slashes():
    assert join_s3("s3://bkt/warehouse/", "/orders/", "data") == "s3://bkt/warehouse/orders/data"
    assert join_s3("s3://bkt", "x") == "s3://bkt/x"


def test_location_uri_round_trips():
    assert parse_s3_uri("s3://bucket/a/b").uri == "s3://bucket/a/b"
