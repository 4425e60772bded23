// The Spark dialect gives a pattern RE2's meaning of `$` (dialects.ts javaStrictEnd): the parity
// suite proves the engines agree on values ending in a line break; this pins the rewrite itself.
import { expect } from "chai";
import { javaStrictEnd } from "../../engine/dialects";

describe("engine: Java regexes with RE2's end of text", () => {
  const cases: [string, string][] = [
    ["^[a-z]+$", "^[a-z]+\\z"],
    ["(a|b$)c?$", "(a|b\\z)c?\\z"],
    ["a\\$b", "a\\$b"], // an escaped $ is a dollar sign
    ["[$]x", "[$]x"], // so is one in a class
    ["[^]$]$", "[^]$]\\z"], // a ] first in a class is literal: the class goes on
    ["[]$]$", "[]$]\\z"],
    ["\\Qa$b\\E$", "\\Qa$b\\E\\z"], // quoted text is literal
    ["x\\z", "x\\z"],
  ];
  for (const [pattern, java] of cases) {
    it(`${pattern} -> ${java}`, () => expect(javaStrictEnd(pattern)).to.equal(java));
  }

  it("matches in Java (as JavaScript's $ without m, which is RE2's) exactly where the original matches in RE2", () => {
    // JavaScript's $ without the m flag is the end of the text, as RE2's: the rewrite must not
    // change what a pattern matches there, apart from \z, which JavaScript lacks.
    for (const [pattern] of cases.filter(([p]) => !p.includes("\\Q") && !p.includes("\\z"))) {
      const js = new RegExp(javaStrictEnd(pattern).replace(/\\z/g, "$"));
      for (const text of ["abc", "b", "$", "ab$", "a$b", "x", "]", "$x", "bc", "abc\n"]) {
        expect(js.test(text), `${pattern} on ${JSON.stringify(text)}`).to.equal(new RegExp(pattern).test(text));
      }
    }
  });
});
