// Validation and decoding of the EventBridge "Object Created" event from S3.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
export interface ObjectCreated {
  bucket: string;
  /** The key exactly as the event carried it. */
  rawKey: string;
  /**
   * The most likely key: `+` -> space, then %XX decoded (S3 notification keys are
   * form-URL-encoded); the raw key when that decoding fails (a literal "100%.csv").
   */
  key: string;
  /**
   * Every key the event may name, most likely first, distinct: the form-decoded key, the raw key,
   * the %XX-only decoded key (a literal "+"). AWS does not document whether EventBridge encodes
   * keys (captured events carry ":" and "=" raw), so file-arrival asks S3 which one holds this
   * object version instead of trusting one decoding.
   */
  keys: string[];
  /** The key is not valid URL encoding: it can only be the raw key. */
  undecodable: boolean;
  size: number | undefined;
  etag: string;
  versionId: string | null;
  sequencer: string;
  /** Event time, ISO-8601. */
  time: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parseObjectCreated(event: unknown): Parsed<ObjectCreated> {
  if (typeof event !== "object" || event === null) return fail("event is not an object");
  const e = event as Record<string, any>;
  if (e.source !== "aws.s3") return fail(`source is ${JSON.stringify(e.source)}, expected "aws.s3"`);
  if (e["detail-type"] !== "Object Created") return fail(`detail-type is ${JSON.stringify(e["detail-type"])}, expected "Object Created"`);
  const bucket = e.detail?.bucket?.name;
  const object = e.detail?.object;
  if (typeof bucket !== "string" || bucket === "") return fail("detail.bucket.name is missing");
  if (typeof object !== "object" || object === null) return fail("detail.object is missing");
  if (typeof object.key !== "string" || object.key === "") return fail("detail.object.key is missing");
  const decoded = decodeKey(object.key);
  const keys = [...new Set([decoded, object.key, percentDecode(object.key)].filter((k): k is string => k !== undefined && k !== ""))];
  const version = object["version-id"];
  return {
    ok: true,
    value: {
      bucket,
      rawKey: object.key,
      key: keys[0],
      keys,
      undecodable: decoded === undefined,
      size: typeof object.size === "number" ? object.size : undefined,
      etag: typeof object.etag === "string" ? object.etag.replace(/"/g, "") : "",
      // Unversioned buckets omit version-id (S3 APIs spell the absent version "null").
      versionId: typeof version === "string" && version !== "" && version !== "null" ? version : null,
      sequencer: typeof object.sequencer === "string" ? object.sequencer : "",
      time: typeof e.time === "string" && !Number.isNaN(Date.parse(e.time)) ? new Date(e.time).toISOString() : "",
    },
  };
}

/** S3 event keys are form-URL-encoded: "a b+c.csv" arrives as "a+b%2Bc.csv". */
export function decodeKey(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** %XX decoding only: the key of an event that encoded "%" but left a literal "+" as is. */
function percentDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Compares S3 sequencers (hex strings of varying length: pad, then compare). */
export function compareSequencers(a: string, b: string): number {
  const len = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padEnd(len, "0");
  const pb = b.toUpperCase().padEnd(len, "0");
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
