// The oracle's JavaScript form of a rule's regex (local/generator/js-regex.ts) against DuckDB's
// RE2 itself: every pattern is run on every text by both, and they must agree.
import { expect } from "chai";
import { lit, openSession, type Session } from "../../engine/duckdb/session";
import { jsRegex } from "../../local/generator/js-regex";
import { regexPortabilityProblem } from "../../datasets/regex-portability";

const PATTERNS = [
  "^\\p{L}+$", "^\\pL\\p{Nd}$", "\\P{Lu}", "^\\x{41}\\x42$", "^[\\x{e9}x]$", "^.$", "^a.b$",
  "^\\s$", "^[\\s,]+$", "^\\S+$", "\\bx\\B", "^\\w+$", "^\\d+$", "\\Qa.b\\E", "^a\\.b$", "^a\\-b\\#c\\:$",
  "^[[:alpha:]]+$", "^[[:digit:][:punct:]]+$", "^[[:space:]]$", "x}", "^(?:ab)+\\z", "\\Aab",
  "^[^]a]$", "^[]a]+$", "a]", "\\a", "^\\p{Zs}$", "^\\p{Lu}{2,3}$",
];
const TEXTS = ["abc", "ABC", "é", "éx", "A", "AB", "ABCD", "x", "a\nb", "a\rb", "a.b", "axb", "a-b#c:", " ", "\t", "\u000b", "\u00a0",
  "\u3000", "1", "12", "١٢", "a", "ab", "abab", "x}", "]", "a]", "\u0007", "x y", "a\u2028b", "abc\n", "xy", "x_", ",", "!", "1!"];

describe("generator oracle: rule regexes evaluated as RE2 evaluates them", function () {
  this.timeout(60_000);
  let session: Session;
  before(async () => {
    session = await openSession();
  });
  after(() => session.close());

  for (const pattern of PATTERNS) {
    it(`${pattern}`, async () => {
      expect(regexPortabilityProblem(pattern), "the pattern is one a spec may use").to.equal(undefined);
      const values = TEXTS.map((t, i) => `(${i}, ${lit(t)})`).join(", ");
      const rows = await session.rows(`SELECT i, regexp_matches(t, ${lit(pattern)}) AS m FROM (VALUES ${values}) v(i, t) ORDER BY i`);
      const re2 = rows.map((r) => r.m);
      const js = TEXTS.map((t) => jsRegex(pattern).test(t));
      expect(js).to.deep.equal(re2);
    });
  }

  it("refuses what it cannot translate, naming the pattern", () => {
    expect(() => jsRegex("[[:^alpha:]]")).to.throw(/oracle: the regex "\[\[:\^alpha:\]\]" uses a negated POSIX class/);
    expect(() => jsRegex("[\\S,]")).to.throw(/\\S in a character class/);
  });
});
