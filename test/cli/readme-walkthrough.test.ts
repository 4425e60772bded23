// The README's local-mode walkthrough, run verbatim in a fresh folder: its code blocks are read
// from README.md and executed by bash, with `npm run local` and `npx datalake` shimmed to this
// checkout's bin/datalake.js (the only translation: the folder has no package.json).
import { ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";

const ROOT = join(__dirname, "..", "..");
const BIN = join(ROOT, "bin", "datalake.js");
const exec = promisify(execFile);

/** The bash blocks of one README section, in order. */
function bashBlocks(section: string): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`## ${section}\n`);
  expect(start, `README has a "${section}" section`).to.be.greaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  const text = readme.slice(start, end < 0 ? undefined : end);
  return [...text.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
}

const SHIMS = [
  `npm() { if [ "$1 $2" = "run local" ]; then shift 2; exec "${process.execPath}" "${BIN}" local "$@"; fi; echo "unexpected npm $*" >&2; return 1; }`,
  `npx() { [ "$1" = datalake ] || { echo "unexpected npx $*" >&2; return 1; }; shift; "${process.execPath}" "${BIN}" "$@"; }`,
].join("\n");

/** Runs each line of a block (comments included: bash ignores them), failing on the first error. */
async function runBlock(cwd: string, block: string): Promise<string> {
  const { stdout } = await exec("bash", ["-c", `set -e\n${SHIMS}\n${block}`], { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

describe("README walkthrough (local mode), verbatim on a fresh folder", function () {
  this.timeout(120_000);
  let dir: string;
  let watcher: ChildProcess | undefined;
  before(() => (dir = mkdtempSync(join(tmpdir(), "datalake-readme-"))));
  after(async () => {
    if (watcher && watcher.exitCode === null) {
      watcher.kill("SIGTERM");
      await new Promise((resolve) => watcher!.once("exit", resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("watches, loads the dropped file, and the audit and queries show what the README says", async () => {
    const [start, drop, read] = bashBlocks("Local mode");
    let output = "";
    watcher = spawn("bash", ["-c", `${SHIMS}\n${start}`], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    watcher.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    watcher.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const until = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (pattern.test(output)) resolve(void clearInterval(poll));
          else if (watcher!.exitCode !== null || Date.now() - started > 60_000) {
            clearInterval(poll);
            reject(new Error(`watcher never printed ${pattern}:\n${output}`));
          }
        }, 100);
      });

    await until(/^watching /m);
    await runBlock(dir, drop);
    // The README shows the watcher's line for this file; only the version id differs per run.
    await until(/^file orders\s+SUCCEEDED\s+orders\/orders 1\.csv/m);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const promised = /`(file orders SUCCEEDED orders\/orders 1\.csv \(v [^)]+\) rows 3: loaded 2, quarantined 1, rejected 0)`/.exec(readme)?.[1];
    expect(promised, "the README quotes the watcher's line").to.be.a("string");
    const printed = output.split("\n").find((l) => l.startsWith("file orders") && l.includes("orders 1.csv"))!;
    // The line ends with the load's duration, which the README leaves out.
    const same = (line: string) => line.replace(/\s+/g, " ").replace(/\(v [^)]+\)/, "(v)").replace(/ [\d.]+m?s$/, "");
    expect(same(printed)).to.equal(same(promised!));

    const shown = await runBlock(dir, read);

    expect(shown).to.match(/orders\s+orders\/orders 1\.csv\s+\S+\s+SUCCEEDED\s+2\s+1\s+0/);
    expect(shown).to.match(/^\s*1001\s+shipped\s+42\.50/m);
    expect(shown).to.match(/^\s*1002\s+bogus\s+accepted_values:status/m);
  });
});
