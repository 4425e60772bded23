// The function names a Spark SQL statement calls: the static check of the spark plans
// (spark-dialect.test.ts) and of compiled expression rules (expression.test.ts) read them. Its own
// module, not exported from a test file: mocha --parallel gives each worker its own module cache,
// so a test file imported by another registers its tests twice.

/** Words that precede "(" without being a function call. */
const NOT_FUNCTIONS = new Set(["in", "as", "from", "join", "over", "and", "or", "not", "where", "on", "select", "by", "then", "else", "when", "decimal", "all", "exists", "between"]);

/** Function names called in a Spark SQL statement (string literals and quoted identifiers ignored). */
export function functionNames(sql: string): string[] {
  // Join hints (/*+ BROADCAST(r) */) name aliases, not functions.
  const bare = sql.replace(/\/\*\+[^*]*\*\//g, "").replace(/'(?:[^'\\]|\\.)*'/g, "''").replace(/`(?:[^`]|``)*`/g, "x");
  const names = [...bare.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)].map((m) => m[1].toLowerCase());
  return [...new Set(names.filter((n) => !NOT_FUNCTIONS.has(n)))];
}
