// The accounted-for proof (`datalake audit --verify`) as pure checks over what a source listed:
// the landing object versions, and the FILE, RUN and DATASET items of the audit table. The CLI
// feeds them from a workspace (version log + landing folder + dynalite) or from a deployed stack
// (S3 ListObjectVersions + a DynamoDB scan); the checks are the same for both. A workspace's
// DuckDB tables are then checked against the trail too (verify-tables.ts).
import { FILE_OPEN_STATUSES, FILE_TERMINAL_STATUSES, RUN_OPEN_STATUSES, type FileItem, type RunItem, type SlotItem } from "./items";

/** One identity under which an object version may have been recorded. */
export interface VersionIdentity {
  bucket: string;
  /** Null for an unversioned bucket: then the ETag names the object. */
  versionId: string | null;
  etag: string;
}

/** An object version in landing. */
export interface LandedVersion {
  key: string;
  /** The first is how the event path records it; more when another path names it too (`datalake load`). */
  identities: VersionIdentity[];
  /** Under a dataset prefix (routed). Unrouted versions need no FILE item, but may have one. */
  routed: boolean;
  /** Says more about a missing item, e.g. "not yet seen by `datalake local`". */
  hint?: string;
}

export type FindingCheck =
  | "missing_file"
  | "duplicate_file"
  | "open_file"
  | "row_counts"
  | "open_run"
  | "run_counts"
  // The tables against the trail (verify-tables.ts): a workspace's DuckDB tables only.
  | "table_rows"
  | "ledger_files"
  | "current_rows"
  | "unfinished_publish";

export interface Finding {
  check: FindingCheck;
  dataset?: string;
  /** The object version, FILE or RUN concerned. */
  subject: string;
  detail: string;
}

export interface VerifyInput {
  landed: LandedVersion[];
  files: FileItem[];
  runs: RunItem[];
  slots: SlotItem[];
  /** Epoch ms. */
  now: number;
  /** A PENDING file younger than this is still in flight (its run may be starting). @default PENDING_GRACE_MS */
  pendingGraceMs?: number;
}

export interface VerifyResult {
  findings: Finding[];
  /** tables: how many datasets' tables were compared with the trail (undefined: no tables were read). */
  stats: { versions: number; unrouted: number; files: number; unlisted: number; runs: number; tables?: number };
}

/** The reconciler starts runs for PENDING files on a schedule of minutes: past this, one is stuck. */
export const PENDING_GRACE_MS = 15 * 60_000;

export function verifyAccounted(input: VerifyInput): VerifyResult {
  const byIdentity = indexFiles(input.files);
  const matched = new Set<FileItem>();
  const findings: Finding[] = [];
  let unrouted = 0;
  for (const v of input.landed) {
    const items = [...new Set(v.identities.flatMap((id) => byIdentity.get(identityKey(v.key, id)) ?? []))];
    items.forEach((f) => matched.add(f));
    if (!v.routed) unrouted++;
    const subject = versionName(v.key, v.identities[0]);
    if (items.length === 0 && v.routed) findings.push({ check: "missing_file", subject, detail: `no FILE item${v.hint ? ` (${v.hint})` : ""}` });
    // An unversioned bucket lists only the current object, and identical bytes PUT twice give two
    // FILE items with one ETag: only version ids can prove a duplicate.
    if (items.length > 1 && v.identities[0].versionId !== null) {
      const listed = items.map((f) => `${f.fileId} ${f.status}${f.runId ? ` run ${f.runId}` : ""}`).join("; ");
      findings.push({ check: "duplicate_file", dataset: items[0].dataset, subject, detail: `${items.length} FILE items: ${listed}` });
    }
  }
  const live = liveRuns(input.runs, input.slots, input.now);
  findings.push(...openFiles(input, live), ...fileRowCounts(input.files), ...openRuns(input.runs, live, input.slots), ...runCounts(input.runs, input.files));
  return {
    findings,
    stats: {
      versions: input.landed.length,
      unrouted,
      files: input.files.length,
      unlisted: input.files.filter((f) => !matched.has(f)).length,
      // Load runs: model builds read no landing file (their RUN items are still checked for open status).
      runs: input.runs.filter((r) => !r.model).length,
    },
  };
}

const identityKey = (key: string, id: VersionIdentity) => `${id.bucket}\n${key}\n${id.versionId ?? `etag:${id.etag}`}`;

function indexFiles(files: FileItem[]): Map<string, FileItem[]> {
  const index = new Map<string, FileItem[]>();
  for (const f of files) {
    const k = identityKey(f.key, { bucket: f.bucket, versionId: f.versionId, etag: f.etag });
    const list = index.get(k);
    if (list) list.push(f);
    else index.set(k, [f]);
  }
  return index;
}

function versionName(key: string, id: VersionIdentity): string {
  return `s3://${id.bucket}/${key}#${id.versionId ?? `etag ${id.etag}`}`;
}

/** Open runs that hold their dataset's slot with a lease not yet expired. */
function liveRuns(runs: RunItem[], slots: SlotItem[], now: number): Set<string> {
  const held = new Map(slots.filter((s) => s.activeRunId && (s.leaseExpiresAt ?? 0) > now).map((s) => [s.dataset, s.activeRunId]));
  return new Set(runs.filter((r) => RUN_OPEN_STATUSES.includes(r.status) && held.get(r.dataset) === r.runId).map((r) => r.runId));
}

/** Open FILE items: RUNNING/QUEUED only under a live run; PENDING only while young or a run of its dataset is live (the next run takes it). */
function openFiles(input: VerifyInput, live: Set<string>): Finding[] {
  const liveDatasets = new Set(input.runs.filter((r) => live.has(r.runId)).map((r) => r.dataset));
  const grace = input.pendingGraceMs ?? PENDING_GRACE_MS;
  const out: Finding[] = [];
  for (const f of input.files) {
    if (!FILE_OPEN_STATUSES.includes(f.status)) continue;
    if (f.status === "PENDING") {
      const age = input.now - Date.parse(f.recordedAt);
      if (age < grace || liveDatasets.has(f.dataset)) continue;
      out.push({ check: "open_file", dataset: f.dataset, subject: f.fileId, detail: `PENDING since ${f.recordedAt} and no run of ${f.dataset} is live` });
    } else if (!f.runId || !live.has(f.runId)) {
      out.push({ check: "open_file", dataset: f.dataset, subject: f.fileId, detail: `${f.status} in run ${f.runId ?? "(none)"}, which is not live` });
    }
  }
  return out;
}

/** Per file: rowsRead = rowsLoaded + rowsQuarantined + rowsRejected (engine/contracts.ts FileResult). */
function fileRowCounts(files: FileItem[]): Finding[] {
  const out: Finding[] = [];
  for (const f of files) {
    // A failed run published nothing: its files' counts (if any) are no record of rows. Files
    // skipped on arrival (empty, folder markers) were never read.
    if (f.status === "FAILED") continue;
    const counted = [f.rowsRead, f.rowsLoaded, f.rowsQuarantined, f.rowsRejected].some((n) => n !== undefined);
    if (!counted) {
      if (f.status === "SUCCEEDED" || f.status === "QUARANTINED") {
        out.push({ check: "row_counts", dataset: f.dataset, subject: f.fileId, detail: `${f.status} without row counts` });
      }
      continue;
    }
    const [read, loaded, quarantined, rejected] = [f.rowsRead, f.rowsLoaded, f.rowsQuarantined, f.rowsRejected].map((n) => n ?? 0);
    if (read !== loaded + quarantined + rejected || Math.min(read, loaded, quarantined, rejected) < 0) {
      out.push({
        check: "row_counts",
        dataset: f.dataset,
        subject: f.fileId,
        detail: `rows read ${read} != loaded ${loaded} + quarantined ${quarantined} + rejected ${rejected}`,
      });
    }
  }
  return out;
}

function openRuns(runs: RunItem[], live: Set<string>, slots: SlotItem[]): Finding[] {
  const slotOf = new Map(slots.map((s) => [s.dataset, s]));
  return runs
    .filter((r) => RUN_OPEN_STATUSES.includes(r.status) && !live.has(r.runId))
    .map((r) => {
      const slot = slotOf.get(r.dataset);
      const why =
        slot?.activeRunId === r.runId && slot.leaseExpiresAt !== undefined
          ? `its lease expired at ${new Date(slot.leaseExpiresAt).toISOString()}`
          : `it does not hold the ${r.dataset} run slot`;
      return { check: "open_run" as const, dataset: r.dataset, subject: r.runId, detail: `${r.status} since ${r.createdAt}, and ${why}` };
    });
}

/**
 * A SUCCEEDED load's counts are the sums over its FILE items, as the engine audits its summary
 * before publishing (engine/conservation.ts): rows read, rows rejected, rows of files quarantined
 * whole. Files a run found already loaded keep the FILE item of the run that loaded them. A run a
 * rollback undid is not checked: what it published is gone, and `datalake load` of its files
 * again moves their FILE items to the run that loads them (local/cli-workspace-audit.ts).
 */
function runCounts(runs: RunItem[], files: FileItem[]): Finding[] {
  const undone = new Set(runs.flatMap((r) => r.rollback?.runs ?? []));
  const byRun = new Map<string, FileItem[]>();
  for (const f of files) {
    if (!f.runId) continue;
    const list = byRun.get(f.runId);
    if (list) list.push(f);
    else byRun.set(f.runId, [f]);
  }
  const out: Finding[] = [];
  for (const r of runs) {
    if (r.status !== "SUCCEEDED" || !r.counts || undone.has(r.runId)) continue;
    const own = (byRun.get(r.runId) ?? []).filter((f) => FILE_TERMINAL_STATUSES.includes(f.status) && f.reason !== "already_loaded");
    const sum = (pick: (f: FileItem) => number | undefined) => own.reduce((n, f) => n + (pick(f) ?? 0), 0);
    const expected = {
      rowsRead: sum((f) => f.rowsRead),
      rejectedRows: sum((f) => f.rowsRejected),
      quarantinedFileRows: sum((f) => (f.status === "QUARANTINED" ? f.rowsQuarantined : 0)),
    };
    const wrong = (Object.keys(expected) as (keyof typeof expected)[]).filter((k) => r.counts![k] !== expected[k]);
    if (wrong.length === 0) continue;
    const detail = wrong.map((k) => `${k} ${r.counts![k]} != ${expected[k]} over its ${own.length} file(s)`).join(", ");
    out.push({ check: "run_counts", dataset: r.dataset, subject: r.runId, detail });
  }
  return out;
}
