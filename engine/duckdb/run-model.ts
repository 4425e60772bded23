// Runs a ModelPlan (engine/models/plan.ts) over a local workspace with write-audit-publish per
// table: inputs are the published tables (bronze, silver, semantic, repository files), the new
// table is written to staging, audited there, and only a version whose audits all pass is moved
// into place and pointed at. A failed audit leaves the published version (and so every model
// that reads it) as it was.
//
//   <ws>/semantic/<model>/<version>/data.parquet   versions (v000001, ...), like silver's
//   <ws>/semantic/<model>/_current.json            the published version
//   <ws>/_staging/semantic/<model>/<runId>/        a build's unpublished table
import * as fs from "node:fs";
import * as path from "node:path";
import { getDataset } from "../../datasets";
import { holidaysPath } from "../../models/holidays";
import { DIALECTS } from "../dialects";
import { PREVIOUS_RELATION, STAGED_RELATION, type ModelInput, type ModelPlan } from "../models/plan";
import { currentSegments, segmentsScan } from "./segments";
import { createEmptyTable, fileList, ident, lit, PARQUET_OPTIONS, type Session } from "./session";
import { committedBronzeFiles } from "./tables";
import { nextVersion, pruneVersions, readPointer, safeName, writeJsonAtomic, writePointer, zoneDir, type VersionMeta } from "./workspace";

export interface ModelRunResult {
  model: string;
  /** published: audits passed and the pointer moved; audit_failed: nothing published. */
  status: "published" | "audit_failed";
  /** The version published (or, when an audit failed, the one still published, if any). */
  version: string | null;
  rows: number;
  /** Audit name -> violations (0 = passed). */
  audits: Record<string, number>;
}

export const semanticDir = (ws: string, model: string): string => zoneDir(ws, "semantic", model);

/** `fullRefresh`: the model's previous version reads as empty, so it is rebuilt from its inputs. */
export async function runModelPlan(session: Session, ws: string, plan: ModelPlan, runId: string, opts: { fullRefresh?: boolean } = {}): Promise<ModelRunResult> {
  if (plan.dialect !== "duckdb") throw new Error(`model ${plan.model}: a ${plan.dialect} plan cannot run on DuckDB`);
  const tableDir = semanticDir(ws, plan.model);
  for (const input of plan.inputs) await registerInput(session, ws, plan, input, opts.fullRefresh === true);
  for (const step of plan.steps) {
    await session.run(`DROP VIEW IF EXISTS ${ident(step.name)}`).catch(() => undefined);
    await session.run(`DROP TABLE IF EXISTS ${ident(step.name)}`).catch(() => undefined);
    await session.run(`CREATE TEMP ${step.materialize === "table" ? "TABLE" : "VIEW"} ${ident(step.name)} AS ${step.sql}`);
  }

  const staging = path.join(ws, "_staging", "semantic", plan.model, safeName(runId));
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    const file = path.join(staging, "data.parquet");
    const columns = plan.columns.map((c) => `CAST(${ident(c.name)} AS ${DIALECTS.duckdb.sqlType(c.type)}) AS ${ident(c.name)}`).join(", ");
    await session.run(`COPY (SELECT ${columns} FROM ${ident(plan.output)}) TO ${lit(file)} (${PARQUET_OPTIONS})`);
    await session.run(`CREATE OR REPLACE TEMP VIEW ${STAGED_RELATION} AS SELECT * FROM read_parquet(${lit(file)})`);
    const [{ n }] = await session.rows(`SELECT COUNT(*) AS n FROM ${STAGED_RELATION}`);
    const audits: Record<string, number> = {};
    for (const audit of plan.audits) {
      const [row] = await session.rows(audit.sql);
      audits[audit.name] = Number(row.violations);
    }
    const rows = Number(n);
    if (Object.values(audits).some((v) => v !== 0)) {
      return { model: plan.model, status: "audit_failed", version: readPointer(tableDir)?.version ?? null, rows, audits };
    }
    const version = nextVersion([tableDir]);
    fs.mkdirSync(tableDir, { recursive: true });
    const meta: VersionMeta = { version, dataset: plan.model, table: plan.model, runId, rows, createdAt: new Date().toISOString() };
    writeJsonAtomic(path.join(staging, "_version.json"), meta);
    fs.renameSync(staging, path.join(tableDir, version));
    writePointer(tableDir, { version, runId, publishedAt: new Date().toISOString() });
    pruneVersions(tableDir);
    return { model: plan.model, status: "published", version, rows, audits };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    await session.run(`DROP VIEW IF EXISTS ${STAGED_RELATION}`);
  }
}

async function registerInput(session: Session, ws: string, plan: ModelPlan, input: ModelInput, fullRefresh: boolean): Promise<void> {
  const view = async (from: string): Promise<void> => {
    await session.run(`CREATE OR REPLACE TEMP VIEW ${ident(input.relation)} AS SELECT * FROM ${from}`);
  };
  // One session builds many models: a relation of an earlier build may be a table or a view.
  await session.run(`DROP VIEW IF EXISTS ${ident(input.relation)}`).catch(() => undefined);
  await session.run(`DROP TABLE IF EXISTS ${ident(input.relation)}`).catch(() => undefined);
  const missing = (what: string) => new Error(`model ${plan.model}: input ${input.relation} (${what}) has nothing published yet`);
  switch (input.zone) {
    case "bronze": {
      const files = committedBronzeFiles(ws, input.dataset);
      if (files.length === 0) throw missing(`bronze of ${input.dataset}: load the dataset first`);
      return view(`read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)`);
    }
    case "silver": {
      const dir = zoneDir(ws, "silver", getDataset(input.dataset).target.table);
      const seg = currentSegments(dir);
      const scan = seg && segmentsScan(seg, (data) => path.join(dir, data));
      if (!scan) throw missing(`silver of ${input.dataset}: load the dataset first`);
      return view(scan);
    }
    case "semantic": {
      const own = input.relation === PREVIOUS_RELATION && input.model === plan.model;
      const dir = semanticDir(ws, input.model);
      const seg = own && fullRefresh ? null : currentSegments(dir);
      const scan = seg && segmentsScan(seg, (data) => path.join(dir, data));
      if (scan) return view(scan);
      // A model's own previous version is empty on its first build; another model must exist.
      if (!own) throw missing(`model ${input.model}: build it first`);
      return createEmptyTable(session, input.relation, plan.columns);
    }
    case "file": {
      const file = holidaysPath(input.path);
      if (!fs.existsSync(file)) throw new Error(`model ${plan.model}: input ${input.relation}: ${input.path} does not exist`);
      return view(`read_csv(${fileList([file])}, header = true, all_varchar = true)`);
    }
  }
}
