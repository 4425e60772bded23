// A publish's writes reach the disk in the order its crash safety assumes (engine/duckdb/durable.ts).
// A killed process leaves its writes to the kernel, a power loss does not, so the tests of killed
// loads (publish-crash.test.ts) cannot see this. Every fsync, rename and removal the load and the
// build make through node:fs is recorded, and each rename is checked when it happens:
//   - what it renames (a file, or every file of a folder) was flushed before;
//   - the publish record comes after the journal, whose folder was flushed after it arrived, and
//     after the models' debt (models-owed.ts);
//   - before a staging folder is removed, every folder that files were moved into from it was
//     flushed after the move.
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { DATASETS } from "../../datasets";
import { buildModels } from "../../engine/duckdb";
import { MODELS } from "../../models";
import { ORDERS_HEADER, TestWorkspace, orderRow } from "./helpers";

type Fs = typeof fs;

/** Records `fs` calls while `run` runs, and returns every broken ordering rule it saw. */
async function orderingViolations(run: () => Promise<void>): Promise<{ violations: string[]; renames: number }> {
  const real = { openSync: fs.openSync, fsyncSync: fs.fsyncSync, renameSync: fs.renameSync, rmSync: fs.rmSync };
  const opened = new Map<number, string>();
  /** Event index of each path's last flush, and of the last move into each folder. */
  const flushed = new Map<string, number>();
  const movedInto = new Map<string, number>();
  const violations: string[] = [];
  let clock = 0;
  let renames = 0;
  const filesUnder = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  // The module object itself (this file's `import * as fs` is a read-only view of it): the
  // engine's modules read their fs functions from it at each call.
  const mutable = require("node:fs") as { -readonly [K in keyof Fs]: Fs[K] };
  mutable.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    const fd = (real.openSync as (...a: unknown[]) => number)(p, ...rest);
    opened.set(fd, path.resolve(String(p)));
    return fd;
  }) as Fs["openSync"];
  mutable.fsyncSync = ((fd: number) => {
    real.fsyncSync(fd);
    const p = opened.get(fd);
    if (p) flushed.set(p, ++clock);
  }) as Fs["fsyncSync"];
  mutable.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    const [a, b] = [path.resolve(String(from)), path.resolve(String(to))];
    const unflushed = (fs.statSync(a).isDirectory() ? filesUnder(a) : [a]).filter((f) => !flushed.has(f));
    if (unflushed.length > 0) violations.push(`renamed ${a} with ${unflushed.length} file(s) not flushed: ${unflushed[0]}`);
    if (b.endsWith(".publish.json")) {
      const owed = path.join(path.dirname(b), "..", "..", "models-owed");
      const unowed = fs.existsSync(owed) ? filesUnder(owed).filter((f) => !flushed.has(f)) : [owed];
      if (unowed.length > 0) violations.push(`publish record ${b} written before the models' debt was flushed: ${unowed[0]}`);
      const journal = [...movedInto.keys()].find((d) => fs.existsSync(path.join(d, "_publish.json")));
      if (!journal) violations.push(`publish record ${b} written before any journal`);
      else if ((flushed.get(journal) ?? 0) < movedInto.get(journal)!) violations.push(`publish record ${b} written before the journal's folder was flushed`);
    }
    real.renameSync(from, to);
    renames++;
    movedInto.set(path.dirname(b), ++clock);
  }) as Fs["renameSync"];
  mutable.rmSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    const removed = path.resolve(String(p));
    if (removed.split(path.sep).includes("_staging")) {
      for (const [dir, at] of movedInto) {
        if (!dir.startsWith(removed) && (flushed.get(dir) ?? 0) < at) violations.push(`removed ${removed} before ${dir} was flushed after a move into it`);
      }
    }
    (real.rmSync as (...a: unknown[]) => void)(p, ...rest);
  }) as Fs["rmSync"];
  try {
    await run();
  } finally {
    Object.assign(mutable, real);
  }
  return { violations, renames };
}

describe("engine (DuckDB): a publish's writes reach the disk in order", function () {
  this.timeout(120_000);

  it("flushes staged files before the journal, the journal before the record, moves before the staging goes; a model build likewise", async () => {
    const ws = new TestWorkspace("durable-publish-");
    try {
      const first = ws.file("orders", "a.csv", [ORDERS_HEADER, orderRow("I", 1, "2026-11-01 10:00:00"), orderRow("I", 2, "2026-11-01 10:00:01")].join("\n") + "\n");
      const second = ws.file("orders", "b.csv", [ORDERS_HEADER, orderRow("U", 1, "2026-11-02 10:00:00", "shipped"), orderRow("I", 3, "2026-11-02 10:00:01")].join("\n") + "\n");
      const { violations, renames } = await orderingViolations(async () => {
        for (const file of [first, second]) expect((await ws.load("orders", [file])).status).to.equal("SUCCEEDED");
        const built = await buildModels(ws.dir, MODELS.filter((m) => m.name === "dim_date"), { datasets: DATASETS });
        expect(built.map((b) => b.status)).to.deep.equal(["built"]);
      });
      expect(renames, "the loads and the build renamed files").to.be.greaterThan(10);
      expect(violations).to.deep.equal([]);
      expect((await ws.query("SELECT order_id, status FROM orders ORDER BY 1")).map((r) => [r.order_id, r.status])).to.deep.equal([
        [1, "shipped"],
        [2, "paid"],
        [3, "paid"],
      ]);
    } finally {
      ws.cleanup();
    }
  });
});
