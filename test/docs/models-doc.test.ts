// docs/models.md's worked example runs: its customer change files (fenced blocks marked
// `example=scd2 file=PATH`) are loaded with the CLI, which rebuilds dim_customer after the load
// publishes, and the dimension must hold exactly the rows of the `example=scd2 expect` table.
import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { cli, queryJson, tempDir } from "../cli/helpers";
import { exampleBlocks } from "./examples";

const DOC = join(__dirname, "..", "..", "docs", "models.md");

describe("docs/models.md: the worked SCD2 example", function () {
  this.timeout(120_000);

  it("loading the example's change files gives the dim_customer rows the doc states", async () => {
    const blocks = exampleBlocks(readFileSync(DOC, "utf8")).filter((b) => b.example === "scd2");
    const files = blocks.filter((b) => b.file !== undefined);
    const table = blocks.find((b) => b.role === "expect");
    expect(files.length, "example files").to.be.greaterThan(1);
    expect(table, "expect block").to.not.equal(undefined);
    const { dir, cleanup } = tempDir("models-doc-");
    try {
      const paths = files.map((b) => {
        const path = join(dir, "files", b.file!);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, b.body);
        return path;
      });
      const workspace = join(dir, "ws");
      const load = await cli("load", "--dataset", "customers", "--workspace", workspace, ...paths);
      expect(load.code, load.stderr).to.equal(0);
      expect(load.stdout + load.stderr).to.match(/dim_customer/);
      const [header, ...expected] = table!.body.split("\n").filter(Boolean).map((l) => l.trim().split(/\s{1,}/));
      // Rows compared as space-joined text: a timestamp's date and time are two words in both.
      const rows = await queryJson<Record<string, string>>(
        workspace,
        `SELECT customer_id::VARCHAR AS customer_id, email, country, signup_date::VARCHAR AS signup_date, ` +
          `strftime(valid_from, '%Y-%m-%d %H:%M:%S') AS valid_from, strftime(valid_to, '%Y-%m-%d %H:%M:%S') AS valid_to, ` +
          `is_current::VARCHAR AS is_current FROM dim_customer WHERE customer_id IS NOT NULL ORDER BY valid_from`,
      );
      const actual = rows.map((r) => header.map((c) => r[c]).join(" "));
      expect(actual).to.deep.equal(expected.map((cells) => cells.join(" ")));
    } finally {
      cleanup();
    }
  });
});
