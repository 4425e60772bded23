// Who may use each key, and only through which service (kms:ViaService). Declared once every role
// exists (a key policy naming a missing role is rejected); every CMK-encrypted log group, queue,
// topic and table waits for these policies (infra/key-policy-gate.ts).
import * as pulumi from "@pulumi/pulumi";
import { KeyPolicies } from "./components/key-policies";
import { logGroupArn } from "./components/handler-function";
import { PlatformKeys } from "./components/keys";
import { DataBucket } from "./components/storage";
import { SecureBucket } from "./components/secure-bucket";
import { PlatformConfig } from "./config";
import { AccountContext } from "./policies/document";
import { glueJobLogGroupArns } from "./policies/glue-job-policy";

export interface KeyWiring {
  cfg: PlatformConfig;
  ctx: pulumi.Output<AccountContext>;
  keys: PlatformKeys;
  buckets: Record<DataBucket, SecureBucket>;
  /** The principal running `pulumi up`. */
  deployer: pulumi.Input<string>;
  jobRoles: pulumi.Input<string>[];
  handlerRoles: pulumi.Input<string>[];
  registrationRole: pulumi.Input<string>;
  functionNames: string[];
  securityConfigurationName: string;
  /** The rules that may dead-letter into the event DLQ (the DLQ policy names the same). */
  ruleArns: pulumi.Input<string[]>;
  /** The stack has a PII hash key secret (components/pii-hash-key.ts), encrypted with the data key. */
  piiKeySecret: boolean;
}

export function createKeyPolicies(w: KeyWiring): KeyPolicies {
  const { cfg, ctx, keys, buckets: b } = w;
  return new KeyPolicies("key-policies", {
    ctx,
    keys: {
      data: {
        keyId: keys.data.keyId,
        users: [
          // Glue jobs, handlers and the Lake Formation registration role read and write objects.
          { sid: "ServiceRoles", arns: [...w.jobRoles, ...w.handlerRoles, w.registrationRole], viaServices: ["s3"], createGrants: true },
          // `pulumi up` uploads scripts and plans and creates Iceberg metadata: ops and zone
          // buckets only, never landing. Readers are not here: Lake Formation reads tables for them
          // with the registration role, and an S3 read right would otherwise decrypt landing,
          // bronze and quarantine (raw PII, no column exclusion).
          { sid: "Deployer", arns: [w.deployer], viaServices: ["s3"], onlyBuckets: [b.ops.arn, b.bronze.arn, b.silver.arn, b.quarantine.arn, b.semantic.arn] },
          // The PII hash key secret: `pulumi up` writes its value once, hashing jobs read it.
          ...(w.piiKeySecret
            ? [{ sid: "PiiHashKeySecret", arns: [w.deployer, ...w.jobRoles], viaServices: ["secretsmanager"], actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"] }]
            : []),
        ],
      },
      athena: {
        keyId: keys.athena.keyId,
        users: [{ sid: "ReadersAndOperators", arns: [...cfg.readerPrincipals, ...cfg.operatorPrincipals], viaServices: ["athena", "s3"] }],
      },
      ops: {
        keyId: keys.ops.keyId,
        users: [
          // Handlers: the audit table and the failure destination queue.
          { sid: "Handlers", arns: w.handlerRoles, viaServices: ["dynamodb", "sqs"], createGrants: true },
          // Glue jobs: their log groups, encrypted by the security configuration.
          { sid: "GlueJobs", arns: w.jobRoles, viaServices: ["logs"] },
          // Operators read and delete dead-lettered messages (`datalake redrive`).
          { sid: "OperatorsReadQueues", arns: cfg.operatorPrincipals, viaServices: ["sqs"], actions: ["kms:Decrypt", "kms:DescribeKey"] },
        ],
        // Exactly this stack's Lambda log groups and the groups of its Glue security configuration.
        logGroupArns: ctx.apply((c) => [
          ...w.functionNames.map((f) => logGroupArn(c, f)),
          ...glueJobLogGroupArns(c, w.securityConfigurationName, "*"),
        ]),
        publishers: {
          "events.amazonaws.com": w.ruleArns,
          // Alarm names start with the prefix; the topic policy names each alarm exactly.
          "cloudwatch.amazonaws.com": ctx.apply((c) => [`arn:${c.partition}:cloudwatch:${c.region}:${c.accountId}:alarm:${cfg.namePrefix}-*`]),
        },
      },
    },
  });
}
