// ObjectStore over S3 (SDK v3). The ops bucket is SSE-KMS by default encryption, so PutObject
// needs no encryption parameters here.
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { ObjectHead, ObjectStore, ObjectVersion, VersionMarker } from "../ports";

// 404 NotFound/NoSuchKey: no such key; NoSuchVersion / 405 on a delete marker version.
const MISSING = new Set(["NotFound", "NoSuchKey", "NoSuchVersion", "MethodNotAllowed"]);

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return MISSING.has(e.name ?? "") || e.$metadata?.httpStatusCode === 404 || e.$metadata?.httpStatusCode === 405;
}

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client) {}

  async headObject(bucket: string, key: string, versionId?: string): Promise<ObjectHead> {
    try {
      // ChecksumMode: S3's content checksums (every new object has a CRC64NVME one) identify
      // content where the ETag cannot: SSE-KMS objects' ETags are not an MD5 of the bytes.
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId, ChecksumMode: "ENABLED" }));
      const checksums = Object.fromEntries(
        Object.entries({ CRC64NVME: out.ChecksumCRC64NVME, CRC32: out.ChecksumCRC32, CRC32C: out.ChecksumCRC32C, SHA1: out.ChecksumSHA1, SHA256: out.ChecksumSHA256 })
          .filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== ""),
      );
      return {
        exists: true,
        size: out.ContentLength ?? 0,
        etag: (out.ETag ?? "").replace(/"/g, ""),
        versionId: out.VersionId && out.VersionId !== "null" ? out.VersionId : null,
        lastModified: out.LastModified?.toISOString(),
        ...(Object.keys(checksums).length > 0 ? { checksums } : {}),
      };
    } catch (err) {
      if (isMissing(err)) return { exists: false, size: 0, etag: "", versionId: versionId ?? null };
      throw err;
    }
  }

  async listVersions(bucket: string, prefix: string, from: VersionMarker | undefined, maxKeys: number): Promise<{ versions: ObjectVersion[]; next?: VersionMarker }> {
    const out = await this.s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: from?.keyMarker || undefined, VersionIdMarker: from?.versionIdMarker, MaxKeys: maxKeys }),
    );
    const versions = (out.Versions ?? [])
      .filter((v) => typeof v.Key === "string")
      .map((v) => ({
        key: v.Key!,
        versionId: v.VersionId && v.VersionId !== "null" ? v.VersionId : null,
        etag: (v.ETag ?? "").replace(/"/g, ""),
        size: v.Size ?? 0,
        lastModified: (v.LastModified ?? new Date(0)).toISOString(),
      }));
    const next = out.IsTruncated && out.NextKeyMarker ? { keyMarker: out.NextKeyMarker, ...(out.NextVersionIdMarker ? { versionIdMarker: out.NextVersionIdMarker } : {}) } : undefined;
    return { versions, ...(next ? { next } : {}) };
  }

  async putJson(bucket: string, key: string, body: unknown): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(body), ContentType: "application/json" }),
    );
  }

  async getJson<T = unknown>(bucket: string, key: string): Promise<T | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = await out.Body?.transformToString("utf-8");
      return text === undefined ? undefined : (JSON.parse(text) as T);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }
}
