// Wires the pure rules into @pulumi/policy policies. Kept apart from index.ts because constructing a
// PolicyPack starts the analyzer's gRPC server: tests import this file, never index.ts.
import {
  Policies,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { controlIds } from "./lib/controls";
import { fromResourceArgs, fromStackResource } from "./lib/engine-adapter";
import { Rule, RuleConfig } from "./lib/model";
import { RULES } from "./rules";

export const PACK_NAME = "datalake-security";

// Every policy accepts the same config (set with --policy-pack-config, see policy/config/*.json).
const CONFIG_SCHEMA = {
  properties: {
    environment: { type: "string" as const },
    supportedLambdaRuntimes: { type: "array" as const, items: { type: "string" as const } },
    supportedGlueVersions: { type: "array" as const, items: { type: "string" as const } },
  },
};

function describe(rule: Rule): string {
  return `${rule.description} [controls: ${controlIds(rule.controls)}]`;
}

function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
  const common = {
    name: rule.name,
    description: describe(rule),
    enforcementLevel: "mandatory" as const,
    remediationSteps: rule.remediation,
    tags: rule.controls.map((c) => c.id).filter((id) => id !== "-"),
    configSchema: CONFIG_SCHEMA,
  };
  if (rule.kind === "resource") {
    return {
      ...common,
      validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        if (!rule.types.includes(args.type)) return;
        const config = args.getConfig<RuleConfig>();
        for (const message of rule.check(fromResourceArgs(args), config)) report(message);
      },
    };
  }
  return {
    ...common,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const config = args.getConfig<RuleConfig>();
      const resources = args.resources.map(fromStackResource);
      for (const v of rule.check(resources, config)) report(v.message, v.urn);
    },
  };
}

export function buildPolicies(rules: Rule[] = RULES): Policies {
  return rules.map(toPolicy);
}
