// The CSV rules both engines share (engine/csv-rules.ts), against the vectors the Glue runner's
// twin (glue-scripts/datalake_glue/csv_rules.py) is tested on too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { firstCsvProblem, firstRecord, resolveHeader, suspectCsv } from "../../engine/csv-rules";

interface Vector {
  name: string;
  text: string;
  delimiter: string;
  quote: string;
  problem: string | null;
  /** false: a headerless file (default true). */
  header?: boolean;
  /** Headerless: the fields of the first record, or null when it is malformed. */
  firstRecord?: string[] | null;
}

const VECTORS = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "csv-vectors.json"), "utf8")) as Vector[];

describe("engine: CSV rules shared by both engines", () => {
  for (const v of VECTORS) {
    it(`${v.name}: ${v.problem ?? "well formed"}`, () => {
      expect(firstCsvProblem(v.text, v.delimiter, v.quote, v.header ?? true)).to.equal(v.problem);
      // The fast scan must flag every problem DuckDB's reader would not refuse by itself (it
      // refuses wrong widths), and pass every well-formed file without the slow parse.
      const suspect = suspectCsv(Buffer.from(v.text), v.delimiter, v.quote);
      if (v.problem === null) expect(suspect).to.equal(false);
      else if (!/fields?, (header|row 1) has/.test(v.problem)) expect(suspect).to.equal(true);
      if (v.firstRecord !== undefined) {
        expect(firstRecord(v.text, v.delimiter, v.quote)).to.deep.equal(v.firstRecord);
        // Read from a prefix, the record is known only once a line end shows it ended.
        for (let cut = 0; cut <= v.text.length; cut++) {
          const fields = firstRecord(v.text.slice(0, cut), v.delimiter, v.quote, false);
          if (fields !== undefined) expect(fields, `prefix of ${cut}`).to.deep.equal(v.firstRecord);
        }
      }
    });
  }
});

describe("resolveHeader: header names as the spec declares them", () => {
  it("matches in any case and without spaces or tabs around a name; keeps an unmatched name as written", () => {
    const known = ["order_id", "Op", "total"];
    expect(resolveHeader(["ORDER_ID", " op", "Total\t", "extra ", "to tal", "\u00a0total"], known)).to.deep.equal(
      ["order_id", "Op", "total", "extra ", "to tal", "\u00a0total"]);
  });
});
