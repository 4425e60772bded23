// Pulumi CrossGuard entry point: `pulumi preview --policy-pack policy`. All logic lives in pack.ts
// and rules/; this file only starts the analyzer (one PolicyPack per process).
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, buildPolicies } from "./pack";

new PolicyPack(PACK_NAME, {
  description: "Data-lake platform security rules mapped to AWS Security Hub (FSBP) controls.",
  enforcementLevel: "mandatory",
  policies: buildPolicies(),
});
