// The local-mode walkthroughs of README.md and docs/local.md, run verbatim in a fresh folder: their
// code blocks are read from the documents and executed by bash, with `npm run local` and
// `npx datalake` shimmed to this checkout's bin/datalake.js (the only translation: the folder
// has no package.json). Where a document shows a command's output, the output must match.
import { ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { BIN } from "./helpers";

const ROOT = join(__dirname, "..", "..");
const exec = promisify(execFile);

interface Block {
  lang: string;
  code: string;
}

/** The fenced blocks of one section of a document, in order. */
function blocks(doc: string, section: string): Block[] {
  const text = readFileSync(join(ROOT, doc), "utf8");
  const start = text.indexOf(`## ${section}\n`);
  expect(start, `${doc} has a "${section}" section`).to.be.greaterThan(-1);
  const end = text.indexOf("\n## ", start + 1);
  const body = text.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
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

// The section, and how many command blocks after the drop are the walkthrough's reads (later
// blocks are synopses with placeholders such as FILE...).
const WALKTHROUGHS: [doc: string, section: string, reads: number][] = [
  ["README.md", "Local mode", 1],
  ["docs/local.md", "Watch a folder: `npm run local`", 2],
];

for (const [doc, section, readCount] of WALKTHROUGHS) {
  describe(`${doc} walkthrough "${section}", verbatim on a fresh folder`, function () {
    this.timeout(120_000);
    let dir: string;
    let watcher: ChildProcess | undefined;
    before(() => (dir = mkdtempSync(join(tmpdir(), "datalake-walkthrough-"))));
    after(async () => {
      if (watcher && watcher.exitCode === null) {
        watcher.kill("SIGTERM");
        await new Promise((resolve) => watcher!.once("exit", resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it("watches, loads the dropped file, and the audit and queries show what the document says", async () => {
      const all = blocks(doc, section);
      const commands = all.filter((b) => b.lang === "bash" || b.lang === "sh");
      const [start, drop, ...rest] = commands;
      const reads = rest.slice(0, readCount);
      let output = "";
      watcher = spawn("bash", ["-c", `${SHIMS}\n${start.code}`], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
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
      await runBlock(dir, drop.code);
      await until(/^file orders\s+SUCCEEDED\s+orders\/orders 1\.csv/m);
      // The document quotes the watcher's line for this file; the version id and duration vary.
      const promised = /(file orders\s+SUCCEEDED\s+orders\/orders 1\.csv \(v [^)]+\)\s+rows 3: loaded 2, quarantined 1, rejected 0)/.exec(readFileSync(join(ROOT, doc), "utf8"))?.[1];
      expect(promised, `${doc} quotes the watcher's line`).to.be.a("string");
      const printed = output.split("\n").find((l) => l.startsWith("file orders") && l.includes("orders 1.csv"))!;
      const same = (line: string) => line.replace(/\s+/g, " ").replace(/\(v [^)]+\)/, "(v)").replace(/ [\d.]+m?s$/, "");
      expect(same(printed)).to.equal(same(promised!));

      let shown = "";
      for (const read of reads) {
        const out = await runBlock(dir, read.code);
        shown += out;
        // A text block right after a command block is that command's output.
        const next = all[all.indexOf(read) + 1];
        if (next?.lang === "text" && /^\s*order_id\s/.test(next.code)) expect(out, `${doc}: output of\n${read.code}`).to.equal(next.code);
      }
      expect(shown).to.match(/orders\s+orders\/orders 1\.csv\s+\S+\s+SUCCEEDED\s+2\s+1\s+0/);
      expect(shown).to.match(/^\s*1001\s+shipped\s+42\.50/m);
      expect(shown).to.match(/^\s*1002\s+bogus\s+accepted_values:status/m);
      // `audit --verify` (exit 0, or the block fails) proves the workspace accounted for.
      expect(shown).to.match(/^verified workspace .*\(1 object version\(s\), 1 FILE item\(s\), 1 run\(s\)\)$/m);
    });
  });
}
