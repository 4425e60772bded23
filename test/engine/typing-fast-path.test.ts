// parseTyped's canonical fast path (typing.ts canonicalText) must give exactly what the guarded
// parse gives, for every raw value: the parity suite proves the engines agree with each other,
// this proves the fast path agrees with the guards on DuckDB, over the parity suite's tricky
// values and the texts DuckDB itself writes that the guards refuse (five-digit years, BC dates).
import { expect } from "chai";
import { DIALECTS } from "../../engine/dialects";
import { openSession, type Session } from "../../engine/duckdb/session";
import type { PlanColumnType } from "../../engine/plan";
import { guardedParse, parseTyped } from "../../engine/typing";
import { TRICKY } from "../parity/scenarios";

const d = DIALECTS.duckdb;
const TYPES: Array<[PlanColumnType, string[]]> = [
  ["int", TRICKY.int],
  ["bigint", TRICKY.bigint],
  ["decimal(12,2)", TRICKY.decimal],
  ["decimal(10,0)", [...TRICKY.decimal, "7", "-7", "7.0"]],
  ["date", [...TRICKY.date, "10000-01-01", "0001-01-01 (BC)", "2026-11-20 "]],
  ["timestamp", [...TRICKY.timestamp, "10000-01-01 00:00:00", "10000-01-01 00:00:00.5", "0001-01-01 00:00:00 (BC)", "2026-11-20 09:00:00.50"]],
];

describe("engine: typing's canonical fast path", () => {
  let session: Session;
  before(async () => {
    session = await openSession({ threads: 1 });
  });
  after(() => session.close());

  /** Each raw value with the text of what the fast path parses it to (null: bad_type). */
  const parsedTexts = async (type: PlanColumnType, cases: Array<[string, string | null]>): Promise<unknown[][]> => {
    const rows = cases.map(([v]) => `(${d.str(v)})`).join(", ");
    const found = await session.rows(`SELECT v, CAST(${parseTyped(d, "v", type)} AS VARCHAR) AS t FROM (VALUES ${rows}) t(v)`);
    return found.map((r) => [r.v, r.t]);
  };

  for (const [type, values] of TYPES) {
    it(`${type}: the fast path parses every value as the guarded parse does`, async () => {
      const rows = values.map((v) => `(${d.str(v)})`).join(", ");
      const text = (expr: string) => `CAST(${expr} AS VARCHAR)`;
      const found = await session.rows(
        `SELECT v, ${text(parseTyped(d, "v", type))} AS fast, ${text(guardedParse(d, "v", type))} AS guarded FROM (VALUES ${rows}) t(v)`,
      );
      expect(found).to.have.length(values.length);
      for (const r of found) expect(r.fast, `${type} ${JSON.stringify(r.v)}`).to.equal(r.guarded);
      // Not vacuous: some values take the fast path, and the guards refuse some.
      expect(found.some((r) => r.fast !== null)).to.equal(true);
      expect(found.some((r) => r.fast === null)).to.equal(true);
    });
  }

  it("timestamp: a UTC designator (Z, +00:00, +0000, +00) reads as the wall time it follows; another offset is bad_type", async () => {
    const cases: Array<[string, string | null]> = [
      ["2026-11-20T09:00:00Z", "2026-11-20 09:00:00"],
      ["2026-11-20T09:00:00.123Z", "2026-11-20 09:00:00.123"],
      ["2026-11-20 09:00:00.1234560z", "2026-11-20 09:00:00.123456"],
      ["2026-11-20 09:00:00+00:00", "2026-11-20 09:00:00"],
      ["2026-11-20 09:00:00.5-0000", "2026-11-20 09:00:00.5"],
      ["2026-11-20T09:00:00+00", "2026-11-20 09:00:00"],
      [" 2026-11-20T09:00:00Z ", "2026-11-20 09:00:00"],
      ["2026-11-20 09:00:00.1234567Z", null], // below the microsecond: would be cut off
      ["2026-11-20 09:00:00+01:00", null],
      ["2026-11-20 09:00:00+0030", null],
      ["2026-11-20 09:00:00 Z", null],
      ["2026-11-20 09:00:00ZZ", null],
      ["2026-11-20 09:00Z", null],
      ["2026-11-20 24:00:00Z", null],
    ];
    expect(await parsedTexts("timestamp", cases)).to.deep.equal(cases);
  });

  it("date: midnight with a UTC designator (JavaScript's toISOString of a day) reads as that day; another time or offset is bad_type", async () => {
    const cases: Array<[string, string | null]> = [
      ["2026-11-20T00:00:00.000Z", "2026-11-20"],
      ["2026-11-20 00:00:00+00:00", "2026-11-20"],
      ["2026-11-20T00:00:00-0000", "2026-11-20"],
      [" 2026-11-20T00:00:00z ", "2026-11-20"],
      ["2026-11-20Z", null], // a designator belongs to a time
      ["2026-11-20T01:00:00.000Z", null],
      ["2026-11-20T00:00:00+01:00", null], // another day in UTC
      ["2026-11-20T00:00:00.0000001Z", null],
    ];
    expect(await parsedTexts("date", cases)).to.deep.equal(cases);
  });

  it("the fast path does not let the texts DuckDB writes for five-digit and BC years through", async () => {
    const [r] = await session.rows(
      `SELECT ${parseTyped(d, "'10000-01-01'", "date")} AS d5, ${parseTyped(d, "'0001-01-01 00:00:00 (BC)'", "timestamp")} AS bc, ` +
        `CAST(TRY_CAST('10000-01-01' AS DATE) AS VARCHAR) AS own`,
    );
    expect(r.own).to.equal("10000-01-01"); // DuckDB's own text: the round trip alone would pass it
    expect(r.d5).to.equal(null);
    expect(r.bc).to.equal(null);
  });
  it("double: a value beyond the double range or too small for it is bad_type, not infinity or 0", async () => {
    const cases: Array<[string, string | null]> = [
      ["1e308", "1e+308"],
      ["1.7976931348623157e308", "1.7976931348623157e+308"],
      ["1e309", null], // would read as infinity
      ["-1e309", null],
      ["1.7976931348623159e308", null], // rounds past the largest double
      ["-1e-320", "-1e-320"], // subnormal: held
      ["1e-400", null], // would read as 0
      ["-0.0000e-400", "0.0"], // a zero written small is still zero
      ["0e999", "0.0"],
      [" 2.5 ", "2.5"],
    ];
    expect(await parsedTexts("double", cases)).to.deep.equal(cases);
  });
});
