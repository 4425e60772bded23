// The stack's two KMS-encrypted queues: the DLQ of every EventBridge target (events the rules
// could not deliver) and the failure destination of the Lambdas' async invocations.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DLQ_RETENTION_SECONDS } from "../defaults";
import { deadLetterQueuePolicyDocument, tlsOnlyQueuePolicyDocument } from "../policies/queue-topic-policies";

export interface DeadLetterQueuesArgs {
  kmsKeyArn: pulumi.Input<string>;
  /** The key's policy: queues are created after it (first deploy). */
  keyPolicy?: pulumi.Input<pulumi.Resource[]>;
  /** ARNs of the rules allowed to dead-letter into the event DLQ (computable from rule names). */
  ruleArns: pulumi.Input<string[]>;
}

export class DeadLetterQueues extends pulumi.ComponentResource {
  public readonly eventDlq: aws.sqs.Queue;
  public readonly lambdaFailures: aws.sqs.Queue;
  /** The rules allowed to dead-letter (the ops key's policy lets EventBridge encrypt for exactly these). */
  public readonly ruleArns: pulumi.Output<string[]>;

  constructor(name: string, args: DeadLetterQueuesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:events:DeadLetterQueues", name, {}, opts);
    const queue = (suffix: string) =>
      new aws.sqs.Queue(
        `${name}-${suffix}`,
        { kmsMasterKeyId: args.kmsKeyArn, kmsDataKeyReusePeriodSeconds: 300, messageRetentionSeconds: DLQ_RETENTION_SECONDS },
        { parent: this, dependsOn: args.keyPolicy },
      );
    this.ruleArns = pulumi.output(args.ruleArns);
    this.eventDlq = queue("events");
    this.lambdaFailures = queue("lambda-failures");
    new aws.sqs.QueuePolicy(
      `${name}-events-policy`,
      {
        queueUrl: this.eventDlq.url,
        policy: pulumi.all([this.eventDlq.arn, args.ruleArns]).apply(([arn, rules]) => JSON.stringify(deadLetterQueuePolicyDocument(arn, rules))),
      },
      { parent: this },
    );
    new aws.sqs.QueuePolicy(
      `${name}-lambda-failures-policy`,
      { queueUrl: this.lambdaFailures.url, policy: this.lambdaFailures.arn.apply((arn) => JSON.stringify(tlsOnlyQueuePolicyDocument(arn))) },
      { parent: this },
    );
    this.registerOutputs({ eventDlqArn: this.eventDlq.arn, lambdaFailuresArn: this.lambdaFailures.arn });
  }
}
