// Every rule of the pack against its violating and its passing fixture (test/policy/fixtures.ts).
import { expect } from "chai";
import { controlIds } from "../../policy/lib/controls";
import { evaluateRules, formatFindings } from "../../policy/evaluate";
import { RULES } from "../../policy/rules";
import { FIXTURES } from "./fixtures";

describe("policy rules: fixtures", () => {
  it("has a violating and a passing fixture for every rule, and no fixture without a rule", () => {
    const names = RULES.map((r) => r.name);

    const missing = names.filter((n) => !FIXTURES[n]);
    const orphans = Object.keys(FIXTURES).filter((n) => !names.includes(n));

    expect(missing, "rules without fixtures").to.deep.equal([]);
    expect(orphans, "fixtures without rules").to.deep.equal([]);
  });

  it("has unique rule names and maps every rule to at least one control", () => {
    const names = RULES.map((r) => r.name);

    expect(new Set(names).size).to.equal(names.length);
    for (const rule of RULES) {
      expect(rule.controls.length, rule.name).to.be.greaterThan(0);
      expect(controlIds(rule.controls), rule.name).to.not.equal("");
    }
  });

  for (const rule of RULES) {
    describe(rule.name, () => {
      const fixture = FIXTURES[rule.name];

      it("reports the violating fixture", function () {
        if (!fixture) this.skip();

        const findings = evaluateRules(fixture.fail, fixture.config ?? {}, [rule]);

        expect(findings.length, "no violation reported").to.be.greaterThan(0);
        expect(
          findings.some((f) => fixture.expect.test(f.message)),
          formatFindings(findings),
        ).to.equal(true);
        expect(findings.every((f) => f.rule === rule.name)).to.equal(true);
      });

      it("accepts the passing fixture", function () {
        if (!fixture) this.skip();

        const findings = evaluateRules(fixture.pass, fixture.config ?? {}, [rule]);

        expect(findings, formatFindings(findings)).to.deep.equal([]);
      });
    });
  }

  it("passes every passing fixture against every rule (fixtures are compliant as a whole)", () => {
    for (const [name, fixture] of Object.entries(FIXTURES)) {
      const findings = evaluateRules(fixture.pass, { environment: "prod" });

      expect(findings, `${name}: ${formatFindings(findings)}`).to.deep.equal([]);
    }
  });
});
