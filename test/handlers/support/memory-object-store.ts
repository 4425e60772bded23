// An in-memory, versioned S3 stand-in implementing the ObjectStore port, which also remembers
// every object version ever put (what "accounted for exactly once" is checked against).
import type { ObjectHead, ObjectStore } from "../../../handlers/ports";

interface Version {
  bucket: string;
  key: string;
  versionId: string | null;
  etag: string;
  size: number;
  body?: unknown;
  deleted: boolean;
  sequencer: string;
}

export class MemoryObjectStore implements ObjectStore {
  readonly versions: Version[] = [];
  private counter = 0;
  calls = { head: 0, putJson: 0, getJson: 0 };

  constructor(private readonly versioned = true) {}

  /** A producer's PutObject: returns what S3 would put in the event. */
  /** `content` names the bytes: versions put with the same content get the same ETag, as on S3. */
  put(bucket: string, key: string, size = 100, content?: string): { versionId: string | null; etag: string; sequencer: string } {
    const n = ++this.counter;
    const versionId = this.versioned ? `v${String(n).padStart(6, "0")}` : null;
    const etag = content === undefined ? `etag${n}` : `etag-${content}`;
    const sequencer = n.toString(16).toUpperCase().padStart(18, "0");
    if (!this.versioned) for (const v of this.versions) if (v.bucket === bucket && v.key === key) v.deleted = true;
    this.versions.push({ bucket, key, versionId, etag, size, deleted: false, sequencer });
    return { versionId, etag, sequencer };
  }

  delete(bucket: string, key: string, versionId?: string | null): void {
    for (const v of this.versions) {
      if (v.bucket === bucket && v.key === key && (versionId === undefined || v.versionId === versionId)) v.deleted = true;
    }
  }

  /** Object versions a producer put under `bucket` (the landing bucket). */
  landed(bucket: string): Version[] {
    return this.versions.filter((v) => v.bucket === bucket && v.body === undefined);
  }

  async headObject(bucket: string, key: string, versionId?: string): Promise<ObjectHead> {
    this.calls.head++;
    const live = this.versions.filter((v) => v.bucket === bucket && v.key === key && !v.deleted && v.body === undefined);
    const v = versionId === undefined ? live[live.length - 1] : live.find((x) => x.versionId === versionId);
    if (!v) return { exists: false, size: 0, etag: "", versionId: versionId ?? null };
    return { exists: true, size: v.size, etag: v.etag, versionId: v.versionId, lastModified: new Date(0).toISOString() };
  }

  /** Crash injection: when it returns true, putJson throws (the process "died" before it). */
  failPut?: () => boolean;

  async putJson(bucket: string, key: string, body: unknown): Promise<void> {
    this.calls.putJson++;
    if (this.failPut?.()) {
      const err = new Error("simulated crash before the manifest write");
      err.name = "SimulatedCrash";
      throw err;
    }
    const existing = this.versions.find((v) => v.bucket === bucket && v.key === key && v.body !== undefined);
    const copy = JSON.parse(JSON.stringify(body));
    if (existing) existing.body = copy;
    else this.versions.push({ bucket, key, versionId: null, etag: "", size: 0, body: copy, deleted: false, sequencer: "" });
  }

  async getJson<T = unknown>(bucket: string, key: string): Promise<T | undefined> {
    this.calls.getJson++;
    const v = this.versions.find((x) => x.bucket === bucket && x.key === key && x.body !== undefined);
    return v ? (JSON.parse(JSON.stringify(v.body)) as T) : undefined;
  }
}
