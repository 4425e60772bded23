import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join, relative } from "path";
import { REPO_ROOT, esbuildBundle } from "../../infra/lambda-code";

describe("infra: Lambda bundling", () => {
  let dir: string;
  before(() => {
    // Inside the repo so the bundle can resolve the repo's node_modules and paths stay relative.
    dir = mkdtempSync(join(REPO_ROOT, "node_modules", ".cache-lambda-code-test-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("bundles an entry with its imports into one CommonJS file exporting handler", () => {
    writeFileSync(join(dir, "dep.ts"), "export const greet = (n: string): string => `hi ${n}`;\n");
    writeFileSync(join(dir, "entry.ts"), 'import { greet } from "./dep";\nexport const handler = async () => greet("x");\n');
    const code = esbuildBundle(relative(REPO_ROOT, join(dir, "entry.ts")));
    const mod: { exports: { handler?: () => Promise<string> } } = { exports: {} };
    new Function("module", "exports", "require", code)(mod, mod.exports, require);
    expect(code).to.not.include("./dep");
    return mod.exports.handler!().then((v) => expect(v).to.equal("hi x"));
  });

  it("produces identical bytes for identical sources and different bytes after an edit", () => {
    writeFileSync(join(dir, "entry2.ts"), "export const handler = async () => 1;\n");
    const entry = relative(REPO_ROOT, join(dir, "entry2.ts"));
    const a = esbuildBundle(entry);
    const b = esbuildBundle(entry);
    writeFileSync(join(dir, "entry2.ts"), "export const handler = async () => 2;\n");
    const c = esbuildBundle(entry);
    expect(b).to.equal(a);
    expect(c).to.not.equal(a);
  });
});
