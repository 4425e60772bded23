// Which object an "Object Created" event names. AWS does not document whether EventBridge
// URL-encodes keys (captured events carry ":" and "=" raw), so the event's key has several
// readings (s3-event.ts `keys`) and S3 itself says which one holds the event's object version.
import type { HandlerDeps, ObjectHead } from "../ports";
import type { ObjectCreated } from "./s3-event";

export interface ResolvedKey {
  key: string;
  head?: ObjectHead;
  /** Set when no key reading can be trusted: the FILE item is SKIPPED with it. */
  reason?: string;
  note?: string;
}

/**
 * Which of the event's key readings (s3-event.ts `keys`) holds this object version: the first
 * whose HeadObject matches the event's version id, etag and size, not merely one that exists
 * ("a+b.csv" is both the encoding of "a b.csv" and a literal key, and both may exist).
 */
export async function resolveKey(deps: HandlerDeps, ev: ObjectCreated): Promise<ResolvedKey> {
  const heads: { key: string; head: ObjectHead }[] = [];
  for (const key of ev.keys) {
    const head = await headReading(deps, ev, key);
    if (head.exists && holdsVersion(ev, head)) return { key, head };
    heads.push({ key, head });
  }
  const existing = heads.filter((h) => h.head.exists);
  // One candidate still there with other bytes: an unversioned key overwritten since (superseded).
  if (existing.length === 1) return existing[0];
  const tried = ev.keys.map((k) => JSON.stringify(k)).join(", ");
  if (existing.length > 1) {
    return { key: ev.key, reason: "key_ambiguous", note: `objects under ${tried} exist, none holds this event's version` };
  }
  if (ev.undecodable) return { key: ev.key, head: heads[0].head, reason: "undecodable_key", note: "the key is not URL encoding and no object has it raw" };
  return { key: ev.key, head: heads[0].head, ...(ev.keys.length > 1 ? { note: `no object under ${tried}` } : {}) };
}

/**
 * HeadObject of one reading of the key. S3 answers 400 InvalidArgument to a version id it cannot
 * take for a key; with several readings that only says "not this one" (a version id of another
 * key), so it must not fail the event into retries and the DLQ.
 */
async function headReading(deps: HandlerDeps, ev: ObjectCreated, key: string): Promise<ObjectHead> {
  try {
    return await deps.objects.headObject(ev.bucket, key, ev.versionId ?? undefined);
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 400 && ev.versionId !== null && ev.keys.length > 1) return { exists: false, size: 0, etag: "", versionId: ev.versionId };
    throw err;
  }
}

function holdsVersion(ev: ObjectCreated, head: ObjectHead): boolean {
  if (ev.versionId !== null && head.versionId !== ev.versionId) return false;
  if (ev.etag !== "" && head.etag !== "" && head.etag !== ev.etag) return false;
  return ev.size === undefined || head.size === ev.size;
}
