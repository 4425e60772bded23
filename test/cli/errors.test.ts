import { expect } from "chai";
import { mkdirSync, readdirSync, writeFileSync } from "fs";
import { join } from "path";
import { generateDataset } from "../../local/generator";
import { cli, tempDir } from "./helpers";

describe("datalake CLI errors and help", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-cli-err-")));
  afterEach(() => cleanup());

  const oneLine = (text: string): void => {
    expect(text.trim().split("\n")).to.have.length(1);
  };

  it("lists the verbs with --help (exit 0) and with no verb (exit 2)", async () => {
    const help = await cli("--help");
    const none = await cli();

    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^usage: datalake <command>/);
    for (const verb of ["load", "query", "rollback", "generate"]) expect(help.stdout).to.match(new RegExp(`\\n  ${verb}\\s`));
    expect(none.code).to.equal(2);
  });

  it("prints a verb's flags with --help", async () => {
    const run = await cli("load", "--help");

    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/usage: datalake load \[flags\] FILE\.\.\./);
    expect(run.stdout).to.match(/--full-refresh/);
  });

  const cases: [string, string[], number, RegExp][] = [
    ["an unknown verb", ["lod"], 2, /^datalake: unknown command "lod" \(known: load, query/],
    ["an unknown flag", ["query", "--jsn", "SELECT 1"], 2, /^datalake query: unknown flag --jsn/],
    ["a flag without its value", ["load", "--dataset"], 2, /^datalake load: --dataset needs a value/],
    ["load without --dataset", ["load", "x.csv"], 2, /^datalake load: --dataset is required/],
    ["load without files", ["load", "--dataset", "orders"], 2, /^datalake load: missing FILE\.\.\./],
    ["an unknown dataset", ["load", "--dataset", "invoices", "x.csv"], 2, /^datalake load: unknown dataset "invoices" \(known: customers, products, orders/],
    ["query without SQL", ["query"], 2, /^datalake query: missing "SQL"/],
    ["query with two SQL arguments", ["query", "SELECT 1", "SELECT 2"], 2, /^datalake query: unexpected argument "SELECT 2"/],
    ["rollback without --table", ["rollback"], 2, /^datalake rollback: --table is required/],
    ["generate without a dataset", ["generate", "--out", "x"], 2, /^datalake generate: --dataset NAME or --all is required/],
    ["a non-numeric --rows", ["generate", "--all", "--rows", "many"], 2, /^datalake generate: --rows must be a non-negative integer/],
    ["a --job-timeout beyond Glue's 2880 minutes", ["local", "--once", "--job-timeout", "3000"], 2, /^datalake local: --job-timeout must be 1 to 2880 \(minutes\)/],
    ["a --rows past what one generator run holds", ["generate", "--all", "--rows", "99999999999"], 2, /^datalake generate: --rows must be 0 to 100,000,000, got 99999999999$/],
    ["a demo of no rows", ["demo", "--rows", "0"], 2, /^datalake demo: --rows must be 1 to 100,000,000, got 0$/],
    ["a short flag (none exists), naming the long one it may stand for", ["load", "-d", "orders", "x.csv"], 2, /^datalake load: unknown flag -d: flags are long \(--dataset\?\) \(see datalake load --help\)$/],
    ["a short flag before the SQL of a query", ["query", "-j", "SELECT 1"], 2, /^datalake query: unknown flag -j: flags are long \(--json\?\)/],
    ["a flag given twice with two values", ["load", "--dataset", "orders", "--dataset=customers", "x.csv"], 2, /^datalake load: --dataset given twice \("orders" and "customers"\)$/],
  ];
  for (const [what, argv, code, message] of cases) {
    it(`exits ${code} with one line for ${what}`, async () => {
      const run = await cli(...argv);

      expect(run.code).to.equal(code);
      expect(run.stderr).to.match(message);
      oneLine(run.stderr);
      expect(run.stdout).to.equal("");
    });
  }

  it("exits 2 naming a --workspace that is a file, for every verb that takes one", async () => {
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "");
    for (const argv of [["load", "--dataset", "orders", file], ["query", "SELECT 1"], ["audit"], ["build"]]) {
      const run = await cli(argv[0], "--workspace", file, ...argv.slice(1));

      expect(run.code, argv[0]).to.equal(2);
      expect(run.stderr).to.equal(`datalake ${argv[0]}: --workspace ${file} is a file, not a directory`);
    }
  });

  it("refuses to build in a directory no load ever used (a mistyped --workspace), leaving it untouched", async () => {
    const notes = join(dir, "notes");
    mkdirSync(notes);
    writeFileSync(join(notes, "todo.txt"), "x");

    const run = await cli("build", "--workspace", notes);

    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal(`datalake build: workspace ${notes} has no load yet: nothing to build from (load something first)`);
    expect(readdirSync(notes)).to.deep.equal(["todo.txt"]);
  });

  it("takes a query opening with a -- comment line as the query, not as a flag", async () => {
    mkdirSync(join(dir, "ws"));
    const run = await cli("query", "--workspace", join(dir, "ws"), "-- how many\nSELECT 42 AS answer");

    expect(run.stderr).to.not.match(/unknown flag/);
    expect(run.stdout).to.match(/\b42\b/);
    expect(run.code).to.equal(0);
  });

  it("exits 1 naming a missing file, and loads nothing", async () => {
    const workspace = join(dir, "ws");

    const run = await cli("load", "--dataset", "orders", "--workspace", workspace, join(dir, "nope.csv"));

    expect(run.code).to.equal(1);
    expect(run.stderr).to.equal(`datalake load: file not found: ${join(dir, "nope.csv")}`);
    const query = await cli("query", "--workspace", workspace, "SELECT * FROM orders");
    expect(query.code).to.equal(1);
  });

  it("exits 1 with the parser's first line for bad SQL, naming the tables (not after a refusal of the statement)", async () => {
    const workspace = join(dir, "ws");
    const paths = generateDataset("products", { format: "csv", seed: 1, rows: 20, files: 0, outDir: join(dir, "gen") });
    await cli("load", "--dataset", "products", "--workspace", workspace, ...paths);

    const syntax = await cli("query", "--workspace", workspace, "SELEC * FROM products");
    const missing = await cli("query", "--workspace", workspace, "SELECT * FROM orders");
    const writes = await cli("query", "--workspace", workspace, "DELETE FROM products");

    expect(syntax.code).to.equal(1);
    expect(syntax.stderr).to.match(/^datalake query: Parser Error: syntax error at or near "SELEC".*\(tables: bronze_products, dim_date, dim_product, products, quarantine_products, rejects_products, state_products\)$/);
    oneLine(syntax.stderr);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^datalake query: Catalog Error: Table with name orders does not exist/);
    oneLine(missing.stderr);
    // A refusal of the statement itself names no tables.
    expect(writes.stderr).to.equal("datalake query: query only reads (SELECT, DESCRIBE, SUMMARIZE, EXPLAIN); this is a statement that writes: add --write to run it");
  });

  it("exits 1 when the workspace does not exist", async () => {
    const run = await cli("query", "--workspace", join(dir, "missing"), "SELECT 1");

    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/^datalake query: workspace .*missing does not exist/);
  });

  it("quarantines a file that is not CSV and still exits 0 (bad data never fails the run)", async () => {
    const file = join(dir, "orders.bin");
    writeFileSync(file, Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x0a]));

    const run = await cli("load", "--dataset", "orders", "--workspace", join(dir, "ws"), file);

    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/QUARANTINED\s+orders\/orders\.bin\s+.*not_utf8/);
  });
});
