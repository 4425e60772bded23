// docs/datasets.md's worked example runs: its file (the fenced block marked `example=values
// file=PATH`) is loaded with the CLI, and silver, quarantine and rejects must hold exactly the
// lines of the `example=values expect` block.
import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { cli, queryJson, tempDir } from "../cli/helpers";
import { exampleBlocks } from "./examples";

const DOC = join(__dirname, "..", "..", "docs", "datasets.md");

describe("docs/datasets.md: the worked example of accepted and refused values", function () {
  this.timeout(120_000);

  it("loading the example's file gives the silver rows, quarantine reasons and rejects the doc states", async () => {
    const blocks = exampleBlocks(readFileSync(DOC, "utf8")).filter((b) => b.example === "values");
    const files = blocks.filter((b) => b.file !== undefined);
    const expected = blocks.find((b) => b.role === "expect")!.body.split("\n").filter(Boolean);
    expect(files).to.have.length(1);
    const { dir, cleanup } = tempDir("datalake-datasets-doc-");
    try {
      const path = join(dir, "files", files[0].file!);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, files[0].body);
      const workspace = join(dir, "ws");
      const run = await cli("load", "--dataset", "orders", "--workspace", workspace, "--no-build", path);
      expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
      const text = (sql: string) => queryJson<Record<string, string | null>>(workspace, sql);
      const silver = await text(
        "SELECT order_id::VARCHAR AS a, customer_id::VARCHAR AS b, order_ts::VARCHAR AS c, status AS d, total_amount::VARCHAR AS e FROM orders ORDER BY order_id",
      );
      const quarantine = await text("SELECT order_id AS a, _reasons AS b FROM quarantine_orders ORDER BY _row_number");
      const rejects = await text("SELECT order_id AS a, _reasons AS b FROM rejects_orders ORDER BY _row_number");
      const actual = [
        ...silver.map((r) => `silver: ${r.a} ${r.b} ${r.c} ${r.d} ${r.e}`),
        ...quarantine.map((r) => `quarantine: ${r.a} ${r.b}`),
        ...rejects.map((r) => `rejected: ${r.a || "(empty)"} ${r.b}`),
      ];
      expect(actual).to.deep.equal(expected);
    } finally {
      cleanup();
    }
  });
});
