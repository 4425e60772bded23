import { expect } from "chai";
import { spawn } from "child_process";
import { existsSync, readFileSync } from "fs";
import { join } from "path";
import { applyRollback, closeRollback, newRollbackId, planRollback } from "../../engine/duckdb";
import { DATASETS, type DatasetSpec } from "../../datasets";
import { generateDataset } from "../../local/generator";
import { cli, queryJson, tempDir } from "./helpers";

const ROOT = join(__dirname, "..", "..");

/** Where frozen-rollback-child.ts stops the rollback: after the rename onto `target` (whose content matches `content`). */
interface KillPoint {
  after: string;
  target: string;
  content?: string;
}

const KILL_POINTS: KillPoint[] = [
  { after: "its record, before anything moved", target: "rollback\\.json$", content: '"status": "started"' },
  { after: "the first bronze file set aside", target: "/_rolled_back/orders/[^/]+/bronze/" },
  { after: "the state pointer moved", target: "/state/orders/_current\\.json$" },
  { after: "the quarantine pointer moved", target: "/quarantine/orders/_current\\.json$" },
  { after: "every pointer moved, before its record said so", target: "/silver/orders/_current\\.json$" },
  { after: "it was applied, before its audit RUN item", target: "rollback\\.json$", content: '"status": "applied"' },
];

/** `datalake rollback ...args` in a child process killed with SIGKILL at `kill`. */
async function killedRollback(dir: string, kill: KillPoint, ...args: string[]): Promise<void> {
  const marker = join(dir, "frozen-rollback");
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", join(__dirname, "frozen-rollback-child.ts"), marker, kill.target, kill.content ?? "", "rollback", ...args], { cwd: ROOT, stdio: "ignore" });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (const t0 = Date.now(); !existsSync(marker); ) {
    if (Date.now() - t0 > 120_000 || child.exitCode !== null) throw new Error(`the rollback never reached the kill point (${kill.after})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  await exited;
}

describe("datalake rollback", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-rb-")));
  afterEach(() => cleanup());

  it("moves the dataset back (silver, quarantine, state), records it, and the next file builds on the restored version", async () => {
    const workspace = join(dir, "ws");
    const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 3, rows: 200, files: 2, outDir: join(dir, "gen") });
    await cli("load", "--dataset", "orders", "--workspace", workspace, load);
    const v1 = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM orders");
    await cli("load", "--dataset", "orders", "--workspace", workspace, changes[0]);
    const v2 = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM orders");

    const back = await cli("rollback", "--table", "orders", "--workspace", workspace);
    const afterBack = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM orders");
    const list = await cli("rollback", "--table", "orders", "--workspace", workspace, "--list", "--json");
    const forward = await cli("rollback", "--table", "orders", "--workspace", workspace, "--to", "v000002");
    const runs = await cli("audit", "--dataset", "orders", "--runs", "--json", "--workspace", workspace);
    const listedJson = JSON.parse((await cli("audit", "--dataset", "orders", "--json", "--workspace", workspace)).stdout) as { key: string; rowsLoaded: number; undoneBy?: string }[];
    const listed = (await cli("audit", "--dataset", "orders", "--workspace", workspace)).stdout;
    // The undone file loads again when given again, onto the restored version: the same tables.
    const reload = await cli("load", "--dataset", "orders", "--workspace", workspace, changes[0]);
    const afterReload = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM orders");

    expect(v2).to.not.deep.equal(v1);
    expect(back.code, back.stderr).to.equal(0);
    expect(back.stdout).to.match(/^orders: v000002 -> v000001 \(quarantine_orders and state too\); undid 1 run\(s\): cli-\S+\n/);
    expect(afterBack).to.deep.equal(v1);
    const versions = JSON.parse(list.stdout) as { version: string; current: boolean }[];
    expect(versions.map((v) => [v.version, v.current])).to.deep.equal([
      ["v000001", true],
      ["v000002", false],
    ]);
    expect(forward.code).to.equal(1);
    expect(forward.stderr).to.match(/^datalake rollback: v000002 is not older than the current version v000001: rollback only goes back/);
    const rollbackRun = (JSON.parse(runs.stdout) as { jobName: string; rollback?: { from: string; to: string } }[]).find((r) => r.jobName === "datalake rollback");
    expect(rollbackRun?.rollback).to.include({ from: "v000002", to: "v000001" });
    // The file listing names the rollback that undid the second file's run, and counts the first file's rows only.
    const [first, second] = [load, changes[0]].map((p) => listedJson.find((f) => f.key.endsWith(p.split("/").pop()!))!);
    expect(first.undoneBy).to.equal(undefined);
    expect(second.undoneBy).to.match(/^rollback-/);
    expect(listed).to.contain(`undone by ${second.undoneBy}`);
    expect(listed).to.match(new RegExp(`2 file\\(s\\): 1 succeeded, 1 undone by a rollback; rows loaded ${first.rowsLoaded}, .* \\(not counting files undone by a rollback\\)`));
    expect(reload.code, reload.stderr).to.equal(0);
    expect(reload.stdout).to.match(/^SUCCEEDED\s/m);
    expect(afterReload).to.deep.equal(v2);
    // The audit trail still adds up: the file's item moved to the run that loaded it again.
    const verify = await cli("audit", "--verify", "--workspace", workspace);
    expect(verify.code, verify.stdout).to.equal(0);
    const files = JSON.parse((await cli("audit", "--dataset", "orders", "--json", "--workspace", workspace)).stdout) as { key: string; runId: string }[];
    const reloadRun = /run (\S+):/.exec(reload.stdout)?.[1];
    expect(reloadRun).to.match(/^cli-/);
    expect(files.find((f) => f.key.endsWith(changes[0].split("/").pop()!))?.runId).to.equal(reloadRun);
  });

  it("a second rollback after a load never restores the version the first one undid", async () => {
    const workspace = join(dir, "ws");
    const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 5, rows: 200, files: 2, outDir: join(dir, "gen") });
    const state = "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t, (SELECT count(*) FROM bronze_orders) AS bronze FROM orders";
    await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, load);
    const v1 = await queryJson(workspace, state);
    await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, changes[0]);
    await cli("rollback", "--table", "orders", "--workspace", workspace);
    await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, changes[1]);

    // v000002 was undone (its bronze and ledger set aside): v000003's predecessor is v000001.
    const named = await cli("rollback", "--table", "orders", "--to", "v000002", "--workspace", workspace);
    const back = await cli("rollback", "--table", "orders", "--workspace", workspace);

    expect(named.code).to.equal(1);
    expect(named.stderr).to.match(/^datalake rollback: v000002 was undone by rollback-\S+-orders: rollback only goes back/);
    expect(back.code, back.stderr).to.equal(0);
    expect(back.stdout).to.match(/^orders: v000003 -> v000001 \(quarantine_orders and state too\); undid 1 run\(s\): cli-\S+\n/);
    expect(await queryJson(workspace, state)).to.deep.equal(v1);
  });

  it("takes the star back too: the models reading the dataset are rebuilt from the restored version", async () => {
    const workspace = join(dir, "ws");
    const [customers] = generateDataset("customers", { format: "csv", seed: 6, rows: 60, files: 1, outDir: join(dir, "gen") });
    const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 6, rows: 200, files: 2, outDir: join(dir, "gen") });
    // fact_orders against silver: the same rows and amounts exactly when it was built from it.
    const star =
      "SELECT (SELECT count(*) FROM fact_orders) AS facts, (SELECT sum(total_amount)::VARCHAR FROM fact_orders) AS amount, " +
      "(SELECT count(*) FROM orders) AS silver, (SELECT sum(total_amount)::VARCHAR FROM orders) AS silver_amount";
    await cli("load", "--dataset", "customers", "--workspace", workspace, customers);
    await cli("load", "--dataset", "orders", "--workspace", workspace, load);
    const v1 = await queryJson(workspace, star);
    await cli("load", "--dataset", "orders", "--workspace", workspace, changes[0]);
    const v2 = await queryJson(workspace, star);

    const back = await cli("rollback", "--table", "orders", "--workspace", workspace);

    expect(v2, "the batch changed the fact").to.not.deep.equal(v1);
    expect(back.code, back.stderr).to.equal(0);
    expect(back.stdout).to.match(/\nmodel fact_orders: built v\d+, \d+ rows \(full: \d+ load run\(s\) it had read are gone from bronze_orders/);
    expect(await queryJson(workspace, star)).to.deep.equal(v1);
  });

  it("--no-build leaves the star's build owed to the next build", async () => {
    const workspace = join(dir, "ws");
    const [customers] = generateDataset("customers", { format: "csv", seed: 7, rows: 60, files: 1, outDir: join(dir, "gen") });
    const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 7, rows: 200, files: 2, outDir: join(dir, "gen") });
    const facts = "SELECT (SELECT count(*) FROM fact_orders) AS facts, (SELECT sum(total_amount)::VARCHAR FROM fact_orders) AS amount";
    await cli("load", "--dataset", "customers", "--workspace", workspace, customers);
    await cli("load", "--dataset", "orders", "--workspace", workspace, load);
    const v1 = await queryJson(workspace, facts);
    await cli("load", "--dataset", "orders", "--workspace", workspace, changes[0]);

    const back = await cli("rollback", "--table", "orders", "--no-build", "--workspace", workspace);
    const stale = await queryJson(workspace, facts);
    const build = await cli("build", "--workspace", workspace);

    expect(back.code, back.stderr).to.equal(0);
    expect(back.stdout).to.not.match(/model /);
    expect(stale).to.not.deep.equal(v1);
    expect(build.code, build.stderr).to.equal(0);
    expect(await queryJson(workspace, facts)).to.deep.equal(v1);
  });

  it("two rollbacks of a dataset at the same moment get their own ids (set-aside folder, record, RUN item)", async () => {
    const workspace = join(dir, "ws");
    const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 8, rows: 200, files: 2, outDir: join(dir, "gen") });
    for (const file of [load, changes[0], changes[1]]) await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, file);
    const at = new Date("2026-12-01T10:00:00.250Z");
    const first = newRollbackId(workspace, "orders", at);
    closeRollback(workspace, await applyRollback(workspace, planRollback(workspace, "orders"), first));
    const second = newRollbackId(workspace, "orders", at);
    const plan = planRollback(workspace, "orders");
    // A taken id is refused before anything moves.
    await applyRollback(workspace, plan, first).then(
      () => expect.fail("a taken id was reused"),
      (e: Error) => expect(e.message).to.match(/^rollback id rollback-20261201T100000\.250Z-orders is taken/),
    );
    closeRollback(workspace, await applyRollback(workspace, plan, second));

    expect(first).to.equal("rollback-20261201T100000.250Z-orders");
    expect(second).to.equal("rollback-20261201T100000.250Z-orders-2");
    // Both records kept: neither undone version can come back.
    const undone = (id: string) => (JSON.parse(readFileSync(join(workspace, "_rolled_back", "orders", id, "rollback.json"), "utf8")) as { undone: string[] }).undone;
    expect(undone(first)).to.deep.equal(["v000003"]);
    expect(undone(second)).to.deep.equal(["v000002"]);
  });

  describe("killed (kill -9) part way", () => {
    const state = "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t, (SELECT count(*) FROM bronze_orders) AS bronze FROM orders";

    for (const kill of KILL_POINTS) {
      it(`after ${kill.after}: the next load finishes and records it, and a later rollback never restores what it undid`, async () => {
        const workspace = join(dir, "ws");
        const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 5, rows: 200, files: 2, outDir: join(dir, "gen") });
        await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, load);
        const v1 = await queryJson(workspace, state);
        await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, changes[0]);
        await killedRollback(dir, kill, "--table", "orders", "--workspace", workspace);

        const next = await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, changes[1]);
        const named = await cli("rollback", "--table", "orders", "--to", "v000002", "--workspace", workspace);
        const back = await cli("rollback", "--table", "orders", "--workspace", workspace);

        expect(next.code, next.stderr).to.equal(0);
        expect(named.code).to.equal(1);
        expect(named.stderr).to.match(/^datalake rollback: v000002 was undone by rollback-\S+-orders: rollback only goes back/);
        expect(back.code, back.stderr).to.equal(0);
        expect(back.stdout).to.match(/^orders: v000003 -> v000001 \(quarantine_orders and state too\); undid 1 run\(s\): cli-\S+\n/);
        expect(await queryJson(workspace, state)).to.deep.equal(v1);
        expect(next.stderr).to.match(/^datalake load: finished and recorded rollback rollback-\S+-orders \(orders: v000002 -> v000001, undid 1 run\(s\)\)/m);
        const runs = JSON.parse((await cli("audit", "--dataset", "orders", "--runs", "--json", "--workspace", workspace)).stdout) as { jobName: string; rollback?: { from: string; to: string } }[];
        expect(runs.filter((r) => r.jobName === "datalake rollback").map((r) => [r.rollback?.from, r.rollback?.to])).to.have.deep.members([
          ["v000002", "v000001"],
          ["v000003", "v000001"],
        ]);
        const verify = await cli("audit", "--verify", "--workspace", workspace);
        expect(verify.code, verify.stdout).to.equal(0);
      });
    }

    it("after the state pointer moved: the same rollback run again finishes it, once", async () => {
      const workspace = join(dir, "ws");
      const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 5, rows: 200, files: 1, outDir: join(dir, "gen") });
      await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, load);
      const v1 = await queryJson(workspace, state);
      await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, changes[0]);
      await killedRollback(dir, KILL_POINTS[2], "--table", "orders", "--workspace", workspace);

      const again = await cli("rollback", "--table", "orders", "--workspace", workspace, "--json");
      const further = await cli("rollback", "--table", "orders", "--workspace", workspace);

      expect(again.code, again.stderr).to.equal(0);
      const [result] = JSON.parse(again.stdout) as { from: string; to: string; runs: string[]; files: { key: string }[] }[];
      expect(result).to.include({ from: "v000002", to: "v000001" });
      expect(result.runs).to.have.length(1);
      // The files the undone run loaded, though the killed rollback had set its ledger aside:
      // forgotten as loaded content, they load again when dropped again.
      expect(result.files.map((f) => f.key.split("/").pop())).to.deep.equal([changes[0].split("/").pop()]);
      expect(further.code).to.equal(1);
      expect(further.stderr).to.match(/^datalake rollback: table orders has no version older than v000001/);
      expect(await queryJson(workspace, state)).to.deep.equal(v1);
      expect(again.stderr).to.match(/^datalake rollback: finished and recorded rollback rollback-\S+-orders \(orders: v000002 -> v000001/);
      const runs = JSON.parse((await cli("audit", "--dataset", "orders", "--runs", "--json", "--workspace", workspace)).stdout) as { jobName: string }[];
      expect(runs.filter((r) => r.jobName === "datalake rollback")).to.have.length(1);
    });

    it("after the state pointer moved, finished first by a load of another dataset: the same rollback run again reports it instead of going back one more version", async () => {
      const workspace = join(dir, "ws");
      const [load, ...changes] = generateDataset("orders", { format: "csv", seed: 5, rows: 200, files: 2, outDir: join(dir, "gen") });
      await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, load);
      const v1 = await queryJson(workspace, state);
      await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, changes[0]);
      const v2 = await queryJson(workspace, state);
      await cli("load", "--no-build", "--dataset", "orders", "--workspace", workspace, changes[1]);
      await killedRollback(dir, KILL_POINTS[2], "--table", "orders", "--workspace", workspace);

      const products = generateDataset("products", { format: "csv", seed: 1, rows: 20, files: 0, outDir: join(dir, "gen") });
      const other = await cli("load", "--no-build", "--dataset", "products", "--workspace", workspace, ...products);
      const again = await cli("rollback", "--no-build", "--table", "orders", "--workspace", workspace);
      const afterAgain = await queryJson(workspace, state);
      const further = await cli("rollback", "--no-build", "--table", "orders", "--workspace", workspace);

      expect(other.code, other.stderr).to.equal(0);
      expect(other.stderr).to.match(/^datalake load: finished and recorded rollback rollback-\S+-orders \(orders: v000003 -> v000002/m);
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.match(/^orders: v000003 -> v000002 \(quarantine_orders and state too\); undid 1 run\(s\)/);
      expect(again.stderr).to.match(/^datalake rollback: rollback rollback-\S+-orders \(orders: v000003 -> v000002\) was stopped and then finished by `datalake load`: it is this command's result; run it again to go back further$/m);
      expect(afterAgain).to.deep.equal(v2);
      // Claimed: the next one is a rollback of its own.
      expect(further.code, further.stderr).to.equal(0);
      expect(further.stdout).to.match(/^orders: v000002 -> v000001 /);
      expect(further.stderr).to.equal("");
      expect(await queryJson(workspace, state)).to.deep.equal(v1);
      const runs = JSON.parse((await cli("audit", "--dataset", "orders", "--runs", "--json", "--workspace", workspace)).stdout) as { jobName: string; rollback?: { from: string; to: string } }[];
      expect(runs.filter((r) => r.jobName === "datalake rollback").map((r) => [r.rollback?.from, r.rollback?.to])).to.have.deep.members([
        ["v000003", "v000002"],
        ["v000002", "v000001"],
      ]);
    });
  });

  it("exits 1 with one line for an unknown table or version", async () => {
    const workspace = join(dir, "ws");
    const paths = generateDataset("products", { format: "csv", seed: 1, rows: 20, files: 0, outDir: join(dir, "gen") });
    await cli("load", "--dataset", "products", "--workspace", workspace, ...paths);

    const table = await cli("rollback", "--table", "fact_nope", "--workspace", workspace);
    const version = await cli("rollback", "--table", "products", "--to", "v000009", "--workspace", workspace);
    const listTo = await cli("rollback", "--table", "products", "--to", "v000001", "--list", "--workspace", workspace);

    expect(table.code).to.equal(1);
    expect(table.stderr).to.equal("datalake rollback: no published table fact_nope (published: products)");
    expect(version.code).to.equal(1);
    expect(version.stderr).to.match(/^datalake rollback: table products has no version v000009/);
    expect(listTo.code).to.equal(2);
    expect(listTo.stderr).to.equal("datalake rollback: --list only lists the versions; --to goes with a rollback (drop --list)");
  });

  it("relabels a version restored from before a spec edit (an email hashed since is not plain text again), and a rollback after it goes further back", async () => {
    const workspace = join(dir, "ws");
    const [load, ...changes] = generateDataset("customers", { seed: 5, rows: 30, files: 2, outDir: join(dir, "gen") });
    const at = DATASETS.findIndex((d) => d.name === "customers");
    const original = DATASETS[at];
    const registry = DATASETS as DatasetSpec[];
    const keys = async () => Number((await queryJson<{ n: number }>(workspace, "SELECT count(*) AS n FROM bronze_customers"))[0].n);
    expect((await cli("load", "--dataset", "customers", "--workspace", workspace, "--no-build", load)).code).to.equal(0);
    const v1Rows = await keys();
    expect((await cli("load", "--dataset", "customers", "--workspace", workspace, "--no-build", changes[0])).code).to.equal(0);
    const plain = async () => (await queryJson<{ n: number }>(workspace, "SELECT count(*) AS n FROM customers WHERE email LIKE '%@%'"))[0].n;
    expect(Number(await plain())).to.be.greaterThan(0);
    const current = async () =>
      (JSON.parse((await cli("rollback", "--table", "customers", "--workspace", workspace, "--list", "--json")).stdout) as Array<{ version: string; current: boolean }>).find((v) => v.current)?.version;
    try {
      // The spec edit: email hashed from now on (the load after it rebuilds silver hashed).
      registry[at] = { ...original, pii: [{ column: "email", mode: "hash" }] };
      expect((await cli("load", "--dataset", "customers", "--workspace", workspace, "--no-build", changes[1])).code).to.equal(0);
      expect(Number(await plain())).to.equal(0);

      const back = await cli("rollback", "--table", "customers", "--workspace", workspace, "--no-build");

      expect(back.code, back.stderr).to.equal(0);
      expect(back.stderr).to.match(/customers v000002 was written by another load plan .*relabelling it from the restored bronze/);
      expect(back.stdout).to.match(/^customers: v000003 -> v000002/m);
      // Rolled back (the third file's rows are gone), then relabelled: v000004, hashed.
      expect(Number(await plain())).to.equal(0);
      expect(await current()).to.equal("v000004");
      const undone = await queryJson<{ n: number }>(workspace, `SELECT count(*) AS n FROM bronze_customers WHERE _source_key LIKE '%${changes[1].split("/").pop()}'`);
      expect(Number(undone[0].n)).to.equal(0);

      // v000004 holds v000002's rows relabelled: one more step back undoes the second file's run,
      // not the relabel (which restored v000002 again, and relabelled it again).
      const further = await cli("rollback", "--table", "customers", "--workspace", workspace, "--no-build");

      expect(further.code, further.stderr).to.equal(0);
      expect(further.stdout).to.match(/^customers: v000004 -> v000001 \(quarantine_customers and state too\); undid 2 run\(s\)/m);
      expect(await keys()).to.equal(v1Rows);
      expect(Number(await plain())).to.equal(0);
      expect(await current()).to.equal("v000005");
      const none = await cli("rollback", "--table", "customers", "--workspace", workspace, "--no-build");
      expect(none.code).to.equal(1);
      expect(none.stderr).to.match(/^datalake rollback: table customers has no version older than v000001, whose rows v000005 holds relabelled/);
    } finally {
      registry[at] = original;
    }
  });
});
