// RunFailed from the handlers, as CloudWatch embedded metric format (EMF) log lines: CloudWatch
// Logs extracts the metric from the Lambda's stdout, so no PutMetricData call, no IAM right and
// no latency on the event path. Written with process.stdout.write, not console.log: with the
// Lambda JSON log format console lines are wrapped and EMF extraction would miss them.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
import type { LogFields, RunFailureReason, RunMetrics } from "./ports";

/** Same name and `Dataset` dimension as the failed-runs alarm (infra/defaults.ts METRIC_RUN_FAILED). */
export const RUN_FAILED_METRIC = "RunFailed";

/**
 * Two dimension sets from one line: {Dataset} is the series the per-dataset alarm watches,
 * {Dataset, Reason} splits it by cause on the dashboard.
 */
export const RUN_FAILED_DIMENSIONS = [["Dataset"], ["Dataset", "Reason"]];

export function emfRunMetrics(
  namespace: string,
  now: () => number = Date.now,
  write: (line: string) => void = (line) => process.stdout.write(line + "\n"),
): RunMetrics {
  return {
    runFailed(dataset: string, reason: RunFailureReason, fields: LogFields = {}) {
      write(
        JSON.stringify({
          ...fields,
          _aws: {
            Timestamp: now(),
            CloudWatchMetrics: [{ Namespace: namespace, Dimensions: RUN_FAILED_DIMENSIONS, Metrics: [{ Name: RUN_FAILED_METRIC, Unit: "Count" }] }],
          },
          Dataset: dataset,
          Reason: reason,
          [RUN_FAILED_METRIC]: 1,
        }),
      );
    },
  };
}

/** Local mode and tests that do not look at metrics. */
export const noRunMetrics: RunMetrics = { runFailed: () => undefined };

/** Records every RunFailed (tests and local runs that assert on them). */
export class RecordingRunMetrics implements RunMetrics {
  readonly failed: { dataset: string; reason: RunFailureReason; fields: LogFields }[] = [];
  runFailed(dataset: string, reason: RunFailureReason, fields: LogFields = {}): void {
    this.failed.push({ dataset, reason, fields });
  }
}
