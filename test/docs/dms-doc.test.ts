// docs/dms.md's examples run: every fenced block marked `example=NAME file=PATH` is written into a
// workspace, the files are loaded with the CLI (`datalake load`, or `datalake local --once` from
// landing/ when the example's keys are not under the dataset's own spelling of its prefix), and
// the block marked `example=NAME expect` states the outcome checked here.
import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { gzipSync } from "zlib";
import { defineDataset, eventPatternFor, getDataset, matchEventPattern, routeObjectKey } from "../../datasets";
import { expectedState } from "../../local/generator";
import { cli, queryJson, tempDir } from "../cli/helpers";
import { exampleBlocks } from "./examples";

const DOC = join(__dirname, "..", "..", "docs", "dms.md");

const doc = readFileSync(DOC, "utf8");
const blocks = exampleBlocks(doc);
const filesOf = (example: string) => blocks.filter((b) => b.example === example && b.file !== undefined);
const expectOf = (example: string): string[] => {
  const block = blocks.find((b) => b.example === example && b.role === "expect");
  if (!block) throw new Error(`docs/dms.md: example ${example} has no expect block`);
  return block.body.split("\n").filter(Boolean);
};

interface Outcome {
  silver: string[];
  quarantine: string[];
  rows: string;
  files: string[];
}

/** Writes an example's files under dir and returns their paths in document order. */
function writeExample(dir: string, example: string): string[] {
  return filesOf(example).map((b) => {
    const path = join(dir, b.file!);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, b.body);
    return path;
  });
}

async function outcome(workspace: string): Promise<Outcome> {
  const silver = await queryJson<{ order_id: unknown; status: string }>(workspace, "SELECT order_id, status FROM orders ORDER BY order_id");
  const quarantine = await queryJson<{ order_id: unknown; _reasons: string }>(workspace, "SELECT order_id, _reasons FROM quarantine_orders ORDER BY order_id");
  const audit = await cli("audit", "--workspace", workspace, "--json");
  expect(audit.code, audit.stderr).to.equal(0);
  const files = JSON.parse(audit.stdout) as { key: string; status: string; reason?: string; rowsRead?: number; rowsRejected?: number }[];
  const sum = (f: (x: (typeof files)[number]) => number | undefined) => files.reduce((n, x) => n + (f(x) ?? 0), 0);
  return {
    silver: silver.map((r) => `silver: ${r.order_id} ${r.status}`),
    quarantine: quarantine.map((r) => `quarantine: ${r.order_id} ${r._reasons}`),
    rows: `rows: read ${sum((x) => x.rowsRead)}, rejected ${sum((x) => x.rowsRejected)}`,
    files: files.map((f) => `file ${f.key}: ${f.status}${f.reason ? ` ${f.reason}` : ""}`),
  };
}

/** The lines of the outcome the expect block talks about, in its order. */
function stated(actual: Outcome, lines: string[]): string[] {
  const kinds = new Set(lines.map((l) => l.split(/[: ]/)[0]));
  const all = [...actual.silver, ...actual.quarantine, actual.rows, ...actual.files];
  return all.filter((l) => kinds.has(l.split(/[: ]/)[0]));
}

describe("docs/dms.md examples", function () {
  this.timeout(300_000);
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir("datalake-dms-doc-")));
  afterEach(() => cleanup());

  it("has the examples this test runs, each with files and an expect block", () => {
    const names = [...new Set(blocks.map((b) => b.example))].sort();
    expect(names).to.deep.equal(["defaults", "empty", "fullload-op", "header", "layout", "oracle"]);
    for (const name of ["defaults", "empty", "fullload-op", "header", "oracle"]) {
      expect(filesOf(name), name).to.not.be.empty;
      expect(expectOf(name), name).to.not.be.empty;
    }
  });

  /** All files in one `datalake load`, or (oneByOne) one load per file in document order. */
  const loadExample = async (example: string, oneByOne = false): Promise<Outcome> => {
    const workspace = join(dir, oneByOne ? "ws-one-by-one" : "ws");
    const paths = writeExample(join(dir, "files"), example);
    for (const batch of oneByOne ? paths.map((p) => [p]) : [paths]) {
      const run = await cli("load", "--dataset", "orders", "--workspace", workspace, ...batch);
      expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    }
    return outcome(workspace);
  };

  it("AddColumnName=true, TimestampColumnName=cdc_ts: loads as the doc states, all at once and file by file", async () => {
    const lines = expectOf("header");
    expect(stated(await loadExample("header"), lines)).to.deep.equal(lines);
    expect(stated(await loadExample("header", true), lines)).to.deep.equal(lines);
  });

  it("states what the row-semantics oracle expects of each example's files (no engine involved)", () => {
    for (const example of ["header", "defaults", "fullload-op", "oracle"]) {
      const files = filesOf(example).map((b) => ({ key: b.file!, content: b.body }));
      const state = expectedState(getDataset("orders"), files);
      const lines = expectOf(example);
      expect(state.quarantinedFileRows, `${example}: no file quarantined whole`).to.equal(0);
      const status = (k: string) => state.current.get(k)?.values.status;
      expect(lines.filter((l) => l.startsWith("silver:")), example).to.deep.equal(state.silverKeys.map((k) => `silver: ${k} ${status(k)}`));
      expect(lines.filter((l) => l.startsWith("quarantine:")).map((l) => l.split(" ")[1]), example).to.deep.equal(state.quarantineKeys);
      expect(lines.find((l) => l.startsWith("rows:")), example).to.equal(`rows: read ${state.rowsRead}, rejected ${state.rejectedRows}`);
    }
  });

  it("DMS defaults (no header, no timestamp column): the same silver and quarantine as the header example", async () => {
    const lines = expectOf("defaults");
    expect(lines).to.deep.equal(expectOf("header"));
    expect(stated(await loadExample("defaults"), lines)).to.deep.equal(lines);
    expect(stated(await loadExample("defaults", true), lines)).to.deep.equal(lines);
  });

  it("IncludeOpForFullLoad=true: the same silver and quarantine as the header example", async () => {
    const lines = expectOf("fullload-op");
    expect(lines).to.deep.equal(expectOf("header"));
    expect(stated(await loadExample("fullload-op"), lines)).to.deep.equal(lines);
  });

  it("CompressionType=GZIP: the header example's files gzipped (.csv.gz) load the same", async () => {
    const workspace = join(dir, "ws-gzip");
    const paths = writeExample(join(dir, "files"), "header").map((p) => {
      writeFileSync(`${p}.gz`, gzipSync(readFileSync(p)));
      return `${p}.gz`;
    });
    const run = await cli("load", "--dataset", "orders", "--workspace", workspace, ...paths);
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    const lines = expectOf("header");
    expect(stated(await outcome(workspace), lines)).to.deep.equal(lines);
  });

  it("an Oracle task's upper-case folder (ORDERS/) in landing loads into orders with `datalake local --once`", async () => {
    const workspace = join(dir, "ws");
    writeExample(join(workspace, "landing"), "oracle");
    const run = await cli("local", "--workspace", workspace, "--once");
    expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(0);
    const lines = expectOf("oracle");
    const actual = await outcome(workspace);
    expect(stated(actual, lines)).to.deep.equal(lines);
    expect(actual.files.map((f) => f.split(":")[0]).sort()).to.deep.equal(filesOf("oracle").map((b) => `file ${b.file}`).sort());
  });

  it("an empty file is quarantined as empty_file", async () => {
    const lines = expectOf("empty");
    expect(filesOf("empty")[0].body).to.equal("");
    expect(stated(await loadExample("empty"), lines)).to.deep.equal(lines);
  });

  it("routes the layout's keys as the doc states (handler routing and the EventBridge rule agree)", () => {
    const spec = defineDataset({
      name: "sales_orders",
      prefix: "sales/orders/",
      format: "dms",
      columns: { order_id: "bigint" },
      primaryKey: ["order_id"],
      target: { table: "sales_orders" },
    });
    const lines = blocks.find((b) => b.example === "layout")!.body.split("\n").filter(Boolean);
    expect(lines.length).to.be.greaterThan(4);
    for (const line of lines) {
      const [key, owner] = line.split(/\s+->\s+/).map((s) => s.trim());
      const routed = routeObjectKey([spec], key) === spec ? spec.prefix : "none";
      expect(routed, key).to.equal(owner);
      const event = { source: "aws.s3", "detail-type": "Object Created", detail: { bucket: { name: "landing" }, object: { key } } };
      expect(matchEventPattern(eventPatternFor(spec, "landing"), event), key).to.equal(owner !== "none");
    }
  });
});
