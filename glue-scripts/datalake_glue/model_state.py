"""What an incremental model build leaves for the next one (engine/models/plan.ts header, README
"The model job"): the plan fingerprint, the bronze `_run_id`s its inputs held (`consumed`), the
snapshot of every other model it read (`read`) and the writes since the table was last written
whole (`segments`: baseRows, deltas, upserted; compaction.py should_compact).

One JSON object per published snapshot, in the ops bucket under
`state/semantic/<model>/<snapshot id>.json`, written BEFORE main is fast-forwarded to that snapshot
(the branch's snapshot keeps its id). So the state of main's snapshot exists exactly when a build
published it: a build that dies before the fast-forward leaves a file nothing reads, one that dies
after it has already written it. No state for main's snapshot (a table written by hand, a lost
file) means a full rebuild, never a wrong incremental one. Why not a table property: properties
are not versioned with snapshots (a crash between the commit and the property update would pair
one snapshot with another's consumed runs) and every commit would rewrite the whole run list.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

NOT_FOUND = ("NoSuchKey", "404", "NotFound")


def state_key(model: str, snapshot: str) -> str:
    return f"state/semantic/{model}/{snapshot}.json"


def _code(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return str(getattr(error, "code", "")) or type(error).__name__


class S3ModelState:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3 = s3
        self.bucket = bucket

    def load(self, model: str, snapshot: str) -> Optional[Dict[str, Any]]:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=state_key(model, snapshot))["Body"].read()
        except Exception as error:  # noqa: BLE001 - only "not there" means no state
            if _code(error) in NOT_FOUND or isinstance(error, KeyError):
                return None
            raise
        return json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)

    def save(self, model: str, snapshot: str, state: Dict[str, Any]) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=state_key(model, snapshot),
                           Body=json.dumps(state, sort_keys=True).encode("utf-8"), ContentType="application/json")
