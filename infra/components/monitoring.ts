// Alerts and the dashboard: an encrypted SNS topic (email from config), alarms for failed runs,
// DLQ depth, Lambda errors and stale silver data per dataset, failed runs per model, and one
// dashboard per stack.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FILE_UNIDENTIFIED_REASONS } from "../../handlers/ports";
import { METRIC_DATA_AGE_HOURS, METRIC_FILE_UNIDENTIFIED, METRIC_RECONCILE_ERRORS, METRIC_RUN_FAILED } from "../defaults";
import { NAME_LIMITS, fitName } from "../names";
import { AccountContext } from "../policies/document";
import { alertTopicPolicyDocument } from "../policies/queue-topic-policies";

export interface MonitoringArgs {
  ctx: pulumi.Input<AccountContext>;
  /** Physical name prefix; alarm names start with it (the topic policy scopes to it). */
  namePrefix: string;
  kmsKeyArn: pulumi.Input<string>;
  /** The key's policy: the topic is created after it (first deploy). */
  keyPolicy?: pulumi.Input<pulumi.Resource[]>;
  alertEmail?: string;
  datasets: string[];
  metricsNamespace: string;
  staleAfterHours: number;
  queueNames: Record<string, pulumi.Input<string>>;
  functionNames: Record<string, pulumi.Input<string>>;
  glueJobNames: Record<string, string>;
  /** Model -> its Glue job: one failed-build alarm each. @default {} */
  modelJobNames?: Record<string, string>;
}

export class Monitoring extends pulumi.ComponentResource {
  public readonly topic: aws.sns.Topic;
  public readonly dashboard: aws.cloudwatch.Dashboard;
  public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:monitoring:Monitoring", name, {}, opts);
    const child = { parent: this };
    this.topic = new aws.sns.Topic(`${name}-alerts`, { kmsMasterKeyId: args.kmsKeyArn }, { ...child, dependsOn: args.keyPolicy });
    if (args.alertEmail !== undefined) {
      new aws.sns.TopicSubscription(`${name}-alerts-email`, { topic: this.topic.arn, protocol: "email", endpoint: args.alertEmail }, child);
    }
    const actions = [this.topic.arn];
    // DLQ depth, Lambda errors, failed runs: one bad datapoint in a 5-minute window alarms; no
    // data means nothing happened.
    const ANY_IN_FIVE_MINUTES = {
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    } as const;
    const alarmNames: string[] = [];
    const alarm = (id: string, props: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "name">) => {
      alarmNames.push(fitName(`${args.namePrefix}-${id}`, NAME_LIMITS.alarm));
      return new aws.cloudwatch.MetricAlarm(
        `${name}-${id}`,
        { name: alarmNames[alarmNames.length - 1], alarmActions: actions, okActions: actions, ...props },
        child,
      );
    };
    for (const [queue, queueName] of Object.entries(args.queueNames)) {
      alarm(`${queue}-depth`, {
        alarmDescription: `Messages in ${queue}: events or invocations that were not processed`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: queueName },
        statistic: "Maximum",
        ...ANY_IN_FIVE_MINUTES,
      });
    }
    for (const [fn, functionName] of Object.entries(args.functionNames)) {
      alarm(`${fn}-errors`, {
        alarmDescription: `${fn} Lambda errors`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: functionName },
        statistic: "Sum",
        ...ANY_IN_FIVE_MINUTES,
      });
    }
    // An object version no reading of its event's key names (a raw '%', or 'a+b' vs 'a b' both
    // present) is filed SKIPPED: nothing loads it until someone renames or re-uploads it.
    for (const reason of FILE_UNIDENTIFIED_REASONS) {
      alarm(`files-${reason.replace(/_/g, "-")}`, {
        alarmDescription: `Landing object versions filed SKIPPED ${reason}: rename or re-upload them (datalake audit --status SKIPPED)`,
        namespace: args.metricsNamespace,
        metricName: METRIC_FILE_UNIDENTIFIED,
        dimensions: { Reason: reason },
        statistic: "Sum",
        ...ANY_IN_FIVE_MINUTES,
      });
    }
    // The reconciler repairs what events missed (lost events, stuck runs); a pass that could not
    // do part of it still returns normally (the next pass retries), so its Lambda errors alarm
    // stays quiet: this one does not.
    alarm("reconciler-pass-errors", {
      alarmDescription: "Reconciler passes that could not do part of their work (its log's \"reconcile done\" line lists the errors)",
      namespace: args.metricsNamespace,
      metricName: METRIC_RECONCILE_ERRORS,
      dimensions: { Handler: "reconciler" },
      statistic: "Sum",
      ...ANY_IN_FIVE_MINUTES,
    });
    for (const dataset of args.datasets) {
      alarm(`${dataset}-failed-runs`, {
        // RunFailed comes from the handler that records the RUN FAILED, whatever the cause (Glue
        // FAILED/TIMEOUT/ERROR, a failed audit, a rejected or abandoned start): one per failed run.
        alarmDescription: `Failed load runs of ${dataset} (any RUN recorded FAILED; the Reason dimension says why)`,
        namespace: args.metricsNamespace,
        metricName: METRIC_RUN_FAILED,
        dimensions: { Dataset: dataset },
        statistic: "Sum",
        ...ANY_IN_FIVE_MINUTES,
      });
      // Missing data counts as stale: no successful publish for staleAfterHours also alarms.
      alarm(`${dataset}-stale`, {
        alarmDescription: `Silver ${dataset} older than ${args.staleAfterHours} h`,
        namespace: args.metricsNamespace,
        metricName: METRIC_DATA_AGE_HOURS,
        dimensions: { Dataset: dataset },
        statistic: "Minimum",
        period: 3600,
        evaluationPeriods: args.staleAfterHours,
        datapointsToAlarm: args.staleAfterHours,
        threshold: args.staleAfterHours,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "breaching",
      });
    }
    // Model builds: the handlers record them as RUN items (handlers/core/model-runs.ts) and emit
    // RunFailed with the model as the Dataset dimension, whatever failed: a refused audit (the
    // job itself may end SUCCEEDED), Glue, or a start that never happened.
    const models = Object.keys(args.modelJobNames ?? {}).sort();
    for (const model of models) {
      alarm(`${model}-failed-runs`, {
        alarmDescription: `Failed builds of model ${model} (any model RUN recorded FAILED: failed audits, an error, or a refused start; nothing was published and the last version stays)`,
        namespace: args.metricsNamespace,
        metricName: METRIC_RUN_FAILED,
        dimensions: { Dataset: model },
        statistic: "Sum",
        ...ANY_IN_FIVE_MINUTES,
      });
    }
    // After every alarm is declared: the policy names each one.
    new aws.sns.TopicPolicy(
      `${name}-alerts-policy`,
      {
        arn: this.topic.arn,
        policy: pulumi.all([args.ctx, this.topic.arn]).apply(([ctx, arn]) =>
          JSON.stringify(
            alertTopicPolicyDocument(ctx, arn, alarmNames.map((a) => `arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${a}`), args.namePrefix),
          ),
        ),
      },
      child,
    );
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: args.namePrefix,
        dashboardBody: pulumi
          .all([args.ctx, pulumi.all(args.functionNames), pulumi.all(args.queueNames)])
          .apply(([ctx, fns, queues]) => JSON.stringify(dashboardBody(ctx.region, args, fns, queues, models))),
      },
      child,
    );
    this.dashboardUrl = pulumi
      .output(args.ctx)
      .apply((ctx) => `https://${ctx.region}.console.aws.amazon.com/cloudwatch/home?region=${ctx.region}#dashboards:name=${args.namePrefix}`);
    this.registerOutputs({ dashboardUrl: this.dashboardUrl, topicArn: this.topic.arn });
  }
}

type Widget = Record<string, unknown>;

function metricWidget(region: string, title: string, metrics: unknown[][], y: number, x: number): Widget {
  return { type: "metric", x, y, width: 12, height: 6, properties: { title, region, metrics, stat: "Sum", period: 300, view: "timeSeries" } };
}

/** Pure dashboard layout: runs and freshness per dataset, Lambda errors, queue depths, Glue. */
export function dashboardBody(
  region: string,
  args: Pick<MonitoringArgs, "datasets" | "metricsNamespace" | "glueJobNames">,
  functionNames: Record<string, string>,
  queueNames: Record<string, string>,
  /** The models: their failed builds are RunFailed with Dataset = the model. */
  models: readonly string[] = [],
): { widgets: Widget[] } {
  const ns = args.metricsNamespace;
  return {
    widgets: [
      metricWidget(region, "Failed runs", args.datasets.map((d) => [ns, METRIC_RUN_FAILED, "Dataset", d]), 0, 0),
      metricWidget(region, "Data age (hours)", args.datasets.map((d) => [ns, METRIC_DATA_AGE_HOURS, "Dataset", d, { stat: "Minimum" }]), 0, 12),
      metricWidget(region, "Lambda errors", Object.values(functionNames).map((f) => ["AWS/Lambda", "Errors", "FunctionName", f]), 6, 0),
      metricWidget(region, "Queue depth", Object.values(queueNames).map((q) => ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q, { stat: "Maximum" }]), 6, 12),
      metricWidget(
        region,
        "Glue completed tasks",
        Object.values(args.glueJobNames).map((j) => ["Glue", "glue.driver.aggregate.numCompletedTasks", "JobName", j, "JobRunId", "ALL", "Type", "count"]),
        12,
        0,
      ),
      // The handlers' RunFailed also carries Reason (glue_timeout, start_rejected, ...): one line per dataset and reason.
      metricWidget(region, "Failed runs by reason", [[{ expression: `SEARCH('{${ns},Dataset,Reason} MetricName="${METRIC_RUN_FAILED}"', 'Sum', 300)`, id: "reasons" }]], 12, 12),
      ...(models.length > 0 ? [metricWidget(region, "Failed model builds", models.map((m) => [ns, METRIC_RUN_FAILED, "Dataset", m]), 18, 0)] : []),
    ],
  };
}
