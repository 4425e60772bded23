"""What an incremental model build leaves for the next one (engine/models/plan.ts header, README
"The model job"): the plan fingerprint, the bronze `_run_id`s its inputs held (`consumed`), the
snapshot of every other model it read (`read`), the writes since the table was last written
whole (`segments`: baseRows, deltas, upserted; compaction.py should_compact) and, per silver
input dataset, the load-plan fingerprint of the snapshot it read (`silverPlans`; silver_plan.py).

One JSON object per published snapshot, in the ops bucket under
`state/semantic/<model>/<snapshot id>.json`, written BEFORE main is fast-forwarded to that snapshot
(the branch's snapshot keeps its id). So the state of main's snapshot exists exactly when a build
published it: a build that dies before the fast-forward leaves a file nothing reads, one that dies
after it has already written it. No state for main's snapshot (a table written by hand, a lost
file) means a full rebuild, never a wrong incremental one. Why not a table property: properties
are not versioned with snapshots (a crash between the commit and the property update would pair
one snapshot with another's consumed runs) and every commit would rewrite the whole run list.

A state is only ever read for main's snapshot, so the state of a snapshot the table no longer has
(expired: retention.py) is never read again; after an expiry the build deletes those (`prune`),
else a model built every few minutes would leave tens of thousands of files a year.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional

NOT_FOUND = ("NoSuchKey", "404", "NotFound")


#: S3 DeleteObjects takes at most this many keys per call.
DELETE_BATCH = 1000


def state_prefix(model: str) -> str:
    return f"state/semantic/{model}/"


def state_key(model: str, snapshot: str) -> str:
    return f"{state_prefix(model)}{snapshot}.json"


def stale_state_keys(model: str, keys: Iterable[str], snapshots: Iterable[str]) -> List[str]:
    """The state keys under the model's prefix whose snapshot is not in `snapshots` (the table's
    snapshots now). Anything else under the prefix is left alone."""
    live = {state_key(model, str(s)) for s in snapshots}
    prefix = state_prefix(model)
    return sorted(k for k in keys if k.startswith(prefix) and k.endswith(".json") and "/" not in k[len(prefix):] and k not in live)


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

    def prune(self, model: str, snapshots: Iterable[str]) -> int:
        """Deletes the states of snapshots not in `snapshots` (the table's snapshots after an
        expiry); returns how many. Raises when S3 refuses a listing or a deletion."""
        keys: List[str] = []
        token: Optional[str] = None
        while True:
            page = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=state_prefix(model),
                                           **({"ContinuationToken": token} if token else {}))
            keys.extend(item["Key"] for item in page.get("Contents", []))
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        stale = stale_state_keys(model, keys, snapshots)
        for start in range(0, len(stale), DELETE_BATCH):
            batch = stale[start:start + DELETE_BATCH]
            done = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            errors = done.get("Errors") or []
            if errors:
                first = errors[0]
                raise RuntimeError(f"could not delete {len(errors)} state file(s) of {model}: "
                                   f"{first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".rstrip())
        return len(stale)
