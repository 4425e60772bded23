// `datalake audit --verify`: gathers what the proof checks from a workspace or a deployed stack,
// runs the pure checks (handlers/audit/verify.ts; for a DuckDB workspace also its tables against
// the trail, handlers/audit/verify-tables.ts) and words the verdict.
import { DATASETS, routeObjectKey } from "../../datasets";
import type { AuditDb } from "../../handlers/audit/store";
import { verifyTables } from "../../handlers/audit/verify-tables";
import { verifyAccounted, type Finding, type LandedVersion, type VerifyInput, type VerifyResult } from "../../handlers/audit/verify";
import { scanAuditItems } from "./audit-scan";
import { listLandedVersions, stackClients, type StackTarget } from "./stack-source";
import { workspaceLandedVersions } from "./workspace-source";
import { workspaceTables } from "./workspace-tables";
import { LOCAL_NAMES } from "../runtime/workspace";

export interface VerifyOptions {
  /** Only this dataset's versions, files and runs. */
  dataset?: string;
  /** A line of progress (stderr), every PROGRESS_EVERY items. */
  progress?: (line: string) => void;
  now?: number;
}

const PROGRESS_EVERY = 10_000;

/**
 * The trail checks, then (a DuckDB workspace) its tables against the trail: a trail that adds up
 * does not prove the tables hold its rows once (handlers/audit/verify-tables.ts).
 */
export async function verifyWorkspace(workspace: string, db: AuditDb, options: VerifyOptions = {}): Promise<VerifyResult> {
  const landed = workspaceLandedVersions(workspace);
  const items = await scanAuditItems(db, LOCAL_NAMES.auditTable, counter("audit items scanned", options.progress));
  const input = narrow({ landed, ...items, now: options.now ?? Date.now() }, options.dataset);
  const result = verifyAccounted(input);
  const tables = await workspaceTables(workspace, options.dataset === undefined ? DATASETS.map((d) => d.name) : [options.dataset]);
  if (!tables) return result;
  return { findings: [...result.findings, ...verifyTables(tables, input.files, input.runs)], stats: { ...result.stats, tables: tables.length } };
}

export async function verifyStack(target: StackTarget, options: VerifyOptions = {}): Promise<VerifyResult> {
  const clients = stackClients(target.region);
  try {
    const landed = await listLandedVersions(clients.s3, target.bucket, counter(`object versions listed in s3://${target.bucket}`, options.progress));
    const items = await scanAuditItems(clients.db, target.table, counter(`audit items scanned in ${target.table}`, options.progress));
    return verifyAccounted(narrow({ landed, ...items, now: options.now ?? Date.now() }, options.dataset));
  } finally {
    clients.close();
  }
}

function narrow(input: VerifyInput, dataset: string | undefined): VerifyInput {
  if (dataset === undefined) return input;
  const owns = (v: LandedVersion) => routeObjectKey(DATASETS, v.key)?.name === dataset;
  return {
    ...input,
    landed: input.landed.filter(owns),
    files: input.files.filter((f) => f.dataset === dataset),
    runs: input.runs.filter((r) => r.dataset === dataset),
    slots: input.slots.filter((s) => s.dataset === dataset),
  };
}

function counter(what: string, progress: ((line: string) => void) | undefined): ((n: number) => void) | undefined {
  if (!progress) return undefined;
  let next = PROGRESS_EVERY;
  return (n) => {
    if (n < next) return;
    progress(`verify: ${n} ${what}`);
    next = (Math.floor(n / PROGRESS_EVERY) + 1) * PROGRESS_EVERY;
  };
}

/** The one-line verdict, then each finding on its own line. */
export function verifyReport(result: VerifyResult, where: string): string[] {
  const s = result.stats;
  const notes = [
    s.unrouted > 0 ? `${s.unrouted} of them under no dataset prefix` : "",
    s.unlisted > 0 ? `${s.unlisted} FILE item(s) for no listed version (loaded from outside landing, or expired from it)` : "",
  ].filter(Boolean);
  const counts = `${s.versions} object version(s), ${s.files} FILE item(s), ${s.runs} run(s)${notes.length ? `; ${notes.join("; ")}` : ""}`;
  if (result.findings.length === 0) {
    const held = s.tables === undefined ? "" : ", the tables hold each loaded file's rows once";
    return [`verified ${where}: every object version has one FILE item, every file's and run's rows add up, no run left open${held} (${counts})`];
  }
  const by = new Map<string, number>();
  for (const f of result.findings) by.set(f.check, (by.get(f.check) ?? 0) + 1);
  const kinds = [...by.entries()].map(([k, n]) => `${n} ${k}`).join(", ");
  return [`NOT verified ${where}: ${result.findings.length} finding(s): ${kinds} (${counts})`, ...result.findings.map(findingLine)];
}

export function findingLine(f: Finding): string {
  return `${f.check}\t${f.dataset ?? "-"}\t${f.subject}\t${f.detail}`;
}
