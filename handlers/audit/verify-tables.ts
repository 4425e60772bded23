// The tables half of `datalake audit --verify`: what a dataset's tables hold, against what the audit
// trail records its runs loaded (ARCHITECTURE.md, conservation). The trail checks (verify.ts) prove
// the trail adds up; these prove the tables hold its rows once. A load killed mid-publish and run
// again left a file's rows in bronze twice, under two run ids, and the trail still added up.
// Pure: a source reads the tables (local/verify/workspace-tables.ts for a DuckDB workspace).
import { RUN_OPEN_STATUSES, type FileItem, type RunItem } from "./items";
import type { Finding } from "./verify";

/** What one dataset's tables hold. */
export interface DatasetTables {
  dataset: string;
  /** Rows per `_run_id` of bronze and of rejects (append-only: every run's rows). */
  bronzeRows: Map<string, number>;
  rejectsRows: Map<string, number>;
  /** The files ledger: the object versions bronze holds, the run that read each, and its rows. */
  ledger: { fileId: string; runId: string; rowsRead: number }[];
  /** The current versions, when state, silver and quarantine stand at one: state keys not deleted, silver and quarantine rows. */
  current?: { version: string; stateCurrent: number; silver: number; quarantine: number };
  /** Runs a rollback record names: its rows are set aside, or being set aside by a rollback a later command finishes. */
  undone: Set<string>;
  /** Runs whose publish journal is still in staging: committed, moves left for the next command that takes the workspace. */
  unfinished: Set<string>;
  /** Runs a `datalake load` marked unrecorded and was stopped before recording (the next load records them). */
  unrecorded?: Set<string>;
}

export function verifyTables(tables: DatasetTables[], files: FileItem[], runs: RunItem[]): Finding[] {
  return tables.flatMap((t) => {
    const own = { files: files.filter((f) => f.dataset === t.dataset), runs: runs.filter((r) => r.dataset === t.dataset && !r.model) };
    return [...unfinishedPublishes(t), ...runRows(t, own.files, own.runs), ...ledgerFiles(t, own.files, own.runs), ...currentRows(t)];
  });
}

/**
 * How the trail accounts for a run's rows in the tables: "counted" (a SUCCEEDED load: its loaded
 * files' rows), "skipped" (in flight, or undone by a rollback not yet recorded: the trail cannot
 * say yet), or why it owns no rows (they should not be there).
 */
type Standing = { counted: true } | { counted: false; skipped: true } | { counted: false; skipped: false; why: string };

function standings(t: DatasetTables, runs: RunItem[]): (runId: string) => Standing {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const undoneBy = new Map(runs.flatMap((r) => (r.rollback?.runs ?? []).map((u) => [u, r.runId] as const)));
  return (runId) => {
    const run = byId.get(runId);
    // A recorded rollback sets its runs' rows aside before its RUN item is written.
    if (undoneBy.has(runId)) return { counted: false, skipped: false, why: `a run rollback ${undoneBy.get(runId)} undid` };
    if (t.undone.has(runId) || (run && RUN_OPEN_STATUSES.includes(run.status))) return { counted: false, skipped: true };
    if (run?.status === "SUCCEEDED" && !run.rollback) return { counted: true };
    if (!run && t.unrecorded?.has(runId)) return { counted: false, skipped: false, why: "a load stopped before it was recorded (the next `datalake load` records it)" };
    return { counted: false, skipped: false, why: run ? `a run the trail records as ${run.status}` : "a run with no RUN item" };
  };
}

/** A run's loaded files: FILE items SUCCEEDED in it (files quarantined whole put no row in bronze, nor in the ledger). */
function loadedBy(files: FileItem[]): Map<string, FileItem[]> {
  const out = new Map<string, FileItem[]>();
  for (const f of files) {
    if (f.status !== "SUCCEEDED" || !f.runId) continue;
    out.set(f.runId, [...(out.get(f.runId) ?? []), f]);
  }
  return out;
}

const unfinishedNote = (t: DatasetTables, runId: string) =>
  t.unfinished.has(runId) ? " (its publish is unfinished: the next `datalake load`, `build`, `rollback` or `local` finishes it)" : "";

/** Per run: bronze rows = rows its loaded files read, rejects rows = rows rejected from them; no rows of any other run. */
function runRows(t: DatasetTables, files: FileItem[], runs: RunItem[]): Finding[] {
  const standing = standings(t, runs);
  const loaded = loadedBy(files);
  const counted = runs.filter((r) => standing(r.runId).counted).map((r) => r.runId);
  const ids = [...new Set([...counted, ...[...t.bronzeRows.keys(), ...t.rejectsRows.keys()].sort()])];
  const out: Finding[] = [];
  for (const runId of ids) {
    const s = standing(runId);
    const [bronze, rejects] = [t.bronzeRows.get(runId) ?? 0, t.rejectsRows.get(runId) ?? 0];
    let detail: string | undefined;
    if (s.counted) {
      const own = loaded.get(runId) ?? [];
      const read = own.reduce((n, f) => n + (f.rowsRead ?? 0), 0);
      const rejected = own.reduce((n, f) => n + (f.rowsRejected ?? 0), 0);
      const wrong = [
        bronze !== read ? `bronze rows ${bronze} != ${read} read` : "",
        rejects !== rejected ? `rejects rows ${rejects} != ${rejected} rejected` : "",
      ].filter(Boolean);
      if (wrong.length > 0) detail = `${wrong.join(", ")} over its ${own.length} loaded file(s)`;
    } else if (!s.skipped && bronze + rejects > 0) {
      detail = `bronze holds ${bronze} and rejects ${rejects} row(s) of ${s.why}`;
    }
    if (detail) out.push({ check: "table_rows", dataset: t.dataset, subject: runId, detail: detail + unfinishedNote(t, runId) });
  }
  return out;
}

/** The files ledger (what the next load skips) lists exactly the files the trail records as loaded, under the run that loaded them. */
function ledgerFiles(t: DatasetTables, files: FileItem[], runs: RunItem[]): Finding[] {
  const standing = standings(t, runs);
  const expected = new Map<string, FileItem>();
  for (const [runId, own] of loadedBy(files)) if (standing(runId).counted) for (const f of own) expected.set(f.fileId, f);
  const listed = new Map<string, DatasetTables["ledger"]>();
  for (const row of t.ledger) {
    const s = standing(row.runId);
    if (!s.counted && s.skipped) continue;
    listed.set(row.fileId, [...(listed.get(row.fileId) ?? []), row]);
  }
  const byId = new Map(files.map((f) => [f.fileId, f]));
  const out: Finding[] = [];
  const finding = (subject: string, runId: string, detail: string) =>
    out.push({ check: "ledger_files", dataset: t.dataset, subject, detail: detail + unfinishedNote(t, runId) });
  for (const [fileId, f] of expected) {
    const rows = listed.get(fileId) ?? [];
    if (rows.length === 0) finding(fileId, f.runId!, `loaded by run ${f.runId} (${f.rowsRead ?? 0} rows) per the trail, not in the files ledger: dropped again, it loads again`);
    else if (rows.length > 1 || rows[0].runId !== f.runId) finding(fileId, f.runId!, `in the files ledger under run(s) ${rows.map((r) => r.runId).join(", ")}; the trail records it loaded by run ${f.runId}`);
    else if (rows[0].rowsRead !== (f.rowsRead ?? 0)) finding(fileId, f.runId!, `the files ledger has run ${f.runId} read ${rows[0].rowsRead} rows, the trail ${f.rowsRead ?? 0}`);
  }
  for (const [fileId, rows] of listed) {
    if (expected.has(fileId)) continue;
    const item = byId.get(fileId);
    const trail = item ? `its FILE item is ${item.status}${item.runId ? ` in run ${item.runId}` : ""}` : "it has no FILE item";
    const runIds = rows.map((r) => r.runId);
    const why = runIds.map((id) => standing(id)).find((s): s is Extract<Standing, { why: string }> => "why" in s)?.why;
    finding(fileId, runIds[0], `in the files ledger under run(s) ${runIds.join(", ")}${why ? ` (${why})` : ""}, but ${trail}`);
  }
  return out;
}

/**
 * A publish committed and not finished: some tables stand at its version, the others at the one
 * before (silver and quarantine moved, state not), and until bronze or the ledger move no other
 * check sees it, while `query` reads the mix. Not verified until the next command finishes it.
 */
function unfinishedPublishes(t: DatasetTables): Finding[] {
  return [...t.unfinished].map((runId) => ({
    check: "unfinished_publish",
    dataset: t.dataset,
    subject: runId,
    detail: `run ${runId} committed its publish and was stopped before every table moved: the tables are of two versions until the next \`datalake load\`, \`build\`, \`rollback\` or \`local\` finishes it`,
  }));
}

/** Current keys = silver + quarantine: every key state holds (deletes aside) is in exactly one of them. */
function currentRows(t: DatasetTables): Finding[] {
  const c = t.current;
  if (!c || c.stateCurrent === c.silver + c.quarantine) return [];
  return [{ check: "current_rows", dataset: t.dataset, subject: c.version, detail: `state holds ${c.stateCurrent} current key(s) != silver ${c.silver} + quarantine ${c.quarantine}` }];
}
