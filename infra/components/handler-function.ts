// One bundled Lambda handler: its own role and least-privilege policy, a KMS-encrypted log group
// with retention, JSON logs, and async retries ending in a failure destination (function errors
// are retried by the function's async config, not by the EventBridge rule).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_LOG_LEVEL,
  LAMBDA_ARCHITECTURE,
  LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS,
  LAMBDA_ASYNC_MAX_RETRIES,
  LAMBDA_MEMORY_MB,
  LAMBDA_RUNTIME,
  LAMBDA_TIMEOUT_SECONDS,
} from "../defaults";
import { AccountContext } from "../policies/document";
import { serviceTrustPolicy } from "../policies/trust-policy";

export interface HandlerFunctionArgs {
  ctx: pulumi.Input<AccountContext>;
  /** Physical function name (also names its log group). */
  functionName: string;
  description: string;
  code: pulumi.Input<pulumi.asset.Archive>;
  environment: Record<string, pulumi.Input<string>>;
  /** Role policy JSON (infra/policies/handler-policies.ts), naming logGroupArn(ctx, functionName). */
  policyDocument: pulumi.Input<string>;
  logRetentionDays: number;
  logKeyArn: pulumi.Input<string>;
  /** The log key's policy: the log group is created after it (CloudWatch Logs checks it). */
  logKeyPolicy?: pulumi.Input<pulumi.Resource[]>;
  failureQueueArn: pulumi.Input<string>;
  /** @default LAMBDA_TIMEOUT_SECONDS */
  timeoutSeconds?: number;
  /** @default LAMBDA_MEMORY_MB */
  memoryMb?: number;
  /** X-Ray active tracing (the policy must allow xray:PutTraceSegments). @default false */
  tracing?: boolean;
  /** Reserved concurrent executions. @default none (the account's unreserved pool) */
  reservedConcurrency?: number;
  /**
   * Lambda's applicationLogLevel: JSON lines below it never reach CloudWatch Logs, so it must not
   * be above the level the handler logs at (LOG_LEVEL). @default DEFAULT_LOG_LEVEL
   */
  logLevel?: string;
}

export class HandlerFunction extends pulumi.ComponentResource {
  public readonly function: aws.lambda.Function;
  public readonly role: aws.iam.Role;
  public readonly arn: pulumi.Output<string>;
  public readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: HandlerFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:lambda:HandlerFunction", name, {}, opts);
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      { name: `/aws/lambda/${args.functionName}`, retentionInDays: args.logRetentionDays, kmsKeyId: args.logKeyArn },
      { parent: this, dependsOn: args.logKeyPolicy },
    );
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: pulumi.output(args.ctx).apply((ctx) => JSON.stringify(serviceTrustPolicy(ctx, "lambda.amazonaws.com"))) },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      { role: this.role.id, policy: args.policyDocument },
      { parent: this },
    );
    this.function = new aws.lambda.Function(
      name,
      {
        name: args.functionName,
        description: args.description,
        role: this.role.arn,
        runtime: LAMBDA_RUNTIME,
        architectures: [LAMBDA_ARCHITECTURE],
        handler: "index.handler",
        code: args.code,
        timeout: args.timeoutSeconds ?? LAMBDA_TIMEOUT_SECONDS,
        memorySize: args.memoryMb ?? LAMBDA_MEMORY_MB,
        environment: { variables: args.environment },
        tracingConfig: { mode: args.tracing ? "Active" : "PassThrough" },
        reservedConcurrentExecutions: args.reservedConcurrency,
        loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: args.logLevel ?? DEFAULT_LOG_LEVEL, systemLogLevel: "WARN" },
      },
      { parent: this, dependsOn: [rolePolicy, logGroup] },
    );
    new aws.lambda.FunctionEventInvokeConfig(
      `${name}-async`,
      {
        functionName: this.function.name,
        maximumRetryAttempts: LAMBDA_ASYNC_MAX_RETRIES,
        maximumEventAgeInSeconds: LAMBDA_ASYNC_MAX_EVENT_AGE_SECONDS,
        destinationConfig: { onFailure: { destination: args.failureQueueArn } },
      },
      { parent: this },
    );
    this.arn = this.function.arn;
    this.functionName = this.function.name;
    this.registerOutputs({ arn: this.arn });
  }
}

/** The ARN of the log group HandlerFunction creates for `functionName`. */
export function logGroupArn(ctx: AccountContext, functionName: string): string {
  return `arn:${ctx.partition}:logs:${ctx.region}:${ctx.accountId}:log-group:/aws/lambda/${functionName}`;
}
