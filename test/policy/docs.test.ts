// docs/policy-and-ci.md lists every rule with its controls; this keeps the table from drifting.
import { expect } from "chai";
import { readFileSync } from "fs";
import { join } from "path";
import { RULES } from "../../policy/rules";

describe("policy docs", () => {
  const text = readFileSync(join(__dirname, "..", "..", "docs", "policy-and-ci.md"), "utf8");
  const rows = new Map(
    text
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) => [/^\| `([^`]+)`/.exec(l)![1], l] as const),
  );

  it("has a table row for every rule, naming each of its control ids", () => {
    for (const rule of RULES) {
      const row = rows.get(rule.name);
      expect(row, rule.name).to.be.a("string");
      for (const control of rule.controls.filter((c) => c.id !== "-"))
        expect(row, rule.name).to.contain(control.id);
    }
  });

  it("documents running the pack with pulumi preview --policy-pack policy", () => {
    expect(text).to.contain("pulumi preview --stack dev  --policy-pack policy");
  });
});
