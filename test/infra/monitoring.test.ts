// The failed-runs alarm and dashboard read the series the handlers' RunFailed writes.
import { expect } from "chai";
import { dashboardBody } from "../../infra/components/monitoring";
import { METRIC_RUN_FAILED } from "../../infra/defaults";
import { RUN_FAILED_DIMENSIONS, RUN_FAILED_METRIC } from "../../handlers/metrics";

describe("infra: monitoring of failed runs", () => {
  it("the alarm's {Dataset} series is one the handlers emit, and the dashboard splits it by Reason", () => {
    expect(RUN_FAILED_METRIC).to.equal(METRIC_RUN_FAILED);
    expect(RUN_FAILED_DIMENSIONS).to.deep.include(["Dataset"]);

    const body = dashboardBody("eu-west-1", { datasets: ["orders"], metricsNamespace: "Datalake/dev", glueJobNames: {} }, {}, {});

    const byReason = body.widgets.find((w) => (w.properties as { title: string }).title === "Failed runs by reason");
    const [[query]] = (byReason?.properties as { metrics: { expression: string }[][] }).metrics;
    expect(query.expression).to.equal(`SEARCH('{Datalake/dev,Dataset,Reason} MetricName="RunFailed"', 'Sum', 300)`);
  });
});
