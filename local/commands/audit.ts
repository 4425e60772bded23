// `datalake audit`: the audit trail of a workspace, one row per object version: which run loaded
// it, how many rows were loaded, quarantined or rejected, and why anything failed.
import { DATASETS } from "../../datasets";
import { MODELS } from "../../models";
import { FILE_OPEN_STATUSES, FILE_TERMINAL_STATUSES, RUN_OPEN_STATUSES, type FileItem, type RunItem } from "../../handlers/audit/items";
import type { AuditStore } from "../../handlers/audit/store";
import { ArgSpec, intFlag, JSON_FLAG, ParsedArgs, parseArgs, UsageError, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import type { Verb } from "../cli-verb";
import { textTable } from "../runtime/text-table";

const SPEC: ArgSpec = {
  flags: {
    ...WORKSPACE_FLAG,
    dataset: { type: "string", value: "NAME", help: "only this dataset (with --runs, or model: its builds)" },
    runs: { type: "boolean", help: "list runs instead of files (loads, rollbacks and model builds)" },
    status: { type: "string", value: "S[,S]", help: "only these statuses (e.g. FAILED,QUARANTINED)" },
    since: { type: "string", value: "WHEN", help: "only since this time: an ISO date/time, or an age like 90m, 24h, 7d" },
    limit: { type: "string", value: "N", help: "only the newest N" },
    wide: { type: "boolean", help: "show long reasons and errors whole (the table cuts them at 48 characters)" },
    verify: { type: "boolean", help: "prove every landing object version, row and run is accounted for (and, in a DuckDB workspace, held by its tables); exit 1 listing what is not" },
    stack: { type: "string", value: "NAME", help: "with --verify: a deployed Pulumi stack (its landingBucket/auditTable outputs) instead of the workspace" },
    bucket: { type: "string", value: "NAME", help: "with --verify: a deployed landing bucket (with --table and --region)" },
    table: { type: "string", value: "NAME", help: "with --verify: the deployed audit table" },
    region: { type: "string", value: "R", help: "with --verify: the stack's AWS region (default: the stack's aws:region)" },
    ...JSON_FLAG,
  },
};
const SUMMARY = "show the audit trail: every file version, its status, row counts, reason and run; --verify proves it complete";

export const auditVerb: Verb = {
  name: "audit",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("audit", argv, SPEC);
    if (args.help) {
      io.out(usageText("audit", SUMMARY, SPEC));
      return 0;
    }
    const names = datasetNames(args.flags.dataset, args.flags.runs === true);
    // Loaded on use: the verify sources bring the S3 client.
    if (args.flags.verify) return (await import("../verify/verify-flag")).runVerify(args, io);
    const stackFlag = ["stack", "bucket", "table", "region"].find((f) => args.flags[f] !== undefined);
    if (stackFlag) throw new UsageError(`audit: --${stackFlag} goes with --verify`);
    const filter = auditFilter(args);
    // Loaded here, not at the top: DuckDB and the AWS SDK would slow every other verb and --help.
    const { openWorkspaceAudit } = await import("../runtime/audit-access");
    const opened = await openWorkspaceAudit(workspaceDir(args.flags.workspace));
    try {
      if (args.flags.runs) {
        const runs = filter.apply(await listRuns(opened.audit, names, filter.since), (r) => r.status);
        if (!args.flags.json && runs.length === 0 && filter.narrowed) io.out("no run matches --status/--since/--limit");
        else io.out(args.flags.json ? JSON.stringify(runs, null, 2) : runsTable(runs, filter.wide));
      } else {
        const files = filter.apply(await listFiles(opened.audit, names, filter.since), (f) => f.status);
        const undoneBy = await rollbacksOf(opened.audit, names);
        if (!args.flags.json && files.length === 0 && filter.narrowed) io.out("no file matches --status/--since/--limit");
        else if (args.flags.json) io.out(JSON.stringify(files.map((f) => (undone(f, undoneBy) ? { ...f, undoneBy: undoneBy.get(f.runId!) } : f)), null, 2));
        else io.out(filesTable(files, filter.wide, undoneBy));
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};

/**
 * The datasets listed (`--dataset`, or all); with --runs the models too: a model build is a RUN
 * item named by its model (model-builder.ts modelRunItem), and has no files.
 */
function datasetNames(flag: string | boolean | undefined, runs: boolean): string[] {
  const datasets = DATASETS.map((d) => d.name);
  const models = MODELS.map((m) => m.name);
  const known = runs ? [...datasets, ...models] : datasets;
  if (typeof flag !== "string") return known;
  if (!runs && models.includes(flag)) throw new UsageError(`audit: ${flag} is a model: its builds are runs (audit --runs --dataset ${flag}); files belong to datasets`);
  if (!known.includes(flag)) throw new UsageError(`audit: unknown ${runs ? "dataset or model" : "dataset"} "${flag}" (known: ${known.join(", ")})`);
  return [flag];
}

interface AuditFilter {
  since?: string;
  wide: boolean;
  /** A filter is set: an empty list means "none match", not "nothing yet". */
  narrowed: boolean;
  /** Status filter, then the newest `limit` (lists are oldest first). */
  apply<T>(items: T[], status: (item: T) => string): T[];
}

function auditFilter(args: ParsedArgs): AuditFilter {
  const statuses = typeof args.flags.status === "string" ? args.flags.status.split(",").map((s) => s.trim().toUpperCase()) : undefined;
  const known = [...FILE_TERMINAL_STATUSES, ...FILE_OPEN_STATUSES, ...RUN_OPEN_STATUSES];
  const unknown = statuses?.find((s) => !known.includes(s as never));
  if (unknown !== undefined) throw new UsageError(`audit: unknown --status ${unknown} (one of ${[...new Set(known)].join(", ")})`);
  const limit = args.flags.limit === undefined ? undefined : intFlag("audit", args, "limit");
  const since = typeof args.flags.since === "string" ? sinceTime(args.flags.since) : undefined;
  return {
    since,
    wide: args.flags.wide === true,
    narrowed: statuses !== undefined || since !== undefined || limit !== undefined,
    apply: (items, status) => {
      const kept = statuses ? items.filter((i) => statuses.includes(status(i))) : items;
      return limit === undefined ? kept : kept.slice(Math.max(0, kept.length - limit));
    },
  };
}

/** `--since`: an ISO date or time, or an age back from now (90m, 24h, 7d). */
export function sinceTime(value: string, now = Date.now()): string {
  const age = /^(\d+)([mhd])$/.exec(value.trim());
  if (age) return new Date(now - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "m" | "h" | "d"]).toISOString();
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) {
    throw new UsageError(`audit: --since must be an ISO date/time (2026-11-30, 2026-11-30T08:00:00Z) or an age (90m, 24h, 7d), got "${value}"`);
  }
  return new Date(time).toISOString();
}

export async function listFiles(audit: AuditStore, datasets: string[], since?: string): Promise<FileItem[]> {
  const all = (await Promise.all(datasets.map((d) => audit.listFiles(d, { since })))).flat();
  return all.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.key.localeCompare(b.key));
}

export async function listRuns(audit: AuditStore, datasets: string[], since?: string): Promise<RunItem[]> {
  const all = (await Promise.all(datasets.map((d) => audit.listRuns(d, { since })))).flat();
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * The runs a `datalake rollback` undid, each with the rollback's run id (its RUN item names
 * them). A file such a run loaded stays SUCCEEDED in the trail (its item says what happened
 * then), but its rows are no longer in the tables: the listing says so and does not count them.
 */
async function rollbacksOf(audit: AuditStore, datasets: string[]): Promise<Map<string, string>> {
  const runs = await listRuns(audit, datasets);
  return new Map(runs.flatMap((r) => (r.rollback?.runs ?? []).map((undoneRun) => [undoneRun, r.runId] as const)));
}

const undone = (f: FileItem, undoneBy: Map<string, string>): boolean => f.status === "SUCCEEDED" && f.runId !== undefined && undoneBy.has(f.runId);

/** Long reasons and errors are cut for the table (--wide or --json show them whole). */
const CUT = 48;
const cut = (text: string | undefined, wide: boolean): string | undefined =>
  wide || text === undefined || text.length <= CUT ? text : `${text.slice(0, CUT - 1)}…`;

export function filesTable(files: FileItem[], wide = false, undoneBy = new Map<string, string>()): string {
  if (files.length === 0) return "no files yet: drop one into <workspace>/landing/<dataset>/";
  const rows = files.map((f) => [
    f.dataset,
    f.key,
    f.versionId ?? `${f.etag.slice(0, 8)}:${f.sequencer}`,
    f.status,
    f.rowsLoaded,
    f.rowsQuarantined,
    f.rowsRejected,
    cut(undone(f, undoneBy) ? `undone by ${undoneBy.get(f.runId!)}` : (f.reason ?? f.note), wide),
    f.runId,
  ]);
  const table = textTable(["dataset", "file", "version", "status", "loaded", "quarantined", "rejected", "reason", "run"], rows);
  return `${table}\n\n${totals(files, undoneBy)}`;
}

/** The listing's last line: files per status, and the rows of those whose run still stands. */
export function totals(files: FileItem[], undoneBy = new Map<string, string>()): string {
  const by = new Map<string, number>();
  for (const f of files) {
    const label = undone(f, undoneBy) ? "undone by a rollback" : f.status.toLowerCase();
    by.set(label, (by.get(label) ?? 0) + 1);
  }
  const standing = files.filter((f) => !undone(f, undoneBy));
  const sum = (k: "rowsLoaded" | "rowsQuarantined" | "rowsRejected") => standing.reduce((n, f) => n + (f[k] ?? 0), 0);
  const statuses = [...by.entries()].map(([s, n]) => `${n} ${s}`).join(", ");
  const note = standing.length < files.length ? " (not counting files undone by a rollback)" : "";
  return `${files.length} file(s): ${statuses}; rows loaded ${sum("rowsLoaded")}, quarantined ${sum("rowsQuarantined")}, rejected ${sum("rowsRejected")}${note}`;
}

export function runsTable(runs: RunItem[], wide = false): string {
  if (runs.length === 0) return "no runs yet";
  const rows = runs.map((r) => [
    r.dataset,
    r.runId,
    r.status,
    r.fileCount,
    r.counts?.rowsRead,
    r.counts?.silverRows,
    r.counts?.quarantineRows,
    r.counts?.rejectedRows,
    r.executionSeconds,
    cut(r.error?.split("\n")[0], wide),
  ]);
  return textTable(["dataset", "run", "status", "files", "read", "silver", "quarantine", "rejected", "secs", "error"], rows);
}
