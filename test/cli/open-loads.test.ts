// cli-open-loads.ts: marks of loads not yet recorded, read by the next load. A mark that cannot
// be read must not stop that load's own record (it did: every later load published, then threw).
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import type { Manifest } from "../../engine/contracts";
import { markOpenLoad, openLoads } from "../../local/cli-open-loads";

describe("datalake load: marks of unrecorded loads", () => {
  let ws: string;
  beforeEach(() => (ws = mkdtempSync(join(tmpdir(), "open-loads-"))));
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  const manifest = (runId: string): Manifest => ({ version: 1, dataset: "orders", runId, createdAt: "2026-12-02T00:00:00.000Z", files: [] });

  it("reads a mark by names, so a moved workspace still finds its manifest; the returned function removes it", () => {
    const unmark = markOpenLoad(ws, manifest("cli-a"), new Date("2026-12-02T00:00:00Z"));
    mkdirSync(join(ws, "ops", "manifests", "orders"), { recursive: true });
    writeFileSync(join(ws, "ops", "manifests", "orders", "cli-a.json"), JSON.stringify(manifest("cli-a")));
    const warnings: string[] = [];
    const [open] = openLoads(ws, "cli-b", (w) => warnings.push(w));
    expect(open.manifest.runId).to.equal("cli-a");
    expect(open.report).to.equal(undefined);
    expect(warnings).to.deep.equal([]);
    expect(openLoads(ws, "cli-a", () => undefined)).to.deep.equal([]); // the load's own mark
    unmark();
    expect(openLoads(ws, "cli-b", () => undefined)).to.deep.equal([]);
  });

  describe("a run killed between its publish and its summary", () => {
    const record = { runId: "cli-a", dataset: "orders", status: "SUCCEEDED", files: [] };
    const put = (path: string, text: string) => {
      mkdirSync(join(ws, path, ".."), { recursive: true });
      writeFileSync(join(ws, path), text);
    };
    beforeEach(() => {
      markOpenLoad(ws, manifest("cli-a"), new Date("2026-12-02T00:00:00Z"));
      put("ops/manifests/orders/cli-a.json", JSON.stringify(manifest("cli-a")));
      put("ops/summaries/orders/cli-a.publish.json", JSON.stringify(record));
    });
    const report = () => openLoads(ws, "cli-b", () => undefined)[0].report;

    it("DuckDB: is read from its publish record once its files ledger is in place, not before (its files load again)", () => {
      const killedInPublish = report();
      put("bronze/orders/_files/cli-a.parquet", "");

      expect(killedInPublish).to.equal(undefined);
      expect(report()).to.deep.equal({ summary: record, source: "publish record" });
      put("ops/summaries/orders/cli-a.json", JSON.stringify({ ...record, finishedAt: "later" }));
      expect(report()).to.deep.equal({ summary: { ...record, finishedAt: "later" }, source: "summary" });
    });

    it("Spark: is read from its publish record, the commit point (the next run finishes its publish first)", () => {
      put("engine.json", JSON.stringify({ engine: "spark" }));

      expect(report()).to.deep.equal({ summary: record, source: "publish record" });
    });
  });

  it("warns about a mark cut short or naming a manifest that is gone, and leaves it", () => {
    markOpenLoad(ws, manifest("cli-gone"), new Date());
    writeFileSync(join(ws, "ops", "loads-open", "cli-cut.json"), "");
    const warnings: string[] = [];
    expect(openLoads(ws, "cli-now", (w) => warnings.push(w))).to.deep.equal([]);
    expect(warnings).to.have.length(2);
    expect(warnings[0]).to.match(/^cannot read the unrecorded load .*cli-cut\.json \(Unexpected end of JSON input\): left as it is$/);
    expect(warnings[1]).to.match(/^cannot read the unrecorded load .*cli-gone\.json \(ENOENT: .*\): left as it is$/);
    expect(openLoads(ws, "cli-now", () => undefined)).to.deep.equal([]);
  });
});
