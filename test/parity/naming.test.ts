// @spark Engine parity on specs shaped like a real team's, not like the reference datasets:
// SQL-keyword dataset and column names (`select`, `order`, `group`, `date`, `user`, `from`,
// `where`, `table`, `limit`), a composite (string, int) key whose strings differ by leading
// zeros and spaces, a decimal key written several ways, header names in upper case, a custom
// delimiter / quote / null marker, partitionBy on a column named `date`, hashed PII, every rule
// kind on such columns; then a dimension (string natural key) and a fact (date as-of) built over
// them on both engines. Every table must be the same, row for row.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { defineDataset, type DatasetSpec } from "../../datasets";
import { compilePlan } from "../../engine/compile";
import { runLoad } from "../../engine/duckdb";
import { semanticScan } from "../../engine/duckdb/build-model";
import { buildModels, duckdbModelExecutor, type ModelSummary } from "../../engine/duckdb/build-models";
import { openSession, ident, type Session } from "../../engine/duckdb/session";
import { compileModel } from "../../engine/models";
import { PII_KEY_FILE } from "../../engine/pii-key";
import { icebergScan, icebergTables, loadIcebergExtension } from "../../engine/spark/iceberg-duckdb";
import { sparkModelExecutor } from "../../engine/spark/model-executor";
import { LOCAL_SEMANTIC_DATABASE } from "../../engine/spark/build-model";
import { runLoadSpark, type SparkDatabases } from "../../engine/spark/run-load";
import type { SparkServer } from "../../engine/spark/server";
import { defineDateDimension, defineDimension, defineFact, type ModelSpec } from "../../models";
import { csvLine, ScenarioFiles, specScenario, type ScenarioRun } from "./scenarios";
import { duckdbSources, readTables, sparkSources, summaryView, tableDifferences } from "./tables";
import { sparkForTests } from "../support/spark";

/** Keywords everywhere: the dataset, its columns, its Op column (upper case), its rules. */
const keywords = defineDataset({
  name: "select",
  prefix: "select/",
  format: "csv",
  csv: { delimiter: ";", quote: "'", nullValue: "NULL" },
  columns: {
    order: "string",
    group: "int",
    date: "date",
    user: { type: "string", optional: true },
    from: "string",
    where: "timestamp",
    table: "boolean",
    limit: { type: "decimal(9,2)", optional: true },
  },
  primaryKey: ["order", "group"],
  cdc: { opColumn: "OP", sequenceColumns: ["where"] },
  partitionBy: { column: "date" },
  rules: [
    { kind: "not_null", column: "table" },
    { kind: "unique", columns: ["user"] },
    { kind: "accepted_values", column: "from", values: ["web", "Shop", "call center", "v5"] },
    { kind: "regex", column: "order", pattern: "^(k[0-9]+|[0-9]+ *)$" },
    { kind: "range", column: "limit", min: 0, max: 1000 },
    { kind: "expression", label: "recent", sql: "date >= DATE '2000-01-01' AND group BETWEEN -5 AND 100000" },
    { kind: "expression", label: "limit_or_table", sql: "limit IS NULL OR limit > 0 OR table = FALSE" },
  ],
  pii: [{ column: "user", mode: "hash" }],
});

/** A decimal key, written several ways in files whose header is in upper case. */
const decimalKey = defineDataset({
  name: "group",
  prefix: "group/",
  format: "csv",
  columns: { amount: "decimal(10,2)", label: "string", user: "string", at: "timestamp" },
  primaryKey: ["amount"],
  cdc: { opColumn: "Op", sequenceColumns: ["at"] },
  rules: [
    { kind: "unique", columns: ["label"] },
    { kind: "range", column: "amount", min: 0 },
  ],
  pii: [{ column: "user", mode: "hash" }],
});

/** Keys that differ by leading zeros, spaces and case only, updated and deleted by those spellings. */
function keyShapes(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const line = (fields: string[]) => csvLine(spec, fields);
  const header = line(["OP", "ORDER", "Group", "date", "USER", "From", "WHERE", "table", "Limit"]);
  const rows = [
    ["I", "007", "1", "2026-01-05", "alice", "web", "2026-01-01 00:00:00", "true", "1.50"],
    ["I", "007 ", "1", "2026-01-06", "bob", "Shop", "2026-01-01 00:00:00", "true", "2.50"],
    ["I", "7", "1", "2026-02-07", "carol", "call center", "2026-01-01 00:00:00", "false", "-1"],
    ["I", " 007", "1", "2026-03-08", "dave", "WEB", "2026-01-01 00:00:00", "true", "NULL"],
    ["I", "0070", "2", "1999-12-31", "erin", "web", "2026-01-01 00:00:00", "true", "3"],
    ["U", "007", "01", "2026-01-05", "alice", "Shop", "2026-01-02 00:00:00", "true", "1.5"],
    ["U", "007", " 1 ", "2026-01-05", "alice", "web", "2026-01-02 00:00:00", "true", "1.25"],
    ["D", "7", "+1", "2026-02-07", "carol", "call center", "2026-01-03 00:00:00", "false", "-1"],
    ["I", "0070", "-0", "2026-04-01", "ALICE", "web", "2026-01-01 00:00:00", "true", "1000"],
    ["I", "", "3", "2026-04-01", "frank", "web", "2026-01-01 00:00:00", "true", "1"],
    ["I", "00", "3", "2026-04-01", "", "web", "2026-01-01 00:00:00", "true", "1"],
    ["I", "01", "3", "2026-04-01", "NULL", "web", "2026-01-01 00:00:00", "true", "1"],
  ];
  const second = [
    ["U", "007 ", "1", "2026-01-06", "bob", "web", "2026-01-04 00:00:00", "true", "9"],
    ["I", "7", "1", "2026-05-07", "carol", "web", "2026-01-04 00:00:00", "false", "0"],
    ["D", " 007", "1", "2026-03-08", "dave", "WEB", "2026-01-04 00:00:00", "true", ""],
  ];
  const text = (rs: string[][]) => [header, ...rs.map(line)].join("\n") + "\n";
  return [
    { label: "key shapes 1", manifest: manifestOf(spec, "run-1", [files.file("keys-1.csv", text(rows), "2026-11-21T08:00:00.000Z")]) },
    { label: "key shapes 2", manifest: manifestOf(spec, "run-2", [files.file("keys-2.csv", text(second), "2026-11-22T08:00:00.000Z")]) },
    { label: "key shapes refresh", manifest: manifestOf(spec, "run-3", [], true) },
  ];
}

function decimalKeys(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const t = (d: number) => `2026-11-0${d} 10:00:00`;
  const first = [
    "OP,AMOUNT,LABEL,USER,AT",
    `I,1.5,a,u1,${t(1)}`,
    `I,1.50,b,u2,${t(2)}`,
    `I,01.5,c,u3,${t(3)}`,
    `I,1.500,d,u4,${t(1)}`,
    `I,1.505,e,u5,${t(1)}`,
    `I,-0.00,f,u6,${t(1)}`,
    `I,0,g,u7,${t(2)}`,
    `I,+2,a,u8,${t(1)}`,
    `I,2.,h,u9,${t(1)}`,
    `I,99999999.99,i,u10,${t(1)}`,
    `I,100000000,j,u11,${t(1)}`,
    `I,-3.25,k,u12,${t(1)}`,
    `D,2.00,h,u9,${t(4)}`,
  ].join("\n");
  const second = ["Op,Amount,Label,User,At", `U,1.5,z,u1,${t(5)}`, `I,2,l,u9,${t(5)}`, `U,-0,f,u6,${t(5)}`].join("\n");
  return [
    { label: "decimal keys 1", manifest: manifestOf(spec, "run-1", [files.file("amounts-1.csv", `${first}\n`, "2026-11-21T08:00:00.000Z")]) },
    { label: "decimal keys 2", manifest: manifestOf(spec, "run-2", [files.file("amounts-2.csv", `${second}\n`, "2026-11-22T08:00:00.000Z")]) },
    { label: "decimal keys refresh", manifest: manifestOf(spec, "run-3", [], true) },
  ];
}

/**
 * Regex rules as a team coming from Postgres or DuckDB writes them: POSIX bracket classes, and
 * `.` over text holding a carriage return or a Unicode line separator (RE2's `.` stops at \n only).
 */
const patterns = defineDataset({
  name: "patterns",
  prefix: "patterns/",
  format: "csv",
  columns: { id: "int", code: "string", text: "string" },
  primaryKey: ["id"],
  rules: [
    { kind: "regex", column: "code", pattern: "^[[:upper:]][[:digit:]]+$", label: "code_shape" },
    { kind: "regex", column: "code", pattern: "^[^[:space:][:punct:]]+$", label: "code_plain" },
    { kind: "regex", column: "text", pattern: "^.+$", label: "text_one_line" },
    // RE2's \b and \s are ASCII: "é" is no word character, a vertical tab no space.
    { kind: "regex", column: "text", pattern: "\\b(x|here)", label: "text_word_end" },
    { kind: "regex", column: "text", pattern: "^[^\\s,]*\\S$", label: "text_no_space" },
    // Braces and a `+` that belong to escapes: no repetition, no possessive quantifier.
    { kind: "regex", column: "code", pattern: "^\\p{L}+[0-9]*\\++$", label: "code_letters_plus" },
    { kind: "regex", column: "code", pattern: "^\\x{41}", label: "code_starts_a" },
  ],
});

function patternRows(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const rows = [
    ["id", "code", "text"],
    ["1", "A12", "plain"],
    ["2", "a12", "cr\rinside"],
    ["3", "dig", "line\u2028separator"],
    ["4", "U", "next\u0085line"],
    ["5", "B7 ", "multi\nline"],
    ["6", "C-9", "tab\there"],
    ["7", ":", "x"],
    ["8", "A1", "\u00e9x"],
    ["9", "A2", "vertical\u000btab"],
    ["10", "\u00e97+", "plus"],
    ["11", "A++", "plus"],
  ];
  const content = rows.map((r) => csvLine(spec, r)).join("\n") + "\n";
  return [{ label: "patterns", manifest: manifestOf(spec, "run-1", [files.file("patterns.csv", content, "2026-11-21T08:00:00.000Z")]) }];
}

/**
 * Regex rules on columns that are not strings: each engine's text of the typed value is matched
 * (not on a double: the spec refuses it, its text differs between the engines).
 */
const typedText = defineDataset({
  name: "typed_text",
  prefix: "typed_text/",
  format: "csv",
  columns: { id: "int", price: "double", at: "timestamp", day: "date", ok: "boolean", amount: "decimal(12,4)" },
  primaryKey: ["id"],
  rules: [
    { kind: "regex", column: "at", pattern: "^2026-[0-9-]+ [0-9:]+$", label: "at_text" },
    { kind: "regex", column: "day", pattern: "^2026-", label: "day_text" },
    { kind: "regex", column: "ok", pattern: "^(true|false)$", label: "ok_text" },
    { kind: "regex", column: "amount", pattern: "^-?[0-9]+[.][0-9]{4}$", label: "amount_text" },
  ],
  // Hashed PII is the HMAC of the value's text, as with a regex (a double's: a spec error).
  pii: [
    { column: "at", mode: "hash" },
    { column: "amount", mode: "hash" },
  ],
});

function typedTextRows(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const rows = [
    "id,price,at,day,ok,amount",
    "1,0.0001,2026-11-20 09:00:00,2026-11-20,true,1.5",
    "2,12345678.5,2026-11-20 09:00:00.5,2026-01-01,false,-0.0001",
    "3,0.0001,2026-11-20 09:00:00.123456,2026-11-20,TRUE,12345678.1234",
    "4,12345678.5,2026-11-20 00:00:00,2026-11-20,1,0",
    "5,1e20,2026-11-20 23:59:59.999999,2026-11-20,no,100",
    "6,-0.0,2026-11-20 09:00:00.100,2026-11-20,yes,7",
  ];
  return [{ label: "typed text", manifest: manifestOf(spec, "run-1", [files.file("typed.csv", rows.join("\n") + "\n", "2026-11-21T08:00:00.000Z")]) }];
}

function manifestOf(spec: DatasetSpec, runId: string, files: ScenarioRun["manifest"]["files"], fullRefresh = false): ScenarioRun["manifest"] {
  return { version: 1, dataset: spec.name, runId, createdAt: "2026-11-21T00:00:00.000Z", ...(fullRefresh ? { fullRefresh: true } : {}), files };
}

// -- a star over keyword-named datasets ----------------------------------------------------------

/** A member dataset: a string natural key `user` with leading zeros, ordered by a `date` sequence. */
const users = defineDataset({
  name: "user",
  prefix: "user/",
  format: "csv",
  columns: { user: "string", group: "string", date: "date", select: { type: "string", optional: true } },
  primaryKey: ["user"],
  cdc: { opColumn: "Op", sequenceColumns: ["date"] },
  rules: [{ kind: "accepted_values", column: "group", values: ["gold", "silver"] }],
  pii: [{ column: "select", mode: "hash" }],
});

/** Its fact: each `order` row names a user and a `date`, the as-of of the user's version. */
const orders = defineDataset({
  name: "order",
  prefix: "order/",
  format: "csv",
  columns: { order: "int", user: "string", date: "date", from: "string", select: "decimal(10,2)" },
  primaryKey: ["order"],
  partitionBy: { column: "date", prefix: "date" },
  rules: [{ kind: "range", column: "select", min: 0 }],
});

const STAR_DATASETS = [users, orders];
const dimDay = defineDateDimension({ name: "dim_day", range: { from: "2026-01-01", to: "2026-12-31" } }, STAR_DATASETS);
const dimUser = defineDimension({ name: "dim_user", source: "user", naturalKey: "user", attributes: { group: 2, date: 1, select: 1 } }, STAR_DATASETS);
const factOrder = defineFact(
  {
    name: "fact_order",
    source: "order",
    grain: ["order"],
    dimensions: [{ dimension: "dim_user", naturalKey: "user", asOf: "date" }],
    dates: [{ role: "placed", column: "date" }],
    measures: ["select"],
    degenerate: ["from"],
    partitionBy: { dateRole: "placed" },
  },
  STAR_DATASETS,
);
const STAR: ModelSpec[] = [dimDay, dimUser, factOrder];

function starFiles(dir: string): { users: ScenarioRun; orders: ScenarioRun } {
  const u = new ScenarioFiles(dir, users);
  const o = new ScenarioFiles(dir, orders);
  const userRows = [
    "Op,USER,GROUP,DATE,SELECT",
    "I,007,gold,2026-01-01,s1",
    "I,007 ,silver,2026-01-01,s2",
    "I,7,gold,2026-01-01,s3",
    "U,007,silver,2026-03-01,s1",
    "U,007,gold,2026-06-01,s1b",
    "I,0100,bronze,2026-02-01,",
    "D,7,gold,2026-05-01,s3",
    "U,7,silver,2026-07-01,s3",
  ].join("\n");
  const orderRows = [
    "ORDER,USER,DATE,FROM,SELECT",
    "1,007,2026-01-15,web,10.00",
    "2,007,2026-03-01,web,20.50",
    "3,007,2026-06-30,shop,1.5",
    "4,007 ,2026-02-01,web,3",
    "5,7,2026-05-15,web,4.25",
    "6,7,2026-07-02,web,5",
    "7,0100,2026-02-01,web,6",
    "8,999,2026-02-01,web,7",
    "9,007,2025-12-31,web,8",
    "10,,2026-02-01,web,9",
    "11, 007,2026-02-01,web,1",
  ].join("\n");
  return {
    users: { label: "users", manifest: manifestOf(users, "run-1", [u.file("users.csv", `${userRows}\n`, "2026-11-21T08:00:00.000Z")]) },
    orders: { label: "orders", manifest: manifestOf(orders, "run-1", [o.file("orders.csv", `${orderRows}\n`, "2026-11-21T08:00:00.000Z")]) },
  };
}

describe("@spark engine parity on keyword names, odd keys and a star over them", function () {
  this.timeout(15 * 60_000);
  let server: SparkServer;
  let session: Session;
  let root: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "parity-naming-"));
    server = await sparkForTests();
    session = await openSession({ threads: 1, memoryLimit: "1GB" });
    await session.run("SET TimeZone = 'UTC'");
    await loadIcebergExtension(session);
  });
  after(() => {
    session?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const writeKey = (ws: string) => {
    fs.mkdirSync(path.dirname(path.join(ws, PII_KEY_FILE)), { recursive: true });
    fs.writeFileSync(path.join(ws, PII_KEY_FILE), "parity-pii-key\n", { mode: 0o600 });
  };

  /** Loads `runs` on both engines and compares summaries and every table after each run. */
  async function runBoth(spec: DatasetSpec, runs: ScenarioRun[], label: string, databases?: SparkDatabases): Promise<{ duckWs: string; sparkWs: string }> {
    const plan = compilePlan(spec, { dialect: "duckdb" });
    const duckWs = path.join(root, `${label}-duckdb`);
    const sparkWs = path.join(root, `${label}-spark`);
    const tag = `naming_${path.basename(root).replace(/[^a-z0-9]/gi, "").toLowerCase()}_${label}`;
    const dbs = databases ?? { silver: `${tag}_silver`, quarantine: `${tag}_quarantine`, bronze: `${tag}_bronze` };
    for (const ws of [duckWs, sparkWs]) writeKey(ws);
    for (const run of runs) {
      const duck = await runLoad({ workspace: duckWs, spec, manifest: run.manifest });
      const spark = await runLoadSpark({ workspace: sparkWs, spec, manifest: run.manifest, server, databases: dbs });
      expect(summaryView(spark), `${spec.name} ${run.label}: run summaries`).to.deep.equal(summaryView(duck));
      expect(duck.status, `${spec.name} ${run.label}: ${duck.error}`).to.equal("SUCCEEDED");
      const d = await readTables(session, plan, duckdbSources(duckWs, plan));
      const s = await readTables(session, plan, sparkSources(server.warehouse, dbs, plan));
      expect(tableDifferences(d, s), `${spec.name} ${run.label}: tables`).to.deep.equal([]);
      expect(d.silver.length + d.quarantine.length, `${spec.name} ${run.label}: loads something`).to.be.greaterThan(0);
    }
    return { duckWs, sparkWs };
  }

  it("a dataset named `select` with keyword columns: key shapes (leading zeros, spaces), every rule kind, date partitions", async () => {
    await runBoth(keywords, keyShapes(keywords, path.join(root, "keys-files")), "select_keys");
  });

  it("the keyword dataset through the generated edge-value and fault files", async () => {
    await runBoth(keywords, specScenario(keywords, path.join(root, "select-files")), "select_edges");
  });

  it("a decimal primary key written as 1.5, 1.50, 01.5, 1.500, -0.00, 2. in files with upper-case headers", async () => {
    await runBoth(decimalKey, decimalKeys(decimalKey, path.join(root, "amount-files")), "group_keys");
  });

  it("regex rules with POSIX classes, `.` over carriage returns and Unicode line separators, \\b after a non-ASCII letter, \\s and a vertical tab, \\p{L}+, \\x{41} and \\+", async () => {
    await runBoth(patterns, patternRows(patterns, path.join(root, "pattern-files")), "patterns");
  });

  it("regex rules and hashed PII over timestamp, date, boolean and decimal columns", async () => {
    await runBoth(typedText, typedTextRows(typedText, path.join(root, "typed-text-files")), "typed_text");
  });

  it("a dimension with a string natural key and a fact with a date as-of over keyword-named datasets", async () => {
    const files = starFiles(path.join(root, "star-files"));
    // The model job reads the local catalog's silver and bronze databases (LOCAL_SPARK).
    const star = { silver: "silver", quarantine: "quarantine", bronze: "bronze" };
    await runBoth(users, [files.users], "star", star);
    const { duckWs, sparkWs } = await runBoth(orders, [files.orders], "star", star);

    const duck = await buildModels(duckWs, STAR, { datasets: STAR_DATASETS, executor: duckdbModelExecutor(duckWs) });
    const spark = await buildModels(sparkWs, STAR, { datasets: STAR_DATASETS, executor: sparkModelExecutor(sparkWs, server) });
    const view = (s: ModelSummary) => ({ model: s.model, status: s.status, error: s.error ?? null, rows: s.rows, audits: s.audits.map((a) => [a.name, a.passed, a.violations]) });
    expect(spark.map(view), "build summaries").to.deep.equal(duck.map(view));
    expect(duck.map((s) => [s.model, s.status, s.error ?? ""])).to.deep.equal(STAR.map((m) => [m.name, "built", ""]));

    const semantic = icebergTables(server.warehouse, LOCAL_SEMANTIC_DATABASE);
    for (const model of [dimUser, factOrder]) {
      const plan = compileModel(model, { dialect: "duckdb", datasets: STAR_DATASETS, models: STAR });
      // One rendering (tables.ts): Iceberg holds timestamps with a zone, DuckDB's Parquet without.
      const text = (c: (typeof plan.columns)[number]) =>
        c.type === "timestamp" ? `strftime(CAST(${ident(c.name)} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')` : `CAST(${ident(c.name)} AS VARCHAR)`;
      const cols = plan.columns.map((c) => `${text(c)} AS ${ident(c.name)}`).join(", ");
      const rows = async (from: string) => (await session.rows(`SELECT ${cols} FROM ${from}`)).map((r) => JSON.stringify(plan.columns.map((c) => r[c.name] ?? null))).sort();
      const d = await rows(semanticScan(duckWs, model.name)!);
      const s = await rows(icebergScan(semantic.get(model.name)!));
      expect(s, model.name).to.deep.equal(d);
      expect(d.length, model.name).to.be.greaterThan(0);
    }

    // A spec edit no load has applied (engine/models/source-specs.ts): both engines refuse the
    // dimension over it with one message (its silver's load plan is keyed with the PII key).
    const edited = { ...users, rules: users.rules.map((r) => (r.kind === "accepted_values" ? { ...r, values: [...r.values, "bronze"] } : r)) };
    const editedDatasets = [edited, orders];
    const duckEdit = await buildModels(duckWs, STAR, { datasets: editedDatasets, executor: duckdbModelExecutor(duckWs) });
    const sparkEdit = await buildModels(sparkWs, STAR, { datasets: editedDatasets, executor: sparkModelExecutor(sparkWs, server) });
    const withMode = (s: ModelSummary) => ({ ...view(s), mode: s.mode ?? null });
    expect(sparkEdit.map(withMode), "build summaries after a spec edit").to.deep.equal(duckEdit.map(withMode));
    const refused = duckEdit.find((s) => s.model === "dim_user")!;
    expect(refused.status).to.equal("failed");
    expect(refused.error).to.match(/^dataset user: its silver was published under load plan [0-9a-f]{16}, its spec compiles to [0-9a-f]{16} now /);
  });
});
