// Validation and decoding of the EventBridge "Object Created" event from S3.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
export interface ObjectCreated {
  bucket: string;
  /** The key exactly as the event carried it. */
  rawKey: string;
  /** `+` -> space, then %XX decoded (S3 notification keys are form-URL-encoded). */
  key: string;
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
  const key = decodeKey(object.key);
  if (key === undefined) return fail(`detail.object.key is not valid URL encoding: ${object.key}`);
  const version = object["version-id"];
  return {
    ok: true,
    value: {
      bucket,
      rawKey: object.key,
      key,
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
