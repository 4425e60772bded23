// The headerless layout both engines share (engine/file-layout.ts), against the vectors the Glue
// runner's twin (glue-scripts/datalake_glue/file_layout.py) is tested on too.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { headerlessLayout, looksLikeHeader, type FileLayout } from "../../engine/file-layout";

interface LayoutVector {
  name: string;
  fileName: string;
  first: string[];
  columns: string[];
  opColumn: string | null;
  timestampColumn: string | null;
  types?: string[];
  markers?: string[];
  expect: FileLayout | { reason: string };
}
interface HeaderVector {
  name: string;
  resolved: string[];
  known: string[];
  required: string[];
  expect: boolean;
}

const VECTORS = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "layout-vectors.json"), "utf8")) as {
  layout: LayoutVector[];
  header: HeaderVector[];
};

describe("engine: headerless file layout shared by both engines", () => {
  for (const v of VECTORS.layout) {
    it(v.name, () => {
      expect(headerlessLayout(v)).to.deep.equal(v.expect);
    });
  }
  for (const v of VECTORS.header) {
    it(`auto header: ${v.name}`, () => {
      expect(looksLikeHeader(v.resolved, v.known, v.required)).to.equal(v.expect);
    });
  }
});
