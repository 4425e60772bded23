// Runs a ModelPlan (engine/models/plan.ts) on both engines over the same input rows, for the model
// compilers' tests and their parity: inputs are DuckDB SELECTs written once to Parquet, which
// DuckDB and the shared local Spark server both read; each engine's output table is written to
// Parquet and read back by DuckDB as canonical text rows, so the two compare value for value.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DIALECTS } from "../../engine/dialects";
import type { ModelPlan } from "../../engine/models/plan";
import { AUDIT_TOTALS_RELATION, AUDITED_RELATION, PREVIOUS_RELATION, STAGED_RELATION } from "../../engine/models/plan";
import { HISTORY_BRONZE_RELATION } from "../../engine/compile";
import { BRONZE_LOG_RELATION } from "../../engine/models/dimension";
import { silverRelation } from "../../engine/models/fact-context";
import { lit, openSession, type Session } from "../../engine/duckdb/session";
import type { SparkServer } from "../../engine/spark/server";

/** relation name -> a DuckDB SELECT giving its rows (typed as the executor would store them). */
export type ModelInputs = Record<string, string>;

/** No (relation, run_id) pairs: `consumed` of a first build. */
const NO_RUN_PAIRS = "SELECT CAST(NULL AS VARCHAR) AS relation, CAST(NULL AS VARCHAR) AS run_id WHERE FALSE";

export interface ModelRun {
  /** The output rows as text (NULL as null), ordered by every column. */
  rows: Record<string, string | null>[];
  /** Audit name -> violations. */
  audits: Record<string, number>;
}

/**
 * A plan's audits over the registered `staged` and `audited`, as an executor runs them:
 * `audit_totals` first (plan.ts `totals`), a view here, so a test that swaps `staged` for a
 * crafted table audits that one. Audit name -> violations.
 */
export async function duckdbAudits(s: Session, plan: ModelPlan): Promise<Record<string, number>> {
  if (plan.totals) await s.run(`CREATE OR REPLACE TEMP VIEW ${AUDIT_TOTALS_RELATION} AS ${plan.totals}`);
  return runAudits(plan, async (sql) => Number((await s.rows(sql))[0].violations));
}

/** duckdbAudits on the Spark server. */
export async function sparkAudits(server: SparkServer, plan: ModelPlan): Promise<Record<string, number>> {
  if (plan.totals) await server.sql(`CREATE OR REPLACE TEMP VIEW \`${AUDIT_TOTALS_RELATION}\` AS ${plan.totals}`);
  return runAudits(plan, async (sql) => Number((await server.sql(sql))[0].violations));
}

/**
 * `audited` is `staged` here, a table written whole: an audit with a `sqlWhole` runs both ways,
 * and the two must count the same violations (so every crafted bad table tests both).
 */
async function runAudits(plan: ModelPlan, violations: (sql: string) => Promise<number>): Promise<Record<string, number>> {
  const audits: Record<string, number> = {};
  for (const audit of plan.audits) {
    audits[audit.name] = await violations(audit.sql);
    if (audit.sqlWhole === undefined) continue;
    const whole = await violations(audit.sqlWhole);
    if (whole !== audits[audit.name]) throw new Error(`audit ${audit.name}: ${audits[audit.name]} violation(s), ${whole} by its sqlWhole`);
  }
  return audits;
}

export class ModelHarness {
  private constructor(
    readonly session: Session,
    readonly dir: string,
  ) {}

  static async open(): Promise<ModelHarness> {
    return new ModelHarness(await openSession({ threads: 1, memoryLimit: "1GB" }), fs.mkdtempSync(path.join(os.tmpdir(), "models-")));
  }

  close(): void {
    this.session.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes each input to Parquet (once per call) and returns relation -> file. */
  async writeInputs(plan: ModelPlan, inputs: ModelInputs): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    const all = { ...inputs };
    if (!(PREVIOUS_RELATION in all) && plan.inputs.some((i) => i.relation === PREVIOUS_RELATION)) {
      const cols = plan.columns.map((c) => `CAST(NULL AS ${DIALECTS.duckdb.sqlType(c.type)}) AS ${DIALECTS.duckdb.ident(c.name)}`);
      all[PREVIOUS_RELATION] = `SELECT ${cols.join(", ")} WHERE FALSE`;
    }
    // Incremental plans' own inputs default to a first build's (plan.ts header: a full rebuild).
    for (const input of plan.inputs) {
      if (input.relation in all) continue;
      if (input.zone === "consumed") all[input.relation] = NO_RUN_PAIRS;
      else if ((input.zone === "semantic_before" || input.zone === "semantic_after") && input.model in all) all[input.relation] = all[input.model];
      else if (input.relation === BRONZE_LOG_RELATION && HISTORY_BRONZE_RELATION in all) all[input.relation] = all[HISTORY_BRONZE_RELATION];
      else if (input.zone === "bronze" && silverRelation(input.dataset) in all) all[input.relation] = await this.noRowsLike(all[silverRelation(input.dataset)]);
    }
    // `runs`: what the bronze inputs hold, as an executor reads it (plan.ts header, step d).
    for (const input of plan.inputs) {
      if (input.zone !== "runs" || input.relation in all) continue;
      const held = plan.inputs
        .filter((i) => i.zone === "bronze" && i.relation in all)
        .map((i) => `SELECT DISTINCT ${lit(i.relation)} AS relation, CAST(_run_id AS VARCHAR) AS run_id FROM (${all[i.relation]}) b WHERE _run_id IS NOT NULL`);
      all[input.relation] = held.length > 0 ? held.join(" UNION ALL ") : NO_RUN_PAIRS;
    }
    for (const input of plan.inputs) {
      if (!(input.relation in all)) throw new Error(`model ${plan.model}: no rows given for input ${input.relation}`);
    }
    const tag = fs.mkdtempSync(path.join(this.dir, "in-"));
    for (const [relation, select] of Object.entries(all)) {
      const file = path.join(tag, `${relation}.parquet`);
      await this.session.run(`COPY (${select}) TO ${lit(file)} (FORMAT parquet)`);
      files[relation] = file;
    }
    return files;
  }

  /** No rows, with the columns of `select` as strings (a fact's bronze input when only silver is given). */
  private async noRowsLike(select: string): Promise<string> {
    const cols = await this.session.rows(`SELECT column_name FROM (DESCRIBE ${select})`);
    return `SELECT ${cols.map((c) => `CAST(NULL AS VARCHAR) AS ${DIALECTS.duckdb.ident(String(c.column_name))}`).join(", ")} WHERE FALSE`;
  }

  async runDuckDB(plan: ModelPlan, inputs: ModelInputs): Promise<ModelRun> {
    if (plan.dialect !== "duckdb") throw new Error("runDuckDB needs a duckdb plan");
    const files = await this.writeInputs(plan, inputs);
    const s = this.session;
    for (const [relation, file] of Object.entries(files)) {
      // A step of an earlier run in this session may have made a table of that name (a dimension's output, now a fact's input).
      await s.run(`DROP TABLE IF EXISTS ${relation}`).catch(() => undefined);
      await s.run(`CREATE OR REPLACE TEMP VIEW ${relation} AS SELECT * FROM read_parquet(${lit(file)})`);
    }
    for (const step of plan.steps) {
      const kind = step.materialize === "table" ? "TABLE" : "VIEW";
      await s.run(`DROP VIEW IF EXISTS ${step.name}`).catch(() => undefined);
      await s.run(`DROP TABLE IF EXISTS ${step.name}`).catch(() => undefined);
      await s.run(`CREATE TEMP ${kind} ${step.name} AS ${step.sql}`);
    }
    const out = path.join(fs.mkdtempSync(path.join(this.dir, "duckdb-")), "out.parquet");
    await s.run(`COPY (SELECT ${plan.columns.map((c) => DIALECTS.duckdb.ident(c.name)).join(", ")} FROM ${plan.output}) TO ${lit(out)} (FORMAT parquet)`);
    await s.run(`CREATE OR REPLACE TEMP VIEW ${STAGED_RELATION} AS SELECT * FROM read_parquet(${lit(out)})`);
    // A whole build: every row was written, so row-level audits read all of it (a view of
    // `staged`, so a test that swaps `staged` for a crafted table audits that one).
    await s.run(`CREATE OR REPLACE TEMP VIEW ${AUDITED_RELATION} AS SELECT * FROM ${STAGED_RELATION}`);
    return { rows: await this.textRows(out), audits: await duckdbAudits(s, plan) };
  }

  async runSpark(server: SparkServer, plan: ModelPlan, inputs: ModelInputs): Promise<ModelRun> {
    if (plan.dialect !== "spark") throw new Error("runSpark needs a spark plan");
    const files = await this.writeInputs(plan, inputs);
    await server.sql("SET spark.sql.session.timeZone = UTC");
    // DuckDB writes zone-less timestamps; read them as Spark TIMESTAMP (UTC wall time), as the
    // Iceberg tables of a real run hold them.
    await server.sql("SET spark.sql.parquet.inferTimestampNTZ.enabled = false");
    for (const [relation, file] of Object.entries(files)) {
      await server.sql(`CREATE OR REPLACE TEMP VIEW \`${relation}\` USING parquet OPTIONS (path '${file}')`);
    }
    for (const step of plan.steps) {
      await server.sql(`CREATE OR REPLACE TEMP VIEW \`${step.name}\` AS ${step.sql}`);
      if (step.materialize === "table") await server.sql(`CACHE TABLE \`${step.name}\``);
    }
    const outDir = path.join(fs.mkdtempSync(path.join(this.dir, "spark-")), "out");
    const cols = plan.columns.map((c) => DIALECTS.spark.ident(c.name)).join(", ");
    await server.sql(`INSERT OVERWRITE DIRECTORY '${outDir}' USING parquet SELECT ${cols} FROM \`${plan.output}\``);
    await server.sql(`CREATE OR REPLACE TEMP VIEW \`${STAGED_RELATION}\` USING parquet OPTIONS (path '${outDir}')`);
    await server.sql(`CREATE OR REPLACE TEMP VIEW \`${AUDITED_RELATION}\` AS SELECT * FROM \`${STAGED_RELATION}\``);
    const audits = await sparkAudits(server, plan);
    for (const step of plan.steps) if (step.materialize === "table") await server.sql(`UNCACHE TABLE IF EXISTS \`${step.name}\``);
    return { rows: await this.textRows(path.join(outDir, "*.parquet")), audits };
  }

  /** Every column as text, rows ordered by all columns: the form both engines are compared in. */
  async textRows(parquet: string): Promise<Record<string, string | null>[]> {
    const rows = await this.session.rows(`SELECT * FROM read_parquet(${lit(parquet)})`);
    if (rows.length === 0) return [];
    const cols = Object.keys(rows[0]);
    const text = cols.map((c) => `CAST(${DIALECTS.duckdb.ident(c)} AS VARCHAR) AS ${DIALECTS.duckdb.ident(c)}`);
    return (await this.session.rows(`SELECT ${text.join(", ")} FROM read_parquet(${lit(parquet)}) ORDER BY ALL`)) as Record<string, string | null>[];
  }
}
