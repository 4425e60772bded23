// The stack outputs are what infra/index.ts exports, not what createPlatform returns: the infra
// specs evaluate createPlatform, so an output it returns and index.ts does not export passes them
// all and is still missing from `pulumi stack output` (modelJobs was, though the docs name it).
import { expect } from "chai";
import { readFileSync } from "fs";
import { join } from "path";
import { devRun } from "./program-runs";

const ROOT = join(__dirname, "..", "..");
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");

/** `export const x = platform.x;` lines of the program. */
function programExports(): string[] {
  return [...read("infra/index.ts").matchAll(/^export const (\w+) = platform\.(\w+);$/gm)].map((m) => {
    expect(m[2], `infra/index.ts exports ${m[1]} as platform.${m[2]}`).to.equal(m[1]);
    return m[1];
  });
}

describe("stack outputs", () => {
  it("infra/index.ts exports every output createPlatform returns", async () => {
    const run = await devRun();

    expect(programExports().sort()).to.deep.equal(Object.keys(run.outputs).sort());
  });

  it("docs/deploy.md lists every output, and every `pulumi stack output NAME` in the docs is one", () => {
    const docs = ["README.md", "docs/deploy.md", "docs/policy-and-ci.md", "docs/local.md", "docs/models.md"].map(read).join("\n");
    const named = [...docs.matchAll(/pulumi stack output (?:--json )?([a-zA-Z]+)/g)].map((m) => m[1]);
    const listed = /^pulumi stack output # (.+)$/m.exec(read("docs/deploy.md"));
    expect(listed, "docs/deploy.md lists the outputs after `pulumi stack output #`").to.not.equal(null);
    const exported = programExports();

    expect(listed![1].split(/,\s*/).sort()).to.deep.equal([...exported].sort());
    expect(named.filter((name) => !exported.includes(name))).to.deep.equal([]);
  });
});
