// Generated DMS files (generate --format dms-csv | dms-parquet) loaded with `datalake load`: the
// silver and quarantine keys the row-semantics oracle expects (local/generator/oracle.ts).
import { expect } from "chai";
import { readFileSync } from "fs";
import { join } from "path";
import { getDataset } from "../../datasets";
import { expectedState, generateInMemory, writeDataset } from "../../local/generator";
import { cli, queryJson, tempDir } from "./helpers";

describe("datalake load: generated DMS files", function () {
  this.timeout(300_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-dms-")));
  afterEach(() => cleanup());

  async function loadAndQuery(paths: string[]): Promise<{ silver: string[]; quarantine: string[] }> {
    const workspace = join(dir, "ws");
    const run = await cli("load", "--dataset", "orders", "--workspace", workspace, ...paths);
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    // Numeric order in JS: quarantine holds the raw strings, so its ORDER BY would sort text.
    const keys = async (sql: string) => (await queryJson<{ k: unknown }>(workspace, sql)).map((r) => String(r.k)).sort((a, b) => Number(a) - Number(b));
    return {
      silver: await keys("SELECT CAST(order_id AS VARCHAR) AS k FROM orders"),
      quarantine: await keys("SELECT CAST(order_id AS VARCHAR) AS k FROM quarantine_orders"),
    };
  }

  it("dms-csv (no header, no timestamp, split full load, anomalies, bad rows): the oracle's silver and quarantine", async () => {
    const options = { seed: 23, rows: 1200, files: 4, badShare: 0.08, loadFileRows: 150, format: "dms-csv" as const };
    const { paths } = await writeDataset("orders", { ...options, outDir: join(dir, "gen") });
    const expected = expectedState(getDataset("orders"), paths.map((p) => ({ key: p.slice(join(dir, "gen").length + 1), content: readFileSync(p, "utf8") })));

    const actual = await loadAndQuery(paths);

    expect(actual.silver).to.deep.equal(expected.silverKeys);
    expect(actual.quarantine).to.deep.equal(expected.quarantineKeys);
  });

  it("dms-parquet: the same silver and quarantine as the same changes in dms-csv", async () => {
    const options = { seed: 24, rows: 800, files: 3, badShare: 0, anomalies: false, loadFileRows: 100 };
    const { paths } = await writeDataset("orders", { ...options, format: "dms-parquet", outDir: join(dir, "gen") });
    const expected = expectedState(getDataset("orders"), generateInMemory("orders", { ...options, format: "dms-csv" }).files);

    const actual = await loadAndQuery(paths);

    expect(actual.silver).to.deep.equal(expected.silverKeys);
    expect(actual.quarantine).to.deep.equal(expected.quarantineKeys);
  });
});
