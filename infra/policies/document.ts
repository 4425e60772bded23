// IAM policy document shapes shared by the pure policy functions in this folder. Every function
// takes plain ARNs (resolved by the caller inside an apply) and returns a document, so tests can
// assert exact statements without the Pulumi runtime.

export type Principal = { AWS: string | string[] } | { Service: string | string[] };

export interface Statement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: Principal | "*";
  Action: string | string[];
  /** Absent only in trust policies. */
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** Account facts every ARN is built from. */
export interface AccountContext {
  partition: string;
  region: string;
  accountId: string;
}

export function policy(statements: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** Sorted, de-duplicated values: a stable JSON document gives no diff on re-evaluation. */
export function sorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

export const bucketArnOf = (ctx: AccountContext, bucketName: string): string => `arn:${ctx.partition}:s3:::${bucketName}`;

/**
 * Actions that AWS authorizes only with Resource "*" (no resource-level permissions). The only
 * place where a policy in this program may use "*" as a resource; tests enforce it.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
 */
export const RESOURCE_STAR_ACTIONS = [
  "lakeformation:GetDataAccess",
  "cloudwatch:PutMetricData",
  "xray:PutTelemetryRecords",
  "xray:PutTraceSegments",
] as const;
