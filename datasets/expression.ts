// Expression rules are parsed into a small AST at spec validation time and rendered per dialect
// (engine/expression-sql.ts), never pasted into SQL: DuckDB and Spark read the same text
// differently (Spark processes backslash escapes in string literals, and a pasted fragment could
// call any function, e.g. Spark's reflect()). Anything outside this grammar is rejected:
//   expr      := or
//   or        := and (OR and)*
//   and       := not (AND not)*
//   not       := NOT not | predicate
//   predicate := sum [ cmp sum | IS [NOT] NULL | [NOT] BETWEEN sum AND sum | [NOT] IN (expr, ...) ]
//   sum       := product ((+ | -) product)*
//   product   := unary ((* | /) unary)*
//   unary     := - unary | primary
//   primary   := number | 'string' | TRUE | FALSE | NULL | DATE 'yyyy-mm-dd'
//              | TIMESTAMP 'yyyy-mm-dd hh:mm:ss[.ffffff]' | function(expr, ...) | column | (expr)
// Columns are the dataset's own, named as the spec names them; operands are type-checked so an
// accepted rule cannot fail at run time on one engine and pass on the other.
import { decimalOf, MAX_DECIMAL_DIGITS } from "./decimal-type";
import type { ColumnType, NormalizedColumn } from "./define";

export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">=";
export type ArithOp = "+" | "-" | "*" | "/";

/** A parsed expression rule: plain JSON, so it can travel in plans and be compared. */
export type Expr =
  | { kind: "column"; name: string }
  | { kind: "number"; text: string }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "date"; value: string }
  | { kind: "timestamp"; value: string }
  | { kind: "compare"; op: CompareOp; left: Expr; right: Expr }
  | { kind: "and" | "or"; left: Expr; right: Expr }
  | { kind: "not"; arg: Expr }
  | { kind: "is_null"; arg: Expr; negated: boolean }
  | { kind: "between"; arg: Expr; low: Expr; high: Expr; negated: boolean }
  | { kind: "in"; arg: Expr; list: Expr[]; negated: boolean }
  | { kind: "arith"; op: ArithOp; left: Expr; right: Expr }
  | { kind: "negate"; arg: Expr }
  | { kind: "call"; fn: PortableFunction; args: Expr[] };

/** Value kinds the checker tells apart ("null" fits any). */
type Kind = "number" | "string" | "boolean" | "date" | "null";

/**
 * Functions that mean the same in DuckDB and Spark SQL, with their argument and result kinds.
 * Not lower/upper: their Unicode case mappings differ (DuckDB upper('ß') is 'ẞ', Spark's 'SS').
 * trim removes ASCII spaces (U+0020) only (SqlDialect.trim) and length counts code points on both.
 */
const FUNCTIONS = {
  coalesce: { args: "same", result: "same" },
  abs: { args: ["number"], result: "number" },
  trim: { args: ["string"], result: "string" },
  length: { args: ["string"], result: "number" },
} as const;
export type PortableFunction = keyof typeof FUNCTIONS;
export const PORTABLE_FUNCTIONS = new Set(Object.keys(FUNCTIONS));

const KEYWORDS = new Set(["and", "or", "not", "is", "null", "between", "in", "true", "false", "date", "timestamp"]);
const YMD = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
const DATE_TEXT = new RegExp(`^${YMD}$`);
const TIMESTAMP_TEXT = new RegExp(`^${YMD} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]{1,6})?$`);

/** Why a rule was refused, and where (0-based character position in the rule). */
export class ExpressionError extends Error {
  constructor(
    readonly position: number,
    readonly problem: string,
  ) {
    super(`${problem} at position ${position}`);
  }
}

type Token =
  | { t: "number"; text: string; pos: number }
  | { t: "string"; value: string; pos: number }
  | { t: "word"; text: string; pos: number }
  | { t: "op"; text: string; pos: number }
  | { t: "end"; pos: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/[ \t\r\n]/.test(ch)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const number = /^[0-9]+(\.[0-9]+)?/.exec(rest);
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    const op = /^(<=|>=|<>|!=|=|<|>|\+|-|\*|\/|\(|\)|,)/.exec(rest);
    if (number && number[0].replace(".", "").length > 38) {
      throw new ExpressionError(i, "a number with more than 38 digits is read differently by DuckDB and Spark");
    }
    if (number) {
      if (/^[A-Za-z_.]/.test(text.slice(i + number[0].length))) throw new ExpressionError(i, `malformed number ${JSON.stringify(rest.slice(0, number[0].length + 1))}`);
      tokens.push({ t: "number", text: number[0], pos: i });
      i += number[0].length;
    } else if (word) {
      tokens.push({ t: "word", text: word[0], pos: i });
      i += word[0].length;
    } else if (ch === "'") {
      tokens.push({ t: "string", value: readString(text, i), pos: i });
      i = skipString(text, i);
    } else if (rest.startsWith("--") || rest.startsWith("/*")) {
      throw new ExpressionError(i, "comments are not allowed");
    } else if (op) {
      tokens.push({ t: "op", text: op[1] === "!=" ? "<>" : op[1], pos: i });
      i += op[1].length;
    } else {
      throw new ExpressionError(i, `unexpected character ${JSON.stringify(ch)}`);
    }
  }
  tokens.push({ t: "end", pos: text.length });
  return tokens;
}

/** A single-quoted literal; '' is the only escape. Backslashes mean different things to the engines. */
function readString(text: string, start: number): string {
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") throw new ExpressionError(i, "backslashes are not allowed in strings (DuckDB and Spark read them differently)");
    if (text[i] !== "'") value += text[i];
    else if (text[i + 1] === "'") value += text[++i];
    else return value;
  }
  throw new ExpressionError(start, "unterminated string");
}

function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "'" && text[i + 1] === "'") i++;
    else if (text[i] === "'") return i + 1;
  }
  return text.length;
}

/** Parses and type-checks a rule over `columns`; throws ExpressionError naming the position. */
export function parseExpression(text: string, columns: readonly NormalizedColumn[]): Expr {
  const parser = new Parser(tokenize(text), columns);
  const expr = parser.expression();
  parser.expectEnd();
  const kind = parser.kindOf(expr);
  if (kind !== "boolean" && kind !== "null") throw new ExpressionError(0, `must be a condition (true or false), not a ${kind}`);
  if (!mentionsColumn(expr)) throw new ExpressionError(0, "does not reference any column");
  parser.scaleOf(expr);
  return expr;
}

const isExpr = (v: unknown): v is Expr => typeof v === "object" && v !== null && "kind" in v;

function mentionsColumn(e: Expr): boolean {
  return e.kind === "column" || Object.values(e).some((v) => (Array.isArray(v) ? v.some(isExprWithColumn) : isExprWithColumn(v)));
}
const isExprWithColumn = (v: unknown): boolean => isExpr(v) && mentionsColumn(v);

class Parser {
  private i = 0;
  private readonly positions = new Map<Expr, number>();
  constructor(
    private readonly tokens: Token[],
    private readonly columns: readonly NormalizedColumn[],
  ) {}

  expression(): Expr {
    return this.binary("or", () => this.binary("and", () => this.not()));
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.t !== "end") throw new ExpressionError(t.pos, `unexpected ${describe(t)}`);
  }

  private peek(): Token {
    return this.tokens[this.i];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private isWord(word: string, at = 0): boolean {
    const t = this.tokens[this.i + at];
    return t?.t === "word" && t.text.toLowerCase() === word;
  }
  private isOp(op: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.text === op;
  }
  private expectOp(op: string): void {
    const t = this.next();
    if (t.t !== "op" || t.text !== op) throw new ExpressionError(t.pos, `expected "${op}", found ${describe(t)}`);
  }
  private expectWord(word: string): void {
    const t = this.next();
    if (!(t.t === "word" && t.text.toLowerCase() === word)) throw new ExpressionError(t.pos, `expected ${word.toUpperCase()}, found ${describe(t)}`);
  }
  private at<T extends Expr>(pos: number, e: T): T {
    this.positions.set(e, pos);
    return e;
  }

  private binary(word: "and" | "or", operand: () => Expr): Expr {
    let left = operand();
    while (this.isWord(word)) {
      const pos = this.next().pos;
      left = this.at(pos, { kind: word, left, right: operand() });
    }
    return left;
  }

  private not(): Expr {
    if (this.isWord("not")) {
      const pos = this.next().pos;
      return this.at(pos, { kind: "not", arg: this.not() });
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const arg = this.sum();
    const t = this.peek();
    if (t.t === "op" && ["=", "<>", "<", "<=", ">", ">="].includes(t.text)) {
      this.next();
      return this.at(t.pos, { kind: "compare", op: t.text as CompareOp, left: arg, right: this.sum() });
    }
    if (this.isWord("is")) {
      this.next();
      const negated = this.isWord("not");
      if (negated) this.next();
      this.expectWord("null");
      return this.at(t.pos, { kind: "is_null", arg, negated });
    }
    const negated = this.isWord("not") && (this.isWord("between", 1) || this.isWord("in", 1));
    if (negated) this.next();
    if (this.isWord("between")) {
      this.next();
      const low = this.sum();
      this.expectWord("and");
      return this.at(t.pos, { kind: "between", arg, low, high: this.sum(), negated });
    }
    if (this.isWord("in")) {
      this.next();
      this.expectOp("(");
      const list = [this.expression()];
      while (this.isOp(",")) {
        this.next();
        list.push(this.expression());
      }
      this.expectOp(")");
      return this.at(t.pos, { kind: "in", arg, list, negated });
    }
    return arg;
  }

  private sum(): Expr {
    let left = this.product();
    while (this.isOp("+") || this.isOp("-")) {
      const t = this.next() as { text: ArithOp; pos: number };
      left = this.at(t.pos, { kind: "arith", op: t.text, left, right: this.product() });
    }
    return left;
  }

  private product(): Expr {
    let left = this.unary();
    while (this.isOp("*") || this.isOp("/")) {
      const t = this.next() as { text: ArithOp; pos: number };
      left = this.at(t.pos, { kind: "arith", op: t.text, left, right: this.unary() });
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp("-")) {
      const pos = this.next().pos;
      return this.at(pos, { kind: "negate", arg: this.unary() });
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next();
    if (t.t === "number") return this.at(t.pos, { kind: "number", text: t.text });
    if (t.t === "string") return this.at(t.pos, { kind: "string", value: t.value });
    if (t.t === "op" && t.text === "(") {
      const inner = this.expression();
      this.expectOp(")");
      return inner;
    }
    if (t.t !== "word") throw new ExpressionError(t.pos, `unexpected ${describe(t)}`);
    const lower = t.text.toLowerCase();
    if (lower === "true" || lower === "false") return this.at(t.pos, { kind: "boolean", value: lower === "true" });
    if (lower === "null") return this.at(t.pos, { kind: "null" });
    if (lower === "date" || lower === "timestamp") {
      // A source column may be named so (SQL Server's `date`): the word is the typed literal's
      // keyword when a string follows it, as no column reference is ever followed by one.
      if (this.peek().t === "string" || !this.columns.some((c) => c.name === t.text)) return this.typedLiteral(lower, t.pos);
      return this.at(t.pos, { kind: "column", name: t.text });
    }
    if (this.isOp("(")) return this.call(t.text, t.pos);
    if (KEYWORDS.has(lower)) throw new ExpressionError(t.pos, `unexpected ${describe(t)}`);
    if (!this.columns.some((c) => c.name === t.text)) {
      throw new ExpressionError(t.pos, `unknown column "${t.text}" (columns: ${this.columns.map((c) => c.name).join(", ")})`);
    }
    return this.at(t.pos, { kind: "column", name: t.text });
  }

  private typedLiteral(kind: "date" | "timestamp", pos: number): Expr {
    const t = this.next();
    const pattern = kind === "date" ? DATE_TEXT : TIMESTAMP_TEXT;
    if (t.t !== "string" || !pattern.test(t.value)) {
      throw new ExpressionError(t.pos, `${kind.toUpperCase()} needs a literal like '${kind === "date" ? "2024-01-31" : "2024-01-31 12:00:00"}'`);
    }
    return this.at(pos, { kind, value: t.value });
  }

  private call(name: string, pos: number): Expr {
    const fn = name.toLowerCase();
    if (!PORTABLE_FUNCTIONS.has(fn)) {
      throw new ExpressionError(pos, `function ${name}() is not portable (allowed: ${[...PORTABLE_FUNCTIONS].join(", ")})`);
    }
    this.expectOp("(");
    const args = [this.expression()];
    while (this.isOp(",")) {
      this.next();
      args.push(this.expression());
    }
    this.expectOp(")");
    return this.at(pos, { kind: "call", fn: fn as PortableFunction, args });
  }

  /** Kind of a sub-expression; throws when operands do not fit their operator. */
  kindOf(e: Expr): Kind {
    const pos = this.positions.get(e) ?? 0;
    const need = (arg: Expr, want: Kind, what: string): void => {
      const k = this.kindOf(arg);
      if (k !== want && k !== "null") throw new ExpressionError(this.positions.get(arg) ?? pos, `${what} needs a ${want}, not a ${k}`);
    };
    const same = (args: Expr[], what: string): Kind => {
      const kinds = args.map((a) => this.kindOf(a)).filter((k) => k !== "null");
      if (kinds.some((k) => k !== kinds[0])) throw new ExpressionError(pos, `${what} compares a ${kinds[0]} with a ${kinds.find((k) => k !== kinds[0])}`);
      return kinds[0] ?? "null";
    };
    switch (e.kind) {
      case "column":
        return columnKind(this.columns.find((c) => c.name === e.name)!.type);
      case "number":
      case "string":
      case "boolean":
      case "null":
        return e.kind;
      case "date":
      case "timestamp":
        return "date";
      case "compare":
        same([e.left, e.right], e.op);
        return "boolean";
      case "between":
        same([e.arg, e.low, e.high], "BETWEEN");
        return "boolean";
      case "in":
        same([e.arg, ...e.list], "IN");
        return "boolean";
      case "is_null":
        this.kindOf(e.arg);
        return "boolean";
      case "and":
      case "or":
        need(e.left, "boolean", e.kind.toUpperCase());
        need(e.right, "boolean", e.kind.toUpperCase());
        return "boolean";
      case "not":
        need(e.arg, "boolean", "NOT");
        return "boolean";
      case "arith":
        need(e.left, "number", e.op);
        need(e.right, "number", e.op);
        return "number";
      case "negate":
        need(e.arg, "number", "-");
        return "number";
      case "call": {
        const spec = FUNCTIONS[e.fn];
        if (spec.args === "same") return same(e.args, `${e.fn}()`);
        if (e.args.length !== spec.args.length) throw new ExpressionError(pos, `${e.fn}() takes ${spec.args.length} argument(s)`);
        e.args.forEach((a, i) => need(a, (spec.args as readonly Kind[])[i], `${e.fn}()`));
        return spec.result as Kind;
      }
    }
  }

  /**
   * Decimal places of a number expression, as both engines type it (null: not an exact number, a
   * double). Arithmetic is exact (engine/expression-sql.ts): a product has the places of both
   * operands, and more than 38 fits no decimal. DuckDB then fails the statement, so every load of
   * the dataset, and Spark makes every product NULL: refused here, with the reason.
   */
  scaleOf(e: Expr): number | null {
    const each = (args: Expr[]) => args.map((a) => this.scaleOf(a));
    const widest = (scales: Array<number | null>) => (scales.some((x) => x === null) ? null : Math.max(0, ...(scales as number[])));
    switch (e.kind) {
      case "column": {
        const type = this.columns.find((c) => c.name === e.name)!.type;
        if (type === "int" || type === "bigint") return 0;
        return decimalOf(type)?.scale ?? null;
      }
      case "number":
        return e.text.split(".")[1]?.length ?? 0;
      case "arith": {
        const [left, right] = each([e.left, e.right]);
        if (e.op === "/" || left === null || right === null) return null;
        if (e.op !== "*") return Math.max(left, right);
        if (left + right > MAX_DECIMAL_DIGITS) {
          throw new ExpressionError(
            this.positions.get(e) ?? 0,
            `"*" of numbers with ${left} and ${right} decimal places needs ${left + right}: more than a decimal holds (${MAX_DECIMAL_DIGITS}) on either engine`,
          );
        }
        return left + right;
      }
      case "negate":
        return this.scaleOf(e.arg);
      case "call":
        if (e.fn === "length") return 0;
        return e.fn === "trim" ? null : widest(each(e.args));
      default:
        // Conditions: their operands are checked, their own value is no number.
        for (const v of Object.values(e)) {
          if (Array.isArray(v)) each(v.filter(isExpr));
          else if (isExpr(v)) this.scaleOf(v);
        }
        return null;
    }
  }
}

function columnKind(type: ColumnType): Kind {
  if (type === "string") return "string";
  if (type === "boolean") return "boolean";
  // Dates and timestamps compare with each other the same way on both engines.
  if (type === "date" || type === "timestamp") return "date";
  return "number";
}

function describe(t: Token): string {
  switch (t.t) {
    case "end":
      return "end of rule";
    case "string":
      return "string literal";
    case "number":
    case "word":
    case "op":
      return JSON.stringify(t.text);
  }
}

/** Validation entry: parses `sql` or fails (through `fail`) with one line naming the field. */
export function checkExpression(
  sql: unknown,
  field: string,
  columns: readonly NormalizedColumn[],
  fail: (field: string, problem: string) => never,
): Expr {
  if (typeof sql !== "string" || sql.trim() === "") return fail(field, "must be a non-empty SQL expression");
  try {
    return parseExpression(sql, columns);
  } catch (e) {
    if (e instanceof ExpressionError) return fail(field, e.message);
    throw e;
  }
}
