// The FILE item id: one per object version. Versioned buckets: bucket + key + versionId.
// Unversioned: bucket + key + etag + sequencer (the sequencer orders PUTs of one key).
export function fileIdOf(bucket: string, key: string, versionId: string | null, etag: string, sequencer: string): string {
  return versionId !== null ? `s3://${bucket}/${key}#${versionId}` : `s3://${bucket}/${key}#${etag}:${sequencer}`;
}
