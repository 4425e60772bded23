// Spec features the reference datasets do not use: no CDC block, PII hashing, unique and
// expression rules, boolean / int / double / date types, optional columns absent from a file.
import { createHash } from "node:crypto";
import { expect } from "chai";
import { defineDataset } from "../../datasets";
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
  target: { table: "dim_people" },
});

const sha = (s: string) => createHash("sha256").update(s).digest("hex");

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
    expect(summary.counts).to.include({ stateKeys: 4, silverRows: 2, quarantineRows: 2 });
    expect(await ws.query("SELECT person_id, email, score, active, born, nickname FROM dim_people ORDER BY person_id")).to.deep.equal([
      { person_id: 1, email: sha("a2@x.com"), score: 11, active: true, born: "1990-01-02", nickname: null },
      { person_id: 2, email: sha("b@x.com"), score: 100, active: false, born: "1991-02-03", nickname: null },
    ]);
    expect(await ws.query("SELECT person_id, email, _reasons FROM quarantine_people ORDER BY person_id")).to.deep.equal([
      { person_id: "3", email: sha("dup@x.com"), _reasons: "bad_type:active;unique:email" },
      { person_id: "4", email: sha("dup@x.com"), _reasons: "unique:email;score_in_range" },
    ]);
  });
});
