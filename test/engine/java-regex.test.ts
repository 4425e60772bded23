// The Spark dialect gives a pattern RE2's meaning of `$`, of POSIX bracket classes and of `.`
// (dialects.ts javaRegex): the parity suite proves the engines agree on values ending in a line
// break, holding a carriage return or a Unicode line separator (test/parity/naming.test.ts); this
// pins the rewrite itself.
import { expect } from "chai";
import { javaRegex } from "../../engine/dialects";

describe("engine: Java regexes with RE2's meaning", () => {
  const cases: [string, string][] = [
    ["^[a-z]+$", "^[a-z]+\\z"],
    ["(a|b$)c?$", "(a|b\\z)c?\\z"],
    ["a\\$b", "a\\$b"], // an escaped $ is a dollar sign
    ["[$]x", "[$]x"], // so is one in a class
    ["[^]$]$", "[^]$]\\z"], // a ] first in a class is literal: the class goes on
    ["[]$]$", "[]$]\\z"],
    ["\\Qa$b\\E$", "\\Qa$b\\E\\z"], // quoted text is literal
    ["x\\z", "x\\z"],
    // POSIX classes in brackets, negated too; outside brackets `[:digit:]` is a plain class.
    ["^[[:digit:]]+$", "^[\\p{Digit}]+\\z"],
    ["^[^[:space:][:punct:]]$", "^[^\\p{Space}\\p{Punct}]\\z"],
    ["[[:^alpha:]_[:word:]]", "[\\P{Alpha}_\\w]"],
    ["[[:^word:]]", "[\\W]"],
    // `.` stops at \n only, as RE2's (UNIX_LINES); an escaped dot or one in a class is a dot.
    ["^.+$", "(?d)^.+\\z"],
    ["a\\.b[.]", "a\\.b[.]"],
    // ASCII \s and \b, as RE2's (Java's hold the vertical tab and non-ASCII letters).
    ["^\\s\\S[\\s,]$", "^[\\t\\n\\f\\r ][^\\t\\n\\f\\r ][\\t\\n\\f\\r ,]\\z"],
    ["\\bx\\B", "(?:(?<=\\w)(?!\\w)|(?<!\\w)(?=\\w))x(?:(?<=\\w)(?=\\w)|(?<!\\w)(?!\\w))"],
    ["\\\\s", "\\\\s"], // an escaped backslash, then the letter s
  ];
  for (const [pattern, java] of cases) {
    it(`${pattern} -> ${java}`, () => expect(javaRegex(pattern)).to.equal(java));
  }

  it("matches in Java (as JavaScript's $ without m, which is RE2's) exactly where the original matches in RE2", () => {
    // JavaScript's $ without the m flag is the end of the text, as RE2's: the rewrite must not
    // change what a pattern matches there, apart from \z, which JavaScript lacks.
    for (const [pattern] of cases.filter(([p]) => !/\\Q|\\z|\[:|\./.test(p))) {
      const js = new RegExp(javaRegex(pattern).replace(/\\z/g, "$"));
      for (const text of ["abc", "b", "$", "ab$", "a$b", "x", "]", "$x", "bc", "abc\n"]) {
        expect(js.test(text), `${pattern} on ${JSON.stringify(text)}`).to.equal(new RegExp(pattern).test(text));
      }
    }
  });
});
