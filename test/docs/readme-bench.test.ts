// README's layout names the benchmarks `npm run bench -- NAME` runs (bench/run.ts picks the
// bench/<NAME>.bench.ts files): docs/dms.md sent readers to `-- dms`, which the list left out.
import { expect } from "chai";
import { readdirSync, readFileSync } from "fs";
import { join } from "path";

const ROOT = join(__dirname, "..", "..");

describe("README: the benchmark list", () => {
  it("names every bench/*.bench.ts and nothing else", () => {
    const listed = /npm run bench \[-- ([a-z|]+)\]/.exec(readFileSync(join(ROOT, "README.md"), "utf8"));
    const files = readdirSync(join(ROOT, "bench")).filter((f) => f.endsWith(".bench.ts")).map((f) => f.replace(/\.bench\.ts$/, ""));

    expect(listed, "README.md: `npm run bench [-- a|b|...]`").to.not.equal(null);
    expect(listed![1].split("|").sort()).to.deep.equal(files.sort());
  });
});
