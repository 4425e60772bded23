// JSON lines files are read in pieces cut after a line end (read-jsonl.ts JSONL_PIECE_BYTES):
// a file longer than V8's longest string (512 MB) failed every run holding it when it became one
// string. Cutting anywhere must not change a row, a line number, a reason or a count.
import { gzipSync } from "node:zlib";
import { expect } from "chai";
import { compilePlan } from "../../engine/compile";
import { checkJsonl } from "../../engine/duckdb/read-jsonl";
import { openSession, type Session } from "../../engine/duckdb/session";
import { TYPED_JSONL, typedJsonl } from "./typed-files";

const line = (id: number) => `{"id": ${id}, "amount": ${id}.5, "ratio": 1, "active": true, "born": "2024-01-02", "seen": "2024-01-02 00:00:00"}`;

const FILES: Record<string, string | Buffer> = {
  typed: TYPED_JSONL,
  crlf: `\uFEFF${line(1)}\r\n\r\n  \r\n${line(2)}${line(3)}\r\n${line(4)}`,
  "bad late": `${line(1)}\n\n${line(2)}\n${line(3)} {"id": 4,\n${line(5)}\n`,
  "bad first": `\uFEFF \n[1]\n${line(1)}\n`,
  missing: `${line(1).replace('"born": "2024-01-02", ', "")}\n${line(2).replace('"born": "2024-01-02", ', "")}\n`,
  gzip: gzipSync(`${line(1)}\n${line(2)}${line(3)}\n`),
  latin1: Buffer.from(`${line(1)}\n \n${line(2).replace("2024", "\u00e9")}\n`, "latin1"),
  "bom only": "\uFEFF",
};

describe("engine (DuckDB): JSON lines read in pieces", function () {
  let session: Session;
  const plan = compilePlan(typedJsonl, { dialect: "duckdb" });
  before(async () => {
    session = await openSession({ threads: 1 });
  });
  after(() => session.close());

  async function read(content: string | Buffer, pieceBytes?: number, maxLineBytes?: number): Promise<unknown> {
    const checked = await checkJsonl(session, plan, Buffer.from(content), pieceBytes, maxLineBytes);
    if (!("scan" in checked) || !checked.scan) return checked;
    const rows = await session.rows(`SELECT * FROM ${checked.scan.from} ORDER BY n`);
    return { header: checked.header, extra: checked.extra, rows: rows.map((r) => ({ ...r, n: String(r.n) })) };
  }

  for (const [name, content] of Object.entries(FILES)) {
    it(`${name}: pieces of 1, 2, 7 and 40 bytes give what one piece gives`, async () => {
      const whole = await read(content);
      for (const size of [1, 2, 7, 40]) expect(await read(content, size), `${size}-byte pieces`).to.deep.equal(whole);
    });
  }

  it("reads every line of a file cut into many pieces, and names the line of a late problem", async () => {
    expect(await read(FILES.crlf, 7)).to.have.nested.property("rows.length", 4);
    expect(await read(FILES["bad late"], 7)).to.deep.equal({ reason: "malformed_jsonl:line 4: invalid JSON", rows: 4 });
    expect(await read(FILES["bad first"], 1)).to.deep.equal({ reason: "malformed_jsonl:line 2: not a JSON object", rows: 2 });
    expect(await read(FILES.latin1, 7)).to.deep.equal({ reason: "not_utf8", rows: 2 });
  });

  it("quarantines a file with a line longer than the longest line read (V8's longest string), naming the line, instead of failing the run", async () => {
    // The limit scaled down: 120 bytes, a line of line(2) padded past it (the CRLF not counted).
    const long = `${line(2).slice(0, -1)}, "pad": "${"x".repeat(120 - line(2).length - 11)}"}`;
    expect(Buffer.byteLength(long)).to.equal(120);
    expect(await read(`${line(1)}\r\n${long}\r\n`, 7, 120)).to.have.nested.property("rows.length", 2);
    const longer = long.replace('"pad": "', '"pad": "é');
    expect(await read(`${line(1)}\n\n${longer}\r\n${line(3)} {"id": 4,\n`, 7, 120)).to.deep.equal({
      reason: "malformed_jsonl:line 3: longer than 120 bytes, the longest line read (one record per line)",
      rows: 3,
    });
    // Lines are read in order: a problem before the long line is the file's reason.
    expect(await read(`${line(1)} {\n${longer}\n`, 7, 120)).to.deep.equal({ reason: "malformed_jsonl:line 1: invalid JSON", rows: 2 });
  });
});
