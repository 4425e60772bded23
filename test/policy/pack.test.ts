// The @pulumi/policy wiring: policies built from the rules, called the way the analyzer calls them,
// including preview-time unknown values (which @pulumi/policy makes throw on access).
import { expect } from "chai";
import {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationPolicy,
  unknownCheckingProxy,
} from "@pulumi/policy";
import { PACK_NAME, buildPolicies } from "../../policy/pack";
import { RULES } from "../../policy/rules";
import { T } from "../../policy/rules/s3";
import { compliantBuckets } from "./builders";
import { PolicyRes } from "../../policy/lib/model";

// Internal sentinel the engine uses for an unknown string during preview.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const UNKNOWN_STRING: string = require("@pulumi/policy/proxy").unknownStringValue;

interface Report {
  message: string;
  urn?: string;
}

function resourcePolicy(name: string): ResourceValidationPolicy {
  const policy = buildPolicies().find((p) => p.name === name);
  if (!policy || !("validateResource" in policy)) throw new Error(`no resource policy ${name}`);
  return policy as ResourceValidationPolicy;
}

function stackPolicy(name: string): StackValidationPolicy {
  const policy = buildPolicies().find((p) => p.name === name);
  if (!policy || !("validateStack" in policy)) throw new Error(`no stack policy ${name}`);
  return policy as StackValidationPolicy;
}

async function runResource(
  name: string,
  type: string,
  props: Record<string, unknown>,
  config = {},
): Promise<Report[]> {
  const reports: Report[] = [];
  const validate = resourcePolicy(name).validateResource;
  const fns = Array.isArray(validate) ? validate : [validate!];
  const args: any = {
    type,
    name: "r",
    urn: `urn:pulumi:dev::datalake::${type}::r`,
    props: unknownCheckingProxy(props),
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: {},
      additionalSecretOutputs: [],
    },
    stackTags: new Map(),
    getConfig: () => config,
  };
  for (const fn of fns) await fn(args, (message, urn) => reports.push({ message, urn }));
  return reports;
}

/** PolicyResource objects as the engine builds them: output props behind the unknown proxy. */
function engineResources(
  list: PolicyRes[],
  propertyDeps: Record<string, Record<string, string>> = {},
): PolicyResource[] {
  const byName = new Map<string, PolicyResource>();
  const out = list.map((r) => {
    const pr: any = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props: unknownCheckingProxy(r.props),
      opts: { protect: false },
      dependencies: [],
      propertyDependencies: {},
    };
    byName.set(r.name, pr);
    return pr as PolicyResource;
  });
  for (const [name, deps] of Object.entries(propertyDeps)) {
    const pr: any = byName.get(name);
    for (const [prop, target] of Object.entries(deps))
      pr.propertyDependencies[prop] = [byName.get(target)];
  }
  return out;
}

async function runStack(name: string, resources: PolicyResource[], config = {}): Promise<Report[]> {
  const reports: Report[] = [];
  await stackPolicy(name).validateStack(
    { resources, stackTags: new Map(), getConfig: () => config } as any,
    (message, urn) => reports.push({ message, urn }),
  );
  return reports;
}

describe("policy pack wiring (@pulumi/policy)", () => {
  it("builds one mandatory policy per rule, with its controls in the description", () => {
    const policies = buildPolicies();

    expect(PACK_NAME).to.match(/^[A-Za-z0-9_.-]+$/);
    expect(policies.map((p) => p.name)).to.deep.equal(RULES.map((r) => r.name));
    for (const policy of policies) {
      expect(policy.enforcementLevel, policy.name).to.equal("mandatory");
      expect(policy.description, policy.name).to.match(/\[controls: .+\]/);
    }
    expect(policies.find((p) => p.name === "s3-tls-only")!.description).to.contain("S3.5");
    expect(policies.find((p) => p.name === "kms-key-rotation")!.description).to.contain(
      "KMS.4 (not FSBP)",
    );
  });

  it("reports a resource violation through the analyzer callback and ignores other types", async () => {
    const bad = await runResource("kms-key-rotation", "aws:kms/key:Key", {
      enableKeyRotation: false,
    });
    const otherType = await runResource("kms-key-rotation", "aws:sqs/queue:Queue", {
      enableKeyRotation: false,
    });

    expect(bad.map((r) => r.message)).to.deep.equal(["enableKeyRotation must be true"]);
    expect(otherType).to.deep.equal([]);
  });

  it("passes policy config (environment) to the rules", async () => {
    const props = { pointInTimeRecovery: { enabled: true }, deletionProtectionEnabled: false };

    const prod = await runResource(
      "dynamodb-deletion-protection",
      "aws:dynamodb/table:Table",
      props,
      { environment: "prod" },
    );
    const dev = await runResource(
      "dynamodb-deletion-protection",
      "aws:dynamodb/table:Table",
      props,
      { environment: "dev" },
    );

    expect(prod).to.have.length(1);
    expect(dev).to.deep.equal([]);
  });

  it("treats an unknown preview value as set instead of failing the policy", async () => {
    const reports = await runResource("sqs-cmk-encryption", "aws:sqs/queue:Queue", {
      kmsMasterKeyId: UNKNOWN_STRING,
    });

    expect(reports).to.deep.equal([]);
  });

  it("still reports a missing value next to unknown ones", async () => {
    const reports = await runResource(
      "eventbridge-target-dlq-retry",
      "aws:cloudwatch/eventTarget:EventTarget",
      {
        arn: UNKNOWN_STRING,
        retryPolicy: { maximumRetryAttempts: 3 },
        deadLetterConfig: { arn: UNKNOWN_STRING },
      },
    );

    expect(reports.map((r) => r.message)).to.deep.equal([
      "retryPolicy.maximumEventAgeInSeconds must be set",
    ]);
  });

  it("joins bucket configuration through property dependencies while bucket ids are unknown (first preview)", async () => {
    const list = compliantBuckets().map((r) =>
      r.type === T.bucket
        ? r
        : {
            ...r,
            props: {
              ...r.props,
              bucket: UNKNOWN_STRING,
              targetBucket: r.props.targetBucket && UNKNOWN_STRING,
            },
          },
    );
    const deps: Record<string, Record<string, string>> = {};
    for (const r of list) {
      if (r.type === T.bucket) continue;
      const owner = r.name.startsWith("access-logs") ? "access-logs" : "landing";
      deps[r.name] = { bucket: owner };
      if (r.type === T.logging) deps[r.name].targetBucket = "access-logs";
    }
    const complete = engineResources(list, deps);
    const withoutVersioning = engineResources(
      list.filter((r) => r.name !== "landing-versioning"),
      Object.fromEntries(Object.entries(deps).filter(([n]) => n !== "landing-versioning")),
    );

    const ok = await runStack("s3-versioning", complete);
    const logging = await runStack("s3-access-logging", complete);
    const missing = await runStack("s3-versioning", withoutVersioning);

    expect(ok).to.deep.equal([]);
    expect(logging).to.deep.equal([]);
    expect(missing).to.have.length(1);
    expect(missing[0].message).to.contain('Bucket "landing": no BucketVersioning');
    expect(missing[0].urn).to.equal(list.find((r) => r.name === "landing")!.urn);
  });
});
