// buildModel: one build of one semantic model (a ModelPlan, engine/models/plan.ts) against a local
// workspace, with write-audit-publish per table: the new table is written to staging, audited as
// `staged`, and moved into place only when every audit passed. A failed audit or an error
// publishes nothing: the previous version stays current and its readers keep reading it.
//
//   <ws>/semantic/<model>/<version>/data.parquet      versions (v000001...): a full build writes
//                                                     the complete table; an incremental one, as
//                                                     loads do for silver, only the rows it
//                                                     recomputed + _keys.parquet, a segment on
//                                                     top of the previous version (segments.ts)
//   <ws>/semantic/<model>/<version>/_version.json     meta: run id, rows, audit results, plan
//                                                     fingerprint, consumed runs per input
//   <ws>/semantic/<model>/_current.json                pointer (atomic rename, workspace.ts)
//   <ws>/_staging/semantic/<model>/<runId>/            a build's unpublished table
//   <ws>/ops/summaries/semantic/<model>/<runId>.json  build summaries
//
// The table is not partitioned locally (plan.partitionBy is the Iceberg layout on AWS): a
// segment holds the rows of any date a batch touched, so partition folders would only add files.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DatasetSpec } from "../../datasets/define";
import { compilePlan } from "../compile";
import type { AuditResult, ModelRunSummary } from "../contracts";
import { DIALECTS } from "../dialects";
import { modelPlanFingerprint } from "../models/fingerprint";
import { sourceSpecEdit } from "../models/source-specs";
import { AUDIT_TOTALS_RELATION, AUDITED_RELATION, CONSUMED_RELATION, PREVIOUS_RELATION, STAGED_RELATION, type ModelInput, type ModelPlan } from "../models/plan";
import { hmacPads, PII_KEY_RELATION, workspacePiiKey } from "../pii-key";
import type { PlanColumn } from "../plan";
import { REPO_ROOT } from "../repo-root";
import { changedRowsScans, currentSegments, KEYS_FILE, segmentsScan, shouldCompact, versionSegments, type Segmented } from "./segments";
import { createEmptyTable, fileList, ident, lit, openSession, PARQUET_OPTIONS, type Session, type SessionPool } from "./session";
import { pinDataset, type DatasetPin } from "./dataset-pin";
import { fsyncTree } from "./durable";
import {
  duckdbTempDir,
  nextVersion,
  parquetFiles,
  pruneVersions,
  readPointer,
  keepVersions,
  readVersionMeta,
  removeEmptyParents,
  safeName,
  writeJsonAtomic,
  writePointer,
  zoneDir,
  type VersionMeta,
} from "./workspace";

export const modelDir = (ws: string, model: string): string => zoneDir(ws, "semantic", model);
const modelStagingDir = (ws: string, model: string, runId: string): string => path.join(ws, "_staging", "semantic", model, safeName(runId));
export const modelSummaryPath = (ws: string, model: string, runId: string): string =>
  path.join(ws, "ops", "summaries", "semantic", model, `${safeName(runId)}.json`);

export interface ModelVersionMeta extends VersionMeta {
  model: string;
  audits: AuditResult[];
  /** modelPlanFingerprint of the plan that built it. */
  fingerprint?: string;
  /** Per bronze input relation, the `_run_id`s it held at the build (plan.ts header). */
  consumed?: Record<string, string[]>;
  /** Per semantic input of another model, the version it read (plan.ts header, step d). */
  read?: Record<string, string>;
  /** Per silver input dataset, the load-plan fingerprint of the silver version it read. */
  silverPlans?: Record<string, string>;
}

export interface BuildModelOptions {
  /** Dataset specs the plan's bronze / silver inputs name (their load plans give the columns). */
  datasets: readonly DatasetSpec[];
  /** Build from scratch: the model's previous version is registered empty. @default false */
  fullRefresh?: boolean;
  /** @default a new id `build-<time>-<random>` */
  runId?: string;
  memoryLimit?: string;
  threads?: number;
  /**
   * The instance a build of several models shares (session.ts SessionPool; its memory, threads
   * and spill folder are the pool's): the model builds on a connection of it. @default an
   * instance of its own, closed after the build
   */
  sessions?: SessionPool;
  /** How long to wait for a load that is publishing an input dataset. @default PUBLISH_WAIT_MS (dataset-pin.ts) */
  publishWaitMs?: number;
  /** A test seam: awaited before each input is registered (the race tests load a dataset there). */
  beforeInput?: (input: ModelInput) => Promise<void>;
}

/** A build's summary (engine/contracts.ts ModelRunSummary, the model job writes the same) and where its time went. */
export interface ModelBuildResult extends ModelRunSummary {
  /** Where the time went, ms: inputs registered (and consumed runs), steps + write, audits. */
  phasesMs?: { inputs: number; build: number; audits: number };
}

export function newBuildRunId(now = new Date()): string {
  return `build-${now.toISOString().replace(/[-:.]/g, "").replace("T", "-")}-${randomBytes(3).toString("hex")}`;
}

export async function buildModel(workspace: string, plan: ModelPlan, options: BuildModelOptions): Promise<ModelBuildResult> {
  if (plan.dialect !== "duckdb") throw new Error(`model ${plan.model}: buildModel runs duckdb plans, got a ${plan.dialect} plan`);
  keepVersions(); // checked before the publish that prunes by it (run-load.ts)
  const runId = options.runId ?? newBuildRunId();
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const dir = modelDir(workspace, plan.model);
  const staging = modelStagingDir(workspace, plan.model, runId);
  // A build on a shared instance spills into the pool's folder (build-models.ts), which removes it.
  const spill = options.sessions ? undefined : path.join(duckdbTempDir(workspace), `${plan.model}-${safeName(runId)}`);
  const result: ModelBuildResult = {
    model: plan.model,
    runId,
    status: "FAILED",
    startedAt,
    finishedAt: startedAt,
    durationMs: 0,
    rows: null,
    audits: [],
    version: null,
    currentVersion: readPointer(dir)?.version ?? null,
  };
  const fingerprint = modelPlanFingerprint(plan);
  let base = incrementalBase(workspace, plan, fingerprint, options.fullRefresh ?? false);
  const read: Record<string, string> = {};
  const session = options.sessions
    ? await options.sessions.session()
    : await openSession({ memoryLimit: options.memoryLimit, threads: options.threads, tempDirectory: spill });
  try {
    // Builds of a model never overlap (the workspace lock; local mode builds one at a time):
    // anything under its staging folder is a crashed build's leftover.
    fs.rmSync(path.dirname(staging), { recursive: true, force: true });
    let mark = Date.now();
    const lap = () => -mark + (mark = Date.now());
    const pins = await pinDatasets(workspace, plan, options);
    const edited = editedSource(workspace, plan, pins);
    if (edited) throw new Error(edited);
    const silverPlans = silverFingerprints(workspace, plan, pins, options.datasets);
    const relabelled = base.meta ? changedSilverPlan(base.meta, silverPlans) : undefined;
    if (relabelled) base = { meta: null, reason: relabelled };
    for (const input of plan.inputs) {
      await options.beforeInput?.(input);
      await registerInput(session, workspace, plan, input, options, base.meta, read, pins);
    }
    const consumed = isIncremental(plan) ? await consumedRuns(session, plan) : undefined;
    const gone = base.meta && consumed ? goneRuns(base.meta.consumed ?? {}, consumed) : undefined;
    if (gone) {
      // Runs the previous version read left bronze (`datalake rollback` set them aside): their
      // changes are in kept rows that no new run touches, so only a full rebuild drops them.
      base = { meta: null, reason: gone };
      for (const input of plan.inputs) {
        // A relation may change kind (the previous version's view becomes an empty table).
        for (const kind of ["VIEW", "TABLE"]) await session.run(`DROP ${kind} IF EXISTS ${ident(input.relation)}`).catch(() => undefined);
        await registerInput(session, workspace, plan, input, options, null, read, pins);
      }
    }
    for (const input of plan.inputs) if (input.zone === "runs") await registerRunPairs(session, ident(input.relation), consumed ?? {});
    if (isIncremental(plan)) Object.assign(result, { mode: base.meta ? "incremental" : "full", ...(base.reason ? { modeReason: base.reason } : {}) });
    if (usesPiiKey(plan)) await registerPiiKey(session, workspace);
    const inputsMs = lap();
    for (const step of plan.steps) {
      await session.run(`CREATE OR REPLACE TEMP ${step.materialize === "table" ? "TABLE" : "VIEW"} ${ident(step.name)} AS ${step.sql}`);
    }
    fs.mkdirSync(staging, { recursive: true });
    // Builds of a model never overlap (above): the next version number is this build's.
    const version = nextVersion([dir]);
    const prev = base.meta ? versionSegments(dir, base.meta.version) : null;
    const written = await writeTable(session, plan, { dir, staging, version, prev });
    if (plan.recomputed) result.recomputedRows = Number((await session.rows(`SELECT COUNT(*) AS n FROM ${ident(plan.recomputed)}`))[0].n);
    const buildMs = lap();
    result.rows = await stagedRows(session, plan, written.rows);
    // Only a table written whole has its rows counted by the write: then `audited` is `staged`.
    result.audits = await runModelAudits(session, plan, written.rows !== null);
    result.phasesMs = { inputs: inputsMs, build: buildMs, audits: lap() };
    const failed = result.audits.filter((a) => !a.passed);
    if (failed.length > 0) {
      result.error = `audit failed, nothing published: ${failed.map((a) => `${a.name} (${a.detail ?? `${a.violations} violation(s)`})`).join("; ")}`;
    } else {
      result.version = publish(dir, staging, plan, { version, runId, rows: result.rows, segmented: written.segmented }, result.audits, {
        fingerprint,
        ...(consumed ? { consumed, read, silverPlans } : {}),
      });
      result.currentVersion = result.version;
      result.status = "SUCCEEDED";
    }
  } catch (e) {
    result.error = firstLine((e as Error).message);
  } finally {
    session.close();
    fs.rmSync(staging, { recursive: true, force: true });
    if (spill) fs.rmSync(spill, { recursive: true, force: true });
    removeEmptyParents(staging, path.join(workspace, "_staging"));
  }
  result.finishedAt = new Date().toISOString();
  result.durationMs = Date.now() - t0;
  writeJsonAtomic(modelSummaryPath(workspace, plan.model, runId), result);
  return result;
}

interface Written {
  /** Rows of the new table, when the write counted them (a whole table's COPY does). */
  rows: number | null;
  segmented: Segmented;
}

/**
 * Materializes the plan's `totals` as `audit_totals` (plan.ts) and returns the new table's row
 * count: the write's, else `totals.staged_rows`, else a count of `staged` (a segment on top of the
 * previous version is counted through it, a pass over the whole table: done once).
 */
async function stagedRows(session: Session, plan: ModelPlan, written: number | null): Promise<number> {
  if (plan.totals) {
    await session.run(`CREATE OR REPLACE TEMP TABLE ${AUDIT_TOTALS_RELATION} AS ${plan.totals}`);
    if (written === null) return Number((await session.rows(`SELECT staged_rows AS n FROM ${AUDIT_TOTALS_RELATION}`))[0].n);
  }
  return written ?? Number((await session.rows(`SELECT COUNT(*) AS n FROM ${STAGED_RELATION}`))[0].n);
}

/**
 * Writes the new table to `staging` and registers it as `staged`, and the rows written as
 * `audited` (plan.ts, step 4). An incremental build of a plan with a `delta` adds a segment on top
 * of the previous version (segments.ts: the recomputed rows and the keys they replace), so a batch
 * writes what it changed; a version due for compaction (too many segments or replaced rows), and
 * any other build, is written whole and audited whole.
 */
async function writeTable(
  session: Session,
  plan: ModelPlan,
  at: { dir: string; staging: string; version: string; prev: Segmented | null },
): Promise<Written> {
  const cols = plan.columns.map((c) => ident(c.name)).join(", ");
  const file = path.join(at.staging, "data.parquet");
  const register = (relation: string, sql: string) => session.run(`CREATE OR REPLACE TEMP VIEW ${relation} AS ${sql}`);
  if (plan.delta && at.prev) {
    const rows = `SELECT ${cols} FROM (${plan.delta.rows}) d`;
    const upserts = Number((await session.rows(`SELECT COUNT(*) AS n FROM (${rows}) r`))[0].n);
    if (!shouldCompact(at.prev, upserts)) {
      await session.run(`COPY (${rows}) TO ${lit(file)} (${PARQUET_OPTIONS})`);
      const replaced = await session.run(`COPY (${plan.delta.keys}) TO ${lit(path.join(at.staging, KEYS_FILE))} (${PARQUET_OPTIONS})`);
      // A build that changed nothing adds no segment (else idle builds would force compactions).
      const own = upserts > 0 || replaced > 0 ? [{ data: at.version, rows: upserts, keys: true }] : [];
      const segmented: Segmented = {
        segments: [...at.prev.segments, ...own],
        keyMatch: plan.delta.keyColumns.map((c) => ({ target: `t.${ident(c)}`, source: c })),
      };
      const scan = segmentsScan(segmented, (data) => (data === at.version ? at.staging : path.join(at.dir, data)));
      await register(STAGED_RELATION, scan ? `SELECT * FROM ${scan}` : `${rows} LIMIT 0`);
      await register(AUDITED_RELATION, `SELECT * FROM read_parquet(${fileList([file])})`);
      return { rows: null, segmented };
    }
  }
  const rows = await session.run(`COPY (SELECT ${cols} FROM ${ident(plan.output)}) TO ${lit(file)} (${PARQUET_OPTIONS})`);
  await register(STAGED_RELATION, `SELECT * FROM read_parquet(${fileList([file])})`);
  await register(AUDITED_RELATION, `SELECT * FROM ${STAGED_RELATION}`);
  return { rows, segmented: { segments: [{ data: at.version, rows, keys: false }] } };
}

/** Move the staged table into <model>/<version>, write its meta, then flip the pointer. */
function publish(
  dir: string,
  staging: string,
  plan: ModelPlan,
  built: Pick<Written, "segmented"> & { rows: number; version: string; runId: string },
  audits: AuditResult[],
  extra: Pick<ModelVersionMeta, "fingerprint" | "consumed" | "read" | "silverPlans">,
): string {
  const { version, runId, rows } = built;
  const target = path.join(dir, version);
  const publishedAt = new Date().toISOString();
  fs.mkdirSync(dir, { recursive: true });
  // The files on disk before the pointer that publishes them (durable.ts).
  fsyncTree(staging);
  fs.renameSync(staging, target);
  const meta: ModelVersionMeta = {
    version,
    dataset: "",
    model: plan.model,
    table: plan.model,
    runId,
    rows,
    createdAt: publishedAt,
    segments: built.segmented.segments,
    ...(built.segmented.keyMatch ? { keyMatch: built.segmented.keyMatch } : {}),
    audits,
    ...extra,
  };
  writeJsonAtomic(path.join(target, "_version.json"), meta);
  writePointer(dir, { version, runId, publishedAt });
  pruneVersions(dir);
  return version;
}

/**
 * The previous version an incremental build starts from (plan.ts header, step b): none on a full
 * refresh, on the first build, or when a different plan built it (the reason says which).
 */
function incrementalBase(ws: string, plan: ModelPlan, fingerprint: string, fullRefresh: boolean): { meta: ModelVersionMeta | null; reason?: string } {
  if (!isIncremental(plan)) return { meta: null };
  if (fullRefresh) return { meta: null, reason: "full refresh requested" };
  const dir = modelDir(ws, plan.model);
  const current = readPointer(dir)?.version;
  const meta = current ? (readVersionMeta(dir, current) as ModelVersionMeta | null) : null;
  if (!meta) return { meta: null, reason: "no previous version" };
  if (meta.fingerprint !== fingerprint) return { meta: null, reason: `the plan changed since ${current} (fingerprint ${meta.fingerprint ?? "none"} -> ${fingerprint})` };
  for (const input of plan.inputs) {
    if (input.zone !== "semantic_before") continue;
    const version = meta.read?.[input.model];
    if (!version || !readVersionMeta(modelDir(ws, input.model), version)) {
      return { meta: null, reason: `${input.model} ${version ?? "(not recorded)"}, which ${current} was built against, is no longer kept` };
    }
  }
  return { meta };
}

/** Why the build must not run: a dataset it reads has a spec its pinned silver was not built by (source-specs.ts). */
function editedSource(ws: string, plan: ModelPlan, pins: Map<string, DatasetPin>): string | undefined {
  for (const source of plan.sources ?? []) {
    const version = pins.get(source.dataset)?.silver?.version;
    if (!version) continue;
    const edit = sourceSpecEdit(source, readVersionMeta(zoneDir(ws, "silver", source.silverTable), version)?.fingerprint);
    if (edit) return edit;
  }
  return undefined;
}

/** Per silver input dataset, the load-plan fingerprint recorded with the silver version pinned. */
function silverFingerprints(ws: string, plan: ModelPlan, pins: Map<string, DatasetPin>, datasets: readonly DatasetSpec[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const input of plan.inputs) {
    if (input.zone !== "silver") continue;
    const pin = pins.get(input.dataset);
    if (!pin?.silver) continue;
    const table = datasetSpec(plan, input.dataset, datasets).target.table;
    const fingerprint = readVersionMeta(zoneDir(ws, "silver", table), pin.silver.version)?.fingerprint;
    if (fingerprint) out[input.dataset] = fingerprint;
  }
  return out;
}

/**
 * Why the previous version must not be built on: a silver it read has since been rebuilt by
 * another load plan. A dataset spec edit (a rule, a type) makes the next load a full refresh that
 * relabels old rows in silver (quarantine <-> silver) without a new bronze row, so an incremental
 * build would keep fact rows for keys now quarantined and miss the ones healed (a rollback across
 * the edit does the same). A version recorded without the fingerprints decides nothing here.
 */
export function changedSilverPlan(previous: ModelVersionMeta, now: Record<string, string>): string | undefined {
  if (!previous.silverPlans) return undefined;
  // A silver known now and not then (first loaded since) counts too, as on Spark (silver_plan.py).
  for (const [dataset, fingerprint] of Object.entries(now).sort()) {
    const then = previous.silverPlans[dataset];
    if (then === undefined) return `silver ${dataset} has a load plan ${previous.version} did not record (${fingerprint}: first loaded since, or read then without a recorded plan)`;
    if (then !== fingerprint) {
      return `silver ${dataset} was rebuilt by another load plan since ${previous.version} (fingerprint ${then} -> ${fingerprint}: a dataset spec edit)`;
    }
  }
  return undefined;
}

/** A plan that builds on its previous version (plan.ts header): it reads `consumed`. */
const isIncremental = (plan: ModelPlan): boolean => plan.inputs.some((i) => i.zone === "consumed");

/** Why the previous version's consumed runs are not all still in bronze, or undefined when they are. */
export function goneRuns(previous: Record<string, string[]>, current: Record<string, string[]>): string | undefined {
  for (const [relation, runs] of Object.entries(previous)) {
    const now = new Set(current[relation] ?? []);
    const gone = runs.filter((r) => !now.has(r));
    if (gone.length > 0) return `${gone.length} load run(s) it had read are gone from ${relation} (${gone.slice(0, 3).join(", ")}${gone.length > 3 ? ", ..." : ""}: a rollback)`;
  }
  return undefined;
}

/** Per bronze input relation, the distinct `_run_id`s this build reads (plan.ts header, step d). */
async function consumedRuns(session: Session, plan: ModelPlan): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const input of plan.inputs) {
    if (input.zone !== "bronze") continue;
    const rows = await session.rows(`SELECT DISTINCT _run_id AS r FROM ${ident(input.relation)} WHERE _run_id IS NOT NULL ORDER BY 1`);
    out[input.relation] = rows.map((r) => String(r.r));
  }
  return out;
}

/** A (relation, run_id) table of `runs` per bronze relation: the `consumed` and `runs` inputs. */
async function registerRunPairs(session: Session, name: string, runs: Record<string, string[]>): Promise<void> {
  await session.run(`CREATE OR REPLACE TEMP TABLE ${name} (relation VARCHAR, run_id VARCHAR)`);
  const pairs = Object.entries(runs).flatMap(([relation, ids]) => ids.map((r) => `(${lit(relation)}, ${lit(r)})`));
  for (let i = 0; i < pairs.length; i += 1000) await session.run(`INSERT INTO ${name} VALUES ${pairs.slice(i, i + 1000).join(", ")}`);
}

/** Registers one input of the plan under its relation name. */
async function registerInput(
  session: Session,
  ws: string,
  plan: ModelPlan,
  input: ModelInput,
  options: BuildModelOptions,
  base: ModelVersionMeta | null,
  read: Record<string, string>,
  pins: Map<string, DatasetPin>,
): Promise<void> {
  const name = ident(input.relation);
  const view = (scan: string) => session.run(`CREATE OR REPLACE TEMP VIEW ${name} AS SELECT * FROM ${scan}`);
  switch (input.zone) {
    case "bronze":
    case "silver": {
      const load = compilePlan(datasetSpec(plan, input.dataset, options.datasets), { dialect: "duckdb" });
      const table = load.tables[input.zone];
      const pin = pins.get(input.dataset)!;
      const scan = input.zone === "bronze" ? bronzeScan(pin.bronzeFiles) : versionScan(zoneDir(ws, "silver", table.name), pin.silver?.version);
      if (scan === null) await createEmptyTable(session, name, table.columns);
      else await view(await projected(session, scan, table.columns));
      return;
    }
    case "semantic": {
      const own = input.model === plan.model;
      // A full rebuild goes without the model's own previous version: a full refresh, and for an
      // incremental plan also a first build, a changed plan or a lost input version (incrementalBase).
      const hidden = own && (isIncremental(plan) ? !base : options.fullRefresh === true);
      const scan = hidden ? null : publishedScan(modelDir(ws, input.model));
      if (!own && scan !== null) read[input.model] = readPointer(modelDir(ws, input.model))!.version;
      if (scan !== null) return void (await view(scan));
      // A model reads only published tables of other models (buildModels skips it before).
      if (!own) throw new Error(`model ${plan.model}: input ${input.model} has no published version`);
      await createEmptyTable(session, name, plan.columns);
      return;
    }
    case "consumed":
      return registerRunPairs(session, name, base?.consumed ?? {});
    case "runs":
      // Registered once the bronze inputs are and their runs read (plan.ts header, step d).
      return;
    case "pii_key":
      // A dimension over a dataset that hashes an attribute names the key as an input, as the
      // Glue model job reads it (model_executor.py): its attribute is the HMAC silver holds.
      return registerPiiKey(session, ws);
    case "semantic_before":
    case "semantic_after": {
      // Before: the version the previous build read, or (a full rebuild) the current one: no
      // difference. After: the version the model's semantic input reads (registered first). Only
      // compared with each other (plan.ts header), so both narrow to the keys changed in between.
      const mdir = modelDir(ws, input.model);
      const current = read[input.model] ?? readPointer(mdir)?.version;
      const before = base?.read?.[input.model] ?? current;
      const version = input.zone === "semantic_before" ? before : current;
      const folder = (data: string) => path.join(mdir, data);
      const narrowed = base && before && current ? changedRowsScans(versionSegments(mdir, before), versionSegments(mdir, current), folder) : null;
      const scan = narrowed ? (input.zone === "semantic_before" ? narrowed.earlier : narrowed.later) : version ? segmentsScan(versionSegments(mdir, version), folder) : null;
      if (scan === null) throw new Error(`model ${plan.model}: input ${input.model} has no published version`);
      await view(scan);
      return;
    }
    case "file": {
      const file = path.resolve(REPO_ROOT, input.path);
      if (!fs.existsSync(file)) throw new Error(`model ${plan.model}: input file ${input.path} does not exist`);
      // Strings only, as the contract says: the compiler types the columns itself.
      await view(`read_csv(${fileList([file])}, header = true, all_varchar = true)`);
      return;
    }
    default: {
      // A dataset's files ledger (zone "files": object versions' arrival, dms load generations), a zone the dimension
      // compiler adds to ModelInput; read here without naming it so this file needs no edit.
      const other = input as { relation: string; zone: string; dataset?: string };
      if (other.zone !== "files" || !other.dataset) throw new Error(`model ${plan.model}: input ${other.relation} has an unknown zone ${other.zone}`);
      const columns = compilePlan(datasetSpec(plan, other.dataset, options.datasets), { dialect: "duckdb" }).tables.files.columns;
      const files = pins.get(other.dataset)!.ledgerFiles;
      if (files.length === 0) await createEmptyTable(session, name, columns);
      else await view(await projected(session, `read_parquet(${fileList(files)}, union_by_name = true)`, columns));
    }
  }
}

function datasetSpec(plan: ModelPlan, name: string, datasets: readonly DatasetSpec[]): DatasetSpec {
  const spec = datasets.find((d) => d.name === name);
  if (!spec) throw new Error(`model ${plan.model}: unknown dataset ${name}`);
  return spec;
}

/**
 * Pins every dataset the plan reads (bronze, files ledger, silver) before any is read: each at one
 * silver version, with the bronze and ledger files of exactly the runs up to it (dataset-pin.ts).
 */
async function pinDatasets(ws: string, plan: ModelPlan, options: BuildModelOptions): Promise<Map<string, DatasetPin>> {
  const pins = new Map<string, DatasetPin>();
  for (const input of plan.inputs as Array<{ zone: string; dataset?: string }>) {
    if (!["bronze", "silver", "files"].includes(input.zone) || !input.dataset || pins.has(input.dataset)) continue;
    const silver = compilePlan(datasetSpec(plan, input.dataset, options.datasets), { dialect: "duckdb" }).tables.silver.name;
    pins.set(input.dataset, await pinDataset(ws, input.dataset, silver, options.publishWaitMs));
  }
  return pins;
}

function bronzeScan(files: string[]): string | null {
  return files.length > 0 ? `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)` : null;
}

/** A version of a table as a FROM item (null: none, or no data files). */
function versionScan(dir: string, version: string | undefined): string | null {
  return version ? segmentsScan(versionSegments(dir, version), (data) => path.join(dir, data)) : null;
}

function publishedScan(dir: string): string | null {
  const seg = currentSegments(dir);
  return seg && segmentsScan(seg, (data) => path.join(dir, data));
}

/** Exactly `columns` (files written before a column was added read it as NULL), as loads read them. */
async function projected(session: Session, scan: string, columns: readonly PlanColumn[]): Promise<string> {
  const present = new Set((await session.rows(`SELECT column_name FROM (DESCRIBE SELECT * FROM ${scan})`)).map((r) => String(r.column_name)));
  const cols = columns.map((c) => (present.has(c.name) ? ident(c.name) : `CAST(NULL AS ${DIALECTS.duckdb.sqlType(c.type)}) AS ${ident(c.name)}`));
  return `(SELECT ${cols.join(", ")} FROM ${scan})`;
}

/** A plan hashing PII columns reads the pii_key relation, as load plans do (engine/pii-key.ts). */
function usesPiiKey(plan: ModelPlan): boolean {
  const word = new RegExp(`\\b${PII_KEY_RELATION}\\b`);
  return !plan.inputs.some((i) => i.relation === PII_KEY_RELATION) && plan.steps.some((s) => word.test(s.sql));
}

async function registerPiiKey(session: Session, ws: string): Promise<void> {
  const { ipad, opad } = hmacPads(workspacePiiKey(ws));
  // Bound as parameters: the pads never appear in statement text.
  await session.conn.run(`CREATE OR REPLACE TEMP TABLE ${PII_KEY_RELATION} AS SELECT unhex($1) AS ipad, unhex($2) AS opad`, [
    ipad.toString("hex"),
    opad.toString("hex"),
  ]);
}

/** `whole`: the table was written whole, so `audited` is all of `staged` (plan.ts, step 4). */
async function runModelAudits(session: Session, plan: ModelPlan, whole: boolean): Promise<AuditResult[]> {
  const results: AuditResult[] = [];
  for (const audit of plan.audits) {
    try {
      const [row] = await session.rows((whole && audit.sqlWhole) || audit.sql);
      const violations = Number(row?.violations ?? NaN);
      if (!Number.isFinite(violations)) results.push({ name: audit.name, passed: false, violations: 0, detail: "audit returned no violations count" });
      else results.push({ name: audit.name, passed: violations === 0, violations });
    } catch (e) {
      // A broken audit blocks the publish, like a failing one.
      results.push({ name: audit.name, passed: false, violations: 0, detail: `audit error: ${firstLine((e as Error).message)}` });
    }
  }
  return results;
}

/** The published version of a model, or null. */
export function publishedModelVersion(workspace: string, model: string): string | null {
  return readPointer(modelDir(workspace, model))?.version ?? null;
}

/** Models with a published version in a workspace, sorted (query views). */
export function listSemanticTables(workspace: string): string[] {
  const dir = path.join(workspace, "semantic");
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((m) => readPointer(path.join(dir, m)) !== null && parquetFiles(path.join(dir, m)).length > 0).sort();
}

/** The published table of a model as a FROM item, or null. */
export function semanticScan(workspace: string, model: string): string | null {
  return publishedScan(modelDir(workspace, model));
}

const firstLine = (message: string): string => message.split("\n")[0];
