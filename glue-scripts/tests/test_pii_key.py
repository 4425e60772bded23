"""Keyed PII hashing on the Glue side (twin of engine/pii-key.ts): the pads the runner registers
give HMAC-SHA256 through the plan's SQL formula, the key comes from the secret named by
--pii_key_secret at run time, and tables hashed under another key are rebuilt, never mixed."""

import copy
import hashlib
import hmac

import pytest

from datalake_glue.args import resolve_args, simple_resolver
from datalake_glue.pii_key import hmac_pads, key_from_secret, keyed_fingerprint, pii_key_id, read_pii_key
from tests.helpers import JOB_ARGV
from tests.test_executor import STATE_Q, load_plan, run, spark_for


def sql_formula(key: bytes, message: bytes) -> str:
    """What dialects.ts hmacSha256 computes: sha256(opad || unhex(sha256(ipad || m)))."""
    ipad, opad = hmac_pads(key)
    inner = hashlib.sha256(ipad + message).hexdigest()
    return hashlib.sha256(opad + bytes.fromhex(inner)).hexdigest()


@pytest.mark.parametrize("key", [b"k", b"x" * 64, "ключ".encode() * 30])
def test_the_pads_give_hmac_sha256_through_the_plan_formula(key):
    for message in ["a@x.com", "ünïcödé 🎉", "", "it's"]:
        data = message.encode("utf-8")
        assert sql_formula(key, data) == hmac.new(key, data, hashlib.sha256).hexdigest()


def test_the_key_id_is_the_typescript_engine_s():
    # engine/pii-key.ts piiKeyId(Buffer.from("k")): both engines record the same fingerprint.
    assert pii_key_id(b"k") == "a07f6494c425"
    assert keyed_fingerprint("abc", b"k") == "abc.a07f6494c425"


def test_a_secret_is_trimmed_and_an_empty_one_refused():
    assert key_from_secret(" s3cret\n", "x") == b"s3cret"
    with pytest.raises(ValueError, match="PII hash key in arn:x is empty"):
        key_from_secret("  ", "arn:x")


class Secrets:
    def __init__(self, value):
        self.value, self.asked = value, []

    def get_secret_value(self, SecretId):  # noqa: N803 - boto3's name
        self.asked.append(SecretId)
        return {"SecretString": self.value}


def hashing_plan():
    plan = copy.deepcopy(load_plan())
    plan["steps"].insert(0, {"kind": "pii_key", "output": "pii_key"})
    return plan


def test_the_pii_key_secret_argument_is_optional_and_names_the_secret():
    assert resolve_args(JOB_ARGV, simple_resolver).pii_key_secret is None
    args = resolve_args(JOB_ARGV + ["--pii_key_secret", "arn:aws:secretsmanager:eu-west-1:1:secret:k"], simple_resolver)
    assert args.pii_key_secret == "arn:aws:secretsmanager:eu-west-1:1:secret:k"


def test_read_pii_key_reads_the_named_secret():
    secrets = Secrets("s3cret")
    assert read_pii_key(secrets, "arn:x") == b"s3cret"
    assert secrets.asked == ["arn:x"]


def test_the_executor_registers_the_pads_and_keys_the_fingerprint_without_logging_the_key():
    plan = hashing_plan()
    spark, io = spark_for(plan)
    spark.main.add(STATE_Q)
    spark.properties[STATE_Q] = {"datalake.plan-fingerprint": plan["fingerprint"]}  # hashed before the key

    result = run(plan, spark, io, pii_key=b"s3cret")

    assert result.error is None, result.error
    ipad, opad = hmac_pads(b"s3cret")
    assert ("register_pii_key", "pii_key", ipad, opad) in io.log
    # The state was built under the unkeyed plan: this run rebuilds it, then records the keyed one.
    assert any(s.startswith(f"INSERT OVERWRITE {STATE_Q}") for s in spark.statements)
    assert spark.properties[STATE_Q]["datalake.plan-fingerprint"] == keyed_fingerprint(plan["fingerprint"], b"s3cret")
    assert not any("s3cret" in s or ipad.hex() in s for s in spark.statements)


def test_a_plan_that_hashes_without_a_key_fails_with_one_line():
    plan = hashing_plan()
    spark, io = spark_for(plan)

    result = run(plan, spark, io)

    assert "--pii_key_secret" in result.error


def test_a_local_run_reads_the_workspace_key_file_named_as_the_secret(tmp_path):
    from datalake_glue.local_env import LocalSecrets

    key_file = tmp_path / "pii-hash.key"
    key_file.write_text("0123abcd\n", encoding="utf-8")

    assert read_pii_key(LocalSecrets(), str(key_file)) == b"0123abcd"
