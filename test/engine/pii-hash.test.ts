// `pii: hash` is HMAC-SHA256 keyed with a per-workspace (per-stack on AWS) secret: an unsalted
// SHA-256 of an email is reversed by hashing a list of emails. The key never enters a plan.
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { defineDataset } from "../../datasets";
import { compilePlan } from "../../engine/compile";
import { DIALECTS } from "../../engine/dialects";
import { openSession } from "../../engine/duckdb/session";
import { hmacPads, PII_KEY_FILE, workspacePiiKey } from "../../engine/pii-key";
import { TestWorkspace, expectConserved } from "./helpers";

const members = defineDataset({
  name: "members",
  prefix: "members/",
  format: "csv",
  columns: { member_id: "int", email: "string", age: "int" },
  primaryKey: ["member_id"],
  rules: [{ kind: "range", column: "age", min: 0 }],
  pii: [{ column: "email", mode: "hash" }],
});
const hmac = (key: Buffer, value: string) => createHmac("sha256", key).update(value, "utf8").digest("hex");

describe("engine (DuckDB): keyed PII hashing", function () {
  let ws: TestWorkspace;
  beforeEach(() => {
    ws = new TestWorkspace();
  });
  afterEach(() => ws.cleanup());

  it("computes HMAC-SHA256 in SQL from the key's pads, as node's createHmac does (short, long, unicode)", async () => {
    const session = await openSession({ threads: 1 });
    try {
      for (const key of [Buffer.from("k"), Buffer.from("x".repeat(64)), Buffer.from("ключ".repeat(30))]) {
        const { ipad, opad } = hmacPads(key);
        await session.conn.run("CREATE OR REPLACE TEMP TABLE pii_key AS SELECT unhex($1) AS ipad, unhex($2) AS opad", [ipad.toString("hex"), opad.toString("hex")]);
        const values = ["a@x.com", "ünïcödé 🎉", "", "it's"];
        const sql = `SELECT v, ${DIALECTS.duckdb.hmacSha256("v")} AS h FROM (VALUES ${values.map((v) => `(${DIALECTS.duckdb.str(v)})`).join(", ")}) t(v)`;
        const rows = await session.rows(sql);
        expect(rows.map((r) => r.h)).to.deep.equal(values.map((v) => hmac(key, v)));
      }
    } finally {
      session.close();
    }
  });

  it("hashes silver and quarantine with the workspace's key, created once with owner-only permissions", async () => {
    const csv = "member_id,email,age\n1,a@x.com,30\n2,b@x.com,-1\n";

    const summary = await ws.load(members, [ws.file(members, "m.csv", csv)]);

    expectConserved(summary);
    const keyFile = path.join(ws.dir, PII_KEY_FILE);
    expect(fs.statSync(keyFile).mode & 0o777).to.equal(0o600);
    const key = workspacePiiKey(ws.dir);
    expect(key.toString("utf8")).to.match(/^[0-9a-f]{64}$/);
    expect(await ws.query("SELECT member_id, email FROM members")).to.deep.equal([{ member_id: 1, email: hmac(key, "a@x.com") }]);
    expect(await ws.query("SELECT member_id, email FROM quarantine_members")).to.deep.equal([{ member_id: "2", email: hmac(key, "b@x.com") }]);
    expect(workspacePiiKey(ws.dir).equals(key), "the key is created once").to.equal(true);
  });

  it("never writes the key or its pads into a plan", async () => {
    await ws.load(members, [ws.file(members, "m.csv", "member_id,email,age\n1,a@x.com,30\n")]);
    const key = workspacePiiKey(ws.dir);
    const { ipad, opad } = hmacPads(key);

    for (const dialect of ["duckdb", "spark"] as const) {
      const plan = JSON.stringify(compilePlan(members, { dialect }));
      for (const secret of [key.toString("utf8"), ipad.toString("hex"), opad.toString("hex"), ipad.toString("base64")]) {
        expect(plan).not.to.include(secret);
      }
      expect(plan).to.include("pii_key");
    }
  });

  it("rebuilds every hash when the key changes, instead of mixing hashes of two keys", async () => {
    await ws.load(members, [ws.file(members, "m1.csv", "member_id,email,age\n1,a@x.com,30\n")]);
    fs.writeFileSync(path.join(ws.dir, PII_KEY_FILE), "another-key\n");
    const events: string[] = [];

    await ws.load(members, [ws.file(members, "m2.csv", "member_id,email,age\n2,b@x.com,40\n")], { onProgress: (e) => events.push(`${e.stage}: ${e.message}`) });

    const key = Buffer.from("another-key");
    expect(events.some((e) => e.startsWith("mode: full refresh"))).to.equal(true);
    expect(await ws.query("SELECT member_id, email FROM members ORDER BY member_id")).to.deep.equal([
      { member_id: 1, email: hmac(key, "a@x.com") },
      { member_id: 2, email: hmac(key, "b@x.com") },
    ]);
  });
});
