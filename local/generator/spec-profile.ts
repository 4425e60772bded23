// A sample-data profile derived from any dataset spec, for datasets without a hand-written one
// (profiles.ts): values of each column's type that pass its rules (accepted values, ranges,
// not-null, unique), and corruptions that break a type or an accepted-values rule. A new dataset
// thus works with `generate` and `demo` with no change outside its own file. Regex and
// expression rules are not reverse-engineered: rows that fail them are quarantined with their
// label, which the sample then shows.
import type { DatasetSpec, NormalizedColumn, Rule } from "../../datasets";
import type { Corruption, Profile } from "./profiles";
import type { Rng } from "./prng";
import { formatDate, formatSeconds, MICROS_PER_DAY, microsOf } from "./time-format";

const SAMPLE_START = microsOf("2024-01-01T00:00:00Z");
const SAMPLE_DAYS = 1034; // through 2026-10-30, before the first change day (as profiles.ts)

/** Why a spec cannot have generated sample data, or undefined when it can. */
export function unsupportedReason(spec: DatasetSpec): string | undefined {
  if (spec.primaryKey.length !== 1) return "the generator writes one key column; this spec's primary key has several";
  const seq = spec.cdc?.sequenceColumns;
  if (!seq || seq.length !== 1) return "the generator orders changes by one sequence column; declare cdc.sequenceColumns with one";
  const type = spec.columns.find((c) => c.name === seq[0])?.type;
  if (type !== "timestamp") return `the generator writes a timestamp sequence column; ${seq[0]} is ${type}`;
  const key = spec.columns.find((c) => c.name === spec.primaryKey[0])!.type;
  if (!["int", "bigint", "string"].includes(key)) return `the generator writes integer or string keys; ${spec.primaryKey[0]} is ${key}`;
  return undefined;
}

export function profileFromSpec(spec: DatasetSpec): Profile {
  const fixed = new Set([spec.primaryKey[0], ...(spec.cdc?.sequenceColumns ?? [])]);
  const columns = spec.columns.filter((c) => !fixed.has(c.name));
  const makers = columns.map((c) => valueMaker(c, spec.rules));
  return {
    columns: columns.map((c) => c.name),
    values: (rng, key) => makers.map((make) => make(rng, key)),
    corruptions: corruptionsFor(columns, spec.rules),
  };
}

type Maker = (rng: Rng, key: number) => string;

function valueMaker(column: NormalizedColumn, rules: readonly Rule[]): Maker {
  const on = <K extends Rule["kind"]>(kind: K) =>
    rules.filter((r): r is Extract<Rule, { kind: K }> => r.kind === kind && "column" in r && r.column === column.name);
  const accepted = on("accepted_values")[0];
  if (accepted) return (rng) => rng.pick(accepted.values);
  const unique = rules.some((r) => r.kind === "unique" && r.columns.includes(column.name));
  const range = on("range")[0];
  const optional = column.optional && !on("not_null").length;
  const maker = typedMaker(column, range, unique);
  // Optional columns are sometimes absent, as real extracts have them.
  return optional ? (rng, key) => (rng.chance(0.1) ? "" : maker(rng, key)) : maker;
}

function typedMaker(column: NormalizedColumn, range: Extract<Rule, { kind: "range" }> | undefined, unique: boolean): Maker {
  // Whole-number bounds inside the range (exclusive ends stepped over).
  const lo = range?.min !== undefined ? Math.ceil(range.min + (range.minExclusive ? 1 : 0)) : 1;
  const hi = range?.max !== undefined ? Math.floor(range.max - (range.maxExclusive ? 1 : 0)) : Math.max(lo + 100_000, 100_000);
  const between = (rng: Rng) => Math.min(hi, Math.max(lo, lo + rng.int(Math.max(1, Math.floor(hi - lo) + 1))));
  const decimal = /^decimal\((\d+),(\d+)\)$/.exec(column.type);
  if (decimal) {
    const scale = Number(decimal[2]);
    const intDigits = Number(decimal[1]) - scale;
    const cap = Math.min(hi, 10 ** Math.min(intDigits, 12) - 1);
    return (rng) => {
      const whole = Math.min(cap, between(rng));
      const frac = scale === 0 ? "" : `.${String(rng.int(10 ** Math.min(scale, 6))).padStart(Math.min(scale, 6), "0")}`;
      // The fraction may not push the value past an inclusive maximum.
      return whole >= cap ? String(whole) : `${whole}${frac}`;
    };
  }
  switch (column.type) {
    case "int":
    case "bigint":
      return unique ? (_rng, key) => String(lo + key) : (rng) => String(between(rng));
    case "double":
      return (rng) => `${between(rng)}.${rng.int(100)}`;
    case "boolean":
      return (rng) => (rng.chance(0.5) ? "true" : "false");
    case "date":
      return (rng) => formatDate(sampleTime(rng));
    case "timestamp":
      return (rng) => formatSeconds(sampleTime(rng));
    default:
      return unique ? (_rng, key) => `${column.name}-${key}` : (rng) => `${column.name}-${rng.int(1000)}`;
  }
}

function sampleTime(rng: Rng): number {
  return SAMPLE_START + rng.int(SAMPLE_DAYS) * MICROS_PER_DAY + rng.int(86_400) * 1_000_000;
}

/** Value faults that leave key, sequence and Op intact, so the row lands in quarantine. */
function corruptionsFor(columns: NormalizedColumn[], rules: readonly Rule[]): Corruption[] {
  const out: Corruption[] = [];
  columns.forEach((column, index) => {
    if (column.type !== "string") {
      out.push((rng, values) => {
        values[index] = rng.pick(["not-a-value", "??"]);
        return `bad_type:${column.name}`;
      });
    }
    // Text outside the list breaks the rule of a string column only: in another it is a bad_type
    // (the bad_type corruption above), and a typed Parquet column cannot hold it at all.
    const accepted = rules.find((r) => r.kind === "accepted_values" && r.column === column.name);
    if (accepted && column.type === "string") {
      out.push((_rng, values) => {
        values[index] = "zz-not-accepted";
        return `accepted_values:${column.name}`;
      });
    }
  });
  return out;
}
