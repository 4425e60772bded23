import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { join, relative } from "path";
import { HANDLER_ENTRIES } from "../../handlers/env-contract";
import { REPO_ROOT, bundleEntry, handlerArchive } from "../../infra/lambda-code";

describe("infra: Lambda bundling", () => {
  let dir: string;
  before(() => {
    // Inside the repo: the bundler resolves entries and node_modules from the repo root.
    dir = mkdtempSync(join(REPO_ROOT, "node_modules", ".lambda-code-test-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("bundles an entry with its imports into one CommonJS file exporting handler", async () => {
    writeFileSync(join(dir, "dep.ts"), "export const greet = (n: string): string => `hi ${n}`;\n");
    writeFileSync(join(dir, "entry.ts"), 'import { greet } from "./dep";\nexport const handler = async () => greet("x");\n');
    const { code } = bundleEntry(relative(REPO_ROOT, join(dir, "entry.ts")));
    const mod: { exports: { handler?: () => Promise<string> } } = { exports: {} };
    new Function("module", "exports", "require", code)(mod, mod.exports, require);
    expect(await mod.exports.handler!()).to.equal("hi x");
  });

  it("gives identical bytes for identical sources and new bytes (new hash) after an edit", () => {
    const file = join(dir, "entry2.ts");
    writeFileSync(file, "export const handler = async () => 1;\n");
    const entry = relative(REPO_ROOT, file);
    const a = bundleEntry(entry);
    const b = bundleEntry(entry);
    writeFileSync(file, "export const handler = async () => 2;\n");
    const c = bundleEntry(entry);
    expect(b.code).to.equal(a.code);
    expect(b.hash).to.equal(a.hash);
    expect(c.hash).to.not.equal(a.hash);
  });

  it("fails with a clear message for a missing entry", () => {
    expect(() => bundleEntry("handlers/nope.ts")).to.throw(/Lambda entry handlers\/nope\.ts does not exist/);
  });

  it("archives the real file-arrival handler as index.js", async () => {
    const archive = handlerArchive(HANDLER_ENTRIES.fileArrival);
    const assets = (await archive.assets) as Record<string, { text: Promise<string> }>;
    expect(Object.keys(assets)).to.deep.equal(["index.js"]);
    const code = await assets["index.js"].text;
    expect(code.length).to.be.greaterThan(1000);
    expect(handlerArchive(HANDLER_ENTRIES.fileArrival)).to.equal(archive);
  });
});
