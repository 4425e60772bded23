// engine/duckdb/models-owed.ts: the model build a load owes is settled only by a build that
// covered the dataset and did not fail (a failed one leaves it for the next load to build again).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { buildModels } from "../../engine/duckdb";
import { compileModel } from "../../engine/models";
import { oweModels, owedModels } from "../../engine/duckdb/models-owed";
import { MODELS } from "../../models";

describe("models owed by a load", () => {
  let ws: string;
  beforeEach(() => (ws = mkdtempSync(join(tmpdir(), "models-owed-"))));
  afterEach(() => rmSync(ws, { recursive: true, force: true }));
  const dates = MODELS.filter((m) => m.kind === "date");

  it("a failed build keeps the debt; a whole build that did not fail settles every one", async () => {
    oweModels(ws, "customers", "run-1");
    oweModels(ws, "orders", "run-2");
    const failing = await buildModels(ws, dates, { compile: () => { throw new Error("boom"); } });
    expect(failing.map((s) => s.status)).to.deep.equal(["failed"]);
    expect([...owedModels(ws).keys()].sort()).to.deep.equal(["customers", "orders"]);

    const built = await buildModels(ws, dates, { compile: compileModel });
    expect(built.map((s) => s.status)).to.deep.equal(["built"]);
    expect([...owedModels(ws)]).to.deep.equal([]);
  });

  it("a build settles only the datasets it covered, and not a debt a later publish wrote while it ran", async () => {
    oweModels(ws, "customers", "run-1");
    oweModels(ws, "orders", "run-2");
    await buildModels(ws, dates, { changed: ["customers"] });
    expect([...owedModels(ws)]).to.deep.equal([["orders", "run-2"]]);
    await buildModels(ws, dates, { onStart: () => oweModels(ws, "orders", "run-3") });
    expect([...owedModels(ws)]).to.deep.equal([["orders", "run-3"]]);
  });
});
