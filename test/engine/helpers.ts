// Test workspace for the DuckDB executor: small inline files in a temp dir, manifests built the
// way file-arrival builds them, and assertions shared by the engine tests.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { getDataset, type DatasetSpec } from "../../datasets";
import type { Manifest, ManifestFile, RunSummary } from "../../engine/contracts";
import { openQuerySession, runLoad, type RunLoadOptions } from "../../engine/duckdb";
import { openSession } from "../../engine/duckdb/session";

export const ORDERS_HEADER = "Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts";

/** One orders CSV line: op, id, ts offset (seconds after a base time), status, amount. */
export function orderRow(op: string, id: number | string, cdcTs: string, status = "paid", amount = "10.00"): string {
  return `${op},${id},100,2026-11-01 09:00:00,${status},${amount},${cdcTs}`;
}

export interface FileOptions {
  versionId?: string | null;
  receivedAt?: string;
  /** Object key; default `<prefix><name>`. */
  key?: string;
  /** File name under landing/, exactly; default `<n>-<name>` (unique per workspace). */
  localName?: string;
  /** The S3 event's sequencer; default the file's number in this workspace, zero-padded. */
  sequencer?: string;
}

export type LoadOptions = Pick<RunLoadOptions, "fullRefresh" | "extraAudits" | "editPlan" | "signal" | "beforePublish" | "onProgress" | "memoryLimit" | "threads">;

export class TestWorkspace {
  readonly dir: string;
  private runs = 0;
  private files = 0;

  /** `prefix`: of the temp directory's name (a test may need odd characters in the path); `dir`: an exact directory instead. */
  constructor(prefix = "engine-test-", dir?: string) {
    this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.mkdirSync(this.dir, { recursive: true });
  }

  /** Write a landing file and return its manifest entry. */
  file(dataset: string | DatasetSpec, name: string, content: string | Buffer, opts: FileOptions = {}): ManifestFile {
    const spec = typeof dataset === "string" ? getDataset(dataset) : dataset;
    const key = opts.key ?? `${spec.prefix}${name}`;
    ++this.files;
    const local = path.join(this.dir, "landing", opts.localName ?? `${this.files}-${name}`);
    fs.mkdirSync(path.dirname(local), { recursive: true });
    fs.writeFileSync(local, content);
    const bytes = fs.readFileSync(local);
    const versionId = opts.versionId === undefined ? `ver-${crypto.createHash("md5").update(bytes).digest("hex").slice(0, 12)}` : opts.versionId;
    return {
      fileId: `landing/${key}#${versionId ?? "etag"}`,
      bucket: "landing",
      key,
      versionId,
      etag: crypto.createHash("md5").update(bytes).digest("hex"),
      sequencer: opts.sequencer ?? String(this.files).padStart(16, "0"),
      size: bytes.length,
      receivedAt: opts.receivedAt ?? "2026-11-21T08:00:00.000Z",
      localPath: local,
    };
  }

  async load(dataset: string | DatasetSpec, files: ManifestFile[], opts: LoadOptions = {}): Promise<RunSummary> {
    const spec = typeof dataset === "string" ? getDataset(dataset) : dataset;
    const manifest: Manifest = {
      version: 1,
      dataset: spec.name,
      runId: `run-${String(++this.runs).padStart(3, "0")}`,
      createdAt: "2026-11-21T08:00:00.000Z",
      files,
    };
    return runLoad({ workspace: this.dir, spec, manifest, threads: 1, memoryLimit: "512MB", ...opts });
  }

  /** Rows of a query over the workspace's views, as objects. */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    const session = await openQuerySession(this.dir, { threads: 1 });
    try {
      const { columns, rows } = await session.query(sql);
      return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    } finally {
      session.close();
    }
  }

  async tables(): Promise<string[]> {
    const session = await openQuerySession(this.dir, { threads: 1 });
    session.close();
    return session.tables;
  }

  /** Row count of a zone's parquet files (bronze, rejects...), 0 when there are none. */
  async countParquet(relDir: string): Promise<number> {
    const files = listFiles(path.join(this.dir, relDir)).filter((f) => f.endsWith(".parquet") && !f.includes("/_files/"));
    if (files.length === 0) return 0;
    const s = await openSession({ threads: 1 });
    try {
      const [row] = await s.rows(`SELECT COUNT(*) AS n FROM read_parquet([${files.map((f) => `'${f}'`).join(", ")}])`);
      return Number(row.n);
    } finally {
      s.close();
    }
  }

  /** sha256 of every file under the published zones: proves "byte-for-byte unchanged". */
  snapshot(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const zone of ["bronze", "state", "silver", "quarantine", "rejects"]) {
      for (const f of listFiles(path.join(this.dir, zone))) {
        out[path.relative(this.dir, f)] = crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
      }
    }
    return out;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(full) : [full];
  }).sort();
}

/** The run succeeded and every row is accounted for, per file and per run. */
export function expectConserved(summary: RunSummary): void {
  expect(summary.status, summary.error).to.equal("SUCCEEDED");
  for (const f of summary.files) {
    expect(f.rowsRead, `${f.key}: read = loaded + quarantined + rejected`).to.equal(f.rowsLoaded + f.rowsQuarantined + f.rowsRejected);
    expect(f.rowsLoaded, `${f.key}: loaded`).to.be.at.least(0);
  }
  const c = summary.counts;
  expect(c.rowsRead).to.equal(summary.files.reduce((s, f) => s + f.rowsRead, 0));
  const loadedRows = summary.files.filter((f) => f.outcome === "LOADED").reduce((s, f) => s + f.rowsRead, 0);
  expect(c.bronzeRows, "bronze rows = rows of loaded files").to.equal(loadedRows);
  expect(c.currentRows, "current = silver + quarantine").to.equal(c.silverRows + c.quarantineRows);
  expect(summary.audits.every((a) => a.passed)).to.equal(true);
}

export function fileResult(summary: RunSummary, key: string) {
  const f = summary.files.find((x) => x.key === key);
  if (!f) throw new Error(`no file result for ${key} in ${JSON.stringify(summary.files)}`);
  return f;
}
