// file-arrival: S3 "Object Created" -> FILE item (once per object version) -> maybe start a run.
// Bad input never throws (a throw would make Lambda retry an event that can never succeed);
// infrastructure errors (audit table, S3) do throw, so the async retry delivers the event again.
import { routeObjectKey } from "../../datasets/routing";
import { FileItem, UNROUTED_DATASET } from "../audit/items";
import { FILE_UNIDENTIFIED_REASONS, type HandlerDeps, type ObjectHead } from "../ports";
import { fileIdOf } from "./file-id";
import { ResolvedKey, resolveKey } from "./key-readings";
import { StartOutcome, startRunIfIdle } from "./run-start";
import { otherContentBetween } from "./versions-between";
import { ObjectCreated, parseObjectCreated } from "./s3-event";

export type ArrivalResult =
  | { outcome: "REJECTED"; reason: string }
  | { outcome: "IGNORED"; reason: string }
  | { outcome: "SKIPPED"; fileId: string; reason: string }
  | { outcome: "DUPLICATE"; fileId: string; status: string; run?: StartOutcome }
  /** `run` is absent when the caller starts runs itself (the landing sweep). */
  | { outcome: "PENDING"; fileId: string; run?: StartOutcome };

export async function handleFileArrival(deps: HandlerDeps, event: unknown, options: RecordOptions = {}): Promise<ArrivalResult> {
  const parsed = parseObjectCreated(event);
  if (!parsed.ok) {
    deps.log.error("malformed Object Created event; dropped", { reason: parsed.reason, eventId: (event as any)?.id });
    return { outcome: "REJECTED", reason: parsed.reason };
  }
  const ev = parsed.value;
  if (deps.landingBucket !== undefined && ev.bucket !== deps.landingBucket) {
    deps.log.warn("event for another bucket; ignored", { bucket: ev.bucket });
    return { outcome: "IGNORED", reason: `bucket ${ev.bucket} is not the landing bucket` };
  }
  return recordObjectVersion(deps, ev, options);
}

export interface RecordOptions {
  /**
   * Start a run for a new PENDING file. The landing sweep and `datalake redrive` leave it to the
   * reconciler, which starts one run for everything they filed. @default true
   */
  startRun?: boolean;
}

/**
 * The FILE item of one object version, exactly once: the event path and the landing sweep
 * (which builds `ev` from ListObjectVersions) both come here, so both give a version the same
 * fileId and the same outcome.
 */
export async function recordObjectVersion(deps: HandlerDeps, ev: ObjectCreated, options: RecordOptions = {}): Promise<ArrivalResult> {
  const spec = ev.keys.map((k) => routeObjectKey(deps.specs, k)).find((s) => s !== undefined);
  const resolved: ResolvedKey = spec ? await resolveKey(deps, ev) : { key: ev.key };
  const { key, head } = resolved;
  const versionId = head?.versionId ?? ev.versionId;
  const fileId = fileIdOf(ev.bucket, key, versionId, ev.etag, ev.sequencer);
  const log = deps.log.child({ dataset: spec?.name ?? UNROUTED_DATASET, key, versionId, fileId });
  const etag = ev.etag || (head?.exists ? head.etag : "");
  const checksums = head?.exists ? head.checksums : undefined;
  const unusable = resolved.reason ?? skipReason(ev, key, head, spec === undefined);
  const sameAs = unusable ? undefined : await loadedWithSameContent(deps, ev.bucket, key, fileId, versionId, etag, checksums);
  const skip = unusable ?? (sameAs ? "duplicate_content" : undefined);
  const note = sameAs ? `same content as ${sameAs}, loaded successfully` : resolved.note;
  const now = new Date(deps.clock.now()).toISOString();
  const item: FileItem = {
    kind: "FILE",
    fileId,
    dataset: spec?.name ?? UNROUTED_DATASET,
    bucket: ev.bucket,
    key,
    versionId,
    // The event's etag names this version; HeadObject may already see a later PUT (unversioned).
    etag,
    ...(checksums ? { checksums } : {}),
    sequencer: ev.sequencer,
    size: head?.exists ? head.size : ev.size ?? 0,
    status: skip ? "SKIPPED" : "PENDING",
    reason: skip,
    ...(note ? { note } : {}),
    receivedAt: ev.time || now,
    recordedAt: now,
    finishedAt: skip ? now : undefined,
  };
  const { created, item: stored } = await deps.audit.createFile(item);
  const startRun = options.startRun ?? true;
  if (!created) {
    log.info("duplicate event for a recorded object version", { status: stored.status });
    // A crash after the FILE write leaves it PENDING: the redelivered event carries on.
    if (stored.status !== "PENDING" || !spec || !startRun) return { outcome: "DUPLICATE", fileId, status: stored.status };
    await deps.audit.markContentPending({ bucket: ev.bucket, key, fileId, versionId, sequencer: ev.sequencer });
    const run = await startRunIfIdle({ ...deps, log }, spec.name, [stored]);
    return { outcome: "DUPLICATE", fileId, status: stored.status, run };
  }
  if (skip || !spec) {
    log.warn("object version skipped", { reason: skip, note });
    // Once, on the write that created the item: a version no key reading names needs a person.
    const unidentified = FILE_UNIDENTIFIED_REASONS.find((r) => r === skip);
    if (unidentified) deps.metrics.fileUnidentified(item.dataset, unidentified, { key, fileId });
    return { outcome: "SKIPPED", fileId, reason: skip ?? "unknown_prefix" };
  }
  log.info("object version recorded PENDING", { size: item.size });
  await deps.audit.markContentPending({ bucket: ev.bucket, key, fileId, versionId, sequencer: ev.sequencer });
  if (!startRun) return { outcome: "PENDING", fileId };
  // The run-start lines then carry this file's key and version besides the run id.
  const run = await startRunIfIdle({ ...deps, log }, spec.name, [item]);
  return { outcome: "PENDING", fileId, run };
}

/**
 * The fileId of the key's last successfully loaded version when this version holds the same
 * bytes: equal ETags, or an equal S3 checksum of one algorithm, and no other content was put in
 * between whose event has not come yet (versions-between.ts). A version of a key whose last
 * load FAILED is not compared with it (only successful loads are recorded), so a re-upload after
 * a failure loads.
 */
async function loadedWithSameContent(
  deps: HandlerDeps,
  bucket: string,
  key: string,
  fileId: string,
  versionId: string | null,
  etag: string,
  checksums: Record<string, string> | undefined,
): Promise<string | undefined> {
  const loaded = await deps.audit.getLoadedContent(bucket, key);
  if (!loaded || loaded.pending || loaded.fileId === fileId) return undefined;
  const sameEtag = etag !== "" && loaded.etag === etag;
  const sameChecksum = Object.entries(checksums ?? {}).some(([algorithm, value]) => loaded.checksums?.[algorithm] === value);
  if (!sameEtag && !sameChecksum) return undefined;
  // Unknown (unversioned bucket, no listing): the load is the newest content we know of.
  const between = await otherContentBetween(deps, bucket, key, loaded.versionId, versionId, etag);
  return between === "yes" ? undefined : loaded.fileId;
}

function skipReason(ev: ObjectCreated, key: string, head: ObjectHead | undefined, unrouted: boolean): string | undefined {
  if (unrouted) return "unknown_prefix";
  if (!head?.exists) return "SOURCE_MISSING";
  if (key.endsWith("/")) return "folder_marker";
  if (head.size === 0) return "empty_object";
  // Unversioned bucket: a later PUT replaced this one's bytes, which can no longer be read.
  if (ev.versionId === null && ev.etag !== "" && head.etag !== "" && head.etag !== ev.etag) return "superseded";
  return undefined;
}
