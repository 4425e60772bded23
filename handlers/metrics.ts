// RunFailed, FileUnidentified and ReconcileErrors from the handlers, as CloudWatch embedded metric format (EMF) log lines: CloudWatch
// Logs extracts the metric from the Lambda's stdout, so no PutMetricData call, no IAM right and
// no latency on the event path. Written with process.stdout.write, not console.log: with the
// Lambda JSON log format console lines are wrapped and EMF extraction would miss them.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
import type { FileUnidentifiedReason, LogFields, RunFailureReason, RunMetrics } from "./ports";

/** Same name and `Dataset` dimension as the failed-runs alarm (infra/defaults.ts METRIC_RUN_FAILED). */
export const RUN_FAILED_METRIC = "RunFailed";

/**
 * Two dimension sets from one line: {Dataset} is the series the per-dataset alarm watches,
 * {Dataset, Reason} splits it by cause on the dashboard.
 */
export const RUN_FAILED_DIMENSIONS = [["Dataset"], ["Dataset", "Reason"]];

/** Same name as the unidentified-files alarms (infra/defaults.ts METRIC_FILE_UNIDENTIFIED), one per Reason. */
export const FILE_UNIDENTIFIED_METRIC = "FileUnidentified";
export const FILE_UNIDENTIFIED_DIMENSIONS = [["Reason"], ["Dataset", "Reason"]];

/** Same name and dimension as the reconciler-errors alarm (infra/defaults.ts METRIC_RECONCILE_ERRORS). */
export const RECONCILE_ERRORS_METRIC = "ReconcileErrors";
export const RECONCILE_ERRORS_DIMENSIONS = [["Handler"]];

export function emfRunMetrics(
  namespace: string,
  now: () => number = Date.now,
  write: (line: string) => void = (line) => process.stdout.write(line + "\n"),
): RunMetrics {
  const count = (metric: string, dimensions: string[][], dataset: string, reason: string, fields: LogFields) =>
    write(
      JSON.stringify({
        ...fields,
        _aws: { Timestamp: now(), CloudWatchMetrics: [{ Namespace: namespace, Dimensions: dimensions, Metrics: [{ Name: metric, Unit: "Count" }] }] },
        Dataset: dataset,
        Reason: reason,
        [metric]: 1,
      }),
    );
  return {
    runFailed: (dataset, reason, fields = {}) => count(RUN_FAILED_METRIC, RUN_FAILED_DIMENSIONS, dataset, reason, fields),
    fileUnidentified: (dataset, reason, fields = {}) => count(FILE_UNIDENTIFIED_METRIC, FILE_UNIDENTIFIED_DIMENSIONS, dataset, reason, fields),
    reconcileErrors: (n, fields = {}) =>
      write(
        JSON.stringify({
          ...fields,
          _aws: { Timestamp: now(), CloudWatchMetrics: [{ Namespace: namespace, Dimensions: RECONCILE_ERRORS_DIMENSIONS, Metrics: [{ Name: RECONCILE_ERRORS_METRIC, Unit: "Count" }] }] },
          Handler: "reconciler",
          [RECONCILE_ERRORS_METRIC]: n,
        }),
      ),
  };
}

/** Local mode and tests that do not look at metrics. */
export const noRunMetrics: RunMetrics = { runFailed: () => undefined, fileUnidentified: () => undefined, reconcileErrors: () => undefined };

/** Records every RunFailed (tests and local runs that assert on them). */
export class RecordingRunMetrics implements RunMetrics {
  readonly failed: { dataset: string; reason: RunFailureReason; fields: LogFields }[] = [];
  readonly unidentified: { dataset: string; reason: FileUnidentifiedReason; fields: LogFields }[] = [];
  runFailed(dataset: string, reason: RunFailureReason, fields: LogFields = {}): void {
    this.failed.push({ dataset, reason, fields });
  }
  fileUnidentified(dataset: string, reason: FileUnidentifiedReason, fields: LogFields = {}): void {
    this.unidentified.push({ dataset, reason, fields });
  }
  readonly reconcileFailures: number[] = [];
  reconcileErrors(count: number): void {
    this.reconcileFailures.push(count);
  }
}
