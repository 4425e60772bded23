"""Job arguments: names from contracts.RUN_ARGS / JOB_ARGS, required vs optional, clear errors.

Glue's getResolvedOptions fails on any requested option that is absent, so optional arguments
are requested only when present in argv (the pattern AWS documents for optional parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence

from .contracts import JOB_ARGS, OPTIONAL_JOB_ARGS, RUN_ARGS
from .s3_uri import GLUE_STORAGE_SCHEMES, parse_s3_uri, parse_storage_uri

Resolver = Callable[[Sequence[str], List[str]], Dict[str, str]]

# Bare names (no leading "--"), as getResolvedOptions wants them.
REQUIRED_ARGS: List[str] = [
    RUN_ARGS["dataset"][2:],
    RUN_ARGS["runId"][2:],
    RUN_ARGS["manifestUri"][2:],
] + [flag[2:] for flag in JOB_ARGS.values()]
#: Optional arguments: --full_refresh (default false), OPTIONAL_JOB_ARGS (bronze_database puts
#: bronze/files/state in their own database; default --catalog_database); JOB_RUN_ID / JOB_NAME
#: come from Glue, for logs.
OPTIONAL_ARGS: List[str] = [RUN_ARGS["fullRefresh"][2:]] + [
    flag[2:] for flag in OPTIONAL_JOB_ARGS.values()
] + ["JOB_RUN_ID", "JOB_NAME"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ArgumentError(ValueError):
    """Bad or missing job arguments; the message names every offending argument."""


@dataclass(frozen=True)
class JobArgs:
    dataset: str
    run_id: str
    manifest_uri: str
    full_refresh: bool
    plan_uri: str
    ops_bucket: str
    bronze_path: str
    warehouse_path: str
    catalog_database: str
    quarantine_database: str
    metrics_namespace: str
    bronze_database: Optional[str] = None
    #: Secrets Manager secret (ARN or name) holding the PII hash key; the key itself is never
    #: an argument (pii_key.py). Locally: the workspace's key file (local_env.LocalSecrets).
    pii_key_secret: Optional[str] = None
    job_run_id: Optional[str] = None
    job_name: Optional[str] = None


def present_flags(argv: Sequence[str]) -> set:
    """Bare names of every `--name` / `--name=value` in argv."""
    names = set()
    for token in argv:
        if token.startswith("--") and len(token) > 2:
            names.add(token[2:].split("=", 1)[0])
    return names


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ArgumentError(f"--{name} must be true or false, got {value!r}")


def resolve_args(argv: Sequence[str], resolver: Resolver,
                 storage_schemes: Sequence[str] = GLUE_STORAGE_SCHEMES) -> JobArgs:
    """Resolve and validate the job arguments from argv with getResolvedOptions (`resolver`).
    `storage_schemes`: what --bronze_path / --warehouse_path may be (local runs add file://)."""
    present = present_flags(argv)
    missing = [name for name in REQUIRED_ARGS if name not in present]
    if missing:
        raise ArgumentError(
            "missing required job argument(s): " + ", ".join("--" + m for m in missing)
        )
    wanted = REQUIRED_ARGS + [name for name in OPTIONAL_ARGS if name in present]
    raw = resolver(argv, wanted)
    return validate_args(raw, storage_schemes)


class ArgChecks:
    """Reads raw job arguments and collects every problem, so one error names them all.

    Shared by the load job (validate_args) and the model job (model_args.py).
    """

    def __init__(self, raw: Dict[str, str], storage_schemes: Sequence[str]):
        self.raw = raw
        self.storage_schemes = tuple(storage_schemes)
        self.problems: List[str] = []

    def name(self, key: str) -> str:
        value = self.raw.get(key, "")
        if not _NAME.match(value):
            self.problems.append(f"--{key} must be 1-128 chars of letters, digits, _ . - (got {value!r})")
        return value

    def s3(self, key: str, require_key: bool) -> str:
        value = self.raw.get(key, "")
        try:
            parse_s3_uri(value, require_key=require_key)
        except ValueError as error:
            self.problems.append(f"--{key}: {error}")
        return value

    def storage(self, key: str) -> str:
        value = self.raw.get(key, "")
        try:
            parse_storage_uri(value, self.storage_schemes)
        except ValueError as error:
            self.problems.append(f"--{key}: {error}")
        return value

    def text(self, key: str) -> str:
        value = self.raw.get(key, "")
        if not value.strip():
            self.problems.append(f"--{key} must not be empty")
        return value

    def bucket(self, key: str) -> str:
        value = self.text(key)
        if value.startswith("s3://"):
            self.problems.append(f"--{key} must be a bucket name, not a URI (got {value!r})")
        return value

    def flag(self, key: str) -> bool:
        if key not in self.raw:
            return False
        try:
            return parse_bool(key, self.raw[key])
        except ArgumentError as error:
            self.problems.append(str(error))
            return False

    def check(self) -> None:
        if self.problems:
            raise ArgumentError("invalid job arguments:\n  " + "\n  ".join(self.problems))


def validate_args(raw: Dict[str, str],
                  storage_schemes: Sequence[str] = GLUE_STORAGE_SCHEMES) -> JobArgs:
    arg = ArgChecks(raw, storage_schemes)
    dataset = arg.name("dataset")
    run_id = arg.name("run_id")
    manifest_uri = arg.s3("manifest_uri", True)
    plan_uri = arg.s3("plan_uri", True)
    bronze_path = arg.storage("bronze_path")
    warehouse_path = arg.storage("warehouse_path")
    ops_bucket = arg.bucket("ops_bucket")
    catalog_database = arg.name("catalog_database")
    quarantine_database = arg.name("quarantine_database")
    metrics_namespace = arg.text("metrics_namespace")
    bronze_database = arg.name("bronze_database") if raw.get("bronze_database") else None
    full_refresh = arg.flag("full_refresh")
    arg.check()
    return JobArgs(
        dataset=dataset,
        run_id=run_id,
        manifest_uri=manifest_uri,
        full_refresh=full_refresh,
        plan_uri=plan_uri,
        ops_bucket=ops_bucket,
        bronze_path=bronze_path,
        warehouse_path=warehouse_path,
        catalog_database=catalog_database,
        quarantine_database=quarantine_database,
        metrics_namespace=metrics_namespace,
        bronze_database=bronze_database,
        pii_key_secret=raw.get("pii_key_secret") or None,
        job_run_id=raw.get("JOB_RUN_ID") or None,
        job_name=raw.get("JOB_NAME") or None,
    )


def simple_resolver(argv: Sequence[str], names: List[str]) -> Dict[str, str]:
    """A stand-in for awsglue.utils.getResolvedOptions (tests, local runs without awsglue).

    Accepts `--name value` and `--name=value`; the last occurrence wins, like argparse.
    """
    wanted = set(names)
    result: Dict[str, str] = {}
    index = 0
    tokens = list(argv)
    while index < len(tokens):
        token = tokens[index]
        if token.startswith("--"):
            name, eq, value = token[2:].partition("=")
            if not eq:
                has_value = index + 1 < len(tokens) and not tokens[index + 1].startswith("--")
                value = tokens[index + 1] if has_value else ""
                index += 1 if has_value else 0
            if name in wanted:
                result[name] = value
        index += 1
    absent = [n for n in names if n not in result]
    if absent:
        raise ArgumentError("missing job argument(s): " + ", ".join("--" + n for n in absent))
    return result
