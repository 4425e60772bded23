// `datalake audit --verify` over a test World: the same pure checks and audit-table scan the CLI
// runs against a deployed stack, with the World's in-memory landing bucket as the listing.
import { expect } from "chai";
import { DATASETS, routeObjectKey } from "../../../datasets";
import { verifyAccounted } from "../../../handlers/audit/verify";
import { scanAuditItems } from "../../../local/verify/audit-scan";
import { findingLine } from "../../../local/verify/run-verify";
import { LANDING, type World } from "./world";

export async function expectVerified(w: World): Promise<void> {
  const landed = w.objects.landed(LANDING).map((v) => ({
    key: v.key,
    identities: [{ bucket: v.bucket, versionId: v.versionId, etag: v.etag }],
    routed: routeObjectKey(DATASETS, v.key) !== undefined,
  }));
  const items = await scanAuditItems(w.audit.db, w.table);
  const { findings } = verifyAccounted({ landed, ...items, now: w.clock.now() });
  expect(findings.map(findingLine), "audit --verify findings").to.deep.equal([]);
}
