"""Per-file outcomes of a run (pure): already-loaded detection, FileResults in manifest order,
and the contracts.ts conservation rule as an audit that gates the publish."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from .contracts import AuditResult, FileResult, ManifestFile
from .csv_reader import source_version
from .csv_rules import drift_warnings
from .summary import conservation_violations, file_result


def split_already_loaded(
    files: Sequence[ManifestFile], ledger: Set[Tuple[str, str]]
) -> Tuple[List[ManifestFile], List[ManifestFile]]:
    """(to read, already loaded): a (key, version) in the ledger or earlier in the manifest."""
    seen = set(ledger)
    fresh: List[ManifestFile] = []
    already: List[ManifestFile] = []
    for file in files:
        identity = (file["key"], source_version(file))
        (already if identity in seen else fresh).append(file)
        seen.add(identity)
    return fresh, already


def build_file_results(
    files: Sequence[ManifestFile],
    already: Sequence[ManifestFile],
    outcomes: Sequence[Dict[str, Any]],
    file_rows: Sequence[Dict[str, Any]],
    op_column: Optional[str] = None,
) -> Tuple[List[FileResult], int, List[str]]:
    """FileResults in manifest order, rows of files quarantined whole, and drift warnings."""
    by_id = {o["fileId"]: o for o in outcomes}
    counted = {r["_file_id"]: r for r in file_rows}
    # By listing (object identity), not fileId: a manifest may list one object twice, and only
    # its first listing is read (engine/plan.ts ReadFilesStep).
    already_listings = {id(f) for f in already}
    results: List[FileResult] = []
    whole_file_rows = 0
    drift: List[str] = []
    for file in files:
        if id(file) in already_listings or file["fileId"] not in by_id:
            results.append(file_result(file, rows_read=0, already_loaded=True))
            continue
        outcome = by_id[file["fileId"]]
        if outcome["reason"] is not None:
            whole_file_rows += outcome["rowsRead"]
            results.append(file_result(file, rows_read=outcome["rowsRead"], reason=outcome["reason"]))
            continue
        row = counted.get(file["fileId"], {})
        drift.extend(drift_warnings(file["key"], outcome["extraColumns"], op_column))
        results.append(file_result(
            file,
            rows_read=int(row.get("rows_read", outcome["rowsRead"])),
            rows_rejected=int(row.get("rows_rejected", 0) or 0),
            rows_quarantined=int(row.get("rows_quarantined", 0) or 0),
            extra_columns=outcome["extraColumns"],
        ))
    return results, whole_file_rows, drift


def conservation_audit(files: Sequence[FileResult], counts: Dict[str, int]) -> AuditResult:
    """The per-file conservation rule of contracts.ts, checked in Python before publishing."""
    problems = conservation_violations(files, counts)  # type: ignore[arg-type]
    audit: AuditResult = {"name": "summary_conservation", "passed": not problems,
                          "violations": len(problems)}
    if problems:
        audit["detail"] = "; ".join(problems[:5])
    return audit
