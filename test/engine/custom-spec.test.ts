// Spec features the reference datasets do not use: no CDC block, PII hashing, unique and
// expression rules, boolean / int / double / date types, optional columns absent from a file.
import { createHmac } from "node:crypto";
import { expect } from "chai";
import { defineDataset, type DatasetInput } from "../../datasets";
import { workspacePiiKey } from "../../engine/pii-key";
import { TestWorkspace, expectConserved } from "./helpers";

const people = defineDataset({
  name: "people",
  prefix: "people/",
  format: "csv",
  columns: {
    person_id: "int",
    email: "string",
    score: "double",
    active: "boolean",
    born: "date",
    nickname: { type: "string", optional: true },
  },
  primaryKey: ["person_id"],
  rules: [
    { kind: "unique", columns: ["email"] },
    { kind: "expression", label: "score_in_range", sql: "score BETWEEN 0 AND 100" },
  ],
  pii: [{ column: "email", mode: "hash" }],
});


describe("engine (DuckDB): spec features beyond the reference datasets", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("loads a spec without CDC: later rows win, types parse, PII is hashed, rules label", async () => {
    const csv = [
      "person_id,email,score,active,born",
      "1,a@x.com,10.5,true,1990-01-02",
      "2,b@x.com,1e2,no,1991-02-03",
      "1,a2@x.com,11,Y,1990-01-02", // same key later in the file: replaces row 1
      "3,dup@x.com,50,maybe,1992-03-04",
      "4,dup@x.com,150,false,1993-04-05",
    ].join("\n");

    const summary = await ws.load(people, [ws.file(people, "p.csv", csv)]);

    expectConserved(summary);
    // Keyed with the workspace's secret (engine/pii-key.ts): HMAC-SHA256, not a bare SHA-256.
    const sha = (s: string) => createHmac("sha256", workspacePiiKey(ws.dir)).update(s).digest("hex");
    expect(summary.counts).to.include({ stateKeys: 4, silverRows: 2, quarantineRows: 2 });
    expect(await ws.query("SELECT person_id, email, score, active, born, nickname FROM people ORDER BY person_id")).to.deep.equal([
      { person_id: 1, email: sha("a2@x.com"), score: 11, active: true, born: "1990-01-02", nickname: null },
      { person_id: 2, email: sha("b@x.com"), score: 100, active: false, born: "1991-02-03", nickname: null },
    ]);
    expect(await ws.query("SELECT person_id, email, _reasons FROM quarantine_people ORDER BY person_id")).to.deep.equal([
      { person_id: "3", email: sha("dup@x.com"), _reasons: "bad_type:active;unique:email" },
      { person_id: "4", email: sha("dup@x.com"), _reasons: "unique:email;score_in_range" },
    ]);
  });
});

describe("engine (DuckDB): spec evolution and NULL partitions", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  const things: DatasetInput = {
    name: "things",
    prefix: "things/",
    format: "csv",
    columns: { thing_id: "bigint", made_at: "timestamp", cdc_ts: "timestamp" },
    primaryKey: ["thing_id"],
    cdc: { opColumn: "Op", sequenceColumns: ["cdc_ts"] },
    partitionBy: { column: "made_at" },
  };
  const v1 = defineDataset(things);
  const v2 = defineDataset({ ...things, columns: { ...things.columns, colour: { type: "string", optional: true } } });

  it("keeps a row with a NULL partition value in silver, with NULL partition columns", async () => {
    const summary = await ws.load(v1, [ws.file(v1, "t.csv", "Op,thing_id,made_at,cdc_ts\nI,1,,2026-11-01 10:00:00\nI,2,2026-10-05 01:02:03,2026-11-01 10:00:00\n")]);

    expectConserved(summary);
    expect(await ws.query("SELECT thing_id, made_year, made_month FROM things ORDER BY thing_id")).to.deep.equal([
      { thing_id: 1, made_year: null, made_month: null },
      { thing_id: 2, made_year: 2026, made_month: 10 },
    ]);
  });

  it("reads state and bronze written before a column was added, and full refresh still works", async () => {
    await ws.load(v1, [ws.file(v1, "t1.csv", "Op,thing_id,made_at,cdc_ts\nI,1,2026-10-05 01:02:03,2026-11-01 10:00:00\n")]);

    const next = await ws.load(v2, [ws.file(v2, "t2.csv", "Op,thing_id,made_at,cdc_ts,colour\nI,2,2026-10-05 01:02:03,2026-11-01 10:00:00,red\n")]);
    const refresh = await ws.load(v2, [], { fullRefresh: true });

    expectConserved(next);
    expectConserved(refresh);
    expect(await ws.query("SELECT thing_id, colour FROM things ORDER BY thing_id")).to.deep.equal([
      { thing_id: 1, colour: null },
      { thing_id: 2, colour: "red" },
    ]);
  });
});

describe("engine (DuckDB): accepted values of a numeric column", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  // A tax rate as SQL Server's decimal(5,2): the spec lists the rates as a person writes them.
  const taxesInput: DatasetInput = {
    name: "taxes",
    prefix: "taxes/",
    format: "csv",
    columns: { tax_id: "int", rate: "decimal(5,2)", band: "int" },
    primaryKey: ["tax_id"],
    rules: [
      { kind: "accepted_values", column: "rate", values: ["0", "0.07", "0.2"] },
      { kind: "accepted_values", column: "band", values: ["1", "2"] },
    ],
  };
  const taxes = defineDataset(taxesInput);

  it("compares them as numbers: 0.00 is the accepted 0, and 0.20 the accepted 0.2", async () => {
    const csv = "tax_id,rate,band\n1,0.00,1\n2,0.07,2\n3,0.20,1\n4,0.10,3\n";

    const summary = await ws.load(taxes, [ws.file(taxes, "t.csv", csv)]);

    expectConserved(summary);
    expect(await ws.query("SELECT tax_id FROM taxes ORDER BY tax_id")).to.deep.equal([{ tax_id: 1 }, { tax_id: 2 }, { tax_id: 3 }]);
    expect(await ws.query("SELECT tax_id, _reasons FROM quarantine_taxes")).to.deep.equal([{ tax_id: "4", _reasons: "accepted_values:rate;accepted_values:band" }]);
  });

  it("refuses a value the column cannot hold, naming it", () => {
    const spec = (values: string[]): DatasetInput => ({ ...taxesInput, rules: [{ kind: "accepted_values", column: "rate", values }] });

    expect(() => defineDataset(spec(["0.07", "x"]))).to.throw(/rules\[0\]\.values\[1\]: "x" is not a decimal\(5,2\) value/);
    expect(() => defineDataset(spec(["0.075"]))).to.throw(/rules\[0\]\.values\[0\]: "0.075" is not a decimal\(5,2\) value/);
  });
});
