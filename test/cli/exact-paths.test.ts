// `datalake load 'orders[1].csv'` loads that file, not orders1.csv: DuckDB reads `[ ] * ?` in a
// path as a glob, so the CLI's paths reach it escaped (engine/duckdb/session.ts exactPath).
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "fs";
import { join } from "path";
import type { RunSummary } from "../../engine/contracts";
import { cli, queryJson, tempDir } from "./helpers";

const HEADER = "Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts";
const row = (id: number) => `I,${id},100,2026-11-01 09:00:00,paid,10.00,2026-11-01 10:00:00`;

describe("datalake load: file names with glob characters", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-")));
  afterEach(() => cleanup());

  it("loads orders[1].csv and orders*.csv exactly, beside orders1.csv", async () => {
    const files = join(dir, "exports");
    mkdirSync(files);
    writeFileSync(join(files, "orders1.csv"), `${HEADER}\n${row(91)}\n`);
    writeFileSync(join(files, "orders[1].csv"), `${HEADER}\n${row(1)}\n`);
    writeFileSync(join(files, "orders*.csv"), `${HEADER}\n${row(2)}\n`);
    const workspace = join(dir, "ws");

    const load = await cli("load", "--dataset", "orders", "--workspace", workspace, "--json", join(files, "orders[1].csv"), join(files, "orders*.csv"));

    expect(load.code, load.stderr).to.equal(0);
    const [summary] = JSON.parse(load.stdout) as RunSummary[];
    expect(summary.files.map((f) => [f.key, f.rowsRead])).to.deep.equal([["orders/orders[1].csv", 1], ["orders/orders*.csv", 1]]);
    expect(await queryJson(workspace, "SELECT order_id FROM orders ORDER BY order_id")).to.deep.equal([{ order_id: 1 }, { order_id: 2 }]);
  });
});
