"""A model build refuses to run while a dataset it reads has a spec its published silver was not
built by: the twin of engine/models/source-specs.ts, where the why is.

The plan artifact lists the datasets it reads (`sources`: dataset, silver table, the load plan
its spec compiles to now); the silver snapshot's load plan is silver_plan.plan_at's (unknown
decides nothing). Loads key the fingerprint they record with the PII key's id
(pii_key.keyed_fingerprint): compared without it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional


def source_spec_edit(source: Dict[str, Any], recorded: Optional[str]) -> Optional[str]:
    """Why a build must not read `source`, whose silver snapshot recorded load plan `recorded`,
    or None when it may."""
    if not recorded:
        return None
    published = str(recorded).split(".")[0]
    expected = str(source["loadPlan"])
    if published == expected:
        return None
    dataset = source["dataset"]
    return (f"dataset {dataset}: its silver was published under load plan {published}, its spec compiles to "
            f"{expected} now (a spec edit or another compiler); load {dataset} first to apply it "
            f"(locally: datalake load --dataset {dataset} --full-refresh) or revert the edit; nothing built")
