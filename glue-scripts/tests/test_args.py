import pytest

from datalake_glue.args import (
    OPTIONAL_ARGS,
    REQUIRED_ARGS,
    ArgumentError,
    resolve_args,
    simple_resolver,
)
from datalake_glue.contracts import JOB_ARGS, OPTIONAL_JOB_ARGS, RUN_ARGS
from tests.helpers import JOB_ARGV


def without(argv, flag):
    index = argv.index(flag)
    return argv[:index] + argv[index + 2:]


def test_required_and_optional_cover_every_contract_argument():
    contract = {flag[2:] for flag in list(RUN_ARGS.values()) + list(JOB_ARGS.values())}
    assert contract == set(REQUIRED_ARGS) | (set(OPTIONAL_ARGS) & contract)
    assert "full_refresh" in OPTIONAL_ARGS and "full_refresh" not in REQUIRED_ARGS
    optional = {flag[2:] for flag in OPTIONAL_JOB_ARGS.values()}
    assert optional <= set(OPTIONAL_ARGS) and not optional & set(REQUIRED_ARGS)


def test_bronze_database_is_read_when_given_and_defaults_to_none():
    given = resolve_args(JOB_ARGV + [OPTIONAL_JOB_ARGS["bronzeDatabase"], "datalake_bronze"], simple_resolver)
    assert given.bronze_database == "datalake_bronze"
    assert resolve_args(JOB_ARGV, simple_resolver).bronze_database is None


def test_resolves_every_argument():
    args = resolve_args(JOB_ARGV, simple_resolver)
    assert args.dataset == "orders"
    assert args.run_id == "run-20261121-0001"
    assert args.manifest_uri == "s3://ops-bucket/manifests/orders/run-20261121-0001.json"
    assert args.plan_uri == "s3://ops-bucket/plans/orders/abc123.json"
    assert args.ops_bucket == "ops-bucket"
    assert args.bronze_path == "s3://bronze-bucket/orders/"
    assert args.warehouse_path == "s3://silver-bucket/warehouse/"
    assert (args.catalog_database, args.quarantine_database) == ("datalake_silver", "datalake_quarantine")
    assert args.metrics_namespace == "Datalake/dev"
    assert args.job_run_id == "jr_123"
    assert args.full_refresh is False


def test_optional_arguments_are_not_requested_when_absent():
    requested = []

    def recording_resolver(argv, names):
        requested.extend(names)
        return simple_resolver(argv, names)

    resolve_args(without(JOB_ARGV, "--JOB_RUN_ID"), recording_resolver)
    assert "full_refresh" not in requested and "JOB_RUN_ID" not in requested
    assert "JOB_NAME" in requested


@pytest.mark.parametrize("value, expected", [("true", True), ("TRUE", True), ("false", False), ("0", False)])
def test_full_refresh_parses_booleans(value, expected):
    args = resolve_args(JOB_ARGV + ["--full_refresh", value], simple_resolver)
    assert args.full_refresh is expected


def test_full_refresh_rejects_other_values():
    with pytest.raises(ArgumentError, match=r"--full_refresh must be true or false, got 'maybe'"):
        resolve_args(JOB_ARGV + ["--full_refresh", "maybe"], simple_resolver)


def test_missing_required_arguments_are_all_named_before_resolving():
    argv = without(without(JOB_ARGV, "--plan_uri"), "--dataset")

    def failing_resolver(argv, names):
        raise AssertionError("must not be called")

    with pytest.raises(ArgumentError) as raised:
        resolve_args(argv, failing_resolver)
    assert "--dataset" in str(raised.value) and "--plan_uri" in str(raised.value)


def test_bad_values_are_all_reported_together():
    argv = list(JOB_ARGV)
    argv[argv.index("--manifest_uri") + 1] = "ops-bucket/m.json"
    argv[argv.index("--ops_bucket") + 1] = "s3://ops-bucket"
    argv[argv.index("--run_id") + 1] = "run/../x"
    with pytest.raises(ArgumentError) as raised:
        resolve_args(argv, simple_resolver)
    message = str(raised.value)
    assert "--manifest_uri" in message and "--ops_bucket" in message and "--run_id" in message


def test_equals_form_is_accepted_by_the_stand_in_resolver():
    argv = without(JOB_ARGV, "--dataset") + ["--dataset=orders"]
    assert resolve_args(argv, simple_resolver).dataset == "orders"
