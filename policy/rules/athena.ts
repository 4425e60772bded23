// Athena rule: the workgroup enforces its own settings (clients cannot turn encryption off), encrypts
// query results with a KMS key, and caps bytes scanned per query.
import { C } from "../lib/controls";
import { PolicyRes, ResourceRule, get, isSet, isUnknown } from "../lib/model";

export const ATHENA_WORKGROUP = "aws:athena/workgroup:Workgroup";

export function checkWorkgroup(res: PolicyRes): string[] {
  const conf = get(res.props, "configuration");
  if (isUnknown(conf)) return [];
  const out: string[] = [];
  const enforce = get(conf, "enforceWorkgroupConfiguration");
  if (!isUnknown(enforce) && enforce !== true)
    out.push("configuration.enforceWorkgroupConfiguration must be true");
  const option = get(conf, "resultConfiguration", "encryptionConfiguration", "encryptionOption");
  if (!isUnknown(option) && option !== "SSE_KMS" && option !== "CSE_KMS") {
    out.push("query results must be encrypted with SSE_KMS or CSE_KMS");
  } else if (!isSet(get(conf, "resultConfiguration", "encryptionConfiguration", "kmsKeyArn"))) {
    out.push(
      "resultConfiguration.encryptionConfiguration.kmsKeyArn must name a customer managed key",
    );
  }
  const cutoff = get(conf, "bytesScannedCutoffPerQuery");
  if (!isUnknown(cutoff) && typeof cutoff !== "number")
    out.push("configuration.bytesScannedCutoffPerQuery must be set");
  return out;
}

export const athenaRules: ResourceRule[] = [
  {
    kind: "resource",
    name: "athena-workgroup-enforced-encryption",
    description:
      "Athena workgroups enforce their configuration, encrypt query results with KMS and limit bytes scanned per query (no FSBP control).",
    controls: [C.NONE],
    remediation:
      "Set configuration.enforceWorkgroupConfiguration, resultConfiguration.encryptionConfiguration (SSE_KMS + key), bytesScannedCutoffPerQuery.",
    types: [ATHENA_WORKGROUP],
    check: checkWorkgroup,
  },
];
