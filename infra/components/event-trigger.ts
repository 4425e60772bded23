// An EventBridge rule that invokes a Lambda: both retry settings and a DLQ on the target, and an
// invoke permission scoped to exactly this rule. Used per dataset (file arrival, pattern from
// datasets/routing.ts), for this stack's Glue job state changes and for the reconciler schedule.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EVENT_MAX_AGE_SECONDS, EVENT_MAX_RETRY_ATTEMPTS } from "../defaults";

export interface EventTriggerArgs {
  /** Physical rule name (the DLQ policy names the rule ARNs built from it). */
  ruleName: string;
  description: string;
  /** Exactly one of eventPattern (JSON) and scheduleExpression. */
  eventPattern?: pulumi.Input<string>;
  scheduleExpression?: string;
  functionArn: pulumi.Input<string>;
  functionName: pulumi.Input<string>;
  deadLetterQueueArn: pulumi.Input<string>;
  /** @default EVENT_MAX_RETRY_ATTEMPTS */
  maximumRetryAttempts?: number;
  /** @default EVENT_MAX_AGE_SECONDS */
  maximumEventAgeInSeconds?: number;
}

export class EventTrigger extends pulumi.ComponentResource {
  public readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: EventTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:events:EventTrigger", name, {}, opts);
    if ((args.eventPattern === undefined) === (args.scheduleExpression === undefined)) {
      throw new Error(`${name}: set exactly one of eventPattern and scheduleExpression`);
    }
    this.rule = new aws.cloudwatch.EventRule(
      `${name}-rule`,
      { name: args.ruleName, description: args.description, eventPattern: args.eventPattern, scheduleExpression: args.scheduleExpression },
      { parent: this },
    );
    const permission = new aws.lambda.Permission(
      `${name}-invoke`,
      { action: "lambda:InvokeFunction", function: args.functionName, principal: "events.amazonaws.com", sourceArn: this.rule.arn },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${name}-target`,
      {
        rule: this.rule.name,
        arn: args.functionArn,
        // Both settings: either alone leaves the other at its 24 h / 185 default silently.
        retryPolicy: {
          maximumRetryAttempts: args.maximumRetryAttempts ?? EVENT_MAX_RETRY_ATTEMPTS,
          maximumEventAgeInSeconds: args.maximumEventAgeInSeconds ?? EVENT_MAX_AGE_SECONDS,
        },
        deadLetterConfig: { arn: args.deadLetterQueueArn },
      },
      { parent: this, dependsOn: [permission] },
    );
    this.registerOutputs({ ruleArn: this.rule.arn });
  }
}
