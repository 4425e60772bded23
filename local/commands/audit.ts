// `datalake audit`: the audit trail of a workspace, one row per object version: which run loaded
// it, how many rows were loaded, quarantined or rejected, and why anything failed.
import { DATASETS } from "../../datasets";
import type { FileItem, RunItem } from "../../handlers/audit/items";
import type { AuditStore } from "../../handlers/audit/store";
import { ArgSpec, JSON_FLAG, parseArgs, UsageError, usageText, WORKSPACE_FLAG } from "../cli-args";
import { CliIo, workspaceDir } from "../cli-io";
import type { Verb } from "../cli-verb";
import { textTable } from "../runtime/text-table";

const SPEC: ArgSpec = {
  flags: {
    ...WORKSPACE_FLAG,
    dataset: { type: "string", value: "NAME", help: "only this dataset" },
    runs: { type: "boolean", help: "list runs instead of files" },
    ...JSON_FLAG,
  },
};
const SUMMARY = "show the audit trail: every file version, its status, row counts, reason and run";

export const auditVerb: Verb = {
  name: "audit",
  summary: SUMMARY,
  async run(argv: string[], io: CliIo): Promise<number> {
    const args = parseArgs("audit", argv, SPEC);
    if (args.help) {
      io.out(usageText("audit", SUMMARY, SPEC));
      return 0;
    }
    const names = datasetNames(args.flags.dataset);
    // Loaded here, not at the top: DuckDB and the AWS SDK would slow every other verb and --help.
    const { openWorkspaceAudit } = await import("../runtime/audit-access");
    const opened = await openWorkspaceAudit(workspaceDir(args.flags.workspace));
    try {
      if (args.flags.runs) {
        const runs = await listRuns(opened.audit, names);
        io.out(args.flags.json ? JSON.stringify(runs, null, 2) : runsTable(runs));
      } else {
        const files = await listFiles(opened.audit, names);
        io.out(args.flags.json ? JSON.stringify(files, null, 2) : filesTable(files));
      }
      return 0;
    } finally {
      await opened.close();
    }
  },
};

function datasetNames(flag: string | boolean | undefined): string[] {
  if (typeof flag !== "string") return DATASETS.map((d) => d.name);
  if (!DATASETS.some((d) => d.name === flag)) {
    throw new UsageError(`audit: unknown dataset "${flag}" (known: ${DATASETS.map((d) => d.name).join(", ")})`);
  }
  return [flag];
}

export async function listFiles(audit: AuditStore, datasets: string[]): Promise<FileItem[]> {
  const all = (await Promise.all(datasets.map((d) => audit.listFiles(d)))).flat();
  return all.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.key.localeCompare(b.key));
}

export async function listRuns(audit: AuditStore, datasets: string[]): Promise<RunItem[]> {
  const all = (await Promise.all(datasets.map((d) => audit.listRuns(d)))).flat();
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

export function filesTable(files: FileItem[]): string {
  if (files.length === 0) return "no files yet: drop one into <workspace>/landing/<dataset>/";
  const rows = files.map((f) => [
    f.dataset,
    f.key,
    f.versionId ?? `${f.etag.slice(0, 8)}:${f.sequencer}`,
    f.status,
    f.rowsLoaded,
    f.rowsQuarantined,
    f.rowsRejected,
    f.reason ?? f.note,
    f.runId,
  ]);
  const table = textTable(["dataset", "file", "version", "status", "loaded", "quarantined", "rejected", "reason", "run"], rows);
  return `${table}\n\n${totals(files)}`;
}

export function totals(files: FileItem[]): string {
  const by = new Map<string, number>();
  for (const f of files) by.set(f.status, (by.get(f.status) ?? 0) + 1);
  const sum = (k: "rowsLoaded" | "rowsQuarantined" | "rowsRejected") => files.reduce((n, f) => n + (f[k] ?? 0), 0);
  const statuses = [...by.entries()].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
  return `${files.length} file(s): ${statuses}; rows loaded ${sum("rowsLoaded")}, quarantined ${sum("rowsQuarantined")}, rejected ${sum("rowsRejected")}`;
}

export function runsTable(runs: RunItem[]): string {
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
    r.error?.split("\n")[0],
  ]);
  return textTable(["dataset", "run", "status", "files", "read", "silver", "quarantine", "rejected", "secs", "error"], rows);
}
