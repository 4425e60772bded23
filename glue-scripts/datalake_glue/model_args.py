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

from .args import ArgChecks, ArgumentError, Resolver, present_flags
from .s3_uri import GLUE_STORAGE_SCHEMES

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
    arg = ArgChecks(raw, storage_schemes)
    model = arg.name("model")
    run_id = arg.name("run_id")
    plan_uri = arg.s3("plan_uri", True)
    ops_bucket = arg.bucket("ops_bucket")
    warehouse_path = arg.storage("warehouse_path")
    files_path = arg.storage("files_path") if raw.get("files_path") else None
    databases = {key: arg.name(key) for key in ("semantic_database", "silver_database", "bronze_database")}
    full_refresh = arg.flag("full_refresh")
    arg.check()
    return ModelJobArgs(
        model=model, run_id=run_id, plan_uri=plan_uri, ops_bucket=ops_bucket,
        warehouse_path=warehouse_path, full_refresh=full_refresh,
        pii_key_secret=raw.get("pii_key_secret") or None, files_path=files_path,
        job_run_id=raw.get("JOB_RUN_ID") or None, job_name=raw.get("JOB_NAME") or None,
        **databases,
    )
