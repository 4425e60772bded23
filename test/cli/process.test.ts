// The CLI as users run it: a real `node bin/datalake.js` process, its output through a real pipe
// to a slow reader, and a checkout whose dataset spec is broken.
import { execFile, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import type { RunSummary } from "../../engine/contracts";
import { openWorkspaceAudit } from "../../local/runtime/audit-access";
import { BIN, runProcess, tempDir } from "./helpers";

const ROOT = join(__dirname, "..", "..");
const exec = promisify(execFile);

interface Piped {
  /** datalake's exit code (bash PIPESTATUS[0]), not the reader's. */
  code: number;
  stdout: string;
  stderr: string;
}

/** `datalake ARGS | READER` in bash; the reader sleeps first so the pipe's buffer fills up. */
async function piped(cwd: string, args: string[], reader = "(sleep 1; cat)"): Promise<Piped> {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `"${process.execPath}" "${BIN}" ${quoted} | ${reader}; echo "exit=\${PIPESTATUS[0]}" >&2`;
  const { stdout, stderr } = await exec("bash", ["-c", script], { cwd, maxBuffer: 256 * 1024 * 1024 });
  const code = Number(/exit=(\d+)\s*$/.exec(stderr)?.[1] ?? NaN);
  return { code, stdout, stderr: stderr.replace(/exit=\d+\s*$/, "") };
}

describe("datalake CLI as a process", function () {
  this.timeout(120_000);
  let dir: string;
  let cleanup: () => void;
  before(() => {
    ({ dir, cleanup } = tempDir("datalake-cli-proc-"));
    mkdirSync(join(dir, ".datalake"));
  });
  after(() => cleanup());

  it("writes all of a large --json result into a slow pipe before exiting", async () => {
    const run = await piped(dir, ["query", "--json", "SELECT range AS n, 'x' || range AS s FROM range(100000)"]);

    expect(run.code).to.equal(0);
    const rows = JSON.parse(run.stdout) as { n: number; s: string }[];
    expect(rows).to.have.length(100_000);
    expect(rows[99_999]).to.deep.equal({ n: 99_999, s: "x99999" });
  });

  it("streams every row as CSV, quoting what needs it and leaving NULL empty", async () => {
    const run = await piped(dir, ["query", "--csv", "SELECT range AS n, CASE WHEN range = 1 THEN NULL ELSE 'a,\"b' END AS s, '' AS e FROM range(150000)"]);

    expect(run.code).to.equal(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines).to.have.length(150_001);
    expect(lines.slice(0, 3)).to.deep.equal(["n,s,e", '0,"a,""b",""', '1,,""']);
  });

  it("caps a table at 40 rows with a footer, and shows 200,000 rows with --max-rows 0", async () => {
    const sql = "SELECT range AS n FROM range(200000)";
    const capped = await piped(dir, ["query", sql]);
    const all = await piped(dir, ["query", "--max-rows", "0", sql]);

    expect(capped.code).to.equal(0);
    const lines = capped.stdout.trimEnd().split("\n");
    expect(lines).to.have.length(2 + 40 + 1);
    expect(lines[lines.length - 1]).to.match(/^\(200000 rows, 40 shown; --max-rows 0 shows all/);
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout.trimEnd().split("\n")).to.have.length(2 + 200_000 + 1);
  });

  it("stops quietly (exit 0) when the reader goes away", async () => {
    const run = await piped(dir, ["query", "--json", "SELECT range AS n FROM range(500000)"], "head -c 100 >/dev/null");

    expect(run.code).to.equal(0);
    expect(run.stderr).to.equal("");
  });

  it("refuses several statements, and empty SQL, with one line", async () => {
    const two = await piped(dir, ["query", "SELECT 1; SELECT 2"]);
    const empty = await piped(dir, ["query", "  "]);

    expect(two.code).to.equal(1);
    expect(two.stderr.trim()).to.match(/^datalake query: one SQL statement at a time \(got 2\)/);
    expect(empty.code).to.equal(2);
    expect(empty.stderr.trim()).to.equal("datalake query: the SQL is empty");
  });

  describe("loading through the process", () => {
    const HEADER = "Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts";
    const write = (name: string, lines: string[]): string => {
      const file = join(dir, name);
      writeFileSync(file, `${lines.join("\n")}\n`);
      return file;
    };
    const load = async (ws: string, file: string): Promise<RunSummary> => {
      const { stdout } = await exec(process.execPath, [BIN, "load", "--workspace", ws, "--dataset", "orders", "--json", file], { cwd: dir });
      return (JSON.parse(stdout) as RunSummary[])[0];
    };
    const orders = async (ws: string): Promise<{ order_id: number; status: string }[]> => {
      const { stdout } = await exec(process.execPath, [BIN, "query", "--workspace", ws, "--json", "SELECT order_id, status FROM orders ORDER BY 1"], { cwd: dir });
      return JSON.parse(stdout) as { order_id: number; status: string }[];
    };
    const inserts = () =>
      write("inserts.csv", [HEADER, "I,1,10,2026-11-01 09:00:00,pending,5.00,2026-11-01 09:00:00", "I,2,10,2026-11-01 09:00:00,pending,6.00,2026-11-01 09:00:00"]);

    it("matches header names case-insensitively: a lowercase `op` column still deletes", async () => {
      const ws = join(dir, "ws-case");
      await load(ws, inserts());
      const changes = write("changes.csv", [
        "op,ORDER_ID,Customer_Id,order_ts,STATUS,total_amount,CDC_TS",
        "D,1,10,2026-11-01 09:00:00,pending,5.00,2026-11-02 09:00:00",
        "U,2,10,2026-11-01 09:00:00,paid,6.00,2026-11-02 09:00:00",
      ]);

      const summary = await load(ws, changes);

      expect(summary.status).to.equal("SUCCEEDED");
      expect(summary.driftWarnings).to.deep.equal([]);
      expect(await orders(ws)).to.deep.equal([{ order_id: 2, status: "paid" }]);
    });

    it("prints each file's status as the audit names it, and rebuilds from bronze with --full-refresh alone", async () => {
      const ws = join(dir, "ws-refresh");
      const first = await exec(process.execPath, [BIN, "load", "--workspace", ws, "--dataset", "orders", inserts()], { cwd: dir });
      const before = await orders(ws);

      const rebuilt = await exec(process.execPath, [BIN, "load", "--workspace", ws, "--dataset", "orders", "--full-refresh"], { cwd: dir });

      expect(first.stdout).to.match(/^SUCCEEDED\s+orders\/inserts\.csv\s+2\s+2\s+0\s+0/m);
      expect(first.stdout).to.match(/^orders run cli-\S+: SUCCEEDED; read 2,/m);
      expect(rebuilt.stdout).to.match(/^orders run cli-\S+: SUCCEEDED; read 0,/m);
      expect(await orders(ws)).to.deep.equal(before);
    });

    it("offers bronze_ and state_ views, reads only, and runs other statements with --write", async () => {
      const ws = join(dir, "ws-views");
      await load(ws, inserts());
      const query = (...args: string[]) => runProcess(["query", "--workspace", ws, ...args], { cwd: dir });
      const out = join(dir, "orders-copy.csv");

      const views = await query("--json", "SELECT (SELECT COUNT(*) FROM bronze_orders) AS bronze, (SELECT COUNT(*) FROM state_orders) AS state");
      const refused = await query(`COPY orders TO '${out}'`);
      const written = await query("--write", `COPY orders TO '${out}'`);
      // EXPLAIN ANALYZE runs what it explains: a COPY under it writes.
      const sneaked = join(dir, "sneaked.csv");
      const analyzedCopy = await query(`/* note */ EXPLAIN ANALYZE COPY orders TO '${sneaked}'`);
      const optionsCopy = await query(`EXPLAIN (ANALYSE, FORMAT json) COPY orders TO '${sneaked}'`);
      const analyzedSelect = await query("EXPLAIN ANALYZE SELECT COUNT(*) FROM orders");
      // A write to a view fails while DuckDB binds it, before its type is known: still refused as a write.
      const deleted = await query("WITH gone AS (SELECT 1) DELETE FROM orders");
      const missing = await query("SELECT * FROM no_such_table");

      expect(JSON.parse(views.stdout)).to.deep.equal([{ bronze: 2, state: 2 }]);
      for (const r of [analyzedCopy, optionsCopy]) {
        expect(r.code).to.equal(1);
        expect(r.stderr).to.match(/^datalake query: query only reads: EXPLAIN ANALYZE runs the statement it explains, and only a SELECT may run without --write/);
      }
      expect(existsSync(sneaked)).to.equal(false);
      expect(analyzedSelect.code, analyzedSelect.stderr).to.equal(0);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.match(/^datalake query: query only reads \(SELECT, DESCRIBE, SUMMARIZE, EXPLAIN\); this is a COPY statement: add --write to run it/);
      expect(written.code, written.stderr).to.equal(0);
      expect(readFileSync(out, "utf8").split("\n")[0]).to.match(/^order_id,customer_id,/);
      expect(deleted.stderr).to.match(/^datalake query: query only reads \(SELECT, DESCRIBE, SUMMARIZE, EXPLAIN\); this is a statement that writes: add --write to run it/);
      expect(missing.stderr).to.match(/^datalake query: Catalog Error: Table with name no_such_table does not exist/);
    });

    it("warns when a column looks like the Op column but is not it (the file loaded as a full load)", async () => {
      const ws = join(dir, "ws-oplike");
      await load(ws, inserts());
      const changes = write("op-underscore.csv", ['Op_,order_id,customer_id,order_ts,status,total_amount,cdc_ts', "D,1,10,2026-11-01 09:00:00,pending,5.00,2026-11-02 09:00:00"]);

      const summary = await load(ws, changes);

      expect(summary.driftWarnings).to.deep.equal([
        `${summary.files[0].key}: extra column(s) Op_`,
        `${summary.files[0].key}: column "Op_" is not the Op column Op: its values are not read as operations (a file without Op loads as a full load: no deletes); if it holds them, rename it to Op`,
      ]);
      expect((await orders(ws)).map((r) => r.order_id)).to.deep.equal([1, 2]);
    });
  });

  describe("load in the audit trail and under the workspace lock", () => {
    const ordersFile = (name: string): string => {
      const file = join(dir, name);
      writeFileSync(file, "Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts\nI,1,10,2026-11-01 09:00:00,pending,5.00,2026-11-01 09:00:00\nI,2,10,2026-11-01 09:00:00,bogus,6.00,2026-11-01 09:00:00\n");
      return file;
    };

    it("records a FILE item per file and a RUN item, which `audit` shows", async () => {
      const ws = join(dir, "ws-audit");
      const file = ordersFile("audited.csv");
      await exec(process.execPath, [BIN, "load", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });

      const files = await exec(process.execPath, [BIN, "audit", "--workspace", ws, "--dataset", "orders", "--json"], { cwd: dir });
      const runs = await exec(process.execPath, [BIN, "audit", "--workspace", ws, "--dataset", "orders", "--runs", "--json"], { cwd: dir });

      const [item] = JSON.parse(files.stdout) as Record<string, unknown>[];
      expect(item).to.include({ key: "orders/audited.csv", status: "SUCCEEDED", rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1, rowsRejected: 0 });
      const [run] = JSON.parse(runs.stdout) as Record<string, unknown>[];
      expect(run).to.include({ runId: item.runId, jobName: "datalake load", status: "SUCCEEDED", fileCount: 1 });
      // The engine run's own time, as Glue's ExecutionTime is on AWS: the `secs` column.
      expect(run.executionSeconds).to.be.a("number").within(0, 600);
      const table = await exec(process.execPath, [BIN, "audit", "--workspace", ws, "--dataset", "orders", "--runs"], { cwd: dir });
      expect(table.stdout).to.match(new RegExp(`^orders\\s+${String(item.runId)}\\s+SUCCEEDED\\s+1\\s+2\\s+1\\s+1\\s+0\\s+\\d+(\\.\\d)?\\s*$`, "m"));
    });

    /** `load --verbose` in its own process group, Ctrl-C'd (SIGINT to the group) when a stderr line matches `at`. */
    async function interruptedLoad(ws: string, file: string, at: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const child = spawn(process.execPath, [BIN, "load", "--verbose", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      let [stdout, stderr, sent] = ["", "", false];
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        if (!sent && at.test(stderr)) {
          sent = true;
          process.kill(-child.pid!, "SIGINT"); // the terminal's Ctrl-C: the audit store's child gets it too
        }
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      return { code, stdout, stderr };
    }

    const manyOrders = (name: string, rows: number): string => {
      const lines = Array.from({ length: rows }, (_, i) => `I,${i + 1},10,2026-11-01 09:00:00,paid,5.00,2026-11-01 09:00:00`);
      const file = join(dir, name);
      writeFileSync(file, ["Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts", ...lines].join("\n") + "\n");
      return file;
    };
    const auditJson = async (ws: string, ...args: string[]) =>
      JSON.parse((await exec(process.execPath, [BIN, "audit", "--workspace", ws, "--dataset", "orders", "--json", ...args], { cwd: dir })).stdout) as Record<string, unknown>[];

    it("Ctrl-C before the publish stops the load: nothing published or recorded (exit 130), and the next load loads it", async () => {
      const ws = join(dir, "ws-ctrl-c-early");
      const file = manyOrders("early.csv", 50_000);

      const stopped = await interruptedLoad(ws, file, /read_files: /);

      expect(stopped.code).to.equal(130);
      expect(stopped.stderr).to.match(/datalake load: SIGINT: stopping; a publish under way finishes and is recorded first\n/);
      expect(stopped.stderr).to.match(/datalake load: interrupted before the publish: nothing was loaded\n$/);
      expect(existsSync(join(ws, "silver"))).to.equal(false);
      const again = await exec(process.execPath, [BIN, "load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });
      expect(again.stdout).to.match(/SUCCEEDED\s+orders\/early\.csv\s+50000\s+50000/);
      expect((await auditJson(ws)).map((f) => f.status)).to.deep.equal(["SUCCEEDED"]);
    });

    it("Ctrl-C once the publish began: the run finishes and is recorded (FILE and RUN items) before the process exits", async () => {
      const ws = join(dir, "ws-ctrl-c-late");
      const file = manyOrders("late.csv", 20_000);

      const stopped = await interruptedLoad(ws, file, /publish: version v000001/);

      // 130 when the signal came before the process ended; 0 when it came too late to matter.
      expect([0, 130], stopped.stderr).to.include(stopped.code);
      expect(stopped.stdout).to.match(/orders run cli-\S+: SUCCEEDED; read 20000,/);
      const [item] = await auditJson(ws);
      expect(item).to.include({ key: "orders/late.csv", status: "SUCCEEDED", rowsRead: 20_000 });
      expect(await auditJson(ws, "--runs")).to.have.length(1);
      const verify = await runProcess(["audit", "--verify", "--workspace", ws], { cwd: dir });
      expect(verify.code, verify.stdout).to.equal(0);
    });

    it("the audit store's process killed during a load: one line says the run published and was not recorded; the next load records it", async () => {
      const ws = join(dir, "ws-audit-killed");
      const file = manyOrders("audit-killed.csv", 50_000);
      const child = spawn(process.execPath, [BIN, "load", "--verbose", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      let [stderr, killed] = ["", false];
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        if (!killed && /read_files: /.test(stderr)) {
          killed = true;
          execFileSync("pkill", ["-9", "-f", `dynalite-child.js ${ws}`]);
        }
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));

      expect(code, stderr).to.equal(1);
      expect(stderr).to.match(/\ndatalake load: run cli-\S+ published but was not recorded in the audit trail \(.+\): the next `datalake load` records it\n$/);
      const next = await exec(process.execPath, [BIN, "load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });
      expect(next.stderr).to.match(/datalake load: recorded run cli-\S+ \(orders, 1 file\(s\), SUCCEEDED\)/);
      expect((await auditJson(ws)).map((f) => [f.status, f.rowsRead])).to.deep.equal([["SUCCEEDED", 50_000]]);
    });

    it("Ctrl-C during `build`: the model building finishes and is recorded, no other starts (exit 130); the next build builds the rest", async () => {
      const ws = join(dir, "ws-ctrl-c-build");
      const load = await exec(process.execPath, [BIN, "load", "--no-build", "--workspace", ws, "--dataset", "orders", manyOrders("build.csv", 2_000)], { cwd: dir });
      expect(load.stdout).to.match(/SUCCEEDED/);
      const child = spawn(process.execPath, [BIN, "build", "--workspace", ws], { cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      let [stdout, stderr, sent] = ["", "", false];
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        if (!sent && /^dim_date: /m.test(stdout)) {
          sent = true;
          process.kill(-child.pid!, "SIGINT");
        }
      });
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));

      expect(code, stderr).to.equal(130);
      expect(stderr).to.match(/datalake build: SIGINT: stopping after the model building now; it is recorded, the rest build next time\n/);
      const ran = stdout.split("\n").filter((l) => /^\w+: (built|FAILED)/.test(l)).map((l) => l.split(":")[0]);
      expect(ran.length, stdout).to.be.greaterThan(0).and.lessThan(7);
      const opened = await openWorkspaceAudit(ws);
      try {
        for (const model of ran) expect((await opened.audit.listRuns(model)).map((r) => r.model), `${model}'s RUN item`).to.deep.equal([true]);
      } finally {
        await opened.close();
      }
      const again = await exec(process.execPath, [BIN, "build", "--workspace", ws], { cwd: dir }).catch((e: { stdout: string }) => e);
      expect(again.stdout).to.match(/^\d+ model\(s\): /m);
    });

    /** `load --verbose` of `file`, frozen once it reported `stage` (frozen-load-child.ts), then killed with SIGKILL. */
    async function killedLoad(ws: string, file: string, stage: "publish" | "done" | `moved: ${string}`): Promise<void> {
      // One marker per workspace: two tests may freeze at the same stage.
      const marker = join(dir, `frozen-load-${basename(ws)}-${stage.replace(/\W+/g, "-")}`);
      const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "frozen-load-child.ts"), marker, stage, "load", "--verbose", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: ROOT, stdio: "ignore" });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      for (const t0 = Date.now(); !existsSync(marker); ) {
        if (Date.now() - t0 > 60_000 || child.exitCode !== null) throw new Error("the load never reached the freeze point");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.kill("SIGKILL");
      await exited;
    }

    it("kill -9 after the publish, before the audit record: the next load records the killed run, so its files keep their rows", async () => {
      const ws = join(dir, "ws-kill-after-publish");
      const file = ordersFile("killed.csv");
      await killedLoad(ws, file, "done");

      const again = await runProcess(["load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });

      expect(again.code, again.stderr).to.equal(0);
      const [item] = await auditJson(ws);
      expect(item).to.include({ key: "orders/killed.csv", status: "SUCCEEDED", rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
      expect(again.stderr).to.match(/^datalake load: recorded run cli-\S+ \(orders, 1 file\(s\), SUCCEEDED\), which a stopped load left out of the audit trail$/m);
      expect((await auditJson(ws, "--runs")).map((r) => r.status)).to.deep.equal(["SUCCEEDED", "SUCCEEDED"]);
      expect(existsSync(join(ws, "_staging")), "the killed run's staging").to.equal(false);
      const verify = await runProcess(["audit", "--verify", "--workspace", ws], { cwd: dir });
      expect(verify.code, verify.stdout).to.equal(0);
    });

    it("kill -9 after the publish, before the engine summary: the next load records the killed run from its publish record", async () => {
      const ws = join(dir, "ws-kill-before-summary");
      const file = ordersFile("unsummarized.csv");
      await killedLoad(ws, file, "publish");
      const left = readdirSync(join(ws, "ops", "summaries", "orders"));
      expect(left, "killed with its publish record, before its summary").to.have.length(1);
      expect(left[0]).to.match(/^cli-\S+\.publish\.json$/);

      const again = await runProcess(["load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });

      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/^SKIPPED\s+orders\/unsummarized\.csv\s+0\s+0/m); // the killed run's publish stands
      const [item] = await auditJson(ws);
      expect(item).to.include({ key: "orders/unsummarized.csv", status: "SUCCEEDED", rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
      expect(again.stderr).to.match(/^datalake load: recorded run cli-\S+ \(orders, 1 file\(s\), SUCCEEDED\) from its publish record \(killed before its summary\), which a stopped load left out of the audit trail$/m);
      expect((await auditJson(ws, "--runs")).map((r) => r.status)).to.deep.equal(["SUCCEEDED", "SUCCEEDED"]);
      const verify = await runProcess(["audit", "--verify", "--workspace", ws], { cwd: dir });
      expect(verify.code, verify.stdout).to.equal(0);
    });

    const bronzeRows = async (ws: string): Promise<number> =>
      (JSON.parse((await exec(process.execPath, [BIN, "query", "--workspace", ws, "--json", "SELECT COUNT(*) AS n FROM bronze_orders"], { cwd: dir })).stdout) as { n: number }[])[0].n;

    it("kill -9 in the middle of the publish (bronze moved, not the files ledger): the next load finishes it first, and each row is loaded and recorded once", async () => {
      const ws = join(dir, "ws-kill-mid-publish");
      const file = ordersFile("midway.csv");
      await killedLoad(ws, file, "moved: bronze");

      const again = await runProcess(["load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });

      expect(again.code, again.stderr).to.equal(0);
      expect(again.stderr).to.match(/^datalake load: finished the publish of run cli-\S+ \(orders\), which a stopped load had cut short$/m);
      expect(again.stdout).to.match(/^SKIPPED\s+orders\/midway\.csv\s+0\s+0/m);
      expect(await bronzeRows(ws), "bronze rows").to.equal(2);
      const items = await auditJson(ws);
      expect(items).to.have.length(1);
      expect(items[0]).to.include({ key: "orders/midway.csv", status: "SUCCEEDED", rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
      expect(again.stderr).to.match(/^datalake load: recorded run cli-\S+ \(orders, 1 file\(s\), SUCCEEDED\) from its publish record/m);
      expect(existsSync(join(ws, "_staging")), "the killed run's staging").to.equal(false);
      const verify = await runProcess(["audit", "--verify", "--workspace", ws], { cwd: dir });
      expect(verify.code, verify.stdout).to.equal(0);
    });

    it("kill -9 in the middle of the publish of bytes changed back (an undo): the next load of them finishes it and finds them loaded, current", async () => {
      const ws = join(dir, "ws-kill-mid-undo");
      const file = join(dir, "undo.csv");
      const order = (status: string) => `Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts\nI,1,10,2026-11-01 09:00:00,${status},5.00,2026-11-01 09:00:00\n`;
      for (const status of ["pending", "paid"]) {
        writeFileSync(file, order(status));
        const load = await runProcess(["load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });
        expect(load.code, load.stderr).to.equal(0);
      }
      writeFileSync(file, order("pending"));
      await killedLoad(ws, file, "moved: bronze");

      const again = await runProcess(["load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });

      expect(again.code, again.stderr).to.equal(0);
      expect(again.stderr).to.match(/^datalake load: finished the publish of run cli-\S+ \(orders\), which a stopped load had cut short$/m);
      expect(again.stdout).to.match(/^SKIPPED\s+orders\/undo\.csv\s+0\s+0/m);
      expect(await bronzeRows(ws), "bronze rows").to.equal(3);
      const silver = JSON.parse((await exec(process.execPath, [BIN, "query", "--workspace", ws, "--json", "SELECT status FROM orders"], { cwd: dir })).stdout);
      expect(silver).to.deep.equal([{ status: "pending" }]);
      expect((await auditJson(ws)).map((f) => f.status)).to.deep.equal(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
      const verify = await runProcess(["audit", "--verify", "--workspace", ws], { cwd: dir });
      expect(verify.code, verify.stdout).to.equal(0);
    });

    it("kill -9 in the middle of the publish (state moved): a load of another dataset finishes it and records the killed run; its file is not loaded again", async () => {
      const ws = join(dir, "ws-kill-mid-publish-other");
      const file = ordersFile("other.csv");
      await killedLoad(ws, file, "moved: state");
      const customers = join(dir, "customers.csv");
      writeFileSync(customers, "Op,customer_id,email,country,signup_date,cdc_ts\nI,1,a@x.com,DE,2024-01-02,2026-11-01 10:00:00\n");

      const other = await runProcess(["load", "--no-build", "--workspace", ws, "--dataset", "customers", customers], { cwd: dir });
      const again = await runProcess(["load", "--no-build", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });

      expect(other.code, other.stderr).to.equal(0);
      expect(other.stderr).to.match(/^datalake load: finished the publish of run cli-\S+ \(orders\), which a stopped load had cut short$/m);
      expect(other.stderr).to.match(/^datalake load: recorded run cli-\S+ \(orders, 1 file\(s\), SUCCEEDED\) from its publish record/m);
      expect(again.stdout).to.match(/^SKIPPED\s+orders\/other\.csv\s+0\s+0/m);
      expect(await bronzeRows(ws)).to.equal(2);
      expect((await auditJson(ws)).map((f) => [f.key, f.status, f.rowsRead])).to.deep.equal([["orders/other.csv", "SUCCEEDED", 2]]);
      const verify = await runProcess(["audit", "--verify", "--workspace", ws], { cwd: dir });
      expect(verify.code, verify.stdout).to.equal(0);
    });

    it("filters the trail by --status, --since and --limit, and cuts long reasons unless --wide", async () => {
      const ws = join(dir, "ws-filter");
      const good = ordersFile("good.csv");
      const bad = join(dir, "bad.csv");
      writeFileSync(bad, "Op,order_id,cdc_ts\nI,9,2026-11-01 09:00:00\n");
      await exec(process.execPath, [BIN, "load", "--workspace", ws, "--dataset", "orders", good, bad], { cwd: dir });
      const audit = (...args: string[]) => runProcess(["audit", "--workspace", ws, "--dataset", "orders", ...args], { cwd: dir });
      const keys = async (...args: string[]) => (JSON.parse((await audit("--json", ...args)).stdout) as { key: string }[]).map((f) => f.key);

      expect(await keys("--status", "quarantined")).to.deep.equal(["orders/bad.csv"]);
      expect(await keys("--status", "SUCCEEDED,QUARANTINED", "--limit", "1")).to.have.length(1);
      expect(await keys("--since", "3650d")).to.have.members(["orders/good.csv", "orders/bad.csv"]);
      expect(await keys("--since", "2999-01-01")).to.deep.equal([]);
      const reason = "missing_column:customer_id,order_ts,status,total_amount";
      expect((await audit("--status", "QUARANTINED")).stdout).to.include(`${reason.slice(0, 47)}…`).and.not.include(reason);
      expect((await audit("--status", "QUARANTINED", "--wide")).stdout).to.include(reason);
      const wrong = await audit("--since", "yesterday");
      expect(wrong.code).to.equal(2);
      expect(wrong.stderr).to.match(/^datalake audit: --since must be an ISO date\/time/);
    });

    it("refuses to load beside a running `datalake local`, with one line (exit 1), and loads once it stopped", async () => {
      const ws = join(dir, "ws-locked");
      const local = spawn(process.execPath, [BIN, "local", "--workspace", ws], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      try {
        await new Promise<void>((resolve, reject) => {
          local.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("watching") && resolve());
          local.once("exit", (code) => reject(new Error(`local exited ${code}`)));
        });
        const file = ordersFile("locked.csv");
        const refused = await runProcess(["load", "--workspace", ws, "--dataset", "orders", file], { cwd: dir });

        expect(refused.code).to.equal(1);
        expect(refused.stderr).to.match(/^datalake load: workspace is in use by another datalake process \(pid \d+\); stop it first \(while `datalake local` runs, it loads what lands in landing\/ and builds the models itself\)\n$/);
      } finally {
        local.kill("SIGTERM");
        await new Promise((resolve) => local.once("exit", resolve));
      }
      const after = await exec(process.execPath, [BIN, "load", "--workspace", ws, "--dataset", "orders", join(dir, "locked.csv")], { cwd: dir });
      expect(after.stdout).to.match(/orders run cli-\S+: SUCCEEDED/);
    });
  });

  describe("with a broken dataset spec", () => {
    let checkout: string;
    before(() => {
      // A copy of the project's tracked sources (tests aside) sharing node_modules.
      checkout = join(dir, "checkout");
      const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
        .split("\n")
        .filter((f) => f !== "" && !f.startsWith("test/") && !f.startsWith("glue-scripts/tests/"));
      for (const f of files) {
        mkdirSync(dirname(join(checkout, f)), { recursive: true });
        cpSync(join(ROOT, f), join(checkout, f));
      }
      symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"));
    });

    const breakSpec = (from: string, to: string): void => {
      const file = join(checkout, "datasets", "orders.ts");
      const original = readFileSync(join(ROOT, "datasets", "orders.ts"), "utf8");
      expect(original).to.include(from);
      writeFileSync(file, original.replace(from, to));
    };
    const datalake = (...args: string[]) => runProcess(args, { bin: join(checkout, "bin", "datalake.js"), cwd: checkout });

    for (const args of [["--help"], ["query", "SELECT 1"], ["local", "--help"]]) {
      it(`prints the spec's one-line error for \`datalake ${args.join(" ")}\` (exit 2)`, async () => {
        breakSpec('order_id: "bigint"', 'order_id: "bigintt"');
        const run = await datalake(...args);

        expect(run.code).to.equal(2);
        expect(run.stderr).to.equal('datalake: datasets/orders.ts: columns.order_id.type: unknown type "bigintt" (string, int, bigint, double, decimal(p,s), boolean, date, timestamp)\n');
        expect(run.stdout).to.equal("");
      });
    }

    it("prints a model spec's one-line error like a dataset spec's (exit 2)", async () => {
      breakSpec('description: "Orders replicated by DMS"', 'description: "Orders replicated by DMS"'); // the dataset spec intact
      const file = join(checkout, "models", "fact_orders.ts");
      const original = readFileSync(join(ROOT, "models", "fact_orders.ts"), "utf8");
      expect(original).to.include("measures:");
      writeFileSync(file, original.replace("measures:", "measure:"));
      try {
        const run = await datalake("query", "SELECT 1");

        expect(run.code).to.equal(2);
        expect(run.stderr).to.match(/^datalake: models\/fact_orders\.ts: measure: unknown field \(known: [^)]+\)\n$/);
        expect(run.stdout).to.equal("");
      } finally {
        writeFileSync(file, original);
      }
    });

    it("generates every dataset it can with --all, naming one it cannot (a composite key) instead of stopping there", async () => {
      breakSpec('description: "Orders replicated by DMS"', 'description: "Orders replicated by DMS"'); // the dataset spec intact
      const index = join(checkout, "datasets", "index.ts");
      const registry = readFileSync(join(ROOT, "datasets", "index.ts"), "utf8");
      writeFileSync(
        join(checkout, "datasets", "lines.ts"),
        'import { defineDataset } from "./define";\nexport default defineDataset({ name: "lines", prefix: "lines/", format: "dms", ' +
          'columns: { store: "string", line_no: "int", qty: "int" }, primaryKey: ["store", "line_no"] });\n',
      );
      writeFileSync(index, registry.replace('import shipments from "./shipments";', 'import shipments from "./shipments";\nimport lines from "./lines";').replace("  shipments,\n]", "  shipments,\n  lines,\n]"));
      try {
        const run = await datalake("generate", "--all", "--rows", "5", "--files", "1", "--out", join(dir, "generated-all"));

        expect(run.code, run.stderr).to.equal(0);
        expect(run.stderr).to.equal("generate: skipped lines: the generator writes one key column; this spec's primary key has several\n");
        expect(run.stdout.split("\n").filter((l) => / files, 5 rows -> /.test(l))).to.have.length(6);
      } finally {
        writeFileSync(index, registry);
        rmSync(join(checkout, "datasets", "lines.ts"));
      }
    });

    it("names the file, line and column of a spec that does not compile (exit 2)", async () => {
      breakSpec('order_id: "bigint",', 'order_id: "bigint" +,');
      const run = await datalake("--help");

      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(/^datalake: datasets\/orders\.ts:\d+:\d+: .+\n$/);
    });

    it("warns about a dataset file that is not registered, naming it, and still runs", async () => {
      breakSpec('description: "Orders replicated by DMS"', 'description: "Orders replicated by DMS"');
      const file = join(checkout, "datasets", "invoices.ts");
      writeFileSync(file, readFileSync(join(ROOT, "datasets", "orders.ts"), "utf8").replace('name: "orders"', 'name: "invoices"'));
      try {
        const run = await datalake("--version");

        expect(run.code).to.equal(0);
        expect(run.stderr).to.equal("datalake: warning: datasets/invoices.ts declares a dataset but datasets/index.ts does not register it (add it to DATASETS)\n");
      } finally {
        rmSync(file);
      }
    });

    it("runs from a bundle it rebuilds when a source changed: the fixed spec works at once", async () => {
      breakSpec('order_id: "bigint"', 'order_id: "bigintt"');
      expect((await datalake("--help")).code).to.equal(2);
      breakSpec('description: "Orders replicated by DMS"', 'description: "Orders, as edited"');

      const help = await datalake("--help");
      const version = await datalake("--version");

      expect(help.code, help.stderr).to.equal(0);
      expect(existsSync(join(checkout, "dist", "cli", "datalake.js"))).to.equal(true);
      expect(version.stdout).to.equal(`${(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version}\n`);
    });
  });
});
