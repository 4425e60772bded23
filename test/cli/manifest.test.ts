import { expect } from "chai";
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "fs";
import { join } from "path";
import { getDataset } from "../../datasets";
import type { ManifestFile } from "../../engine/contracts";
import { changedSinceHashed, manifestForFiles, objectKeyFor, redropped } from "../../local/cli-manifest";
import { unusedRunId } from "../../local/commands/load";
import { cli, tempDir } from "./helpers";

describe("manifest for files named on the command line", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-mf-")));
  afterEach(() => cleanup());
  const orders = getDataset("orders");

  it("tells a file written to after it was hashed: same-size edit, other size, gone", async () => {
    const files = ["a.csv", "b.csv", "c.csv"].map((n) => join(dir, n));
    for (const f of files) writeFileSync(f, "Op,order_id,status\nI,1,Paid\n");
    const manifest = await manifestForFiles(orders, files, { workspace: join(dir, "ws") });
    expect(changedSinceHashed(manifest)).to.equal(undefined);

    writeFileSync(files[1], "Op,order_id,status\nI,1,Void\n"); // the same size: a value fixed in place
    utimesSync(files[1], new Date("2030-01-01T00:00:00Z"), new Date("2030-01-01T00:00:00Z"));
    expect(changedSinceHashed(manifest)).to.equal(`${files[1]} (modified at 2030-01-01T00:00:00.000Z)`);
    writeFileSync(files[0], "Op,order_id,status\nI,1,Paid\nI,2,Paid\n");
    expect(changedSinceHashed(manifest)).to.match(/a\.csv \(size 28 -> 37 bytes\)$/);
    rmSync(files[0]);
    expect(changedSinceHashed(manifest)).to.equal(`${files[0]} (gone)`);
  });

  it("derives ids from the bytes, receivedAt from the mtime, and the key from the prefix", async () => {
    const file = join(dir, "20261101-000000000.csv");
    writeFileSync(file, "Op,order_id\n");
    utimesSync(file, new Date("2026-11-02T03:04:05Z"), new Date("2026-11-02T03:04:05Z"));
    const workspace = join(dir, "ws");

    const first = await manifestForFiles(orders, [file], { workspace, now: new Date("2026-11-21T10:00:00Z") });
    const again = await manifestForFiles(orders, [file], { workspace, now: new Date("2026-11-21T11:00:00Z") });
    writeFileSync(file, "Op,order_id\nI,1\n");
    const edited = await manifestForFiles(orders, [file], { workspace });

    const [f] = first.files;
    expect(first.dataset).to.equal("orders");
    expect(first.runId).to.match(/^cli-20261121T100000Z-[0-9a-f]{8}$/);
    expect(f.key).to.equal("orders/20261101-000000000.csv");
    expect(f.receivedAt).to.equal("2026-11-02T03:04:05.000Z");
    expect(f.size).to.equal(12);
    expect(f.localPath).to.equal(file);
    expect(again.files[0].fileId).to.equal(f.fileId);
    expect(again.files[0].versionId).to.equal(f.versionId);
    expect(edited.files[0].key).to.equal(f.key);
    expect(edited.files[0].versionId).to.not.equal(f.versionId);
    expect(edited.files[0].fileId).to.not.equal(f.fileId);
  });

  it("names bytes dropped again after other bytes of the key by their next drop, arriving after the latest version", () => {
    const [p, q] = ["a", "b"].map((c) => c.repeat(32));
    const file = (hash: string, receivedAt = "2026-11-05T00:00:00.000Z"): ManifestFile => ({
      fileId: `local/orders/x.csv#${hash.slice(0, 16)}`,
      bucket: "local",
      key: "orders/x.csv",
      versionId: hash,
      etag: hash,
      sequencer: "0",
      size: 1,
      receivedAt,
    });
    // Version id -> its first arrival, which is also its order here (no sequencers to compare).
    const ledger = (...versions: [string, string][]) => new Map(versions.map(([v, at]) => [v, { order: at, receivedAt: at }]));

    const first = redropped(file(p), undefined);
    const inARow = redropped(file(p), ledger([p, "2026-11-01T00:00:00.000Z"]));
    const undo = redropped(file(p), ledger([p, "2026-11-01T00:00:00.000Z"], [q, "2026-11-02T00:00:00.000Z"]));
    const keptOldMtime = redropped(file(p, "2026-11-01T00:00:00.000Z"), ledger([p, "2026-11-01T00:00:00.000Z"], [q, "2026-11-02T00:00:00.000Z"]));
    const third = redropped(file(p), ledger([p, "2026-11-01T00:00:00.000Z"], [q, "2026-11-02T00:00:00.000Z"], [`${p}-2`, "2026-11-03T00:00:00.000Z"], [`${q}-2`, "2026-11-04T00:00:00.000Z"]));
    const latestDrop = redropped(file(p), ledger([p, "2026-11-01T00:00:00.000Z"], [q, "2026-11-02T00:00:00.000Z"], [`${p}-2`, "2026-11-03T00:00:00.000Z"]));
    const afterLanding = redropped(file(p), ledger(["7.aaaaaaaa", "2026-11-02T00:00:00.000Z"]));
    const sameMillisecond = (order: string) => ({ order: `2026-11-02T00:00:00.000Z${order}`, receivedAt: "2026-11-02T00:00:00.000Z" });
    const laterSequencer = redropped(file(p), new Map([[p, sameMillisecond("0002")], [q, sameMillisecond("0001")]]));

    expect(first).to.deep.equal(file(p));
    expect(inARow).to.deep.equal(file(p));
    expect(undo).to.deep.equal({ ...file(p), fileId: `local/orders/x.csv#${p.slice(0, 16)}-2`, versionId: `${p}-2` });
    expect(keptOldMtime.receivedAt).to.equal("2026-11-02T00:00:00.001Z");
    expect([third.versionId, third.fileId]).to.deep.equal([`${p}-3`, `local/orders/x.csv#${p.slice(0, 16)}-3`]);
    expect(latestDrop).to.deep.equal({ ...file(p), fileId: `local/orders/x.csv#${p.slice(0, 16)}-2`, versionId: `${p}-2` });
    expect(afterLanding, "bytes never loaded under the key (a landing version is named otherwise)").to.deep.equal(file(p));
    expect(laterSequencer, "the latest by sequencer, though its version id sorts first").to.deep.equal(file(p));
  });

  it("keys a file under <workspace>/landing by its path there", () => {
    const workspace = join(dir, "ws");
    mkdirSync(join(workspace, "landing", "orders", "2026"), { recursive: true });

    const inside = objectKeyFor(orders, join(workspace, "landing", "orders", "2026", "a.csv"), workspace);
    const outside = objectKeyFor(orders, join(dir, "elsewhere", "a.csv"), workspace);

    expect(inside).to.equal("orders/2026/a.csv");
    expect(outside).to.equal("orders/a.csv");
  });

  it("gives a run the same files made within the same second an unused run id, so it replaces no earlier run's records", async () => {
    const workspace = join(dir, "ws");
    const file = join(dir, "a.csv");
    writeFileSync(file, "Op,order_id\n");
    const manifest = await manifestForFiles(orders, [file], { workspace, now: new Date("2026-11-21T10:00:00Z") });
    const used = (runId: string) => {
      mkdirSync(join(workspace, "ops", "manifests", "orders"), { recursive: true });
      writeFileSync(join(workspace, "ops", "manifests", "orders", `${runId}.json`), "{}");
    };

    expect(unusedRunId(workspace, manifest)).to.equal(manifest);
    used(manifest.runId);
    const second = unusedRunId(workspace, manifest);
    used(second.runId);
    const third = unusedRunId(workspace, manifest);

    expect([second.runId, third.runId]).to.deep.equal([`${manifest.runId}-2`, `${manifest.runId}-3`]);
    expect(third.files).to.deep.equal(manifest.files);
  });

  it("refuses a file in another dataset's landing folder in one line, and writes nothing", async () => {
    const workspace = join(dir, "ws");
    mkdirSync(join(workspace, "landing", "orders"), { recursive: true });
    const file = join(workspace, "landing", "orders", "a.csv");
    writeFileSync(file, "Op,order_id\n");
    const unrouted = join(workspace, "landing", "misc.csv");
    writeFileSync(unrouted, "Op,customer_id\n");

    const refused = await cli("load", "--dataset", "customers", "--workspace", workspace, file);

    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.equal(`datalake load: ${file} is in dataset orders's landing folder (orders/): load it with --dataset orders`);
    const manifest = await manifestForFiles(getDataset("customers"), [unrouted], { workspace });
    expect(manifest.files.map((f) => f.key), "a file under no dataset's folder is the named dataset's").to.deep.equal(["misc.csv"]);
  });

  it("refuses a folder holding another dataset's folder (generate --all writes one per dataset) in one line, and loads nothing", async () => {
    const out = join(dir, "all");
    for (const [folder, name] of [["orders", "o.csv"], ["customers", "c.csv"], ["export/dbo/payments", "p.csv"]]) {
      mkdirSync(join(out, folder), { recursive: true });
      writeFileSync(join(out, folder, name), "Op,x\nI,1\n");
    }
    const workspace = join(dir, "ws");

    const refused = await cli("load", "--dataset", "orders", "--workspace", workspace, out);
    const own = await manifestForFiles(orders, [join(out, "orders")], { workspace });
    const nested = await manifestForFiles(orders, [join(out, "export")], { workspace }).catch((e: Error) => e.message);

    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.equal(
      `datalake load: ${join(out, "customers", "c.csv")} is under customers/ (dataset customers) in the folder named: load it with --dataset customers, or name only orders/ folders`,
    );
    expect(own.files.map((f) => f.key)).to.deep.equal(["orders/o.csv"]);
    // Any tail of the path inside the folder counts: export/dbo/payments/p.csv is under payments' prefix.
    expect(nested).to.match(/p\.csv is under .*\(dataset payments\)/);
    expect(await manifestForFiles(getDataset("payments"), [join(out, "export")], { workspace }).then((m) => m.files.length)).to.equal(1);
  });

  it("marks --full-refresh in the manifest and keeps the manifest in <workspace>/ops", async () => {
    const file = join(dir, "LOAD00000001.csv");
    writeFileSync(file, "order_id,customer_id,order_ts,status,total_amount,cdc_ts\n1,2,2026-01-01 00:00:00,paid,1.00,2026-10-31 00:00:00\n");
    const workspace = join(dir, "ws");

    const manifest = await manifestForFiles(orders, [file], { workspace, fullRefresh: true });
    const run = await cli("load", "--dataset", "orders", "--workspace", workspace, "--json", file);

    expect(manifest.fullRefresh).to.equal(true);
    expect(run.code, run.stderr).to.equal(0);
    const [summary] = JSON.parse(run.stdout) as { runId: string }[];
    const kept = JSON.parse(readFileSync(join(workspace, "ops", "manifests", "orders", `${summary.runId}.json`), "utf8"));
    expect(kept.files[0].key).to.equal("orders/LOAD00000001.csv");
  });

  it("exits 2 with one line when the run cannot start (workspace is a file)", async () => {
    const file = join(dir, "LOAD00000001.csv");
    writeFileSync(file, "order_id,customer_id,order_ts,status,total_amount,cdc_ts\n");
    const notADir = join(dir, "plain-file");
    writeFileSync(notADir, "x");

    const run = await cli("load", "--dataset", "orders", "--workspace", notADir, file);

    expect(run.code).to.equal(2);
    expect(run.stderr).to.equal(`datalake load: --workspace ${notADir} is a file, not a directory`);
    expect(run.stderr.split("\n")).to.have.length(1);
  });
});
