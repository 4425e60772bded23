import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { DATE_DIMENSION_COLUMNS, compileDateDimension } from "../../engine/models/date-dimension";
import { lit } from "../../engine/duckdb/session";
import { defineDateDimension, type DateDimensionSpec } from "../../models";
import { sparkForTests } from "../support/spark";
import { ModelHarness, type ModelInputs, type ModelRun } from "./harness";

type Row = Record<string, string | null>;

// The oracle: the same columns computed in plain TypeScript from UTC calendar arithmetic.
const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function isoWeek(day: Date): { week: number; year: number } {
  const dow = ((day.getUTCDay() + 6) % 7) + 1;
  const thursday = new Date(day.getTime() + (4 - dow) * 86_400_000);
  const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return { week: Math.floor((thursday.getTime() - jan1) / (7 * 86_400_000)) + 1, year: thursday.getUTCFullYear() };
}

function expectedRows(spec: DateDimensionSpec, holidays: Record<string, string | null>): Row[] {
  const rows: Row[] = [];
  const end = Date.parse(`${spec.range.to}T00:00:00Z`);
  for (let t = Date.parse(`${spec.range.from}T00:00:00Z`); t <= end; t += 86_400_000) {
    const day = new Date(t);
    const [y, m, dom] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
    const iso = day.toISOString().slice(0, 10);
    const dow = ((day.getUTCDay() + 6) % 7) + 1;
    const doy = Math.round((t - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
    const fiscalMonth = (m - spec.fiscalYearStartMonth + 12) % 12; // 0 = first month of the fiscal year
    rows.push({
      date_key: String(y * 10000 + m * 100 + dom),
      full_date: iso,
      day_of_week: String(dow),
      day_name: DAYS[dow - 1],
      day_of_month: String(dom),
      day_of_year: String(doy),
      week_of_year: String(isoWeek(day).week),
      iso_year: String(isoWeek(day).year),
      month_number: String(m),
      month_name: MONTHS[m - 1],
      quarter: String(Math.floor((m - 1) / 3) + 1),
      year: String(y),
      is_weekend: String(dow >= 6),
      fiscal_quarter: String(Math.floor(fiscalMonth / 3) + 1),
      // The fiscal year is named for the calendar year it ends in.
      fiscal_year: String(spec.fiscalYearStartMonth > 1 && m >= spec.fiscalYearStartMonth ? y + 1 : y),
      is_holiday: String(iso in holidays),
      holiday_name: iso in holidays ? holidays[iso] : null,
    });
  }
  const unknown: Row = Object.fromEntries(DATE_DIMENSION_COLUMNS.map((c) => [c.name, null]));
  rows.push({ ...unknown, date_key: "-1" });
  return rows;
}

const byKey = (rows: Row[]) => [...rows].sort((a, b) => Number(a.date_key) - Number(b.date_key));
const pick = (rows: Row[], date: string) => rows.find((r) => r.full_date === date)!;

describe("dim_date compiler", () => {
  let harness: ModelHarness;
  let dir: string;
  let spec: DateDimensionSpec;
  let inputs: ModelInputs;
  const holidays = { "2020-12-25": "Christmas Day", "2024-02-29": null, "2027-01-01": "New Year's Day, observed" };

  before(async () => {
    harness = await ModelHarness.open();
    dir = mkdtempSync(join(tmpdir(), "dim-date-"));
    const file = join(dir, "holidays.csv");
    writeFileSync(file, 'date,name\n2020-12-25,Christmas Day\n2024-02-29,\n2027-01-01,"New Year\'s Day, observed"\n');
    // Leap days 2020 and 2024, ISO years with 53 weeks (2020, 2026), a fiscal year from July.
    spec = defineDateDimension({ name: "dim_date", range: { from: "2019-12-25", to: "2027-01-10" }, fiscalYearStartMonth: 7, holidaysFile: file });
    inputs = { holidays: `SELECT * FROM read_csv(${lit(file)}, all_varchar = true, header = true)` };
  });
  after(() => {
    harness.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives the oracle's rows on DuckDB, with every audit passing", async () => {
    const run = await harness.runDuckDB(compileDateDimension(spec, { dialect: "duckdb" }), inputs);

    expect(byKey(run.rows)).to.deep.equal(byKey(expectedRows(spec, holidays)));
    expect(run.audits).to.deep.equal({ date_key_unique: 0, one_row_per_day: 0, unknown_member: 0 });
  });

  it("numbers ISO weeks across year boundaries and names fiscal years by their end (checks the oracle too)", async () => {
    const rows = (await harness.runDuckDB(compileDateDimension(spec, { dialect: "duckdb" }), inputs)).rows;
    const week = (date: string) => `${pick(rows, date).iso_year}-W${pick(rows, date).week_of_year}`;

    expect(["2020-12-31", "2021-01-03", "2021-01-04"].map(week)).to.deep.equal(["2020-W53", "2020-W53", "2021-W1"]);
    expect(["2026-12-28", "2027-01-03", "2027-01-04", "2019-12-30"].map(week)).to.deep.equal(["2026-W53", "2026-W53", "2027-W1", "2020-W1"]);
    expect(pick(rows, "2024-02-29")).to.include({ day_of_year: "60", day_name: "Thursday", is_holiday: "true", holiday_name: null });
    expect(pick(rows, "2024-06-30")).to.include({ fiscal_year: "2024", fiscal_quarter: "4" });
    expect(pick(rows, "2024-07-01")).to.include({ fiscal_year: "2025", fiscal_quarter: "1", month_name: "July", date_key: "20240701" });
  });

  it("without a holidays file: no input, no day is a holiday; fiscal year = calendar year from January", async () => {
    const plain = defineDateDimension({ name: "dim_date", range: { from: "2023-12-30", to: "2024-01-02" } });
    const plan = compileDateDimension(plain, { dialect: "duckdb" });
    const run = await harness.runDuckDB(plan, {});

    expect(plan.inputs).to.deep.equal([]);
    expect(byKey(run.rows)).to.deep.equal(byKey(expectedRows(plain, {})));
    expect(run.rows.filter((r) => r.date_key !== "-1").map((r) => `${r.fiscal_year}Q${r.fiscal_quarter}`)).to.deep.equal(["2023Q4", "2023Q4", "2024Q1", "2024Q1"]);
  });

  it("each audit fails on a crafted bad table", async () => {
    const plan = compileDateDimension(defineDateDimension({ name: "dim_date", range: { from: "2024-01-01", to: "2024-01-03" } }), { dialect: "duckdb" });
    const good = (await harness.runDuckDB(plan, {})).rows;
    const cols = DATE_DIMENSION_COLUMNS.map((c) => c.name);
    const audit = async (rows: Row[]) => {
      const values = rows.map((r) => `(${cols.map((c) => (r[c] === null ? "NULL" : lit(r[c]!))).join(", ")})`).join(", ");
      const typed = DATE_DIMENSION_COLUMNS.map((c) => `CAST(${c.name} AS ${c.type === "string" ? "VARCHAR" : c.type.toUpperCase()}) AS ${c.name}`);
      await harness.session.run(`CREATE OR REPLACE TEMP VIEW staged AS SELECT ${typed.join(", ")} FROM (VALUES ${values}) v(${cols.join(", ")})`);
      const out: Record<string, number> = {};
      for (const a of plan.audits) out[a.name] = Number((await harness.session.rows(a.sql))[0].violations);
      return out;
    };
    const day = good.find((r) => r.date_key === "20240102")!;

    expect(await audit(good)).to.deep.equal({ date_key_unique: 0, one_row_per_day: 0, unknown_member: 0 });
    expect(await audit([...good, day])).to.include({ date_key_unique: 1 });
    expect((await audit(good.filter((r) => r !== day))).one_row_per_day).to.be.greaterThan(0);
    expect((await audit(good.map((r) => (r === day ? { ...r, date_key: "20240109" } : r)))).one_row_per_day).to.be.greaterThan(0);
    expect(await audit(good.filter((r) => r.date_key !== "-1"))).to.include({ unknown_member: 1 });
    expect(await audit(good.map((r) => (r.date_key === "-1" ? { ...r, year: "2024" } : r)))).to.include({ unknown_member: 1 });
  });
});

describe("dim_date compiler on Spark @spark", function () {
  this.timeout(15 * 60_000); // a Spark run of a plan; the suite default of 60 s is for DuckDB tests
  it("gives the same rows and audits as DuckDB (holidays, leap days, ISO weeks, fiscal July)", async () => {
    const harness = await ModelHarness.open();
    const dir = mkdtempSync(join(tmpdir(), "dim-date-"));
    try {
      const file = join(dir, "holidays.csv");
      writeFileSync(file, 'date,name\n2020-12-25,Christmas Day\n2024-02-29,\n2027-01-01,"New Year\'s Day, observed"\n');
      const spec = defineDateDimension({ name: "dim_date", range: { from: "2019-12-25", to: "2027-01-10" }, fiscalYearStartMonth: 7, holidaysFile: file });
      const inputs = { holidays: `SELECT * FROM read_csv(${lit(file)}, all_varchar = true, header = true)` };

      const sparkRun: ModelRun = await harness.runSpark(await sparkForTests(), compileDateDimension(spec, { dialect: "spark" }), inputs);
      const duckdbRun = await harness.runDuckDB(compileDateDimension(spec, { dialect: "duckdb" }), inputs);

      expect(sparkRun.rows.length).to.equal(expectedRows(spec, {}).length);
      expect(sparkRun).to.deep.equal(duckdbRun);
    } finally {
      harness.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
