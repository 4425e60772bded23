// Violations the current program has that issue #13 asks the infra change to fix: the pack's rule
// is right, the program is not yet. ONE list, used by the whole-program tests (program.test.ts,
// preview.test.ts); the merge with the infra fix empties it, and a test fails while an entry no
// longer matches anything, so a fixed finding cannot linger here.
import { Finding } from "../../policy/evaluate";

export interface KnownFinding {
  /** The issue item the infra change fixes. */
  issueItem: string;
  rule: string;
  resource: RegExp;
  message: RegExp;
  /** Also found in a preview, from the builder's placeholder rendering (preview.test.ts). */
  atPreview: boolean;
}

export const KNOWN_INFRA_FINDINGS: KnownFinding[] = [];

export function isKnownInfraFinding(f: Finding): boolean {
  return KNOWN_INFRA_FINDINGS.some(
    (k) => k.rule === f.rule && k.resource.test(f.resource ?? "") && k.message.test(f.message),
  );
}
