// Landing sweep (run by the reconciler): every object version under a dataset prefix (in its
// declared, lower- and upper-case spellings) gets a FILE item, including versions whose event was lost or dead-lettered. It lists versions per dataset
// prefix (ListObjectVersions), looks their fileIds up in batches, and files each missing one
// through file-arrival's own core (recordObjectVersion), so a version gets the same fileId and
// outcome whichever path sees it first, and the later one is a DUPLICATE no-op.
//
// Bounded per invocation: a few pages per dataset and a wall-time budget; where the listing
// stopped is stored in the audit table (SWEEP item), so the next invocation resumes there. A pass
// that reaches the end of the prefix is complete; the next pass checks only versions modified
// since the previous pass began (minus sweepLookbackSeconds). Listing still walks the whole
// prefix (S3 cannot list by time): for very large buckets see docs/deploy.md
// "Lost and dead-lettered events" (S3 Inventory).
import type { DatasetSpec } from "../../datasets/define";
import { prefixSpellings, routeObjectKey } from "../../datasets/routing";
import type { SweepCursor } from "../audit/items";
import type { HandlerDeps, ObjectVersion, VersionMarker } from "../ports";
import { recordObjectVersion } from "./file-arrival";
import { fileIdOf } from "./file-id";
import { describeError } from "./glue-errors";
import type { ObjectCreated } from "./s3-event";

export interface SweepReport {
  /** fileIds the sweep filed (their events never came, or not yet). */
  filed: string[];
  /** Versions listed (all dataset prefixes). */
  listed: number;
  /** "null" versions: their FILE id needs the event's sequencer, so only the event can file them. */
  unversioned: number;
  /** Datasets whose pass is still under way (budget spent before the end of the prefix). */
  resumes: string[];
  errors: string[];
}

export async function sweepLanding(deps: HandlerDeps): Promise<SweepReport> {
  const report: SweepReport = { filed: [], listed: 0, unversioned: 0, resumes: [], errors: [] };
  if (!deps.objects.listVersions || deps.landingBucket === undefined) return report;
  const deadline = deps.clock.now() + deps.limits.sweepBudgetSeconds * 1000;
  for (const spec of deps.specs) {
    try {
      await sweepDataset(deps, spec, deadline, report);
    } catch (err) {
      report.errors.push(`sweep ${spec.name}: ${describeError(err)}`);
      deps.log.error("landing sweep failed", { dataset: spec.name, error: describeError(err) });
    }
  }
  if (report.unversioned > 0) deps.log.warn("landing sweep skipped unversioned object versions", { count: report.unversioned });
  return report;
}

async function sweepDataset(deps: HandlerDeps, spec: DatasetSpec, deadline: number, report: SweepReport): Promise<void> {
  const { audit, clock, limits } = deps;
  const bucket = deps.landingBucket!;
  const cursor = await audit.getSweepCursor(spec.name);
  const pass = cursor?.next ? cursor : newPass(deps, spec.name, cursor);
  const since = Date.parse(pass.since);
  const until = Date.parse(pass.passStartedAt) - limits.sweepMinAgeSeconds * 1000;
  // Keys route in any case but S3 lists case-sensitively: a pass lists each spelling of the
  // prefix in turn (declared, lower, upper: routing.ts prefixSpellings); the cursor names the
  // one under way. An empty key marker is the start of that spelling.
  const spellings = prefixSpellings(spec);
  let at = pass.next ? spellings.indexOf(pass.spelling ?? spellings[0]) : 0;
  let next: VersionMarker | undefined = pass.next ?? { keyMarker: "" };
  if (at < 0) [at, next] = [0, { keyMarker: "" }]; // the prefix changed since: start over
  for (let page = 0; page < limits.sweepPagesPerDataset && clock.now() < deadline; page++) {
    const listed = await deps.objects.listVersions!(bucket, spellings[at], next, limits.sweepPageSize);
    report.listed += listed.versions.length;
    const due = listed.versions.filter((v) => {
      const t = Date.parse(v.lastModified);
      // Only what a rule would deliver: the same routing as the event path.
      return t >= since && t < until && routeObjectKey(deps.specs, v.key) !== undefined;
    });
    report.unversioned += due.filter((v) => v.versionId === null).length;
    // Out of time mid-page: the cursor stays at this page's start; its filed versions are found next time.
    if (!(await fileMissing(deps, bucket, due.filter((v) => v.versionId !== null), deadline, report))) break;
    next = listed.next;
    if (!next && at + 1 < spellings.length) [at, next] = [at + 1, { keyMarker: "" }];
    if (!next) break;
  }
  const { next: _resumedFrom, spelling: _listing, ...kept } = pass;
  await audit.putSweepCursor({ ...kept, ...(next ? { next, spelling: spellings[at] } : {}), updatedAt: new Date(clock.now()).toISOString() });
  if (next) report.resumes.push(spec.name);
  else deps.log.info("landing sweep pass complete", { dataset: spec.name, since: pass.since });
}

/**
 * A new pass checks what changed since the previous one began (minus the lookback). The first
 * pass reaches back as far as finished FILE items live (their TTL): an older version's item may
 * have expired, and filing it again would load it again.
 */
function newPass(deps: HandlerDeps, dataset: string, previous: SweepCursor | undefined): SweepCursor {
  const now = deps.clock.now();
  const from = previous ? Date.parse(previous.passStartedAt) - deps.limits.sweepLookbackSeconds * 1000 : now - (deps.limits.finishedTtlDays - 1) * 86_400_000;
  return { kind: "SWEEP", dataset, passStartedAt: new Date(now).toISOString(), since: new Date(from).toISOString(), updatedAt: new Date(now).toISOString() };
}

/** Files the versions that have no FILE item; false when the budget ran out before the last one. */
async function fileMissing(deps: HandlerDeps, bucket: string, versions: ObjectVersion[], deadline: number, report: SweepReport): Promise<boolean> {
  if (versions.length === 0) return true;
  const ids = versions.map((v) => fileIdOf(bucket, v.key, v.versionId, v.etag, ""));
  const known = new Set((await deps.audit.getFilesConsistent(ids)).map((f) => f.fileId));
  for (const v of versions) {
    if (known.has(fileIdOf(bucket, v.key, v.versionId, v.etag, ""))) continue;
    if (deps.clock.now() >= deadline) return false;
    let result;
    try {
      result = await recordObjectVersion(deps, asEvent(bucket, v), { startRun: false });
    } catch (err) {
      // One version the store refuses must not hold back the rest of the prefix, pass after
      // pass: it is reported (and listed again by the next pass), the others are filed.
      report.errors.push(`sweep ${v.key} ${v.versionId}: ${describeError(err)}`);
      deps.log.error("landing sweep could not file a version", { key: v.key, versionId: v.versionId, error: describeError(err) });
      continue;
    }
    if (result.outcome === "REJECTED" || result.outcome === "IGNORED") continue;
    deps.log.warn("landing sweep filed a version no event had filed", { key: v.key, versionId: v.versionId, fileId: result.fileId, outcome: result.outcome });
    report.filed.push(result.fileId);
  }
  return true;
}

/** A listed version as file-arrival's parsed event: the key is the real one (S3 API, not an event). */
function asEvent(bucket: string, v: ObjectVersion): ObjectCreated {
  return {
    bucket,
    rawKey: v.key,
    key: v.key,
    keys: [v.key],
    undecodable: false,
    size: v.size,
    etag: v.etag,
    versionId: v.versionId,
    // ListObjectVersions gives no sequencer; versioned fileIds do not use it.
    sequencer: "",
    time: v.lastModified,
  };
}
