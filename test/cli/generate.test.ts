import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";
import { DATASETS } from "../../datasets";
import { generateInMemory, sameShapeReferences } from "../../local/generator";
import { cli, tempDir } from "./helpers";

describe("datalake generate", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-gen-")));
  afterEach(() => cleanup());

  it("writes every dataset under <out>/<prefix>, byte-identical to the library for the same seed", async () => {
    const out = join(dir, "out");

    const run = await cli("generate", "--all", "--rows", "50", "--files", "2", "--seed", "9", "--bad-share", "0.2", "--out", out);

    expect(run.code, run.stderr).to.equal(0);
    expect(readdirSync(out).sort()).to.deep.equal(DATASETS.map((d) => d.prefix.replace("/", "")).sort());
    // Datasets of one shape reference each other's keys (sameShapeReferences).
    const shape = { rows: 50, files: 2 };
    const expected = generateInMemory("orders", { seed: 9, ...shape, badShare: 0.2, references: sameShapeReferences(shape) }).files;
    expect(expected.map((f) => readFileSync(join(out, f.key), "utf8"))).to.deep.equal(expected.map((f) => f.content));
    expect(run.stdout.split("\n")).to.have.length(DATASETS.length);
  });

  it("defaults the output to <workspace>/landing, where local mode picks files up", async () => {
    const workspace = join(dir, "ws");

    const run = await cli("generate", "--dataset", "payments", "--rows", "10", "--workspace", workspace);

    expect(run.code, run.stderr).to.equal(0);
    expect(readdirSync(join(workspace, "landing", "payments"))).to.include("LOAD00000001.csv");
  });

  it("rejects a --bad-share outside 0..1", async () => {
    const run = await cli("generate", "--all", "--bad-share", "1.5", "--out", dir);

    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal("datalake generate: --bad-share must be between 0 and 1");
  });
});
