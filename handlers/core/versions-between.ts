// Whether other content was put under a key between its loaded version and a new version with
// the loaded bytes. S3 events may come out of order: v1 = A loads, then v2 = B and v3 = A are put,
// and v3's event comes first. Compared only with the load (A), v3 looks like a re-copy; skipping
// it would leave B current once v2's event comes and loads, while the newest object holds A.
import type { HandlerDeps, ObjectVersion } from "../ports";
import { fileIdOf } from "./file-id";

/** Pages of 1000 versions read before giving up: the key's versions come first in the listing. */
const MAX_PAGES = 5;

/**
 * "no": every version put between `loadedVersionId` and `versionId` holds this version's bytes
 * (same ETag, or its FILE item was SKIPPED duplicate_content), so this one is a re-copy.
 * "yes": some other version came in between. "unknown": the listing cannot tell (no listing in
 * this store, unversioned, or the loaded version is gone or beyond the pages read).
 */
export async function otherContentBetween(
  deps: Pick<HandlerDeps, "objects" | "audit">,
  bucket: string,
  key: string,
  loadedVersionId: string | null,
  versionId: string | null,
  etag: string,
): Promise<"yes" | "no" | "unknown"> {
  if (!deps.objects.listVersions || loadedVersionId === null || versionId === null) return "unknown";
  const between = await versionsBetween(deps, bucket, key, loadedVersionId, versionId);
  if (between === undefined) return "unknown";
  for (const v of between) {
    if (etag !== "" && v.etag === etag) continue;
    // SSE-KMS ETags differ for equal bytes; the version's own FILE item may know it was a re-copy.
    const item = await deps.audit.getFile(fileIdOf(bucket, key, v.versionId, v.etag, ""));
    if (item?.status === "SKIPPED" && item.reason === "duplicate_content") continue;
    return "yes";
  }
  return "no";
}

/**
 * The key's versions strictly between the two, newest first (S3 lists a key's versions from the
 * most recently stored), or undefined when either is not found within MAX_PAGES.
 */
async function versionsBetween(
  deps: Pick<HandlerDeps, "objects">,
  bucket: string,
  key: string,
  olderId: string,
  newerId: string,
): Promise<ObjectVersion[] | undefined> {
  const between: ObjectVersion[] = [];
  let seenNewer = false;
  let from: Parameters<NonNullable<HandlerDeps["objects"]["listVersions"]>>[2];
  for (let page = 0; page < MAX_PAGES; page++) {
    const { versions, next } = await deps.objects.listVersions!(bucket, key, from, 1000);
    for (const v of versions) {
      // The prefix also lists longer keys ("a.csv.bak"), which sort after this one.
      if (v.key !== key) return undefined;
      if (v.versionId === newerId) seenNewer = true;
      else if (v.versionId === olderId) return seenNewer ? between : undefined;
      else if (seenNewer) between.push(v);
    }
    if (!next) return undefined;
    from = next;
  }
  return undefined;
}
