"""CloudWatch metrics of a run: freshness (row count, data age in hours) and row counts.

Dimension `Dataset` = dataset name on every datum, so one alarm per dataset (stale data) selects
its series with a single dimension. Names live in constants.py.

`RunFailed` is not sent from here: the handler that records a RUN FAILED emits it (handlers/
metrics.ts), once per failed run, also for runs that never reach this code (Glue TIMEOUT, OOM,
driver crash, a rejected start), and never for a run whose data was published.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

from .constants import (
    METRIC_DATA_AGE_HOURS,
    METRIC_ROW_COUNT,
    METRIC_ROWS_QUARANTINED,
    METRIC_ROWS_READ,
    METRIC_ROWS_REJECTED,
)
from .contracts import RunSummary
from .summary import parse_timestamp

DIMENSION_DATASET = "Dataset"


def metric_data(summary: RunSummary) -> List[Dict[str, Any]]:
    """MetricData entries for PutMetricData (pure).

    Freshness is only emitted for a published run: a failed run must not make stale data look
    fresh, and the stale-data alarm should keep seeing the last good age growing (missing data
    treated as breaching on the infra side).
    """
    timestamp: datetime = parse_timestamp(summary["finishedAt"])
    dims = [{"Name": DIMENSION_DATASET, "Value": summary["dataset"]}]
    counts = summary["counts"]
    failed = summary["status"] != "SUCCEEDED"

    def datum(name: str, value: float, unit: str) -> Dict[str, Any]:
        return {
            "MetricName": name,
            "Dimensions": dims,
            "Timestamp": timestamp,
            "Value": float(value),
            "Unit": unit,
        }

    data = [
        datum(METRIC_ROWS_READ, counts["rowsRead"], "Count"),
        datum(METRIC_ROWS_REJECTED, counts["rejectedRows"], "Count"),
    ]
    if not failed:
        data.append(datum(METRIC_ROWS_QUARANTINED, counts["quarantineRows"], "Count"))
        data.append(datum(METRIC_ROW_COUNT, summary["freshness"]["rowCount"], "Count"))
        age = summary["freshness"]["dataAgeHours"]
        if age is not None:
            data.append(datum(METRIC_DATA_AGE_HOURS, age, "None"))
    return data


def put_metrics(cloudwatch: Any, namespace: str, summary: RunSummary) -> int:
    """PutMetricData in one call (well under the 1000-datum limit); returns the datum count."""
    data = metric_data(summary)
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)
    return len(data)
