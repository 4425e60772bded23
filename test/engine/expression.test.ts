// Expression rules are parsed into an AST and rendered per dialect, never pasted: a rule either
// means the same on DuckDB and Spark, or the spec is refused with one line naming the position.
import { execFileSync } from "node:child_process";
import { expect } from "chai";
import { DatasetSpecError, defineDataset, type DatasetInput } from "../../datasets";
import { parseExpression } from "../../datasets/expression";
import { DIALECTS } from "../../engine/dialects";
import { renderExpression } from "../../engine/expression-sql";
import { openSession } from "../../engine/duckdb/session";
import { venvPython } from "../../engine/spark/runtime";
import { functionNames } from "./spark-function-names";

const input = (sql: string): DatasetInput => ({
  name: "things",
  prefix: "things/",
  format: "csv",
  columns: { id: "bigint", qty: "int", price: "decimal(10,2)", ratio: "double", carrier: "string", active: "boolean", born: "date", at: "timestamp" },
  primaryKey: ["id"],
  rules: [{ kind: "expression", label: "rule", sql }],
  target: { table: "things" },
});
const spec = defineDataset(input("qty > 0"));

function refusal(sql: string): DatasetSpecError {
  try {
    defineDataset(input(sql));
  } catch (e) {
    expect(e).to.be.instanceOf(DatasetSpecError);
    return e as DatasetSpecError;
  }
  throw new Error(`expected ${JSON.stringify(sql)} to be refused`);
}

describe("engine: expression rules are parsed and rendered per dialect", () => {
  const refused: Array<[string, string, RegExp]> = [
    ["a backslash in a string", String.raw`carrier = 'a\'`, /backslashes are not allowed in strings .* at position 12/],
    ["a string that ends early on Spark and calls reflect()", String.raw`carrier = 'x\' OR reflect('java.lang.Thread', 'sleep', 99999) > 0 OR carrier = '`, /backslashes/],
    ["reflect()", "reflect('java.lang.Thread', 'sleep', 1) IS NULL", /function reflect\(\) is not portable .* at position 0/],
    ["an unknown function", "now() > at", /function now\(\) is not portable/],
    ["a subquery", "qty IN (SELECT qty FROM things)", /unexpected "qty" at position 15|unknown column "SELECT"/],
    ["a second statement", "qty > 0; DROP TABLE things", /unexpected character ";" at position 7/],
    ["a line comment", "qty > 0 -- and more", /comments are not allowed at position 8/],
    ["a block comment", "qty > 0 /* x */", /comments are not allowed/],
    ["an unknown column", "qty > shipped", /unknown column "shipped" \(columns: id, qty/],
    ["a column in another case", "QTY > 0", /unknown column "QTY"/],
    ["a quoted identifier", '"qty" > 0', /unexpected character/],
    ["a double-quoted string", 'carrier = "x"', /unexpected character/],
    ["a number compared with a string", "qty = '1'", /= compares a number with a string/],
    ["a date compared with a string", "born >= '2024-01-01'", /compares a date with a string/],
    ["a bad DATE literal", "born >= DATE '2024-13-01'", /DATE needs a literal/],
    ["arithmetic on a string", "carrier + 1 > 0", /\+ needs a number, not a string/],
    ["a value, not a condition", "qty + 1", /must be a condition/],
    ["no column at all", "1 = 1", /does not reference any column/],
    ["LIKE (escapes differ)", "carrier LIKE 'a%'", /unexpected "LIKE"/],
    ["an unbalanced parenthesis", "(qty > 0", /expected "\)", found end of rule/],
    ["a cast", "CAST(qty AS STRING) = '1'", /function CAST\(\) is not portable/],
    ["upper() (DuckDB: ß -> ẞ, Spark: ß -> SS)", "upper(carrier) = 'X'", /function upper\(\) is not portable \(allowed: coalesce, abs, trim, length\)/],
    ["lower() (DuckDB: İ -> i, Spark: İ -> i̇)", "lower(carrier) = 'x'", /function lower\(\) is not portable/],
    ["a number with more digits than both engines keep exactly", "price > 1234567890123456789012345678901234567890", /more than 38 digits/],
    // DuckDB fails the statement (every load), Spark gives NULL: no exact product has 39 places.
    ["a product with more than 38 decimal places", `qty > 0 AND price * 0.${"0".repeat(36)}1 > 0`, /"\*" of numbers with 2 and 37 decimal places needs 39: more than a decimal holds \(38\) on either engine at position 18/],
    ["such a product inside a call", `abs(-(price * 0.${"0".repeat(36)}1)) > 0`, /needs 39/],
  ];
  for (const [what, sql, message] of refused) {
    it(`refuses ${what}, naming the field and the position`, () => {
      const err = refusal(sql);
      expect(err.field).to.equal("rules[0].sql");
      expect(err.message).to.match(message);
      expect(err.message.split("\n")).to.have.length(1);
    });
  }

  const accepted = [
    "delivered_at IS NULL OR shipped_at IS NULL OR delivered_at >= shipped_at".replace(/delivered_at/g, "at").replace(/shipped_at/g, "at"),
    "price >= 0 OR active = FALSE",
    "qty BETWEEN 0 AND 100",
    "qty NOT BETWEEN -5 AND -1",
    "carrier IN ('ups', 'it''s', 'dhl') AND NOT active",
    "carrier NOT IN ('a') OR carrier IS NOT NULL",
    "qty * price - 1.5 >= ratio / 2",
    "qty * 2000000000 > 0",
    "ratio / 0 IS NULL",
    "trim(carrier) <> carrier OR length(trim(carrier)) > 3",
    "abs(qty) > 1 AND abs(price) < 2",
    "coalesce(qty, 0) + abs(qty) >= 0",
    "born >= DATE '2024-01-31' AND at < TIMESTAMP '2030-01-01 00:00:00.5'",
    "NOT (qty > 1 OR qty < -1) = TRUE",
    "carrier != 'x\ty'",
    `price * 0.${"0".repeat(35)}1 >= 0 AND ratio * 0.${"0".repeat(36)}1 >= 0 AND price / 0.${"0".repeat(36)}1 >= 0`,
  ];

  it("renders every accepted rule to the same tree in both dialects (sqlglot reads each in its own)", () => {
    const pairs = accepted.map((sql) => {
      const expr = parseExpression(sql, spec.columns);
      return [renderExpression(DIALECTS.duckdb, expr, spec.columns), renderExpression(DIALECTS.spark, expr, spec.columns)];
    });
    // sqlglot models Spark's own semantics: CAST is TRY_CAST (non-ANSI), `/` is NULL-safe and
    // TIMESTAMP is zoned. The rendered casts cannot fail, every division has NULLIF(divisor, 0)
    // and the session zone is UTC (engine/dialects.ts), so those differences are normalized away.
    // DuckDB's trim(x, ' ') is Spark's one-argument trim (U+0020 only; DuckDB's own
    // one-argument trim also strips Unicode spaces), as sqlglot models that trim.
    const script = [
      "import json, sys, sqlglot",
      "from sqlglot import exp",
      "def norm(tree):",
      "    def fix(n):",
      "        if isinstance(n, exp.TryCast): return exp.Cast(**n.args)",
      "        if isinstance(n, exp.Div): n.set('safe', None); n.set('typed', None)",
      "        if isinstance(n, exp.Trim) and n.args.get('expression') == exp.Literal.string(' ') and not n.args.get('position'): n.set('expression', None)",
      "        if isinstance(n, exp.DataType) and n.this in (exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ): return exp.DataType.build('TIMESTAMP')",
      "        return n",
      "    return tree.transform(fix)",
      "out = []",
      "for duck, spark in json.load(sys.stdin):",
      "    a = norm(sqlglot.parse_one(duck, read='duckdb'))",
      "    b = norm(sqlglot.parse_one(spark, read='spark'))",
      "    out.append(a.sql('duckdb') == b.sql('duckdb') or [a.sql('duckdb'), b.sql('duckdb')])",
      "print(json.dumps(out))",
    ].join("\n");
    const same = JSON.parse(execFileSync(venvPython(), ["-c", script], { input: JSON.stringify(pairs), encoding: "utf8" }));
    expect(same).to.deep.equal(accepted.map(() => true));
    for (const [, sparkSql] of pairs) expect(functionNames(sparkSql)).to.satisfy((names: string[]) => names.every((n) => ["trim", "length", "coalesce", "abs", "cast", "nullif"].includes(n)));
  });

  it("keeps string literals exact on Spark: quotes and backslash-free text are escaped for its parser", () => {
    const expr = parseExpression("carrier = 'it''s'", spec.columns);
    expect(renderExpression(DIALECTS.spark, expr, spec.columns)).to.equal("(`carrier` = 'it\\'s')");
    expect(renderExpression(DIALECTS.duckdb, expr, spec.columns)).to.equal(`("carrier" = 'it''s')`);
  });

  it("evaluates accepted rules on DuckDB as written (precedence, NULLs, overflow-free integers, x/0)", async () => {
    const session = await openSession({ threads: 1 });
    try {
      const row = "SELECT 1::BIGINT AS id, 2000000000::INTEGER AS qty, 3.50::DECIMAL(10,2) AS price, 0.5::DOUBLE AS ratio, 'it''s' AS carrier, FALSE AS active, DATE '2024-02-01' AS born, TIMESTAMP '2024-02-01 10:00:00' AS at";
      const cases: Array<[string, boolean | null]> = [
        ["qty * 2 > qty", true],
        ["qty + qty > 0", true],
        ["ratio / 0 IS NULL", true],
        ["price / 2 = 1.75", true],
        ["carrier = 'it''s'", true],
        ["NOT active AND carrier IN ('x', 'it''s')", true],
        ["NOT qty > 1", false],
        ["qty BETWEEN 0 AND 10", false],
        ["born < DATE '2024-02-02' AND at >= TIMESTAMP '2024-02-01 10:00:00'", true],
        ["coalesce(NULL, qty) = qty", true],
        ["abs(- qty) * 2 = 4000000000", true],
      ];
      for (const [sql, expected] of cases) {
        const rendered = renderExpression(DIALECTS.duckdb, parseExpression(sql, spec.columns), spec.columns);
        const [r] = await session.rows(`SELECT ${rendered} AS v FROM (${row}) t`);
        expect(r.v, sql).to.equal(expected);
      }
    } finally {
      session.close();
    }
  });

  it("reads a column named date or timestamp (SQL Server's `date`) as that column, and DATE '...' still as a literal", async () => {
    const columns = { id: "bigint", date: "date", timestamp: "timestamp" } as const;
    const events = defineDataset({ ...input("x"), name: "ev", prefix: "ev/", columns, rules: [], target: { table: "ev" } });
    const sql = "date >= DATE '2024-01-01' AND timestamp IS NOT NULL";

    const expr = parseExpression(sql, events.columns);

    expect(renderExpression(DIALECTS.duckdb, expr, events.columns)).to.equal(`(("date" >= DATE '2024-01-01') AND ("timestamp" IS NOT NULL))`);
    expect(renderExpression(DIALECTS.spark, expr, events.columns)).to.equal("((`date` >= DATE '2024-01-01') AND (`timestamp` IS NOT NULL))");
    expect(refusal("born >= DATE").message).to.match(/DATE needs a literal/);
  });

  it("puts the rendered rule, not the text, into the plan", async () => {
    const { compilePlan } = await import("../../engine/compile");
    const shipments = defineDataset({ ...input("carrier = 'it''s' AND qty > 0"), name: "s2", prefix: "s2/", target: { table: "s2" } });
    const spark = compilePlan(shipments, { dialect: "spark" });
    const labeled = spark.steps.find((s) => s.kind === "sql" && s.name === "labeled");
    expect(labeled && "sql" in labeled ? labeled.sql : "").to.include("((`carrier` = 'it\\'s') AND (`qty` > 0))");
  });
});
