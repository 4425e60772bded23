// versions-between: which versions of a key lie between its loaded version and a new one, over a
// listing paged as S3 pages it (newest first per key, longer keys after), and when it cannot tell.
import { expect } from "chai";
import type { FileItem } from "../../handlers/audit/items";
import { otherContentBetween } from "../../handlers/core/versions-between";
import type { HandlerDeps, ObjectVersion, VersionMarker } from "../../handlers/ports";

const BUCKET = "landing";
const KEY = "orders/a.csv";

/** ListObjectVersions over `versions` (already in S3's order), `pageSize` per page. */
function deps(versions: ObjectVersion[], items: Record<string, Partial<FileItem>> = {}, pageSize = 2) {
  const objects = {
    listVersions: async (_bucket: string, prefix: string, from: VersionMarker | undefined) => {
      const listed = versions.filter((v) => v.key.startsWith(prefix));
      const start = from ? Number(from.keyMarker) : 0;
      const end = start + pageSize;
      return { versions: listed.slice(start, end), ...(end < listed.length ? { next: { keyMarker: String(end) } } : {}) };
    },
  };
  const audit = { getFile: async (fileId: string) => items[fileId] as FileItem | undefined };
  return { objects, audit } as unknown as Pick<HandlerDeps, "objects" | "audit">;
}
const v = (versionId: string, etag: string, key = KEY): ObjectVersion => ({ key, versionId, etag, size: 1, lastModified: "2026-12-01T00:00:00.000Z" });

describe("handlers: versions between a key's loaded version and a new one", () => {
  it("is 'yes' when a version with other bytes lies between, whose event has not come", async () => {
    const d = deps([v("v3", "A"), v("v2", "B"), v("v1", "A")]);
    expect(await otherContentBetween(d, BUCKET, KEY, "v1", "v3", "A")).to.equal("yes");
  });

  it("is 'no' for versions between with the same ETag, or filed SKIPPED duplicate_content (SSE-KMS ETags differ for equal bytes)", async () => {
    const items = { [`s3://${BUCKET}/${KEY}#v3`]: { status: "SKIPPED" as const, reason: "duplicate_content" } };
    const d = deps([v("v5", "k5"), v("v4", "k5"), v("v3", "k3"), v("v2", "k5"), v("v1", "k1")], items);
    expect(await otherContentBetween(d, BUCKET, KEY, "v1", "v5", "k5")).to.equal("no");
  });

  it("counts a version between that loaded, failed or is pending as other content", async () => {
    for (const status of ["SUCCEEDED", "FAILED", "PENDING"] as const) {
      const d = deps([v("v3", "k3"), v("v2", "k2"), v("v1", "k1")], { [`s3://${BUCKET}/${KEY}#v2`]: { status } });
      expect(await otherContentBetween(d, BUCKET, KEY, "v1", "v3", "k3"), status).to.equal("yes");
    }
  });

  it("is 'unknown' when the loaded version is not listed (expired) or listed before the new one", async () => {
    expect(await otherContentBetween(deps([v("v3", "A"), v("v2", "B")]), BUCKET, KEY, "v1", "v3", "A")).to.equal("unknown");
    expect(await otherContentBetween(deps([v("v3", "A"), v("v2", "B"), v("v1", "A")]), BUCKET, KEY, "v3", "v1", "A")).to.equal("unknown");
    // Longer keys under the prefix come after the key's own versions: the listing stops there.
    expect(await otherContentBetween(deps([v("v3", "A"), v("x1", "A", `${KEY}.bak`)]), BUCKET, KEY, "v1", "v3", "A")).to.equal("unknown");
  });

  it("is 'unknown' without a listing or a version id (unversioned bucket)", async () => {
    const d = { objects: {}, audit: {} } as unknown as Pick<HandlerDeps, "objects" | "audit">;
    expect(await otherContentBetween(d, BUCKET, KEY, "v1", "v3", "A")).to.equal("unknown");
    expect(await otherContentBetween(deps([]), BUCKET, KEY, null, null, "A")).to.equal("unknown");
  });
});
