// Runs every rule over a list of resources without the Pulumi engine: what `npm test` uses for the
// fixtures and for the whole program recorded under mocks.
import { PolicyRes, Rule, RuleConfig } from "./lib/model";
import { RULES } from "./rules";

export interface Finding {
  rule: string;
  message: string;
  urn?: string;
  /** Logical name of the resource at fault, when known. */
  resource?: string;
}

export function evaluateRules(
  resources: PolicyRes[],
  config: RuleConfig = {},
  rules: Rule[] = RULES,
): Finding[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const findings: Finding[] = [];
  for (const rule of rules) {
    if (rule.kind === "resource") {
      for (const res of resources.filter((r) => rule.types.includes(r.type))) {
        for (const message of rule.check(res, config)) {
          findings.push({ rule: rule.name, message, urn: res.urn, resource: res.name });
        }
      }
    } else {
      for (const v of rule.check(resources, config)) {
        findings.push({
          rule: rule.name,
          message: v.message,
          urn: v.urn,
          resource: v.urn ? byUrn.get(v.urn)?.name : undefined,
        });
      }
    }
  }
  return findings;
}

export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `[${f.rule}] ${f.resource ?? "stack"}: ${f.message}`).join("\n");
}
