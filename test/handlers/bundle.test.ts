// The esbuild bundles: deterministic bytes, no Pulumi inside, a `handler` export, and a cold
// start that fails with the missing variable's name.
import { execFileSync, spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { expect } from "chai";
import { HANDLER_ENTRIES } from "../../handlers/env-contract";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { bundleHandler, handlerEntries } = require("../../scripts/bundle-handlers.js");

describe("handlers: esbuild bundles", function () {
  this.timeout(120_000);
  let dir: string;
  let first: { name: string; code: string; hash: string; bytes: number };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "handler-bundle-"));
    first = bundleHandler(HANDLER_ENTRIES.fileArrival);
    writeFileSync(join(dir, "index.js"), first.code);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads the entry list from handlers/env-contract.ts", () => {
    expect(handlerEntries()).to.deep.equal(HANDLER_ENTRIES);
  });

  it("is deterministic: same sources, same bytes and hash", () => {
    const second = bundleHandler(HANDLER_ENTRIES.fileArrival);

    expect(second.hash).to.equal(first.hash);
    expect(second.code === first.code).to.equal(true);
    expect(first.name).to.equal("file-arrival");
    expect(first.hash).to.match(/^[0-9a-f]{64}$/);
  });

  it("contains no Pulumi code and no absolute paths of this machine", () => {
    expect(first.code).not.to.contain("@pulumi");
    expect(first.code).not.to.contain(process.cwd());
  });

  it("exports a handler function when the environment is complete", () => {
    const env = { ...process.env, AUDIT_TABLE: "a", OPS_BUCKET: "o", LANDING_BUCKET: "l", GLUE_JOBS: '{"orders":"j"}', METRICS_NAMESPACE: "Datalake/dev", AWS_REGION: "eu-west-1" };

    // stderr captured, not passed through: on Node.js 20 the bundled SDK warns that its 2027
    // releases need Node.js 22 (the Lambdas run 22), noise in the test output.
    const out = execFileSync(process.execPath, ["-e", `process.stdout.write(typeof require(${JSON.stringify(join(dir, "index.js"))}).handler)`], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });

    expect(out).to.equal("function");
  });

  it("fails the cold start naming the missing variable", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, OPS_BUCKET: "o", LANDING_BUCKET: "l", GLUE_JOBS: "{}", AWS_REGION: "eu-west-1" };
    delete env.AUDIT_TABLE;

    const res = spawnSync(process.execPath, ["-e", `require(${JSON.stringify(join(dir, "index.js"))})`], { env, encoding: "utf8" });

    expect(res.status).to.not.equal(0);
    expect(res.stderr).to.contain("missing required environment variable AUDIT_TABLE");
  });
});
