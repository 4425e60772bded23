// `datalake audit --verify`: the accounted-for proof. Real pipelines (a `datalake load`, a
// `datalake local --once`) must verify; crafted broken stores must fail with the finding named,
// one per check, so removing a check fails its test. The deployed-stack source runs against moto
// S3 and dynalite (tagged @spark: moto runs from the Glue runtime's venv).
import { expect } from "chai";
import { createHash } from "crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { join } from "path";
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Manifest, RunSummary } from "../../engine/contracts";
import type { FileItem, RunItem } from "../../handlers/audit/items";
import type { AuditStore } from "../../handlers/audit/store";
import { fileIdOf } from "../../handlers/core/file-id";
import { LOCAL_BUCKET } from "../../local/cli-manifest";
import { markOpenLoad } from "../../local/cli-open-loads";
import { startWorkspaceAudit } from "../../local/runtime/audit-access";
import { VersionStore, signatureOf } from "../../local/runtime/version-store";
import { LOCAL_NAMES, workspacePaths } from "../../local/runtime/workspace";
import { startDynalite, type DynaliteServer } from "../handlers/support/dynalite";
import { getDataset } from "../../datasets";
import { runLoad } from "../../engine/duckdb";
import { openSession } from "../../engine/duckdb/session";
import { csv, drop, ordersCsv } from "../local/support";
import { MOTO_CREDENTIALS, MOTO_REGION, motoForTests, motoS3Client } from "../support/moto";
import { cli, tempDir } from "./helpers";

const HOUR = 3_600_000;
/** How `datalake load` names a file's bytes (local/cli-manifest.ts). */
const sha32 = (content: string) => createHash("sha256").update(content).digest("hex").slice(0, 32);
const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

/** A FILE item as the event path writes it, finished SUCCEEDED with 10 rows loaded. */
function fileItem(key: string, versionId: string, over: Partial<FileItem> = {}): FileItem {
  return {
    kind: "FILE",
    fileId: fileIdOf(LOCAL_NAMES.landingBucket, key, versionId, "e", "s"),
    dataset: "orders",
    bucket: LOCAL_NAMES.landingBucket,
    key,
    versionId,
    etag: "e",
    sequencer: "s",
    size: 1,
    status: "SUCCEEDED",
    runId: "run-1",
    receivedAt: iso(2 * HOUR),
    recordedAt: iso(2 * HOUR),
    finishedAt: iso(HOUR),
    rowsRead: 10,
    rowsLoaded: 10,
    rowsQuarantined: 0,
    rowsRejected: 0,
    ...over,
  };
}

function runItem(runId: string, over: Partial<RunItem> = {}): RunItem {
  return {
    kind: "RUN",
    runId,
    dataset: "orders",
    jobName: "datalake-orders",
    status: "SUCCEEDED",
    createdAt: iso(2 * HOUR),
    finishedAt: iso(HOUR),
    counts: { rowsRead: 10, bronzeRows: 10, rejectedRows: 0, quarantinedFileRows: 0, changesApplied: 10, stateKeys: 10, currentRows: 10, silverRows: 10, quarantineRows: 0 },
    ...over,
  };
}

describe("datalake audit --verify (workspace)", function () {
  this.timeout(120_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-verify-")));
  afterEach(() => cleanup());

  const verify = (...more: string[]) => cli("audit", "--verify", "--workspace", dir, ...more);

  /** Records a landing file as `datalake local` does (version log + kept bytes); returns its version id. */
  function landVersion(key: string, content: string): string {
    drop(dir, key, content);
    const paths = workspacePaths(dir);
    const path = join(paths.landing, key);
    return new VersionStore(paths.versionLog, paths.versions).ingest(key, path, signatureOf(statSync(path)), new Date())!.versionId;
  }

  async function withStore(work: (audit: AuditStore) => Promise<unknown>): Promise<void> {
    mkdirSync(workspacePaths(dir).ops, { recursive: true }); // as `local` and `load` leave it
    const { audit, close } = await startWorkspaceAudit(dir);
    try {
      await work(audit);
    } finally {
      await close();
    }
  }

  it("verifies a workspace after `datalake load` of files from outside landing", async () => {
    const outside = join(dir, "exports");
    mkdirSync(outside);
    writeFileSync(join(outside, "one.csv"), ordersCsv(1, 5));
    writeFileSync(join(outside, "two.csv"), ordersCsv(10, 5));
    const load = await cli("load", "--dataset", "orders", "--workspace", dir, join(outside, "one.csv"), join(outside, "two.csv"));
    expect(load.code, load.stderr).to.equal(0);

    const run = await verify();

    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.match(/^verified workspace .*0 object version\(s\), 2 FILE item\(s\), 1 run\(s\); 2 FILE item\(s\) for no listed version/);
    expect(JSON.parse((await verify("--json")).stdout)).to.deep.equal([]);
  });

  it("verifies a workspace after `datalake load` named one file twice: one FILE item, LOADED", async () => {
    const file = join(dir, "one.csv");
    writeFileSync(file, ordersCsv(1, 5));
    const load = await cli("load", "--dataset", "orders", "--workspace", dir, "--json", "--no-build", file, join(dir, ".", "one.csv"));
    expect(load.code, load.stderr).to.equal(0);
    expect((JSON.parse(load.stdout) as RunSummary[])[0].files.map((f) => f.outcome)).to.deep.equal(["LOADED"]);

    const run = await verify();

    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.match(/1 FILE item\(s\), 1 run\(s\)/);
  });

  it("verifies a workspace after `datalake load` of a file, its edit, then the first bytes again: one FILE item each, the last a new version", async () => {
    const file = join(dir, "one.csv");
    const loads: string[] = [];
    for (const content of [ordersCsv(1, 5), ordersCsv(1, 5, "2026-11-01 10:00:01"), ordersCsv(1, 5)]) {
      writeFileSync(file, content);
      const load = await cli("load", "--dataset", "orders", "--workspace", dir, "--json", "--no-build", file);
      expect(load.code, load.stderr).to.equal(0);
      loads.push((JSON.parse(load.stdout) as RunSummary[])[0].files[0].outcome);
    }

    const run = await verify();

    expect(loads).to.deep.equal(["LOADED", "LOADED", "LOADED"]);
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.match(/0 object version\(s\), 3 FILE item\(s\), 3 run\(s\); 3 FILE item\(s\) for no listed version/);
    let items: FileItem[] = [];
    await withStore(async (audit) => (items = await audit.listFiles("orders")));
    const v1 = sha32(ordersCsv(1, 5));
    expect(items.map((i) => i.versionId).sort()).to.deep.equal([sha32(ordersCsv(1, 5, "2026-11-01 10:00:01")), v1, `${v1}-2`].sort());
  });

  it("skips a file an earlier `datalake load` quarantined whole, as file-arrival would: its item stays that run's, and verify passes", async () => {
    const file = join(dir, "bad.csv");
    writeFileSync(file, "order_id,customer_id\n1,2\n");
    writeFileSync(join(dir, "good.csv"), ordersCsv(1, 5));
    const first = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", file);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/QUARANTINED\s+orders\/bad\.csv\s+1\s+0\s+1\s+0\s+missing_column:/);

    const again = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", "--json", file, join(dir, "good.csv"));
    const shown = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", file);

    expect(again.code, again.stderr).to.equal(0);
    const [summary] = JSON.parse(again.stdout) as RunSummary[];
    expect(summary.files.map((f) => [f.key, f.outcome, f.rowsRead])).to.deep.equal([["orders/bad.csv", "ALREADY_LOADED", 0], ["orders/good.csv", "LOADED", 5]]);
    expect(summary.counts.quarantinedFileRows).to.equal(0);
    expect(shown.stdout).to.match(/SKIPPED\s+orders\/bad\.csv\s+0\s+0\s+0\s+0\s+already_quarantined \(run cli-/);
    const run = await verify();
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.match(/2 FILE item\(s\), 3 run\(s\)/);
  });

  it("verifies a workspace after `datalake local --once`; an unrouted file needs no FILE item", async () => {
    drop(dir, "orders/a.csv", ordersCsv(1, 5));
    drop(dir, "nobody/x.csv", "x\n");
    const local = await cli("local", "--once", "--workspace", dir);
    expect(local.code, local.stderr).to.equal(0);

    const run = await verify();

    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.include("(2 object version(s), 1 FILE item(s), 1 run(s); 1 of them under no dataset prefix)");
  });

  it("a landing file nobody recorded is missing; a file loaded by `datalake load` from landing is accounted for", async () => {
    await withStore(async () => undefined); // an (empty) audit store
    drop(dir, "orders/new.csv", ordersCsv(1, 3));

    const missing = await verify();
    expect(missing.code).to.equal(1);
    expect(missing.stdout.split("\n")).to.deep.equal([
      `NOT verified workspace ${dir}: 1 finding(s): 1 missing_file (1 object version(s), 0 FILE item(s), 0 run(s))`,
      `missing_file\t-\ts3://${LOCAL_BUCKET}/orders/new.csv#${sha32(ordersCsv(1, 3))}\tno FILE item (not yet seen by \`datalake local\`, nor loaded by \`datalake load\`)`,
    ]);

    const load = await cli("load", "--dataset", "orders", "--workspace", dir, join(workspacePaths(dir).landing, "orders/new.csv"));
    expect(load.code, load.stderr).to.equal(0);
    expect((await verify()).code).to.equal(0);
  });

  it("a recorded version without a FILE item is missing (--json names it)", async () => {
    const v = landVersion("orders/a.csv", ordersCsv(1, 10));
    const w = landVersion("orders/b.csv", ordersCsv(20, 10));
    await withStore(async (audit) => {
      await audit.createFile(fileItem("orders/a.csv", v));
      await audit.putRun(runItem("run-1"));
    });

    const run = await verify("--json");

    expect(run.code).to.equal(1);
    expect(JSON.parse(run.stdout)).to.deep.equal([
      { check: "missing_file", subject: `s3://${LOCAL_NAMES.landingBucket}/orders/b.csv#${w}`, detail: "no FILE item" },
    ]);
  });

  it("a file `datalake load` loaded from landing is that landing version: `datalake local` loads it no more, nor a touched copy", async () => {
    drop(dir, "orders/a.csv", ordersCsv(1, 5));
    const load = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", join(workspacePaths(dir).landing, "orders/a.csv"));
    expect(load.code, load.stderr).to.equal(0);
    const local = await cli("local", "--once", "--workspace", dir);
    expect(local.code, local.stderr).to.equal(0);
    drop(dir, "orders/a.csv", ordersCsv(1, 5)); // the same bytes written again: a new version
    const touched = await cli("local", "--once", "--workspace", dir);
    expect(touched.code, touched.stderr).to.equal(0);

    const bronze = await cli("query", "--workspace", dir, "--json", "SELECT count(*) AS n FROM bronze_orders");
    expect(JSON.parse(bronze.stdout)).to.deep.equal([{ n: 5 }]);
    const run = await verify();
    expect(run.code, run.stdout).to.equal(0);
    expect(run.stdout).to.include("(2 object version(s), 2 FILE item(s), 1 run(s))");
    const files = await cli("audit", "--workspace", dir, "--json", "--dataset", "orders");
    const items = JSON.parse(files.stdout) as { status: string; reason?: string }[];
    expect(items.map((i) => [i.status, i.reason ?? null]).sort()).to.deep.equal([["SKIPPED", "duplicate_content"], ["SUCCEEDED", null]]);
  });

  it("`datalake load` of a landing file re-copied with loaded bytes skips it as file-arrival does: a DMS full-load file is no reload, silver keeps the later change", async () => {
    // The full load, then a change: order 1 is shipped.
    drop(dir, "orders/LOAD00000001.csv", "1,7,2026-10-31 09:00:00,pending,12.50\n");
    drop(dir, "orders/20261101-100000000.csv", "U,1,7,2026-10-31 09:00:00,shipped,12.50\n");
    expect((await cli("local", "--once", "--workspace", dir)).code).to.equal(0);
    const status = async () => JSON.parse((await cli("query", "--workspace", dir, "--json", "SELECT status FROM orders")).stdout);
    const landed = join(workspacePaths(dir).landing, "orders/LOAD00000001.csv");
    // The full-load file copied again with the same bytes: `local` skips that version, and a
    // `load` naming it later finds it skipped; a copy `local` never saw is skipped by `load`.
    drop(dir, "orders/LOAD00000001.csv", "1,7,2026-10-31 09:00:00,pending,12.50\n");
    expect((await cli("local", "--once", "--workspace", dir)).code).to.equal(0);
    const afterLocal = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", landed);
    expect(afterLocal.code, afterLocal.stderr).to.equal(0);
    expect(afterLocal.stdout).to.match(/SKIPPED\s+orders\/LOAD00000001\.csv\s+0\s+0\s+0\s+0\s+already_skipped \(duplicate_content\)/);
    writeFileSync(landed, "1,7,2026-10-31 09:00:00,pending,12.50\n");
    const fresh = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", landed);
    expect(fresh.code, fresh.stderr).to.equal(0);
    expect(fresh.stdout).to.match(/SKIPPED\s+orders\/LOAD00000001\.csv\s+0\s+0\s+0\s+0\s+duplicate_content \(same content as s3:\/\/\S+#\d+\.\w+, loaded successfully\)/);

    expect(await status()).to.deep.equal([{ status: "shipped" }]);
    const bronze = await cli("query", "--workspace", dir, "--json", "SELECT count(*) AS n FROM bronze_orders");
    expect(JSON.parse(bronze.stdout)).to.deep.equal([{ n: 2 }]);
    const items = JSON.parse((await cli("audit", "--workspace", dir, "--json", "--dataset", "orders")).stdout) as { key: string; status: string; reason?: string }[];
    expect(items.filter((i) => i.key.endsWith("LOAD00000001.csv")).map((i) => [i.status, i.reason ?? null])).to.deep.equal([
      ["SUCCEEDED", null],
      ["SKIPPED", "duplicate_content"],
      ["SKIPPED", "duplicate_content"],
    ]);
    const run = await verify();
    expect(run.code, run.stdout).to.equal(0);

    // Other bytes, then the first ones again: both load (an undo is a new version, as on S3).
    writeFileSync(landed, "1,7,2026-10-31 09:00:00,paid,12.50\n");
    expect((await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", landed)).code).to.equal(0);
    expect(await status()).to.deep.equal([{ status: "paid" }]);
    writeFileSync(landed, "1,7,2026-10-31 09:00:00,pending,12.50\n");
    expect((await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", landed)).code).to.equal(0);
    expect(await status()).to.deep.equal([{ status: "pending" }]);
    expect((await verify()).code).to.equal(0);
  });

  it("a version recorded twice (by `datalake local`, and by a `datalake load` that named landing files by their bytes) is a duplicate", async () => {
    const v = landVersion("orders/a.csv", ordersCsv(1, 10));
    const sha = sha32(ordersCsv(1, 10));
    await withStore(async (audit) => {
      await audit.createFile(fileItem("orders/a.csv", v));
      await audit.putRun(runItem("run-1"));
      const older = fileItem("orders/a.csv", sha, { bucket: LOCAL_BUCKET, etag: sha, runId: "cli-1" });
      await audit.createFile({ ...older, fileId: `${LOCAL_BUCKET}/orders/a.csv#${sha.slice(0, 16)}` });
      await audit.putRun(runItem("cli-1", { jobName: "datalake load" }));
    });

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/^NOT verified .*: 1 finding\(s\): 1 duplicate_file /);
    expect(run.stdout).to.match(new RegExp(`\nduplicate_file\torders\ts3://local-landing/orders/a.csv#${v}\t2 FILE items: `));
  });

  it("a file's rows that do not add up, and a run whose counts are not its files' sums", async () => {
    const v = landVersion("orders/a.csv", ordersCsv(1, 10));
    await withStore(async (audit) => {
      await audit.createFile(fileItem("orders/a.csv", v, { rowsLoaded: 8, rowsQuarantined: 1 }));
      await audit.putRun(runItem("run-1", { counts: { ...runItem("x").counts!, rowsRead: 12, rejectedRows: 1 } }));
    });

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.deep.equal([
      `row_counts\torders\t${fileIdOf(LOCAL_NAMES.landingBucket, "orders/a.csv", v, "e", "s")}\trows read 10 != loaded 8 + quarantined 1 + rejected 0`,
      "run_counts\torders\trun-1\trowsRead 12 != 10 over its 1 file(s), rejectedRows 1 != 0 over its 1 file(s)",
    ]);
  });

  it("a run stuck RUNNING past its lease and its file; the same run within its lease verifies", async () => {
    const v = landVersion("orders/a.csv", ordersCsv(1, 10));
    const running = { status: "RUNNING" as const, rowsRead: undefined, rowsLoaded: undefined, rowsQuarantined: undefined, rowsRejected: undefined, finishedAt: undefined };
    await withStore(async (audit) => {
      await audit.createFile(fileItem("orders/a.csv", v, running));
      await audit.putRun(runItem("run-1", { status: "RUNNING", counts: undefined, finishedAt: undefined }));
      await audit.tryTakeSlot("orders", "run-1", Date.now() - 4 * HOUR, 3 * HOUR);
    });

    const stuck = await verify();

    expect(stuck.code).to.equal(1);
    const lines = stuck.stdout.split("\n");
    expect(lines[0]).to.match(/: 2 finding\(s\): 1 open_file, 1 open_run /);
    expect(lines[1]).to.match(/^open_file\torders\t.*\tRUNNING in run run-1, which is not live$/);
    expect(lines[2]).to.match(/^open_run\torders\trun-1\tRUNNING since .*, and its lease expired at /);

    await withStore(async (audit) => {
      await audit.releaseSlot("orders", "run-1");
      await audit.tryTakeSlot("orders", "run-1", Date.now(), 3 * HOUR);
    });
    expect((await verify()).code).to.equal(0);
  });

  it("a file PENDING for long with no live run is open; a young one is in flight", async () => {
    const v = landVersion("orders/a.csv", ordersCsv(1, 10));
    const w = landVersion("orders/b.csv", ordersCsv(20, 10));
    const pending = { status: "PENDING" as const, runId: undefined, rowsRead: undefined, rowsLoaded: undefined, rowsQuarantined: undefined, rowsRejected: undefined };
    await withStore(async (audit) => {
      await audit.createFile(fileItem("orders/a.csv", v, pending));
      await audit.createFile(fileItem("orders/b.csv", w, { ...pending, recordedAt: iso(60_000) }));
    });

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.have.length(1);
    expect(run.stdout).to.match(/\nopen_file\torders\t.*orders\/a\.csv.*\tPENDING since .* and no run of orders is live$/);
  });

  it("--dataset narrows the proof; listing flags and half a stack are usage errors", async () => {
    landVersion("orders/a.csv", ordersCsv(1, 10));
    await withStore(async () => undefined);
    expect((await verify("--dataset", "customers")).code).to.equal(0);
    expect((await verify("--dataset", "orders")).code).to.equal(1);
    for (const [args, message] of [
      [["--runs"], "datalake audit: --runs lists the trail; --verify checks all of it (use --dataset to narrow)"],
      [["--bucket", "b"], "datalake audit: --verify of a deployed stack needs --bucket, --table and --region together (or --stack NAME)"],
      [["--stack", "dev", "--table", "t"], "datalake audit: --stack or --bucket/--table, not both"],
    ] as const) {
      const run = await verify(...args);
      expect({ code: run.code, stderr: run.stderr }).to.deep.equal({ code: 2, stderr: message });
    }
    const path = process.env.PATH;
    process.env.PATH = dir; // no pulumi here
    const noPulumi = await verify("--stack", "dev").finally(() => (process.env.PATH = path));
    expect({ code: noPulumi.code, stderr: noPulumi.stderr }).to.deep.equal({
      code: 1,
      stderr: "datalake audit: the pulumi CLI is not on PATH: install it, or pass --bucket, --table and --region instead of --stack",
    });
    const stray = await cli("audit", "--workspace", dir, "--stack", "dev");
    expect({ code: stray.code, stderr: stray.stderr }).to.deep.equal({ code: 2, stderr: "datalake audit: --stack goes with --verify" });
  });
});

describe("datalake audit --verify: the tables against the trail (DuckDB workspace)", function () {
  this.timeout(180_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-verify-tables-")));
  afterEach(() => cleanup());

  const verify = () => cli("audit", "--verify", "--workspace", dir);
  /** Five orders and one row whose key does not parse (rejected). */
  const withReject = ordersCsv(1, 5) + "x,7,2026-10-31 09:00:00,paid,1.00,I,2026-11-01 10:00:00\n";

  /** `datalake load` of one file from outside landing; returns its run id and FILE item's id. */
  async function load(name: string, content: string, ...flags: string[]): Promise<{ runId: string; fileId: string }> {
    writeFileSync(join(dir, name), content);
    const run = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", "--json", ...flags, join(dir, name));
    expect(run.code, run.stderr).to.equal(0);
    const [summary] = JSON.parse(run.stdout) as RunSummary[];
    return { runId: summary.runId, fileId: summary.files[0].fileId };
  }

  /** Copies a table file with every row's `_run_id` set to `runId`, to `to`. */
  async function copyAsRun(from: string, to: string, runId: string): Promise<void> {
    const session = await openSession({ threads: 1 });
    try {
      await session.run(`COPY (SELECT * REPLACE ('${runId}' AS _run_id) FROM read_parquet('${from}')) TO '${to}' (FORMAT parquet)`);
    } finally {
      session.close();
    }
  }

  const bronzeFile = (runId: string) => join(dir, "bronze", "orders", `_data_date=${new Date().toISOString().slice(0, 10)}`, `${runId}-1.parquet`);

  it("a file's rows in bronze and rejects again under a second run id (a load killed mid-publish, loaded again) are table_rows", async () => {
    const { runId } = await load("a.csv", withReject);
    await copyAsRun(bronzeFile(runId), bronzeFile("cli-killed"), "cli-killed");
    await copyAsRun(join(dir, "rejects", "orders", `${runId}.parquet`), join(dir, "rejects", "orders", "cli-killed.parquet"), "cli-killed");

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n")).to.deep.equal([
      `NOT verified workspace ${dir}: 1 finding(s): 1 table_rows (0 object version(s), 1 FILE item(s), 1 run(s); 1 FILE item(s) for no listed version (loaded from outside landing, or expired from it))`,
      "table_rows\torders\tcli-killed\tbronze holds 6 and rejects 1 row(s) of a run with no RUN item",
    ]);
  });

  it("rows of a load stopped before it was recorded say the next load records it", async () => {
    const { runId } = await load("a.csv", withReject);
    await copyAsRun(bronzeFile(runId), bronzeFile("cli-stopped"), "cli-stopped");
    mkdirSync(join(dir, "ops", "loads-open"), { recursive: true });
    writeFileSync(join(dir, "ops", "loads-open", "cli-stopped.json"), JSON.stringify({ dataset: "orders", runId: "cli-stopped", startedAt: "2026-12-01T00:00:00.000Z" }));

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.deep.equal([
      "table_rows\torders\tcli-stopped\tbronze holds 6 and rejects 0 row(s) of a load stopped before it was recorded (the next `datalake load` records it)",
    ]);
  });

  it("a load killed after it recorded its run and before it removed its mark: the next load removes the mark and claims nothing", async () => {
    const { runId } = await load("a.csv", ordersCsv(1, 5));
    const manifest = JSON.parse(readFileSync(join(dir, "ops", "manifests", "orders", `${runId}.json`), "utf8")) as Manifest;
    markOpenLoad(dir, manifest, new Date());
    writeFileSync(join(dir, "b.csv"), ordersCsv(6, 2));

    const next = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", join(dir, "b.csv"));

    expect(next.code, next.stderr).to.equal(0);
    expect(next.stderr).to.not.match(/left out of the audit trail/);
    expect(existsSync(join(dir, "ops", "loads-open", `${runId}.json`)), "the mark").to.equal(false);
    expect((await verify()).code).to.equal(0);
  });

  it("a file's rows twice under its own run id are table_rows", async () => {
    const { runId } = await load("a.csv", withReject);
    copyFileSync(bronzeFile(runId), bronzeFile(runId).replace(/-1\.parquet$/, "-2.parquet"));

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.deep.equal([`table_rows\torders\t${runId}\tbronze rows 12 != 6 read over its 1 loaded file(s)`]);
  });

  it("a run's files-ledger file gone (its files would load again) is ledger_files; the trail alone still adds up", async () => {
    const { runId, fileId } = await load("a.csv", ordersCsv(1, 5));
    rmSync(join(dir, "bronze", "orders", "_files", `${runId}.parquet`));

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.deep.equal([
      `ledger_files\torders\t${fileId}\tloaded by run ${runId} (5 rows) per the trail, not in the files ledger: dropped again, it loads again`,
    ]);
  });

  it("a ledger row of a run the trail records as FAILED is ledger_files and table_rows", async () => {
    const { runId, fileId } = await load("a.csv", ordersCsv(1, 5));
    await withStoreAt(dir, (audit) => audit.updateRun(runId, ["SUCCEEDED"], { status: "FAILED" }));

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.deep.equal([
      `table_rows\torders\t${runId}\tbronze holds 5 and rejects 0 row(s) of a run the trail records as FAILED`,
      `ledger_files\torders\t${fileId}\tin the files ledger under run(s) ${runId} (a run the trail records as FAILED), but its FILE item is SUCCEEDED in run ${runId}`,
    ]);
  });

  it("current rows of state that are in neither silver nor quarantine are current_rows", async () => {
    await load("a.csv", ordersCsv(1, 5));
    const silver = join(dir, "silver", "orders");
    const version = (JSON.parse(readFileSync(join(silver, "_current.json"), "utf8")) as { version: string }).version;
    rmSync(join(silver, version, "order_year=2026"), { recursive: true });

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.deep.equal([`current_rows\torders\t${version}\tstate holds 5 current key(s) != silver 0 + quarantine 0`]);
  });

  it("a publish committed and cut short (silver moved, state not) is unfinished_publish until the next load finishes it", async () => {
    await load("a.csv", ordersCsv(1, 5));
    const content = ordersCsv(6, 3);
    writeFileSync(join(dir, "b.csv"), content);
    const file = { fileId: "local/orders/b.csv#b", bucket: LOCAL_BUCKET, key: "orders/b.csv", versionId: "b", etag: sha32(content), sequencer: "0000000000000002", size: content.length, receivedAt: iso(0), localPath: join(dir, "b.csv") };
    const manifest = { version: 1 as const, dataset: "orders", runId: "cli-cut-short", createdAt: iso(0), files: [file] };
    const cut = runLoad({ workspace: dir, spec: getDataset("orders"), manifest, onProgress: (e) => {
      if (e.stage === "moved" && e.message === "silver") throw new Error("killed (test)");
    } });
    await cut.then(() => expect.fail("the load resolved"), (e: Error) => expect(e.message).to.match(/cut short after its publish record/));

    const run = await verify();

    expect(run.code).to.equal(1);
    expect(run.stdout.split("\n").slice(1)).to.deep.equal([
      "unfinished_publish\torders\tcli-cut-short\trun cli-cut-short committed its publish and was stopped before every table moved: the tables are of two versions until the next `datalake load`, `build`, `rollback` or `local` finishes it",
    ]);
  });

  it("verifies loads with rejects and deletes, a rollback, the file loaded again, a re-dropped file and a --full-refresh", async () => {
    const verified = async (step: string) => {
      const run = await verify();
      expect(run.code, `${step}: ${run.stdout}`).to.equal(0);
      expect(run.stdout, step).to.match(/no run left open, the tables hold each loaded file's rows once \(/);
    };
    const deletes = csv(["order_id", "customer_id", "order_ts", "status", "total_amount", "Op", "cdc_ts"], [[2, 7, "2026-10-31 09:00:00", "paid", "12.50", "D", "2026-11-02 10:00:00"]]);
    await load("a.csv", withReject);
    await load("b.csv", deletes);
    await verified("two loads");
    const back = await cli("rollback", "--table", "orders", "--workspace", dir);
    expect(back.code, back.stderr).to.equal(0);
    await verified("rollback");
    await load("b.csv", deletes);
    await verified("the undone file loaded again");

    drop(dir, "orders/c.csv", ordersCsv(20, 3));
    expect((await cli("local", "--once", "--workspace", dir)).code).to.equal(0);
    drop(dir, "orders/c.csv", ordersCsv(20, 3)); // the same bytes again: a new version, SKIPPED
    expect((await cli("local", "--once", "--workspace", dir)).code).to.equal(0);
    await verified("a re-dropped file");
    const refresh = await cli("load", "--dataset", "orders", "--workspace", dir, "--no-build", "--full-refresh");
    expect(refresh.code, refresh.stderr).to.equal(0);
    await verified("--full-refresh");
  });
});

async function withStoreAt(dir: string, work: (audit: AuditStore) => Promise<unknown>): Promise<void> {
  const { audit, close } = await startWorkspaceAudit(dir);
  try {
    await work(audit);
  } finally {
    await close();
  }
}

describe("@spark datalake audit --verify (deployed stack: moto S3 + dynalite)", function () {
  this.timeout(120_000);
  let dynalite: DynaliteServer;
  let dir: string;
  let cleanup: () => void;
  const saved: Record<string, string | undefined> = {};
  const bucket = `verify-landing-${process.pid}`;
  let table: string;
  const versions: Record<string, string> = {};

  before(async () => {
    const moto = await motoForTests();
    dynalite = await startDynalite();
    ({ dir, cleanup } = tempDir("datalake-verify-stack-"));
    const env: Record<string, string> = {
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      PATH: `${dir}:${process.env.PATH}`,
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const s3 = motoS3Client(moto.endpoint);
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }));
      for (const [key, body] of [["orders/a.csv", "1"], ["orders/a.csv", "2"], ["customers/c.csv", "3"], ["elsewhere/x.csv", "4"]]) {
        const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
        versions[`${key}@${body}`] = out.VersionId!;
      }
    } finally {
      s3.destroy();
    }
    table = await dynalite.newTable();
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    await dynalite?.close();
    cleanup?.();
  });

  const verify = (...more: string[]) => cli("audit", "--verify", "--bucket", bucket, "--table", table, "--region", MOTO_REGION, ...more);

  it("lists every object version without a FILE item, then verifies once each has one", async () => {
    const { AuditStore } = await import("../../handlers/audit/store");
    const audit = AuditStore.fromClient(dynalite.client, table);
    const record = (key: string, body: string, dataset: string) =>
      audit.createFile({
        ...fileItem(key, versions[`${key}@${body}`], { dataset, runId: undefined, status: "SKIPPED", reason: "empty_object" }),
        fileId: fileIdOf(bucket, key, versions[`${key}@${body}`], "e", "s"),
        bucket,
        rowsRead: undefined,
        rowsLoaded: undefined,
        rowsQuarantined: undefined,
        rowsRejected: undefined,
      });
    await record("orders/a.csv", "1", "orders");

    const before = await verify();

    expect(before.code, before.stderr).to.equal(1);
    // In ListObjectVersions order: by key.
    expect(before.stdout.split("\n")).to.deep.equal([
      `NOT verified s3://${bucket} + ${table}: 2 finding(s): 2 missing_file (4 object version(s), 1 FILE item(s), 0 run(s); 1 of them under no dataset prefix)`,
      `missing_file\t-\ts3://${bucket}/customers/c.csv#${versions["customers/c.csv@3"]}\tno FILE item`,
      `missing_file\t-\ts3://${bucket}/orders/a.csv#${versions["orders/a.csv@2"]}\tno FILE item`,
    ]);

    await record("orders/a.csv", "2", "orders");
    await record("customers/c.csv", "3", "customers");
    const after = await verify();
    expect(after.code, after.stdout).to.equal(0);
    expect(after.stdout).to.equal(
      `verified s3://${bucket} + ${table}: every object version has one FILE item, every file's and run's rows add up, no run left open (4 object version(s), 3 FILE item(s), 0 run(s); 1 of them under no dataset prefix)`,
    );
  });

  it("--stack reads the bucket, table and region from the Pulumi stack", async () => {
    const fake = join(dir, "pulumi");
    writeFileSync(
      fake,
      `#!/bin/sh\ncase "$1" in\n  stack) echo '{"landingBucket":"${bucket}","auditTable":"${table}"}' ;;\n  config) echo '{"aws:region":{"value":"${MOTO_REGION}","secret":false}}' ;;\nesac\n`,
    );
    chmodSync(fake, 0o755);

    const run = await cli("audit", "--verify", "--stack", "box");

    expect(run.stdout).to.match(/^verified stack box: /);
    expect(run.code).to.equal(0);
  });
});
