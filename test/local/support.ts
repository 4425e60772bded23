// Shared pieces of the local-mode end-to-end tests: a temp workspace, a runtime tuned for speed
// (short settle / reconcile intervals, no log file), and the two invariants every test checks:
// every dropped file version has exactly one terminal FILE item, and silver/quarantine hold
// exactly what the row-semantics oracle says.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { getDataset } from "../../datasets";
import { openQuerySession } from "../../engine/duckdb";
import { FILE_TERMINAL_STATUSES, FileItem } from "../../handlers/audit/items";
import { expectedState } from "../../local/generator";
import { startLocalRuntime, StartOptions } from "../../local/runtime/defaults";
import type { ProgressEvent } from "../../local/runtime/progress";
import type { LocalRuntime } from "../../local/runtime/runtime";
import { workspacePaths } from "../../local/runtime/workspace";

export function tempWorkspace(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "datalake-local-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestRuntime {
  runtime: LocalRuntime;
  events: ProgressEvent[];
}

/** Runtime options for tests: short settle / poll / reconcile intervals, no log file. */
export const FAST_RUNTIME = { once: true, settleMs: 60, pollMs: 300, reconcileEveryMs: 400, log: "none" } as const;

export async function startTestRuntime(workspace: string, options: Partial<StartOptions> = {}): Promise<TestRuntime> {
  const events: ProgressEvent[] = [];
  const runtime = await startLocalRuntime({
    workspace,
    ...FAST_RUNTIME,
    progress: (e) => events.push(e),
    ...options,
  });
  return { runtime, events };
}

/** Writes a file into landing/ as a producer would (directories created). */
export function drop(workspace: string, key: string, content: string): void {
  const path = join(workspacePaths(workspace).landing, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

export function csv(header: string[], rows: (string | number)[][]): string {
  return [header.join(","), ...rows.map((r) => r.join(","))].join("\n") + "\n";
}

/** An orders CSV with `n` valid rows starting at id `from`. */
export function ordersCsv(from: number, n: number, cdcTs = "2026-11-01 10:00:00"): string {
  const rows = Array.from({ length: n }, (_, i) => [from + i, 7, "2026-10-31 09:00:00", "paid", "12.50", "I", cdcTs]);
  return csv(["order_id", "customer_id", "order_ts", "status", "total_amount", "Op", "cdc_ts"], rows);
}

/**
 * Every object version the runtime recorded under `dataset` has exactly one FILE item, and every
 * FILE item is terminal. Returns the items.
 */
export async function expectAccounted(runtime: LocalRuntime, dataset: string): Promise<FileItem[]> {
  const spec = getDataset(dataset);
  const versions = runtime.versions.all().filter((v) => v.key.startsWith(spec.prefix));
  const items = await runtime.audit.listFiles(dataset);
  const ids = items.map((i) => `${i.key}#${i.versionId}`).sort();
  expect(ids).to.deep.equal(versions.map((v) => `${v.key}#${v.versionId}`).sort());
  for (const item of items) expect(FILE_TERMINAL_STATUSES, `${item.key} is ${item.status}`).to.include(item.status);
  return items;
}

/** Silver and quarantine keys equal the oracle's over every version recorded for the dataset. */
export async function expectOracle(runtime: LocalRuntime, dataset: string): Promise<void> {
  const spec = getDataset(dataset);
  const files = runtime.versions
    .all()
    .filter((v) => v.key.startsWith(spec.prefix))
    .map((v) => ({ key: v.key, content: readFileSync(runtime.versions.bytesPath(v.versionId), "utf8") }));
  const expected = expectedState(spec, files);
  const key = spec.primaryKey[0];
  const session = await openQuerySession(runtime.paths.root);
  try {
    const silver = session.tables.includes(spec.target.table)
      ? (await session.query(`SELECT CAST(${key} AS VARCHAR) FROM ${spec.target.table} ORDER BY 1`)).rows.map((r) => String(r[0])).sort()
      : [];
    const qTable = `quarantine_${dataset}`;
    const quarantine = session.tables.includes(qTable)
      ? (await session.query(`SELECT CAST(${key} AS VARCHAR) FROM ${qTable} ORDER BY 1`)).rows.map((r) => String(r[0])).sort()
      : [];
    expect(silver, `${dataset} silver keys`).to.deep.equal([...expected.silverKeys].sort());
    expect(quarantine, `${dataset} quarantine keys`).to.deep.equal([...expected.quarantineKeys].sort());
  } finally {
    session.close();
  }
}
