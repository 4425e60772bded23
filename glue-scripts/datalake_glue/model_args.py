"""Arguments of the model job (build_model.py): one build of one semantic model.

Required: --model --run_id --plan_uri --ops_bucket --warehouse_path --semantic_database
          --silver_database --bronze_database
Optional: --full_refresh true|false (default false: the model's published table is `previous`)
          --pii_key_secret (Secrets Manager secret of the PII hash key; locally the key file)
          --files_path (storage URI under which the plan's `file` inputs are found, e.g. the
          holidays CSV; default: the repository, for local runs)
          JOB_RUN_ID / JOB_NAME (from Glue, for logs)
Resolved like the load job's (args.py): optional ones are requested only when present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from .args import _NAME, ArgumentError, Resolver, parse_bool, present_flags
from .s3_uri import GLUE_STORAGE_SCHEMES, parse_s3_uri, parse_storage_uri

MODEL_REQUIRED_ARGS: List[str] = [
    "model", "run_id", "plan_uri", "ops_bucket", "warehouse_path",
    "semantic_database", "silver_database", "bronze_database",
]
MODEL_OPTIONAL_ARGS: List[str] = ["full_refresh", "pii_key_secret", "files_path", "JOB_RUN_ID", "JOB_NAME"]


@dataclass(frozen=True)
class ModelJobArgs:
    model: str
    run_id: str
    plan_uri: str
    ops_bucket: str
    warehouse_path: str
    semantic_database: str
    silver_database: str
    bronze_database: str
    full_refresh: bool = False
    pii_key_secret: Optional[str] = None
    files_path: Optional[str] = None
    job_run_id: Optional[str] = None
    job_name: Optional[str] = None


def resolve_model_args(argv: Sequence[str], resolver: Resolver,
                       storage_schemes: Sequence[str] = GLUE_STORAGE_SCHEMES) -> ModelJobArgs:
    present = present_flags(argv)
    missing = [name for name in MODEL_REQUIRED_ARGS if name not in present]
    if missing:
        raise ArgumentError("missing required job argument(s): " + ", ".join("--" + m for m in missing))
    wanted = MODEL_REQUIRED_ARGS + [name for name in MODEL_OPTIONAL_ARGS if name in present]
    return validate_model_args(resolver(argv, wanted), storage_schemes)


def validate_model_args(raw: Dict[str, str],
                        storage_schemes: Sequence[str] = GLUE_STORAGE_SCHEMES) -> ModelJobArgs:
    problems: List[str] = []

    def name_arg(key: str) -> str:
        value = raw.get(key, "")
        if not _NAME.match(value):
            problems.append(f"--{key} must be 1-128 chars of letters, digits, _ . - (got {value!r})")
        return value

    def storage_arg(key: str) -> str:
        value = raw.get(key, "")
        try:
            parse_storage_uri(value, tuple(storage_schemes))
        except ValueError as error:
            problems.append(f"--{key}: {error}")
        return value

    model = name_arg("model")
    run_id = name_arg("run_id")
    plan_uri = raw.get("plan_uri", "")
    try:
        parse_s3_uri(plan_uri, require_key=True)
    except ValueError as error:
        problems.append(f"--plan_uri: {error}")
    ops_bucket = raw.get("ops_bucket", "")
    if not ops_bucket.strip() or ops_bucket.startswith("s3://"):
        problems.append(f"--ops_bucket must be a bucket name (got {ops_bucket!r})")
    warehouse_path = storage_arg("warehouse_path")
    files_path = storage_arg("files_path") if raw.get("files_path") else None
    databases = {key: name_arg(key) for key in ("semantic_database", "silver_database", "bronze_database")}
    full_refresh = False
    if "full_refresh" in raw:
        try:
            full_refresh = parse_bool("full_refresh", raw["full_refresh"])
        except ArgumentError as error:
            problems.append(str(error))
    if problems:
        raise ArgumentError("invalid job arguments:\n  " + "\n  ".join(problems))
    return ModelJobArgs(
        model=model, run_id=run_id, plan_uri=plan_uri, ops_bucket=ops_bucket,
        warehouse_path=warehouse_path, full_refresh=full_refresh,
        pii_key_secret=raw.get("pii_key_secret") or None, files_path=files_path,
        job_run_id=raw.get("JOB_RUN_ID") or None, job_name=raw.get("JOB_NAME") or None,
        **databases,
    )
