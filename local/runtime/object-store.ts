// The ObjectStore port over the workspace: the landing "bucket" is the landing/ folder plus its
// version store, the ops "bucket" is the ops/ folder. Same answers S3 gives: HeadObject without a
// version id reflects the current file (gone = 404), with a version id the kept copy.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "fs";
import { dirname, resolve, sep } from "path";
import type { ObjectHead, ObjectStore } from "../../handlers/ports";
import { VersionStore } from "./version-store";

const MISSING: ObjectHead = { exists: false, size: 0, etag: "", versionId: null };

export class LocalObjectStore implements ObjectStore {
  constructor(
    private readonly buckets: { landing: string; ops: string },
    private readonly dirs: { landing: string; ops: string },
    private readonly versions: VersionStore,
  ) {}

  async headObject(bucket: string, key: string, versionId?: string): Promise<ObjectHead> {
    if (bucket !== this.buckets.landing) return MISSING;
    const version = versionId ? this.versions.get(versionId) : this.versions.latestOf(key);
    if (!version || version.key !== key || !existsSync(this.versions.bytesPath(version.versionId))) return MISSING;
    // Without a version id S3 answers for the current object: a deleted file is a 404.
    if (!versionId && !existsSync(this.safePath(this.dirs.landing, key))) return MISSING;
    return { exists: true, size: version.size, etag: version.etag, versionId: version.versionId, lastModified: version.createdAt };
  }

  async putJson(bucket: string, key: string, body: unknown): Promise<void> {
    const path = this.opsPath(bucket, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(body, null, 2));
    renameSync(`${path}.tmp`, path);
  }

  async getJson<T = unknown>(bucket: string, key: string): Promise<T | undefined> {
    const path = this.opsPath(bucket, key);
    if (!existsSync(path)) return undefined;
    return JSON.parse(readFileSync(path, "utf8")) as T;
  }

  /** Local path behind an s3:// URI of the ops bucket (manifest and summary URIs). */
  pathOfUri(uri: string): string {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) throw new Error(`not an s3:// URI: ${uri}`);
    return this.opsPath(m[1], m[2]);
  }

  /** Key of an s3:// URI of the ops bucket. */
  keyOfUri(uri: string): string {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) throw new Error(`not an s3:// URI: ${uri}`);
    return m[2];
  }

  private opsPath(bucket: string, key: string): string {
    if (bucket !== this.buckets.ops) {
      const err = new Error(`The specified bucket does not exist: ${bucket}`);
      err.name = "NoSuchBucket";
      throw err;
    }
    return this.safePath(this.dirs.ops, key);
  }

  // Keys are untrusted text: never let one escape its folder.
  private safePath(root: string, key: string): string {
    const path = resolve(root, key);
    if (!path.startsWith(resolve(root) + sep)) throw new Error(`key escapes its bucket: ${key}`);
    return path;
  }
}

