// Lambda and log-group rules: invoke permissions scoped to a source, supported runtimes, and a
// managed log group (retention + KMS) for every function.
import { C } from "../lib/controls";
import { configsByTarget } from "../lib/join";
import {
  PolicyRes,
  ResourceRule,
  RuleConfig,
  StackRule,
  Violation,
  get,
  isSet,
  isUnknown,
  label,
  ofType,
} from "../lib/model";

export const LAMBDA_FUNCTION = "aws:lambda/function:Function";
export const LAMBDA_PERMISSION = "aws:lambda/permission:Permission";
export const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
export const INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig";

/**
 * Runtimes not deprecated by AWS Lambda as of 2026-11 (nodejs20.x was deprecated 2026-04-30 with
 * Node.js 20 end of life). Override with policy config `supportedLambdaRuntimes` when AWS moves on.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 */
export const SUPPORTED_LAMBDA_RUNTIMES = [
  "nodejs22.x",
  "nodejs24.x",
  "python3.11",
  "python3.12",
  "python3.13",
  "java17",
  "java21",
  "dotnet8",
  "ruby3.3",
  "ruby3.4",
  "provided.al2023",
];

export function checkPermissionScoped(res: PolicyRes): string[] {
  const principal = res.props.principal;
  const out: string[] = [];
  if (principal === "*") out.push('principal "*" makes the function publicly invokable');
  if (
    typeof principal === "string" &&
    principal.endsWith(".amazonaws.com") &&
    !isSet(res.props.sourceArn)
  ) {
    out.push(
      `service principal ${principal} without sourceArn: any ${principal} resource in any account could invoke it`,
    );
  }
  // S3 bucket ARNs carry no account and a deleted bucket's name can be registered by anyone, so a
  // sourceArn alone does not pin the bucket owner (Lambda developer guide, "Granting function
  // access to AWS services": use SourceAccount for S3).
  // https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
  if (principal === "s3.amazonaws.com" && !isSet(res.props.sourceAccount))
    out.push("s3.amazonaws.com without sourceAccount: a bucket of the same name in another account could invoke it");
  if (res.props.functionUrlAuthType === "NONE")
    out.push('functionUrlAuthType "NONE" exposes a public function URL');
  return out;
}

export function checkSupportedRuntime(res: PolicyRes, config: RuleConfig): string[] {
  if (res.props.packageType === "Image") return [];
  const runtime = res.props.runtime;
  if (isUnknown(runtime)) return [];
  const supported = config.supportedLambdaRuntimes ?? SUPPORTED_LAMBDA_RUNTIMES;
  if (typeof runtime !== "string" || !supported.includes(runtime)) {
    return [
      `runtime ${String(runtime)} is not a supported Lambda runtime (${supported.join(", ")})`,
    ];
  }
  return [];
}

export function checkLogGroup(res: PolicyRes): string[] {
  const out: string[] = [];
  const retention = res.props.retentionInDays;
  if (!isUnknown(retention) && !(typeof retention === "number" && retention > 0)) {
    out.push("retentionInDays must be set (log data otherwise never expires)");
  }
  if (!isSet(res.props.kmsKeyId)) out.push("kmsKeyId must name a customer managed KMS key");
  return out;
}

function logGroupOf(fn: PolicyRes, groups: PolicyRes[]): PolicyRes | undefined {
  const fromDeps = fn.propertyDeps.loggingConfig ?? [];
  const byDep = groups.find(
    (g) => fromDeps.includes(g.urn) || (g.propertyDeps.name ?? []).includes(fn.urn),
  );
  if (byDep) return byDep;
  const configured = get(fn.props, "loggingConfig", "logGroup");
  const name = fn.props.name;
  return groups.find((g) => {
    const groupName = g.props.name;
    if (typeof groupName !== "string") return false;
    if (typeof configured === "string" && configured === groupName) return true;
    return typeof name === "string" && groupName === `/aws/lambda/${name}`;
  });
}

export function checkFunctionsHaveLogGroups(all: PolicyRes[]): Violation[] {
  const groups = ofType(all, LOG_GROUP);
  const out: Violation[] = [];
  for (const fn of ofType(all, LAMBDA_FUNCTION)) {
    // Name not known yet and no dependency recorded: decided again at `pulumi up`.
    if (isUnknown(fn.props.name) && (fn.propertyDeps.loggingConfig ?? []).length === 0) continue;
    if (!logGroupOf(fn, groups)) {
      out.push({
        message: `${label(fn)}: no LogGroup managed for it (/aws/lambda/<name> or loggingConfig.logGroup); Lambda would create one without retention or KMS`,
        urn: fn.urn,
      });
    }
  }
  return out;
}

/**
 * EventBridge invokes the functions asynchronously: their errors are retried by the function's async
 * configuration, not by the rule's retry policy, so each function declares retries and a failure
 * destination (ARCHITECTURE.md, Known pitfalls).
 */
export function checkAsyncFailureDestination(all: PolicyRes[]): Violation[] {
  const functions = ofType(all, LAMBDA_FUNCTION);
  const configs = configsByTarget(ofType(all, INVOKE_CONFIG), "functionName", functions);
  const out: Violation[] = [];
  for (const fn of functions) {
    const list = configs.get(fn.urn) ?? [];
    if (isUnknown(fn.props.name) && list.length === 0) continue;
    let problem: string | undefined;
    if (list.length === 0)
      problem = "no FunctionEventInvokeConfig (async retries and failure destination)";
    else if (
      !list.some((c) => isSet(get(c.props, "destinationConfig", "onFailure", "destination")))
    ) {
      problem = "FunctionEventInvokeConfig without destinationConfig.onFailure.destination";
    } else if (
      !list.some(
        (c) =>
          isUnknown(c.props.maximumRetryAttempts) ||
          typeof c.props.maximumRetryAttempts === "number",
      )
    ) {
      problem = "FunctionEventInvokeConfig must set maximumRetryAttempts";
    }
    if (problem) out.push({ message: `${label(fn)}: ${problem}`, urn: fn.urn });
  }
  return out;
}

export const lambdaRules: (ResourceRule | StackRule)[] = [
  {
    kind: "resource",
    name: "lambda-permission-source-arn",
    description:
      'Lambda invoke permissions never use principal "*" or a public function URL, service principals are scoped by sourceArn, and S3 also by sourceAccount. Covers Lambda.1.',
    controls: [C.LAMBDA_1],
    remediation:
      "Set sourceArn on aws.lambda.Permission to the exact rule/bucket/topic ARN (and sourceAccount for s3.amazonaws.com).",
    types: [LAMBDA_PERMISSION],
    check: checkPermissionScoped,
  },
  {
    kind: "resource",
    name: "lambda-supported-runtime",
    description: "Every Lambda function uses a runtime AWS still supports. Covers Lambda.2.",
    controls: [C.LAMBDA_2],
    remediation: "Use nodejs22.x (or a newer supported runtime).",
    types: [LAMBDA_FUNCTION],
    check: checkSupportedRuntime,
  },
  {
    kind: "resource",
    name: "log-group-retention-kms",
    description:
      "Every CloudWatch log group has a retention period and a customer managed KMS key. Covers CloudWatch.16.",
    controls: [C.CLOUDWATCH_16],
    remediation: "Set retentionInDays and kmsKeyId on aws.cloudwatch.LogGroup.",
    types: [LOG_GROUP],
    check: checkLogGroup,
  },
  {
    kind: "stack",
    name: "lambda-log-group",
    description:
      "Every Lambda function has a log group managed by the program (so retention and KMS apply), not one Lambda creates on first run.",
    controls: [C.CLOUDWATCH_16],
    remediation:
      'Create aws.cloudwatch.LogGroup "/aws/lambda/<name>" or set loggingConfig.logGroup.',
    check: checkFunctionsHaveLogGroups,
  },
  {
    kind: "stack",
    name: "lambda-async-failure-destination",
    description:
      "Every Lambda function declares its async invocation config: maximumRetryAttempts and an onFailure destination (no FSBP control; failed events are never silently dropped).",
    controls: [C.NONE],
    remediation:
      "Add aws.lambda.FunctionEventInvokeConfig with maximumRetryAttempts and destinationConfig.onFailure.destination (SQS).",
    check: checkAsyncFailureDestination,
  },
];
