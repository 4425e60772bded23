import { expect } from "chai";
import { join } from "path";
import { generateDataset } from "../../local/generator";
import { cli, queryJson, tempDir } from "./helpers";

describe("datalake rollback", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-rb-")));
  afterEach(() => cleanup());

  it("republishes the previous version, lists versions, and restores a named one", async () => {
    const workspace = join(dir, "ws");
    const [load, ...changes] = generateDataset("orders", { seed: 3, rows: 200, files: 2, outDir: join(dir, "gen") });
    await cli("load", "--dataset", "orders", "--workspace", workspace, load);
    const v1 = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM fact_orders");
    await cli("load", "--dataset", "orders", "--workspace", workspace, ...changes);
    const v2 = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM fact_orders");

    const back = await cli("rollback", "--table", "fact_orders", "--workspace", workspace);
    const afterBack = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM fact_orders");
    const list = await cli("rollback", "--table", "fact_orders", "--workspace", workspace, "--list", "--json");
    const forward = await cli("rollback", "--table", "fact_orders", "--workspace", workspace, "--to", "v000002");
    const afterForward = await queryJson(workspace, "SELECT count(*) AS n, max(cdc_ts)::VARCHAR AS t FROM fact_orders");

    expect(v2).to.not.deep.equal(v1);
    expect(back.code, back.stderr).to.equal(0);
    expect(back.stdout).to.equal("fact_orders: v000002 -> v000001 (quarantine_orders too)");
    expect(afterBack).to.deep.equal(v1);
    const versions = JSON.parse(list.stdout) as { version: string; current: boolean }[];
    expect(versions.map((v) => [v.version, v.current])).to.deep.equal([
      ["v000001", true],
      ["v000002", false],
    ]);
    expect(forward.code, forward.stderr).to.equal(0);
    expect(afterForward).to.deep.equal(v2);
  });

  it("exits 1 with one line for an unknown table or version", async () => {
    const workspace = join(dir, "ws");
    const paths = generateDataset("products", { seed: 1, rows: 20, files: 0, outDir: join(dir, "gen") });
    await cli("load", "--dataset", "products", "--workspace", workspace, ...paths);

    const table = await cli("rollback", "--table", "fact_nope", "--workspace", workspace);
    const version = await cli("rollback", "--table", "dim_product", "--to", "v000009", "--workspace", workspace);

    expect(table.code).to.equal(1);
    expect(table.stderr).to.equal("datalake rollback: unknown table fact_nope (published: dim_product)");
    expect(version.code).to.equal(1);
    expect(version.stderr).to.match(/^datalake rollback: table dim_product has no version v000009/);
  });
});
