// Byte classification both engines share (engine/file-bytes.ts), against the vectors the Glue
// runner's twin (glue-scripts/datalake_glue/file_bytes.py) is tested on too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { classifyBytes } from "../../engine/file-bytes";

interface BytesVector {
  name: string;
  base64: string;
  expect: { reason: string } | { kind: "text"; gzip: boolean; text: string } | { kind: "parquet"; gzip: boolean; text: string };
}

const VECTORS = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "bytes-vectors.json"), "utf8")) as BytesVector[];

describe("engine: file classification by bytes, shared by both engines", () => {
  for (const v of VECTORS) {
    it(`${v.name}: ${"reason" in v.expect ? v.expect.reason : v.expect.kind}`, () => {
      const got = classifyBytes(Buffer.from(v.base64, "base64"));
      const view = "text" in got ? { ...got, text: got.text.toString("latin1") } : "bytes" in got ? { kind: got.kind, gzip: got.gzip, text: got.bytes.toString("latin1") } : got;
      expect(view).to.deep.equal(v.expect);
    });
  }
});
