// dim_date (ARCHITECTURE.md "Semantic layer"): one row per day of the configured range plus the
// unknown member (-1, attributes NULL) that facts point unknown or missing dates at.
// Everything calendar-specific that engines disagree on (locale month names, week numbering,
// integer division) is computed from the day's offset or written as CASE tables from here, so
// DuckDB and Spark need only a day counter and date addition from the dialect table.
import { readHolidays } from "../../models/holidays";
import type { DateDimensionSpec } from "../../models/define";
import { dialectFor } from "../dialects";
import type { Dialect, PlanColumn } from "../plan";
import { STAGED_RELATION, type ModelAudit, type ModelInput, type ModelPlan, type ModelStep } from "./plan";

export const DATE_DIMENSION_COLUMNS: readonly PlanColumn[] = [
  { name: "date_key", type: "int" },
  { name: "full_date", type: "date" },
  { name: "day_of_week", type: "int" },
  { name: "day_name", type: "string" },
  { name: "day_of_month", type: "int" },
  { name: "day_of_year", type: "int" },
  { name: "week_of_year", type: "int" },
  { name: "iso_year", type: "int" },
  { name: "month_number", type: "int" },
  { name: "month_name", type: "string" },
  { name: "quarter", type: "int" },
  { name: "year", type: "int" },
  { name: "is_weekend", type: "boolean" },
  { name: "fiscal_quarter", type: "int" },
  { name: "fiscal_year", type: "int" },
  { name: "is_holiday", type: "boolean" },
  { name: "holiday_name", type: "string" },
];

/** The date_key facts use for an unknown or missing date. */
export const UNKNOWN_DATE_KEY = -1;
/** The relation the holidays CSV (a `file` input) is registered as. */
export const HOLIDAYS_RELATION = "holidays";

// English whatever the machine's locale: an engine's dayname()/monthname() may follow it.
const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export function compileDateDimension(spec: DateDimensionSpec, opts: { dialect: Dialect }): ModelPlan {
  const d = dialectFor(opts.dialect);
  const { from, to } = spec.range;
  const days = dayNumber(to) - dayNumber(from) + 1;
  // ISO day of week of `from` (1 = Monday); day n's is counted on from it.
  const firstDow = ((new Date(`${from}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const int = (expr: string) => d.cast(expr, "int");
  const caseOf = (expr: string, values: (i: number) => string | number, count: number, base = 1) =>
    `CASE ${expr} ${Array.from({ length: count }, (_, i) => `WHEN ${i + base} THEN ${values(i + base)}`).join(" ")} END`;
  const start = spec.fiscalYearStartMonth;

  const inputs: ModelInput[] = [];
  let holidayJoin = "";
  let holidayName = `CAST(NULL AS ${d.sqlType("string")})`;
  if (spec.holidaysFile !== null) {
    const file = readHolidays(spec.holidaysFile, spec.range);
    if (typeof file === "string") throw new Error(`${spec.sourceFile}: holidaysFile: ${file}`);
    inputs.push({ relation: HOLIDAYS_RELATION, zone: "file", path: spec.holidaysFile });
    holidayJoin = `LEFT JOIN ${HOLIDAYS_RELATION} h ON ${d.tryCast(`trim(h.${d.ident("date")})`, "date")} = c.full_date`;
    if (file.hasName) holidayName = `NULLIF(trim(h.${d.ident("name")}), '')`;
  }

  const steps: ModelStep[] = [
    {
      name: "date_days",
      materialize: "view",
      description: "Each day of the range with its ISO day of week and the Thursday of its ISO week",
      sql: [
        `SELECT full_date, dow, ${d.addDays("full_date", "4 - dow")} AS week_thursday FROM (`,
        `SELECT ${d.addDays(`DATE '${from}'`, "n")} AS full_date, ${int(`((n + ${firstDow - 1}) % 7) + 1`)} AS dow`,
        `FROM ${d.integers(days)} days) t`,
      ].join(" "),
    },
    {
      name: "date_calendar",
      materialize: "view",
      description: "Calendar parts of each day (an ISO week belongs to the year of its Thursday)",
      sql: [
        `SELECT full_date, dow, ${d.year("full_date")} AS y, ${d.month("full_date")} AS m, ${int("dayofmonth(full_date)")} AS dom,`,
        `${int("dayofyear(full_date)")} AS doy, ${d.year("week_thursday")} AS iso_year,`,
        `${int("FLOOR((dayofyear(week_thursday) - 1) / 7)")} + 1 AS iso_week FROM date_days`,
      ].join(" "),
    },
    {
      name: "date_rows",
      materialize: "view",
      description: "The dimension's rows: one per day, then the unknown member",
      sql: [
        `SELECT ${int("c.y * 10000 + c.m * 100 + c.dom")} AS date_key, c.full_date, c.dow AS day_of_week,`,
        `${caseOf("c.dow", (i) => d.str(DAY_NAMES[i - 1]), 7)} AS day_name, c.dom AS day_of_month, c.doy AS day_of_year,`,
        `c.iso_week AS week_of_year, c.iso_year, c.m AS month_number, ${caseOf("c.m", (i) => d.str(MONTH_NAMES[i - 1]), 12)} AS month_name,`,
        `${caseOf("c.m", (i) => Math.ceil(i / 3), 12)} AS quarter, c.y AS year, c.dow >= 6 AS is_weekend,`,
        `${caseOf("c.m", (i) => fiscalQuarter(i, start), 12)} AS fiscal_quarter,`,
        `c.y + ${caseOf("c.m", (i) => (start > 1 && i >= start ? 1 : 0), 12)} AS fiscal_year,`,
        `${spec.holidaysFile === null ? "FALSE" : `h.${d.ident("date")} IS NOT NULL`} AS is_holiday, ${holidayName} AS holiday_name`,
        `FROM date_calendar c ${holidayJoin}`,
        `UNION ALL SELECT ${UNKNOWN_DATE_KEY}, ${DATE_DIMENSION_COLUMNS.slice(1).map((c) => `CAST(NULL AS ${d.sqlType(c.type)})`).join(", ")}`,
      ].join(" "),
    },
  ];

  return {
    model: spec.name,
    kind: "date",
    dialect: opts.dialect,
    inputs,
    steps,
    output: "date_rows",
    columns: [...DATE_DIMENSION_COLUMNS],
    audits: dateAudits(from, to, days, opts.dialect),
    partitionBy: null,
  };
}

/** 1-4 within the fiscal year that starts in month `start`. */
export function fiscalQuarter(month: number, start: number): number {
  return Math.floor(((month - start + 12) % 12) / 3) + 1;
}

function dateAudits(from: string, to: string, days: number, dialect: Dialect): ModelAudit[] {
  const d = dialectFor(dialect);
  const known = `date_key <> ${UNKNOWN_DATE_KEY}`;
  const count = (cond: string) => `COALESCE(SUM(CASE WHEN ${cond} THEN 1 ELSE 0 END), 0)`;
  const derivedKey = `${d.year("full_date")} * 10000 + ${d.month("full_date")} * 100 + dayofmonth(full_date)`;
  const unknownIsNull = DATE_DIMENSION_COLUMNS.slice(1).map((c) => `${d.ident(c.name)} IS NULL`).join(" AND ");
  return [
    {
      name: "date_key_unique",
      description: "date_key is never NULL and never repeats",
      sql: `SELECT CAST(COUNT(*) - COUNT(DISTINCT date_key) AS BIGINT) AS violations FROM ${STAGED_RELATION}`,
    },
    {
      name: "one_row_per_day",
      description: `exactly one row for each of the ${days} days ${from}..${to}, keyed by its YYYYMMDD`,
      sql: [
        `SELECT CAST(ABS(${count(known)} - ${days}) + ABS(COUNT(DISTINCT CASE WHEN ${known} THEN full_date END) - ${days})`,
        `+ ${count(`${known} AND (full_date IS NULL OR full_date < DATE '${from}' OR full_date > DATE '${to}' OR date_key <> ${derivedKey})`)}`,
        `AS BIGINT) AS violations FROM ${STAGED_RELATION}`,
      ].join(" "),
    },
    {
      name: "unknown_member",
      description: `one unknown member: date_key ${UNKNOWN_DATE_KEY}, every attribute NULL`,
      sql: `SELECT CAST(CASE WHEN ${count(`date_key = ${UNKNOWN_DATE_KEY} AND ${unknownIsNull}`)} = 1 AND ${count(`date_key = ${UNKNOWN_DATE_KEY}`)} = 1 THEN 0 ELSE 1 END AS BIGINT) AS violations FROM ${STAGED_RELATION}`,
    },
  ];
}

function dayNumber(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 86_400_000;
}
