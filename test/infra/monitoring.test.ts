// The failed-runs alarm and dashboard read the series the handlers' RunFailed writes.
import { expect } from "chai";
import { dashboardBody } from "../../infra/components/monitoring";
import { METRIC_FILE_UNIDENTIFIED, METRIC_RECONCILE_ERRORS, METRIC_RUN_FAILED } from "../../infra/defaults";
import { emfRunMetrics, FILE_UNIDENTIFIED_DIMENSIONS, FILE_UNIDENTIFIED_METRIC, RECONCILE_ERRORS_METRIC, RUN_FAILED_DIMENSIONS, RUN_FAILED_METRIC } from "../../handlers/metrics";
import { T, devRun } from "./program-runs";

describe("infra: monitoring of failed runs", () => {
  it("the alarm's {Dataset} series is one the handlers emit, and the dashboard splits it by Reason", () => {
    expect(RUN_FAILED_METRIC).to.equal(METRIC_RUN_FAILED);
    expect(RUN_FAILED_DIMENSIONS).to.deep.include(["Dataset"]);

    const body = dashboardBody("eu-west-1", { datasets: ["orders"], metricsNamespace: "Datalake/dev", glueJobNames: {} }, {}, {});

    const byReason = body.widgets.find((w) => (w.properties as { title: string }).title === "Failed runs by reason");
    const [[query]] = (byReason?.properties as { metrics: { expression: string }[][] }).metrics;
    expect(query.expression).to.equal(`SEARCH('{Datalake/dev,Dataset,Reason} MetricName="RunFailed"', 'Sum', 300)`);
  });

  it("alarms on every object version file-arrival could not identify (undecodable or ambiguous key), per reason", async () => {
    expect(FILE_UNIDENTIFIED_METRIC).to.equal(METRIC_FILE_UNIDENTIFIED);
    expect(FILE_UNIDENTIFIED_DIMENSIONS).to.deep.include(["Reason"]);
    const run = await devRun();
    const alarms = run.ofType(T.alarm).filter((a) => a.inputs.metricName === METRIC_FILE_UNIDENTIFIED);
    expect(alarms.map((a) => a.inputs.dimensions)).to.deep.equal([{ Reason: "undecodable_key" }, { Reason: "key_ambiguous" }]);
    for (const a of alarms) {
      expect(a.inputs).to.include({ namespace: "Datalake/dev", statistic: "Sum", threshold: 0, comparisonOperator: "GreaterThanThreshold" });
      expect(a.inputs.alarmActions).to.have.length(1);
    }
  });

  it("alarms on reconciler passes with errors, on the series the reconciler emits", async () => {
    const lines: string[] = [];
    emfRunMetrics("Datalake/dev", () => 0, (l) => lines.push(l)).reconcileErrors(2, { errors: ["sweep orders/x.csv v1: ValidationException"] });
    const [emitted] = lines.map((l) => JSON.parse(l));
    expect(emitted).to.include({ Handler: "reconciler", [RECONCILE_ERRORS_METRIC]: 2 });
    expect(emitted._aws.CloudWatchMetrics[0]).to.deep.include({ Namespace: "Datalake/dev", Dimensions: [["Handler"]] });

    const run = await devRun();
    const [alarm] = run.ofType(T.alarm).filter((a) => a.inputs.metricName === METRIC_RECONCILE_ERRORS);
    expect(RECONCILE_ERRORS_METRIC).to.equal(METRIC_RECONCILE_ERRORS);
    expect(alarm?.inputs).to.deep.include({ namespace: "Datalake/dev", dimensions: { Handler: "reconciler" }, statistic: "Sum", threshold: 0 });
    expect(alarm?.inputs.alarmActions).to.have.length(1);
  });
});

