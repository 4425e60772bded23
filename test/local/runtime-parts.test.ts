// The runtime's parts in isolation: S3-style event keys, the in-process Glue's Glue behaviour,
// the landing watcher's "complete files only" rule and the one-runtime-per-workspace lock.
import { expect } from "chai";
import { execFile } from "child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "fs";
import { join } from "path";
import { getDataset } from "../../datasets";
import { eventPatternFor, matchEventPattern } from "../../datasets/routing";
import { parseObjectCreated } from "../../handlers/core/s3-event";
import { GLUE_ERRORS } from "../../handlers/ports";
import { encodeS3EventKey, objectCreatedEvent } from "../../local/runtime/events";
import { LocalGlue, RunOutcome } from "../../local/runtime/glue-launcher";
import { DEFAULT_SETTLE_MS, LandingWatcher, StableFile, isIgnoredName, landingFiles } from "../../local/runtime/landing-watcher";
import { acquireWorkspaceLock } from "../../local/runtime/workspace-lock";
import { tempWorkspace } from "./support";
import { ensureAuditTable } from "../../handlers/audit/ensure-table";
import type { FileItem } from "../../handlers/audit/items";
import { AuditStore } from "../../handlers/audit/store";
import { startAuditServer } from "../../local/runtime/audit-server";
import { DynaliteDb } from "../../local/runtime/dynalite-db";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("local runtime parts", () => {
  let ws: { dir: string; cleanup: () => void };
  beforeEach(() => (ws = tempWorkspace()));
  afterEach(() => ws.cleanup());

  describe("Object Created events", () => {
    it("encode keys as S3 does (space +, + %2B, = %3D, UTF-8 %XX, / kept) and the handler decodes them back", () => {
      const key = "orders/dt=2026-11-01/a b+c%d ü.csv";

      const event = objectCreatedEvent({ bucket: "b", key, size: 1, etag: "e", versionId: "1.x", sequencer: "01", time: new Date() });
      const parsed = parseObjectCreated(event);

      expect(encodeS3EventKey(key)).to.equal("orders/dt%3D2026-11-01/a+b%2Bc%25d+%C3%BC.csv");
      expect(parsed.ok && parsed.value.key).to.equal(key);
      expect(parsed.ok && parsed.value.versionId).to.equal("1.x");
    });

    it("match the dataset's own EventBridge rule pattern and no other dataset's", () => {
      const event = objectCreatedEvent({ bucket: "b", key: "orders/x y.csv", size: 1, etag: "e", versionId: "1", sequencer: "01", time: new Date() });

      expect(matchEventPattern(eventPatternFor(getDataset("orders"), "b"), event)).to.equal(true);
      expect(matchEventPattern(eventPatternFor(getDataset("order_items"), "b"), event)).to.equal(false);
      expect(matchEventPattern(eventPatternFor(getDataset("orders"), "other-bucket"), event)).to.equal(false);
    });
  });

  describe("in-process Glue", () => {
    const args = { "--run_id": "r1", "--manifest_uri": "s3://ops/m.json" };
    function glue(execute: () => Promise<RunOutcome>, emitted: unknown[] = []) {
      return new LocalGlue({ dir: join(ws.dir, "runs"), jobs: { "job-orders": "orders" }, execute, emit: (e) => emitted.push(e) });
    }

    it("allows one concurrent run per job (ConcurrentRunsExceededException) and emits a state change when a run ends", async () => {
      let finish!: (o: RunOutcome) => void;
      const emitted: any[] = [];
      const g = glue(() => new Promise((resolve) => (finish = resolve)), emitted);
      const { JobRunId } = await g.startJobRun("job-orders", args);

      const second = await g.startJobRun("job-orders", { ...args, "--run_id": "r2" }).catch((e) => e);
      await sleep(10);
      finish({ state: "SUCCEEDED" });
      await g.stop();

      expect(second.name).to.equal(GLUE_ERRORS.concurrentRunsExceeded);
      expect((await g.getJobRun("job-orders", JobRunId)).JobRunState).to.equal("SUCCEEDED");
      expect(emitted.map((e) => [e.source, e["detail-type"], e.detail.state, e.detail.jobRunId])).to.deep.equal([
        ["aws.glue", "Glue Job State Change", "SUCCEEDED", JobRunId],
      ]);
      const runs = await g.getJobRuns("job-orders");
      expect(runs.map((r) => r.Arguments?.["--run_id"])).to.deep.equal(["r1"]);
    });

    it("answers unknown jobs and runs with EntityNotFoundException and missing arguments with InvalidInputException", async () => {
      const g = glue(async () => ({ state: "SUCCEEDED" }));

      const unknownJob = await g.startJobRun("nope", args).catch((e) => e);
      const unknownRun = await g.getJobRun("job-orders", "jr_missing").catch((e) => e);
      const noManifest = await g.startJobRun("job-orders", { "--run_id": "r1" }).catch((e) => e);

      expect(unknownJob.name).to.equal(GLUE_ERRORS.entityNotFound);
      expect(unknownRun.name).to.equal(GLUE_ERRORS.entityNotFound);
      expect(noManifest.name).to.equal(GLUE_ERRORS.invalidInput);
    });

    it("turns an execution error into a FAILED run with the message, and resumes runs a dead process left RUNNING", async () => {
      const failing = glue(async () => {
        throw new Error("boom");
      });
      const { JobRunId } = await failing.startJobRun("job-orders", args);
      await failing.stop();
      const hung = glue(() => new Promise<RunOutcome>(() => undefined)); // "killed" mid-run
      const { JobRunId: interrupted } = await hung.startJobRun("job-orders", { ...args, "--run_id": "r2" });
      let attempts = 0;

      const restarted = glue(async () => ({ state: "SUCCEEDED" as const, attempt: ++attempts }));
      const resumed = restarted.resumeInterrupted();
      await restarted.stop();

      expect((await failing.getJobRun("job-orders", JobRunId)).ErrorMessage).to.equal("boom");
      expect((await failing.getJobRun("job-orders", JobRunId)).JobRunState).to.equal("FAILED");
      expect(resumed).to.equal(1);
      expect((await restarted.getJobRun("job-orders", interrupted)).JobRunState).to.equal("SUCCEEDED");
    });
  });

  describe("landing watcher", () => {
    it("does not report a file while it is still being written, then reports it once", async () => {
      const root = join(ws.dir, "landing");
      mkdirSync(join(root, "orders"), { recursive: true });
      const seen: StableFile[] = [];
      const known = new Set<string>();
      let now = 0; // the settle rule runs on this clock, so the test controls time exactly
      const watcher = new LandingWatcher({
        root,
        settleMs: 1000,
        now: () => now,
        isKnown: (key, sig) => known.has(`${key}:${sig.size}:${sig.mtimeMs}`),
        onStable: async (f) => {
          seen.push(f);
          known.add(`${f.key}:${f.sig.size}:${f.sig.mtimeMs}`);
        },
      });
      const path = join(root, "orders", "growing.csv");
      const seenWhileWriting: number[] = [];
      try {
        writeFileSync(path, "order_id\n");
        for (let i = 0; i < 3; i++) {
          await watcher.scanNow();
          seenWhileWriting.push(seen.length);
          now += 900; // under the settle time, and the file keeps changing
          await sleep(5);
          appendFileSync(path, `${i}\n`);
        }
        await watcher.scanNow();
        now += 1000;
        await watcher.scanNow();
        await watcher.scanNow();

        expect(seenWhileWriting).to.deep.equal([0, 0, 0]);
        expect(seen.map((f) => [f.key, f.sig.size])).to.deep.equal([["orders/growing.csv", 15]]);
      } finally {
        await watcher.stop();
      }
    });
  });

  describe("landing files", () => {
    it("by default waits 2 s of no change: a copy pausing 1 s between chunks is not read half-way", async () => {
      const root = join(ws.dir, "landing");
      mkdirSync(join(root, "orders"), { recursive: true });
      const seen: StableFile[] = [];
      let now = 0;
      const watcher = new LandingWatcher({ root, now: () => now, isKnown: () => false, onStable: async (f) => void seen.push(f) });
      try {
        writeFileSync(join(root, "orders", "copy.csv"), "order_id\n1\n");
        await watcher.scanNow();
        now += 1000; // the copy pauses a second, then goes on
        await watcher.scanNow();
        expect(seen, "read during a 1 s pause").to.deep.equal([]);
        expect(DEFAULT_SETTLE_MS).to.equal(2000);
      } finally {
        await watcher.stop();
      }
    });

    it("leaves out transfer tools' and editors' in-progress names, counts a link to a file as that file (not links to folders, loops or dangling ones), and keys names with a backslash as written", () => {
      const root = join(ws.dir, "landing");
      const outside = join(ws.dir, "outside");
      mkdirSync(join(root, "orders"), { recursive: true });
      mkdirSync(join(outside, "more"), { recursive: true });
      writeFileSync(join(outside, "linked.csv"), "x");
      writeFileSync(join(outside, "more", "deep.csv"), "x");
      for (const name of ["a.csv", "back\\slash.csv", "w.csv.filepart", "c.csv.crdownload", "d.csv.partial", "#e.csv#", "f.csv.swp", "g.csv.PART", ".hidden.csv", "h.csv~"]) {
        writeFileSync(join(root, "orders", name), "x");
      }
      symlinkSync(join(outside, "linked.csv"), join(root, "orders", "link.csv"));
      symlinkSync(outside, join(root, "orders", "dir"));
      symlinkSync(root, join(root, "orders", "up")); // a link to a folder it is in
      symlinkSync(join(root, "orders", "self.csv"), join(root, "orders", "self.csv")); // a loop
      symlinkSync(join(outside, "gone.csv"), join(root, "orders", "dangling.csv"));

      const keys = landingFiles(root).map((f) => f.key);

      expect(keys).to.deep.equal(["orders/a.csv", "orders/back\\slash.csv", "orders/link.csv"]);
      expect(isIgnoredName("report.csv")).to.equal(false);
    });
  });

  describe("audit store over the direct dynalite transport", () => {
    it("keeps the DynamoDB semantics the handlers rely on: conditional writes, batch gets, index queries", async function () {
      this.timeout(30_000);
      const server = await startAuditServer(undefined);
      const db = new DynaliteDb(server.endpoint);
      try {
        await ensureAuditTable(server.client, "audit-test");
        const audit = new AuditStore(db, "audit-test");
        const file = (fileId: string): FileItem => ({
          kind: "FILE",
          fileId,
          dataset: "orders",
          bucket: "b",
          key: fileId,
          versionId: "1",
          etag: "e",
          sequencer: "01",
          size: 3,
          status: "PENDING",
          receivedAt: "2026-11-21T10:00:00.000Z",
          recordedAt: "2026-11-21T10:00:00.000Z",
        });

        const first = await audit.createFile(file("a"));
        const again = await audit.createFile({ ...file("a"), size: 99 });
        await audit.createFile(file("b"));
        const moved = await audit.finalizeFile("b", { status: "SUCCEEDED" });
        const movedTwice = await audit.finalizeFile("b", { status: "FAILED" });

        expect(first.created).to.equal(true);
        expect(again).to.deep.include({ created: false });
        expect(again.item.size).to.equal(3);
        expect([moved, movedTwice]).to.deep.equal([true, false]);
        expect((await audit.getFilesConsistent(["a", "b", "missing"])).map((f) => [f.fileId, f.status]).sort()).to.deep.equal([
          ["a", "PENDING"],
          ["b", "SUCCEEDED"],
        ]);
        expect((await audit.listPendingFiles("orders", 10)).map((f) => f.fileId)).to.deep.equal(["a"]);
      } finally {
        db.destroy();
        await server.close();
      }
    });
  });

  it("admits one runtime per workspace and takes over a lock left by a dead process", () => {
    const path = join(ws.dir, "local.lock");
    writeFileSync(path, "999999"); // no such process
    const lock = acquireWorkspaceLock(path);
    writeFileSync(path, String(process.ppid)); // a live process (our parent) holds it

    expect(() => acquireWorkspaceLock(path)).to.throw(/in use by another datalake process/);
    writeFileSync(path, String(process.pid));
    lock.release();
  });

  it("a lock with no pid yet is being created, not stale: refused while young, taken over once old", () => {
    const path = join(ws.dir, "empty.lock");
    writeFileSync(path, "");
    // Created, not yet written (an O_EXCL create then a write): taking it over let two in.
    expect(() => acquireWorkspaceLock(path)).to.throw(/in use by another datalake process; stop it first/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const lock = acquireWorkspaceLock(path);
    expect(readFileSync(path, "utf8")).to.equal(String(process.pid));
    lock.release();
    expect(existsSync(path)).to.equal(false);
  });

  it("locks a workspace on a file system without hard links (exFAT, SMB): created exclusively instead", () => {
    const path = join(ws.dir, "nolinks.lock");
    const fs = require("fs") as typeof import("fs");
    const link = fs.linkSync;
    fs.linkSync = () => {
      throw Object.assign(new Error("EPERM: operation not permitted, link"), { code: "EPERM" });
    };
    try {
      const lock = acquireWorkspaceLock(path);
      expect(readFileSync(path, "utf8")).to.equal(String(process.pid));
      writeFileSync(path, String(process.ppid)); // a live process (our parent) holds it
      expect(() => acquireWorkspaceLock(path)).to.throw(/in use by another datalake process \(pid \d+\)/);
      writeFileSync(path, String(process.pid));
      lock.release();
      expect(existsSync(path)).to.equal(false);
    } finally {
      fs.linkSync = link;
    }
  });

  it("processes racing for one workspace: exactly one holds the lock, over a stale one too", async () => {
    const path = join(ws.dir, "race.lock");
    const child = `const { acquireWorkspaceLock } = require(${JSON.stringify(require.resolve("../../local/runtime/workspace-lock"))});
      setTimeout(() => { try { acquireWorkspaceLock(process.argv[1]); console.log("won"); setTimeout(() => {}, 1500); } catch (e) { console.log("lost"); } }, Number(process.argv[2]) - Date.now());`;
    for (const stale of [false, true]) {
      if (stale) writeFileSync(path, "999999"); // no such process
      else rmSync(path, { force: true });
      const start = Date.now() + 1500; // every child tries at the same moment
      const outcomes = await Promise.all(
        [0, 1, 2, 3].map(
          () =>
            new Promise<string>((resolve, reject) => {
              execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", child, path, String(start)], (err, out) => (err ? reject(err) : resolve(out.trim())));
            }),
        ),
      );
      expect(outcomes.filter((o) => o === "won"), `stale lock first: ${stale}`).to.have.length(1);
    }
  });

  it("the audit store's LevelDB ends a read made after its iterator closed instead of throwing (dynalite would die mid-request)", async () => {
    const { endReadsAfterClose } = require("../../local/runtime/level-reads");
    const dynaliteDir = require.resolve("dynalite");
    const abstractLevel = require(require.resolve("abstract-level", { paths: [dynaliteDir] }));
    const { MemoryLevel } = require(require.resolve("memory-level", { paths: [dynaliteDir] }));
    const db = new MemoryLevel();
    await db.put("a", "1");
    const closedBefore = db.values();
    await closedBefore.close();
    const err = await closedBefore.next().then(() => null, (e: { code?: string }) => e);
    expect(err?.code, "abstract-level throws unpatched").to.equal("LEVEL_ITERATOR_NOT_OPEN");

    endReadsAfterClose(abstractLevel);
    const closed = db.values();
    await closed.close();
    expect(await closed.next()).to.equal(undefined);
    expect(await db.values().next()).to.equal("1");
    await db.close();
  });
});

