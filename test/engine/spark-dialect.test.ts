// Fast static checks of the spark plans (the parity suite executes them on real Spark): every
// statement of every reference dataset's spark plan must parse as Spark SQL (sqlglot in the project
// venv, one python call) and use only functions from an explicit list of Spark SQL built-ins.
import { execFileSync } from "node:child_process";
import { expect } from "chai";
import { DATASETS, defineDataset } from "../../datasets";
import { compilePlan } from "../../engine/compile";
import { DIALECTS } from "../../engine/dialects";
import { venvPython } from "../../engine/spark/runtime";
import { functionNames } from "./spark-function-names";

/** Spark SQL built-ins (https://spark.apache.org/docs/latest/api/sql/) the plans may use. */
const SPARK_FUNCTIONS = new Set([
  "abs", "cast", "coalesce", "concat", "concat_ws", "count", "date_format", "dense_rank", "greatest", "instr", "last_value", "length", "lower", "lpad", "max", "min", "month", "named_struct", "nullif",
  "regexp_extract", "replace", "round", "row_number", "rpad", "sha2", "substr", "sum", "trim", "try_cast", "unhex", "upper", "year",
]);
interface Statement {
  where: string;
  sql: string;
}

/** What the reference datasets do not use: a hashed PII column and a rich expression rule. */
const EXTRA = defineDataset({
  name: "extras",
  prefix: "extras/",
  format: "csv",
  columns: { id: "bigint", email: "string", qty: "int", price: "decimal(10,2)", carrier: "string", born: "date" },
  primaryKey: ["id"],
  rules: [{ kind: "expression", label: "rich", sql: "carrier NOT IN ('it''s', 'b') AND qty * price / 2 >= -1 AND born < DATE '2030-01-01' OR trim(carrier) IS NULL" }],
  pii: [{ column: "email", mode: "hash" }],
  target: { table: "extras" },
});

function sparkStatements(): Statement[] {
  return [...DATASETS, EXTRA].flatMap((spec) => {
    const plan = compilePlan(spec, { dialect: "spark" });
    return [
      ...plan.steps.flatMap((s) => (s.kind === "sql" ? [{ where: `${spec.name}/${s.name}/${s.when ?? "any"}`, sql: s.sql }] : [])),
      ...plan.audits.map((a) => ({ where: `${spec.name}/audit/${a.name}`, sql: a.sql })),
      { where: `${spec.name}/summary/counts`, sql: plan.summary.counts },
      { where: `${spec.name}/summary/files`, sql: plan.summary.files },
    ];
  });
}

/** Parse every statement with sqlglot's Spark dialect in ONE python process; returns errors by index. */
function sqlglotErrors(statements: string[]): Record<string, string> {
  const script = [
    "import json, sys, sqlglot",
    "errors = {}",
    "for i, sql in enumerate(json.load(sys.stdin)):",
    "    try:",
    "        parsed = sqlglot.parse(sql, read='spark')",
    "        if len(parsed) != 1 or parsed[0] is None: errors[str(i)] = 'expected exactly one statement'",
    "    except Exception as e:",
    "        errors[str(i)] = str(e).splitlines()[0]",
    "print(json.dumps(errors))",
  ].join("\n");
  const out = execFileSync(venvPython(), ["-c", script], { input: JSON.stringify(statements), encoding: "utf8" });
  return JSON.parse(out) as Record<string, string>;
}

describe("engine: spark dialect", function () {
  const statements = sparkStatements();

  it("renders statements for every registered dataset", () => {
    expect(new Set(statements.map((s) => s.where.split("/")[0]))).to.have.property("size", DATASETS.length + 1);
    expect(statements.length).to.be.greaterThan(DATASETS.length * 15);
  });

  it("parses every spark statement with sqlglot (and the checker does catch broken SQL)", () => {
    const broken = "SELECT a FROM WHERE (";
    const errors = sqlglotErrors([...statements.map((s) => s.sql), broken]);

    const brokenIndex = String(statements.length);
    expect(errors[brokenIndex], "sqlglot must reject a broken statement").to.be.a("string");
    delete errors[brokenIndex];
    const named = Object.entries(errors).map(([i, e]) => `${statements[Number(i)].where}: ${e}`);
    expect(named).to.deep.equal([]);
  });

  it("uses only Spark SQL built-in functions", () => {
    const unknown = statements.flatMap((s) => functionNames(s.sql).filter((f) => !SPARK_FUNCTIONS.has(f)).map((f) => `${s.where}: ${f}`));

    expect(unknown).to.deep.equal([]);
    expect(functionNames("SELECT regexp_matches(a, 'x(y)'), `weird(`, sha2(b, 256) FROM t")).to.deep.equal(["regexp_matches", "sha2"]);
  });

  it("escapes spark string literals (backslashes and quotes) so sqlglot reads them back exactly", () => {
    const value = "it's a \\d+ pattern";
    const sql = `SELECT ${DIALECTS.spark.str(value)} AS v`;
    const out = execFileSync(
      venvPython(),
      ["-c", "import sys, sqlglot; print(sqlglot.parse_one(sys.argv[1], read='spark').expressions[0].this.this, end='')", sql],
      { encoding: "utf8" },
    );

    expect(out).to.equal(value);
  });
});
