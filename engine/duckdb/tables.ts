// The table IO of a DuckDB run: read_table (published state / committed bronze), stage (write
// to the run's staging directory, or adopt what read_files wrote there, and read it back), the
// publish's journal (the staged files' moves and pointers, in the plan's publish order: made by
// publish-journal.ts) and discard. Layout: workspace.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import type { AuditQuery, LoadPlan, MergeStep, ReadTableStep, StageStep, TableRole } from "../plan";
import { writtenKeysCheck } from "../audits";
import { DIALECTS } from "../dialects";
import { createEmptyTable, fileList, ident, lit, PARQUET_OPTIONS, type Session } from "./session";
import {
  bronzeFilesDir,
  parquetFiles,
  readPointer,
  readVersionMeta,
  safeName,
  stagingDir,
  zoneDir,
  type VersionMeta,
} from "./workspace";
import type { PublishJournal, TableMove } from "./publish-journal";
import { ledgerKey, type BronzeTarget } from "./read-files";
import { currentSegments, KEYS_FILE, segmentsScan, shouldCompact, type Segmented } from "./segments";

type MergedRole = "state" | "silver" | "quarantine";

/** Rows of each merged table's staged version (the run's audited totals: summary counts). */
export type StagedRows = Record<MergedRole, number>;

interface Staged {
  role: TableRole;
  /** Directory (replace tables) or files (append tables) written under staging. */
  dir?: string;
  files: string[];
  rows: number;
  /** The relation the files hold. */
  from: string;
  /** Set when the staged data is a new segment on top of the published version's. */
  segments?: Segmented;
}

export class TableStore {
  private readonly staged = new Map<TableRole, Staged>();
  /** One per merge step, in step order: its writtenKeysCheck (plan.ts MergeStep `written`). */
  readonly mergeChecks: AuditQuery[] = [];
  readonly staging: string;

  constructor(
    private readonly session: Session,
    private readonly ws: string,
    private readonly plan: LoadPlan,
    private readonly runId: string,
    readonly version: string,
  ) {
    this.staging = stagingDir(ws, plan.dataset, runId);
  }

  /**
   * Why this run cannot change the published tables per key (then it rebuilds them: a full
   * refresh), or null. Merges apply the batch's changes to the published state, silver and
   * quarantine, so they must have been built by this plan (fingerprint) and stand at one version
   * (a rollback moves all three, state first: one interrupted before silver leaves them apart).
   */
  rebuildReason(): string | null {
    const dir = this.tableDir("state");
    const pointer = readPointer(dir);
    if (!pointer) return null;
    const fingerprint = readVersionMeta(dir, pointer.version)?.fingerprint;
    if (fingerprint !== this.plan.fingerprint) {
      return `the published tables were built by another plan (${fingerprint ?? "unrecorded"} -> ${this.plan.fingerprint})`;
    }
    const moved = (["silver", "quarantine"] as const).filter((role) => readPointer(this.tableDir(role))?.version !== pointer.version);
    return moved.length > 0 ? `${moved.join(" and ")} not at the state's version ${pointer.version} (rolled back)` : null;
  }

  /** True once a run published the dataset's tables (its state has a version). */
  hasPublished(): boolean {
    return readPointer(this.tableDir("state")) !== null;
  }

  /** Published directory of a replace table (versions + pointer inside). */
  tableDir(role: MergedRole): string {
    const zone = role;
    const name = role === "silver" ? this.plan.tables.silver.name : this.plan.dataset;
    return zoneDir(this.ws, zone, name);
  }

  /** (key, version) of every object version already in bronze. */
  async loadLedger(): Promise<Set<string>> {
    const files = parquetFiles(bronzeFilesDir(this.ws, this.plan.dataset));
    if (files.length === 0) return new Set();
    const rows = await this.session.rows(`SELECT DISTINCT _source_key, _source_version FROM read_parquet(${fileList(files)})`);
    return new Set(rows.map((r) => ledgerKey(String(r._source_key), String(r._source_version))));
  }

  async readTable(step: ReadTableStep): Promise<void> {
    const scans = { state: () => this.publishedScan("state"), files: () => this.ledgerScan(), bronze: () => this.bronzeScan(), rejects: () => this.rejectsScan() };
    const scan = await scans[step.table]();
    if (scan === null) await createEmptyTable(this.session, step.output, this.plan.tables[step.table].columns);
    else await this.session.run(`CREATE OR REPLACE TEMP VIEW ${step.output} AS SELECT * FROM ${scan}`);
  }

  /** Every committed bronze row as a FROM item, or null when there is none. */
  private async bronzeScan(): Promise<string | null> {
    const files = committedBronzeFiles(this.ws, this.plan.dataset);
    return files.length > 0 ? this.projected("bronze", `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)`) : null;
  }

  /** Every committed rejects row (its files move into the zone at publish), or null. */
  private async rejectsScan(): Promise<string | null> {
    const files = parquetFiles(zoneDir(this.ws, "rejects", this.plan.dataset));
    return files.length > 0 ? this.projected("rejects", `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)`) : null;
  }

  /** Every committed files-ledger row as a FROM item (older runs' files read `_received_at` as NULL), or null. */
  private async ledgerScan(): Promise<string | null> {
    const files = parquetFiles(bronzeFilesDir(this.ws, this.plan.dataset));
    return files.length > 0 ? this.projected("files", `read_parquet(${fileList(files)}, union_by_name = true)`) : null;
  }

  /** The published version of a merged table as a FROM item, or null when it has none. */
  private async publishedScan(role: MergedRole): Promise<string | null> {
    const dir = this.tableDir(role);
    const seg = currentSegments(dir);
    const scan = seg && segmentsScan(seg, (data) => path.join(dir, data));
    return scan ? this.projected(role, scan) : null;
  }

  /**
   * A FROM item with exactly the plan's columns: files written before a column was added to the
   * spec read it as NULL instead of failing the run (union_by_name lines up differing files).
   */
  private async projected(role: TableRole, scan: string): Promise<string> {
    const present = new Set(
      (await this.session.rows(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${scan})`)).map((r) => String(r.column_name)),
    );
    const cols = this.plan.tables[role].columns.map((c) =>
      present.has(c.name) ? ident(c.name) : `CAST(NULL AS ${DIALECTS.duckdb.sqlType(c.type)}) AS ${ident(c.name)}`,
    );
    return `(SELECT ${cols.join(", ")} FROM ${scan})`;
  }

  /** Where read_files writes bronze rows while reading them (see engine/duckdb/read-files.ts). */
  bronzeTarget(): BronzeTarget {
    return { dir: path.join(this.staging, "bronze"), stem: safeName(this.runId) };
  }

  /**
   * Take files already written to a table's staging directory as that table's staged data, for
   * a later stage step whose `from` is `relation` (read_files wrote bronze while reading).
   */
  adopt(role: TableRole, relation: string, files: string[], rows: number): void {
    this.staged.set(role, { role, dir: path.join(this.staging, role), files, rows, from: relation });
  }

  async stage(step: StageStep): Promise<number> {
    const select = `SELECT * FROM ${step.from}`;
    const adopted = this.staged.get(step.table);
    if (adopted) {
      if (adopted.from !== step.from) throw new Error(`${step.table} is already staged from ${adopted.from}, not ${step.from}`);
      await this.registerStaged(step.output, adopted.files, select);
      return adopted.rows;
    }
    // Bronze rows are written while they are read, never from a relation (see adopt()).
    if (step.table === "bronze") throw new Error("bronze must be staged by read_files (TableStore.adopt) before its stage step");
    const written = await this.write(step.table, step.from, select);
    await this.registerStaged(step.output, written.files, select);
    if (step.written) await this.registerWhole(step.written, step.output);
    return written.rows;
  }

  /** `written` of a table written whole: every row of the new version is the run's. */
  private async registerWhole(written: string, output: string): Promise<void> {
    await this.session.run(`CREATE OR REPLACE TEMP VIEW ${written} AS SELECT * FROM ${output}`);
  }

  /**
   * A merge step (plan.ts MergeStep). Usually a new segment (engine/duckdb/segments.ts): the
   * upserted rows and the keys the step touches, on top of the published version's segments, so
   * the batch writes what it changed; `written` reads the segment's rows back. When the version
   * has too many segments (or changed rows), or there is none yet, the table is written whole:
   * the published rows no change names, then the changes that are not removals; `written` is
   * then the whole table. The new version's rows are not counted here: the plan's totals step
   * counts them once (run-load.ts passes them to publish).
   */
  async merge(step: MergeStep): Promise<number> {
    const table = this.plan.tables[step.table];
    const cols = table.columns.map((c) => ident(c.name));
    const dir = this.tableDir(step.table);
    const prev = currentSegments(dir);
    const upserted = `SELECT ${cols.map((c) => `s.${c}`).join(", ")} FROM ${step.from} s${step.delete ? ` WHERE NOT COALESCE(s.${ident(step.delete)}, FALSE)` : ""}`;
    // Counted only when there is a choice to make: the count evaluates `from` (a join of the
    // run's changes) once more, and a first load writes everything anyway.
    const upserts = prev ? Number((await this.session.rows(`SELECT COUNT(*) AS n FROM (${upserted})`))[0].n) : 0;
    if (!prev || shouldCompact(prev, upserts)) {
      const published = await this.publishedScan(step.table);
      const matches = step.on.map((o) => `${o.target} = s.${ident(o.source)}`).join(" AND ");
      // The changed keys as a table first: NOT EXISTS over the view of the changes, correlated
      // on a key expression (quarantine's parsed raw key), took 16 s to compact 20,000
      // quarantine rows (`npm run bench -- engine`, every third batch); over a plain table of
      // the keys the whole batch takes under 1 s.
      const changedKeys = `${step.output}_changed_keys`;
      if (published) {
        await this.session.run(`CREATE OR REPLACE TEMP TABLE ${changedKeys} AS SELECT DISTINCT ${step.on.map((o) => ident(o.source)).join(", ")} FROM ${step.from}`);
      }
      const kept = published && `SELECT ${cols.map((c) => `t.${c}`).join(", ")} FROM ${published} t WHERE NOT EXISTS (SELECT 1 FROM ${changedKeys} s WHERE ${matches})`;
      const select = kept ? `${kept} UNION ALL ${upserted}` : upserted;
      const written = await this.write(step.table, step.from, select);
      await this.registerStaged(step.output, written.files, `SELECT * FROM (${select}) q`);
      await this.registerWhole(step.written, step.output);
      // Kept rows are those of keys the batch did not name, so an upserted row whose key is not
      // among the named ones would sit beside its older row: checked as on a segment. Counted
      // now: `from` reads tables of the run dropped after their last step (last-reads.ts).
      const check = writtenKeysCheck(step, published ? { rows: `(${upserted})`, keys: changedKeys } : null, ident);
      if (published) {
        await this.session.run(`CREATE OR REPLACE TEMP TABLE ${step.output}_written_keys AS ${check.sql}`);
        check.sql = `SELECT violations FROM ${step.output}_written_keys`;
      }
      this.mergeChecks.push(check);
      return written.rows;
    }
    const written = await this.write(step.table, step.from, upserted);
    const keys = step.on.map((o) => `s.${ident(o.source)}`).join(", ");
    const keysFile = path.join(written.dir, KEYS_FILE);
    await this.session.run(`COPY (SELECT ${keys} FROM ${step.from} s) TO ${lit(keysFile)} (${PARQUET_OPTIONS})`);
    await this.registerStaged(step.written, written.files, `SELECT * FROM (${upserted}) q`);
    // The segment's rows and keys files, matched as every later read of the table matches them.
    this.mergeChecks.push(writtenKeysCheck(step, { rows: step.written, keys: `read_parquet(${fileList([keysFile])})` }, ident));
    const segmented: Segmented = {
      segments: [...prev.segments, { data: this.version, rows: upserts, keys: true }],
      keyMatch: step.on,
    };
    const staged = this.staged.get(step.table)!;
    staged.segments = segmented;
    const scan = segmentsScan(segmented, (data) => (data === this.version ? written.dir : path.join(dir, data)));
    const whole = scan ? await this.projected(step.table, scan) : null;
    await this.session.run(
      whole
        ? `CREATE OR REPLACE TEMP VIEW ${step.output} AS SELECT * FROM ${whole}`
        : `CREATE OR REPLACE TEMP TABLE ${step.output} AS ${upserted} LIMIT 0`,
    );
    return upserts;
  }

  /** Writes `select` as the table's staged data (registered by the caller). */
  private async write(role: TableRole, from: string, select: string): Promise<{ dir: string; files: string[]; rows: number }> {
    const dir = path.join(this.staging, role);
    fs.mkdirSync(dir, { recursive: true });
    const copy = (target: string, opts = "") =>
      this.session.run(`COPY (${select}) TO ${lit(target)} (${PARQUET_OPTIONS}${opts})`);
    let rows = 0;
    const table = this.plan.tables[role];
    if (table.partitionBy.length > 0) {
      const parts = table.partitionBy.map(ident).join(", ");
      rows = await copy(dir, `, PARTITION_BY (${parts}), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true`);
      if (rows === 0) await copy(path.join(dir, "data_0.parquet"));
    } else {
      const name = table.writeMode === "append" ? `${safeName(this.runId)}.parquet` : "data.parquet";
      rows = await copy(path.join(dir, name));
    }
    const files = parquetFiles(dir);
    this.staged.set(role, { role, dir, files, rows, from });
    return { dir, files, rows };
  }

  /**
   * `output` reads back exactly the staged files (an empty table of `select`'s shape when none).
   * Never a view over `select`: run-load.ts drops a plan relation after its last plan reader, and
   * audits read `output` later.
   */
  private async registerStaged(output: string, files: string[], select: string): Promise<void> {
    if (files.length === 0) {
      await this.session.run(`CREATE OR REPLACE TEMP TABLE ${output} AS ${select} WHERE 1 = 0`);
    } else {
      await this.session.run(
        `CREATE OR REPLACE TEMP VIEW ${output} AS SELECT * FROM read_parquet(${fileList(files)}, hive_partitioning = false)`,
      );
    }
  }

  /**
   * The publish of the staged tables as a journal (engine/duckdb/publish-journal.ts): every move,
   * in the plan's publish order, decided now; `rows`: the merged tables' totals.
   */
  journal(publishedAt: string, rows: StagedRows): PublishJournal {
    const rel = (p: string) => path.relative(this.ws, p);
    const moves: TableMove[] = [];
    for (const role of this.plan.publish.order) {
      const staged = this.staged.get(role);
      if (!staged) continue;
      if (role === "state" || role === "silver" || role === "quarantine") {
        moves.push({ role, version: { from: rel(staged.dir!), dir: rel(this.tableDir(role)), meta: this.versionMeta(role, staged, rows[role], publishedAt) } });
        continue;
      }
      const dest =
        role === "bronze"
          ? zoneDir(this.ws, "bronze", this.plan.dataset)
          : role === "files"
            ? bronzeFilesDir(this.ws, this.plan.dataset)
            : zoneDir(this.ws, "rejects", this.plan.dataset);
      // An empty append adds nothing, except the first rejects file: it gives the
      // rejects_<dataset> query view its columns before any row was rejected.
      const keepEmpty = role === "rejects" && parquetFiles(dest).length === 0;
      const files = staged.rows === 0 && !keepEmpty ? [] : staged.files;
      moves.push({ role, files: files.map((file) => ({ from: rel(file), to: rel(path.join(dest, path.relative(staged.dir!, file))) })) });
    }
    return { dataset: this.plan.dataset, runId: this.runId, publishedAt, moves };
  }

  private versionMeta(role: MergedRole, staged: Staged, rows: number, publishedAt: string): VersionMeta {
    return {
      version: this.version,
      dataset: this.plan.dataset,
      table: this.plan.tables[role].name,
      runId: this.runId,
      rows,
      createdAt: publishedAt,
      fingerprint: this.plan.fingerprint,
      // A version written whole is its own single segment.
      segments: staged.segments?.segments ?? [{ data: this.version, rows: staged.rows, keys: false }],
      ...(staged.segments?.keyMatch ? { keyMatch: staged.segments.keyMatch } : {}),
    };
  }

  discard(): void {
    fs.rmSync(this.staging, { recursive: true, force: true });
    // Drop the empty per-dataset and _staging parents too, so a settled workspace is clean.
    for (const dir of [path.dirname(this.staging), path.dirname(path.dirname(this.staging))]) {
      try {
        fs.rmdirSync(dir);
      } catch {
        break; // not empty (another dataset is loading) or already gone
      }
    }
  }
}

/** Committed bronze files of a dataset (the `_files` ledger directory excluded). */
export function committedBronzeFiles(ws: string, dataset: string): string[] {
  const dir = zoneDir(ws, "bronze", dataset);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith("_data_date="))
    .flatMap((n) => parquetFiles(path.join(dir, n)));
}
