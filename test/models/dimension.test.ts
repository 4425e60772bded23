// SCD2 dimensions from the change log (engine/models/dimension.ts): every case of ARCHITECTURE
// "Semantic layer" built as bronze rows, compiled, run on DuckDB and compared with a plain
// TypeScript oracle that replays the same changes; then all cases in one Spark run, compared
// with DuckDB; the audits each fail on a crafted bad table.
import { createHash, createHmac } from "node:crypto";
import { expect } from "chai";
import { defineDataset, getDataset, type DatasetSpec } from "../../datasets";
import { compileDimension } from "../../engine/models/dimension";
import type { ModelPlan } from "../../engine/models/plan";
import { hmacPads } from "../../engine/pii-key";
import { defineDimension, type DimensionSpec } from "../../models/define";
import { getModel } from "../../models";
import { ModelHarness, type ModelInputs, type ModelRun } from "./harness";

// -- the oracle --------------------------------------------------------------------------------

/** One change as the oracle sees it: already in its key's contract order, already judged. */
interface OracleChange {
  key: string;
  op: "I" | "U" | "D";
  /** Sequence time "YYYY-MM-DD HH:MM:SS", or null (DMS without TimestampColumnName). */
  time: string | null;
  /** false: fails a type or row rule (a delete is never judged). */
  valid: boolean;
  /** Typed values as text (null = NULL). */
  values: Record<string, string | null>;
  /** A DMS full-load row: a key's first version from one is valid from 1900 (initial load). */
  fullLoad?: boolean;
}

type Row = Record<string, string | null>;
const BEGINNING = "1900-01-01 00:00:00";
const END = "9999-12-31 00:00:00";

/**
 * The dimension rows of `changes` (contract order). Per key: the valid changes (deletes only
 * when they close) replayed in order, each at the latest time seen so far (1900 when none, and
 * at least 1900 after a first change without time or from a full load; 1900 for the first when
 * it is a full-load row); the
 * state at the end of each distinct time; a new version wherever that state differs from the
 * previous one (alive or not, or a type-2 value); windows end at the next state change.
 */
function oracle(dim: DimensionSpec, changes: OracleChange[], stored: (col: string, v: string | null) => string | null = (_, v) => v): Row[] {
  const rows: Row[] = [];
  const keys = [...new Set(changes.map((c) => c.key))];
  const type2 = dim.attributes.filter((a) => a.scd === 2).map((a) => a.name);
  for (const key of keys) {
    const mine = changes.filter((c) => c.key === key && (c.op === "D" ? dim.deletes === "close" : c.valid));
    const atTime = new Map<string, { alive: boolean; values: Record<string, string | null> }>();
    // A key whose first change is dated the beginning (no time, or a full-load row) bounds the
    // changes after it there too.
    let latest: string | null = mine.length > 0 && (mine[0].time === null || mine[0].fullLoad) ? BEGINNING : null;
    let type1: Record<string, string | null> = {};
    for (const [i, c] of mine.entries()) {
      if (c.time !== null && (latest === null || c.time > latest)) latest = c.time;
      // Initial load: the key's first version, from a full-load row, is valid from the beginning.
      const at = i === 0 && c.fullLoad ? BEGINNING : (latest ?? BEGINNING);
      // Every window ends at the end of time: a change from then on has no window to open or close.
      if (at >= END) continue;
      atTime.set(at, { alive: c.op !== "D", values: c.values });
      if (c.op !== "D") type1 = c.values;
    }
    const times = [...atTime.keys()].sort();
    const starts: Array<{ time: string; alive: boolean; values: Record<string, string | null> }> = [];
    for (const time of times) {
      const s = atTime.get(time)!;
      const prev = starts[starts.length - 1];
      const same = prev && prev.alive === s.alive && (!s.alive || type2.every((a) => prev.values[a] === s.values[a]));
      if (!same) starts.push({ time, ...s });
    }
    starts.forEach((s, i) => {
      if (!s.alive) return;
      const validTo = starts[i + 1]?.time ?? END;
      const row: Row = {
        [dim.surrogateKey]: surrogate(key, s.time),
        [dim.naturalKey]: key,
      };
      for (const a of dim.attributes) row[a.name] = stored(a.name, a.scd === 2 ? s.values[a.name] : type1[a.name]);
      Object.assign(row, { valid_from: s.time, valid_to: validTo, is_current: String(validTo === END) });
      rows.push(row);
    });
  }
  const unknown: Row = { [dim.surrogateKey]: "-1", [dim.naturalKey]: null };
  for (const a of dim.attributes) unknown[a.name] = null;
  rows.push({ ...unknown, valid_from: BEGINNING, valid_to: END, is_current: "true" });
  return sorted(rows);
}

/** md5(key | valid_from with microseconds), first 15 hex digits, as a decimal BIGINT. */
function surrogate(key: string, validFrom: string): string {
  const hex = createHash("md5").update(`${key}|${validFrom}.000000`).digest("hex");
  return BigInt(`0x${hex.slice(0, 15)}`).toString();
}

const byStart = (rows: Row[]): Row[] => [...rows].sort((a, b) => (a.valid_from! < b.valid_from! ? -1 : 1));
const sorted = (rows: Row[]): Row[] => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

// -- bronze rows --------------------------------------------------------------------------------

interface BronzeRow {
  /** Object key, or `<key>@<version>` for one of several versions of a key (default version v1). */
  file: string;
  row: number;
  values: Record<string, string>; // raw strings, "" = empty field; `_op` among them
}

const sqlText = (v: string | null) => (v === null ? "CAST(NULL AS VARCHAR)" : `'${v.replace(/'/g, "''")}'`);

/** A DuckDB SELECT of bronze rows (spec columns as strings + lineage). */
function bronzeSelect(spec: DatasetSpec, rows: BronzeRow[]): string {
  const cols = [...spec.columns.map((c) => c.name), "_op", "_source_key", "_source_version", "_file_id", "_row_number", "_run_id", "_data_date"];
  const tuples = rows.map((r) => {
    const data = spec.columns.map((c) => sqlText(r.values[c.name] ?? ""));
    const op = sqlText(r.values._op ?? null);
    const [key, version] = keyAndVersion(r.file);
    return `(${[...data, op, sqlText(key), sqlText(version), sqlText(`id-${r.file}`), `CAST(${r.row} AS BIGINT)`, "'run-1'", "'2026-11-30'"].join(", ")})`;
  });
  return `SELECT * FROM (VALUES ${tuples.join(", ")}) t(${cols.map((c) => `"${c}"`).join(", ")})`;
}

/** Bronze of `rows` and the files ledger of their files. */
function bronzeInputs(spec: DatasetSpec, rows: Parameters<typeof bronzeSelect>[1]): ModelInputs {
  return { bronze: bronzeSelect(spec, rows), files_ledger: filesSelect([...new Set(rows.map((r) => r.file))]) };
}

const keyAndVersion = (file: string): [string, string] => {
  const at = file.indexOf("@");
  return at < 0 ? [file, "v1"] : [file.slice(0, at), file.slice(at + 1)];
};

/** A DuckDB SELECT of the files ledger: one row per file (BronzeRow.file), received in list order. */
function filesSelect(files: string[]): string {
  const tuples = files.map(
    (f, i) => `(${[sqlText(`id-${f}`), ...keyAndVersion(f).map(sqlText), "'run-1'", "'2026-11-30'", "CAST(1 AS BIGINT)", sqlText(`2026-11-30T10:00:${String(i).padStart(2, "0")}.000Z`), "''"].join(", ")})`,
  );
  return `SELECT * FROM (VALUES ${tuples.join(", ")}) t(_file_id, _source_key, _source_version, _run_id, _data_date, _rows_read, _received_at, _sequencer)`;
}

const PII_KEY = Buffer.from("dimension-test-key");
function piiKeySelect(): string {
  const { ipad, opad } = hmacPads(PII_KEY);
  return `SELECT unhex('${ipad.toString("hex")}') AS ipad, unhex('${opad.toString("hex")}') AS opad`;
}

// -- case 1: a csv dataset with a CDC sequence timestamp ----------------------------------------

const members = defineDataset({
  name: "members",
  prefix: "members/",
  format: "csv",
  columns: { member_id: "bigint", name: "string", city: "string", tier: "string", email: "string", visits: "int", updated_at: "timestamp" },
  primaryKey: ["member_id"],
  cdc: { opColumn: "op", sequenceColumns: ["updated_at"] },
  rules: [
    { kind: "regex", column: "city", pattern: "^[A-Z][a-z]+$" },
    // About current state only: two keys sharing an email are labeled in silver, not in history.
    { kind: "unique", columns: ["email"] },
  ],
  pii: [{ column: "email", mode: "hash" }],
  target: { table: "members" },
});

const dimMember = (deletes: "close" | "ignore") =>
  defineDimension(
    { name: deletes === "close" ? "dim_member" : "dim_member_kept", source: "members", naturalKey: "member_id", surrogateKey: "member_key", attributes: { name: 2, city: 2, tier: 1, email: 2 }, deletes },
    [members],
  );

const T = (h: number) => `2026-01-01 ${String(h).padStart(2, "0")}:00:00`;

/** [file, row, op, member_id, updated_at, name, city, tier, email, visits] */
type MemberChange = [string, number, string, string, string, string, string, string, string, string];
const MEMBER_CHANGES: MemberChange[] = [
  // 1: first insert only
  ["a.csv", 1, "I", "1", T(1), "Ann", "Oslo", "gold", "ann@x", "1"],
  // 2: a tracked change (city)
  ["a.csv", 2, "I", "2", T(1), "Bob", "Oslo", "gold", "bob@x", "1"],
  ["b.csv", 1, "U", "2", T(2), "Bob", "Rome", "gold", "bob@x", "1"],
  // 3: a no-op update (visits is not an attribute)
  ["a.csv", 3, "I", "3", T(1), "Cy", "Oslo", "gold", "cy@x", "1"],
  ["b.csv", 2, "U", "3", T(2), "Cy", "Oslo", "gold", "cy@x", "9"],
  // 4: a type-1 change only: one version, the latest tier
  ["a.csv", 4, "I", "4", T(1), "Di", "Oslo", "gold", "di@x", "1"],
  ["b.csv", 3, "U", "4", T(2), "Di", "Oslo", "silver", "di@x", "1"],
  // 5: a delete closes (ignored: stays open)
  ["a.csv", 5, "I", "5", T(1), "Ed", "Oslo", "gold", "ed@x", "1"],
  ["b.csv", 4, "D", "5", T(2), "Ed", "Oslo", "gold", "ed@x", "1"],
  // 6: insert, delete, re-insert with the same values: a new version; then an update after another delete revives
  ["a.csv", 6, "I", "6", T(1), "Flo", "Oslo", "gold", "flo@x", "1"],
  ["b.csv", 5, "D", "6", T(2), "", "", "", "", ""],
  ["c.csv", 1, "I", "6", T(3), "Flo", "Oslo", "gold", "flo@x", "1"],
  ["c.csv", 2, "D", "6", T(4), "", "", "", "", ""],
  ["d.csv", 1, "U", "6", T(5), "Flo", "Pisa", "bronze", "flo@x", "1"],
  // 7: a late change (a later file, an earlier time) splits a window
  ["a.csv", 7, "I", "7", T(1), "Gus", "Oslo", "gold", "gus@x", "1"],
  ["b.csv", 6, "U", "7", T(3), "Gus", "Rome", "gold", "gus@x", "1"],
  ["d.csv", 2, "U", "7", T(2), "Gus", "Pisa", "gold", "gus@x", "1"],
  // 8: a late change makes a later one a no-op (its version and key disappear)
  ["a.csv", 8, "I", "8", T(1), "Hal", "Oslo", "gold", "hal@x", "1"],
  ["b.csv", 7, "U", "8", T(3), "Hal", "Rome", "gold", "hal@x", "1"],
  ["d.csv", 3, "U", "8", T(2), "Hal", "Rome", "gold", "hal@x", "1"],
  // 9: two changes at one time, the later reverts: no version; 10: the later wins
  ["a.csv", 9, "I", "9", T(1), "Ivy", "Oslo", "gold", "ivy@x", "1"],
  ["b.csv", 8, "U", "9", T(2), "Ivy", "Rome", "gold", "ivy@x", "1"],
  ["b.csv", 9, "U", "9", T(2), "Ivy", "Oslo", "gold", "ivy@x", "1"],
  ["a.csv", 10, "I", "10", T(1), "Jo", "Oslo", "gold", "jo@x", "1"],
  ["b.csv", 10, "U", "10", T(2), "Jo", "Rome", "gold", "jo@x", "1"],
  ["b.csv", 11, "U", "10", T(2), "Jo", "Pisa", "gold", "jo@x", "1"],
  // 11: changes failing validation open no version and set no type-1 value: a bad type, a rule
  ["a.csv", 11, "I", "11", T(1), "Kim", "Oslo", "gold", "kim@x", "1"],
  ["b.csv", 12, "U", "11", T(2), "Kim", "Rome", "vip", "kim@x", "many"],
  ["b.csv", 13, "U", "11", T(3), "Kim", "rome", "vip", "kim@x", "1"],
  ["c.csv", 3, "U", "11", T(4), "Kim", "Pisa", "gold", "kim@x", "1"],
  // 12: bad key and bad sequence: rejects, not history
  ["a.csv", 12, "I", "x12", T(1), "Lu", "Oslo", "gold", "lu@x", "1"],
  ["a.csv", 13, "I", "12", "noon", "Lu", "Oslo", "gold", "lu@x", "1"],
  // 13: an update of an unseen key opens its first version; 14: a delete of one opens nothing
  ["a.csv", 14, "U", "13", T(2), "Mo", "Oslo", "gold", "mo@x", "1"],
  ["a.csv", 15, "D", "14", T(2), "No", "Oslo", "gold", "no@x", "1"],
  // 15: NULL vs a value differs, NULL vs NULL does not
  ["a.csv", 16, "I", "15", T(1), "", "Oslo", "gold", "", "1"],
  ["b.csv", 14, "U", "15", T(2), "Ola", "Oslo", "gold", "", "1"],
  ["b.csv", 15, "U", "15", T(3), "Ola", "Oslo", "gold", "", "2"],
  ["c.csv", 4, "U", "15", T(4), "", "Oslo", "gold", "", "2"],
  // 16, 17: one email (unique fails in silver): both keep their versions
  ["a.csv", 17, "I", "16", T(1), "Pat", "Oslo", "gold", "pat@x", "1"],
  ["a.csv", 18, "I", "17", T(1), "Pat", "Oslo", "gold", "pat@x", "1"],
  // 18: a file uploaded again under its key (a correction): same time, key and row; the version
  // that arrived later wins although its id sorts first as text ("v10" < "v9")
  ["e.csv@v9", 1, "I", "18", T(1), "Quinn", "Oslo", "gold", "quinn@x", "1"],
  ["e.csv@v10", 1, "I", "18", T(1), "Quinn", "Rome", "gold", "quinn@x", "1"],
  // 19: a change stamped at the end of time (a source's sentinel) opens no version and sets no
  // type-1 value; 20: a delete after it closes nothing. Each stays open, as before them.
  ["a.csv", 19, "I", "19", T(1), "Rae", "Oslo", "gold", "rae@x", "1"],
  ["f.csv", 1, "U", "19", END, "Rae", "Rome", "vip", "rae@x", "1"],
  ["a.csv", 20, "I", "20", T(1), "Sol", "Oslo", "gold", "sol@x", "1"],
  ["f.csv", 2, "D", "20", "9999-12-31 23:00:00", "Sol", "Oslo", "gold", "sol@x", "1"],
];

function memberBronze(): BronzeRow[] {
  return MEMBER_CHANGES.map(([file, row, op, member_id, updated_at, name, city, tier, email, visits]) => ({
    file,
    row,
    values: { _op: op, member_id, updated_at, name, city, tier, email, visits },
  }));
}

/**
 * The oracle's view of MEMBER_CHANGES: judged in TypeScript, ordered by (time, object key, the
 * version's arrival: its file's first appearance, as memberInputs' ledger receives them, row).
 */
function memberChanges(): OracleChange[] {
  const isTime = (v: string) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v);
  const arrival = [...new Set(MEMBER_CHANGES.map((c) => c[0]))];
  const order = (c: MemberChange): Array<string | number> => [c[4], keyAndVersion(c[0])[0], arrival.indexOf(c[0]), c[1]];
  const compare = (a: MemberChange, b: MemberChange): number => {
    const [x, y] = [order(a), order(b)];
    const i = x.findIndex((v, j) => v !== y[j]);
    return i < 0 ? 0 : x[i] < y[i] ? -1 : 1;
  };
  return MEMBER_CHANGES.filter(([, , , id, at]) => /^[0-9]+$/.test(id) && isTime(at))
    .sort(compare)
    .map(([, , op, id, at, name, city, tier, email, visits]) => ({
      key: id,
      op: op as OracleChange["op"],
      time: at,
      valid: (visits === "" || /^[0-9]+$/.test(visits)) && (city === "" || /^[A-Z][a-z]+$/.test(city)),
      values: { name: name || null, city: city || null, tier: tier || null, email: email || null },
    }));
}

const hmac = (v: string | null) => (v === null ? null : createHmac("sha256", PII_KEY).update(v).digest("hex"));
const memberStored = (col: string, v: string | null) => (col === "email" ? hmac(v) : v);

function memberInputs(): ModelInputs {
  return { ...bronzeInputs(members, memberBronze()), pii_key: piiKeySelect() };
}

// -- case 2: the reference customers (DMS, nullable timestamp, partial images) -------------------

/** [file, row, op, customer_id, email, country, signup_date, cdc_ts] in DMS file order. */
type CustomerChange = [string, number, string, string, string, string, string, string];
const CUSTOMER_CHANGES: CustomerChange[] = [
  // The full load: no timestamp, except key 2's transfer time (full-load race); each key's first
  // version is valid from 1900-01-01 either way (initial load).
  ["cust/LOAD00000001.csv", 1, "", "1", "a@x", "US", "2020-01-01", ""],
  ["cust/LOAD00000001.csv", 2, "", "2", "b@x", "US", "2020-01-01", "2026-11-30 10:05:00"],
  ["cust/LOAD00000001.csv", 3, "", "3", "c@x", "US", "2020-01-01", "2026-11-30 09:00:00"],
  ["cust/LOAD00000001.csv", 4, "", "4", "d@x", "US", "2020-01-01", "2026-11-30 09:00:00"],
  // Key 5: a source's placeholder time before 1900, on its load row and on the change after it.
  ["cust/LOAD00000001.csv", 5, "", "5", "e@x", "US", "2020-01-01", "1800-01-01 00:00:00"],
  // A CDC file written without TimestampColumnName: key 1's change takes the time before it
  // (1900: the load's window is dropped).
  ["cust/20261130-100000000.csv", 1, "U", "1", "a@x", "FR", "2020-01-01", ""],
  // Key 6: first seen without a time (1900), then a change timed before 1900.
  ["cust/20261130-100000000.csv", 2, "I", "6", "f@x", "US", "2020-01-01", ""],
  ["cust/20261130-110000000.csv", 5, "U", "6", "f@x", "ES", "2020-01-01", "1800-06-01 00:00:00"],
  ["cust/20261130-110000000.csv", 6, "U", "5", "e@x", "PT", "2020-01-01", "1850-01-01 00:00:00"],
  // Key 2: committed during the load (10:01), ordered after its load row (10:05): same time.
  ["cust/20261130-110000000.csv", 1, "U", "2", "b@x", "DE", "2020-01-01", "2026-11-30 10:01:00"],
  // Key 3: a partial image (email and signup_date not logged): keep_previous fills them.
  ["cust/20261130-110000000.csv", 2, "U", "3", "", "GB", "", "2026-11-30 11:00:00"],
  // Key 4: a rule failure (country) opens no version; key 1: a timed change.
  ["cust/20261130-110000000.csv", 3, "U", "4", "d@x", "usa", "2020-01-01", "2026-11-30 11:00:00"],
  ["cust/20261130-110000000.csv", 4, "U", "1", "a@x", "DE", "2020-01-01", "2026-11-30 12:00:00"],
  // Key 3: a delete.
  ["cust/20261130-120000000.csv", 1, "D", "3", "c@x", "GB", "2020-01-01", "2026-11-30 13:00:00"],
];
const CUSTOMER_FILES = [...new Set(CUSTOMER_CHANGES.map((c) => c[0]))];

function customerInputs(): ModelInputs {
  const customers = getDataset("customers");
  const rows = CUSTOMER_CHANGES.map(([file, row, op, customer_id, email, country, signup_date, cdc_ts]) => ({
    file,
    row,
    values: { _op: op, customer_id, email, country, signup_date, cdc_ts },
  }));
  return { bronze: bronzeSelect(customers, rows), files_ledger: filesSelect(CUSTOMER_FILES) };
}

/** The oracle's view: CUSTOMER_CHANGES are listed in the DMS order; partial images filled here. */
function customerChanges(): OracleChange[] {
  const last = new Map<string, Record<string, string>>();
  return CUSTOMER_CHANGES.map(([file, , op, id, email, country, signup_date, cdc_ts]) => {
    let values: Record<string, string> = { email, country, signup_date };
    const prev = last.get(id);
    if (op === "U" && prev) values = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v === "" ? prev[k] : v]));
    last.set(id, values);
    return {
      key: id,
      op: (op || "I") as OracleChange["op"],
      time: cdc_ts || null,
      valid: /^[A-Z]{2}$/.test(values.country),
      values,
      fullLoad: file.includes("/LOAD"),
    };
  });
}

// -- case 3: the reference products (decimal attribute, range rule); case 4: a date sequence ----

/** [file, row, op, product_id, brand, category, unit_price, cdc_ts] in DMS file order. */
const PRODUCT_CHANGES: Array<[string, number, string, string, string, string, string, string]> = [
  ["prod/LOAD00000001.csv", 1, "", "1", "Acme", "tools", "12.50", "2026-11-30 09:00:00"],
  ["prod/LOAD00000001.csv", 2, "", "2", "Bolt", "tools", "3.00", "2026-11-30 09:00:00"],
  // A price written with another scale is the same price: no version.
  ["prod/20261130-100000000.csv", 1, "U", "1", "Acme", "tools", "12.5", "2026-11-30 10:00:00"],
  ["prod/20261130-100000000.csv", 2, "U", "2", "Bolt", "tools", "-1.00", "2026-11-30 10:00:00"],
  ["prod/20261130-110000000.csv", 1, "U", "1", "Acme", "garden", "14.00", "2026-11-30 11:00:00"],
  ["prod/20261130-110000000.csv", 2, "U", "2", "Bolt", "tools", "4.999", "2026-11-30 11:00:00"],
];

function productInputs(): ModelInputs {
  const rows = PRODUCT_CHANGES.map(([file, row, op, product_id, brand, category, unit_price, cdc_ts]) => ({
    file,
    row,
    values: { _op: op, product_id, brand, category, unit_price, cdc_ts },
  }));
  return { bronze: bronzeSelect(getDataset("products"), rows), files_ledger: filesSelect([...new Set(PRODUCT_CHANGES.map((c) => c[0]))]) };
}

/** Prices as DECIMAL(12,2) text; a negative price fails the range rule, 3 decimals fail the type. */
function productChanges(): OracleChange[] {
  return PRODUCT_CHANGES.map(([file, , op, id, brand, category, price, cdc_ts]) => {
    const typed = /^-?\d+(\.\d{1,2})?$/.test(price) ? Number(price).toFixed(2) : null;
    const fullLoad = file.includes("/LOAD");
    return { key: id, op: (op || "I") as OracleChange["op"], time: cdc_ts, valid: typed !== null && Number(typed) >= 0, values: { brand, category, unit_price: typed }, fullLoad };
  });
}

const visits = (sequence: "date" | "int") =>
  defineDataset({
    name: "visits",
    prefix: "visits/",
    format: "csv",
    columns: { visit_id: "string", place: "string", day: sequence },
    primaryKey: ["visit_id"],
    cdc: { opColumn: "op", sequenceColumns: ["day"] },
    target: { table: "visits" },
  });
const dimVisit = (sequence: "date" | "int") =>
  defineDimension({ name: "dim_visit", source: "visits", naturalKey: "visit_id", attributes: { place: 2 } }, [visits(sequence)]);
const VISIT_ROWS: BronzeRow[] = [
  { file: "v.csv", row: 1, values: { _op: "I", visit_id: "a", place: "Oslo", day: "2026-01-01" } },
  { file: "v.csv", row: 2, values: { _op: "U", visit_id: "a", place: "Rome", day: "2026-01-03" } },
];

// -- the tests ---------------------------------------------------------------------------------

describe("models: SCD2 dimension compiler (DuckDB)", function () {
  let h: ModelHarness;
  before(async () => {
    h = await ModelHarness.open();
  });
  after(() => h.close());

  const expectClean = (run: ModelRun) => expect(Object.values(run.audits).every((v) => v === 0), JSON.stringify(run.audits)).to.equal(true);

  it("versions every SCD case of a csv dataset as the oracle does (deletes close)", async () => {
    const dim = dimMember("close");
    const run = await h.runDuckDB(compileDimension(dim, members, { dialect: "duckdb" }), memberInputs());
    expect(sorted(run.rows)).to.deep.equal(oracle(dim, memberChanges(), memberStored));
    expectClean(run);
  });

  it("keeps the version open when deletes are ignored", async () => {
    const dim = dimMember("ignore");
    const run = await h.runDuckDB(compileDimension(dim, members, { dialect: "duckdb" }), memberInputs());
    const expected = oracle(dim, memberChanges(), memberStored);
    expect(sorted(run.rows)).to.deep.equal(expected);
    // Key 5 (deleted at 02:00) stays current.
    expect(expected.filter((r) => r.member_id === "5").map((r) => r.valid_to)).to.deep.equal([END]);
    expectClean(run);
  });

  it("versions the reference dim_customer from DMS history: NULL times, full-load race, partial images, rules, deletes", async () => {
    const dim = getModel("dim_customer") as DimensionSpec;
    const run = await h.runDuckDB(compileDimension(dim, getDataset("customers"), { dialect: "duckdb" }), customerInputs());
    const expected = oracle(dim, customerChanges());
    expect(sorted(run.rows)).to.deep.equal(expected);
    // The cases as stated, so a wrong oracle cannot hide them.
    const byKey = (k: string) => byStart(expected.filter((r) => r.customer_id === k)).map((r) => [r.country, r.valid_from, r.valid_to, r.email]);
    expect(byKey("1")).to.deep.equal([["FR", BEGINNING, "2026-11-30 12:00:00", "a@x"], ["DE", "2026-11-30 12:00:00", END, "a@x"]]);
    // Full-load rows open their key's first version at the beginning (initial load); the copy
    // time still bounds the change after it (key 2: committed at 10:01, ordered after the 10:05 copy).
    expect(byKey("2")).to.deep.equal([["US", BEGINNING, "2026-11-30 10:05:00", "b@x"], ["DE", "2026-11-30 10:05:00", END, "b@x"]]);
    expect(byKey("3")).to.deep.equal([["US", BEGINNING, "2026-11-30 11:00:00", "c@x"], ["GB", "2026-11-30 11:00:00", "2026-11-30 13:00:00", "c@x"]]);
    expect(byKey("4")).to.deep.equal([["US", BEGINNING, END, "d@x"]]);
    // A change ordered after a key's 1900 version but timed before it is bounded there too: it
    // replaces that version instead of sorting before it and leaving it current.
    expect(byKey("5")).to.deep.equal([["PT", BEGINNING, END, "e@x"]]);
    expect(byKey("6")).to.deep.equal([["ES", BEGINNING, END, "f@x"]]);
    expectClean(run);
  });

  it("versions the reference dim_product: decimals compared as values, rules and bad types open no version", async () => {
    const dim = getModel("dim_product") as DimensionSpec;
    const run = await h.runDuckDB(compileDimension(dim, getDataset("products"), { dialect: "duckdb" }), productInputs());
    const expected = oracle(dim, productChanges());
    expect(sorted(run.rows)).to.deep.equal(expected);
    expect(byStart(expected.filter((r) => r.product_id === "1")).map((r) => `${r.category} ${r.unit_price}`)).to.deep.equal(["tools 12.50", "garden 14.00"]);
    expect(expected.filter((r) => r.product_id === "2").map((r) => r.unit_price)).to.deep.equal(["3.00"]);
    expectClean(run);
  });

  it("dates versions of a date sequence from midnight; refuses a sequence that is not a time", async () => {
    const run = await h.runDuckDB(compileDimension(dimVisit("date"), visits("date"), { dialect: "duckdb" }), bronzeInputs(visits("date"), VISIT_ROWS));
    expect(byStart(run.rows.filter((r) => r.visit_id === "a")).map((r) => [r.visit_key, r.place, r.valid_from, r.valid_to])).to.deep.equal([
      [surrogate("a", "2026-01-01 00:00:00"), "Oslo", "2026-01-01 00:00:00", "2026-01-03 00:00:00"],
      [surrogate("a", "2026-01-03 00:00:00"), "Rome", "2026-01-03 00:00:00", END],
    ]);
    // The spec is refused first (models/validate.ts); the compiler refuses a hand-built one too.
    expect(() => dimVisit("int")).to.throw(/source: visits is sequenced by day \(int\); a dimension's valid_from needs a CDC sequence whose first column is a timestamp or date/);
    const handBuilt = { ...dimVisit("date"), source: "visits" };
    expect(() => compileDimension(handBuilt, visits("int"), { dialect: "duckdb" })).to.throw(/first sequence column of visits \(day\) is int/);
  });

  it("states the csv cases' versions (the oracle itself checked)", () => {
    const rows = oracle(dimMember("close"), memberChanges());
    const windows = (k: string) => byStart(rows.filter((r) => r.member_id === k)).map((r) => `${r.city}@${r.valid_from!.slice(11, 13)}-${r.valid_to!.slice(11, 13)}`);
    expect(windows("2")).to.deep.equal(["Oslo@01-02", "Rome@02-00"]);
    expect(windows("3")).to.deep.equal(["Oslo@01-00"]);
    expect(rows.filter((r) => r.member_id === "4").map((r) => r.tier)).to.deep.equal(["silver"]);
    expect(windows("5")).to.deep.equal(["Oslo@01-02"]);
    expect(windows("6")).to.deep.equal(["Oslo@01-02", "Oslo@03-04", "Pisa@05-00"]);
    expect(windows("7")).to.deep.equal(["Oslo@01-02", "Pisa@02-03", "Rome@03-00"]);
    expect(windows("8")).to.deep.equal(["Oslo@01-02", "Rome@02-00"]);
    expect(windows("9")).to.deep.equal(["Oslo@01-00"]);
    expect(windows("10")).to.deep.equal(["Oslo@01-02", "Pisa@02-00"]);
    expect(windows("11")).to.deep.equal(["Oslo@01-04", "Pisa@04-00"]);
    expect(rows.filter((r) => r.member_id === "11").map((r) => r.tier)).to.deep.equal(["gold", "gold"]);
    expect(windows("12")).to.deep.equal([]);
    expect(windows("13")).to.deep.equal(["Oslo@02-00"]);
    expect(windows("14")).to.deep.equal([]);
    expect(byStart(rows.filter((r) => r.member_id === "15")).map((r) => `${r.name}@${r.valid_from!.slice(11, 13)}`)).to.deep.equal(["null@01", "Ola@02", "null@04"]);
    expect(rows.filter((r) => r.member_id === "19").map((r) => `${r.city}/${r.tier}@${r.valid_from}-${r.valid_to}`)).to.deep.equal([`Oslo/gold@${T(1)}-${END}`]);
    expect(rows.filter((r) => r.member_id === "20").map((r) => `${r.valid_from}-${r.valid_to}`)).to.deep.equal([`${T(1)}-${END}`]);
  });

  it("compiles the reference dimensions for both dialects; refuses inferred members without the registries, and a wrong dataset", () => {
    for (const name of ["dim_customer", "dim_product"]) {
      const dim = getModel(name) as DimensionSpec;
      for (const dialect of ["duckdb", "spark"] as const) {
        const plan = compileDimension(dim, getDataset(dim.source), { dialect });
        expect(plan.output).to.equal(name);
        expect(plan.columns.map((c) => c.name)).to.deep.equal([dim.surrogateKey, dim.naturalKey, ...dim.attributes.map((a) => a.name), "valid_from", "valid_to", "is_current"]);
        expect(plan.inputs.map((i) => i.zone)).to.deep.equal(["bronze", "files", "semantic", "consumed", "runs"]);
        expect(JSON.parse(JSON.stringify(plan))).to.deep.equal(plan);
      }
    }
    const inferred = defineDimension({ name: "dim_member", source: "members", naturalKey: "member_id", attributes: { city: 2 }, inferredMembers: true }, [members]);
    expect(() => compileDimension(inferred, members, { dialect: "duckdb" })).to.throw(/^model dim_member: inferredMembers needs the model and dataset registries/);
    expect(() => compileDimension(dimMember("close"), getDataset("customers"), { dialect: "duckdb" })).to.throw(/its source is members/);
  });
});

describe("models: dimension audits (DuckDB)", function () {
  let h: ModelHarness;
  before(async () => {
    h = await ModelHarness.open();
  });
  after(() => h.close());

  const dim = defineDimension({ name: "dim_member", source: "members", naturalKey: "member_id", attributes: { city: 2 } }, [members]);
  const plan: ModelPlan = compileDimension(dim, members, { dialect: "duckdb" });
  // member_key, member_id, city, valid_from, valid_to, is_current
  type Staged = Array<[number, number | null, string | null, string, string, boolean]>;
  const good: Staged = [
    [-1, null, null, BEGINNING, END, true],
    [11, 1, "Oslo", T(1), T(2), false],
    [12, 1, "Rome", T(2), END, true],
    [13, 2, "Oslo", T(1), T(3), false],
    [14, 2, "Pisa", T(5), END, true],
  ];

  /** `written`: the natural keys an incremental build wrote (`audited`); absent, a whole build. */
  async function audit(rows: Staged, written?: number[]): Promise<Record<string, number>> {
    const tuples = rows.map(([k, id, city, from, to, cur]) => `(${k}::BIGINT, ${id === null ? "NULL" : id}::BIGINT, ${sqlText(city)}, TIMESTAMP '${from}', TIMESTAMP '${to}', ${cur})`);
    await h.session.run(`CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM (VALUES ${tuples.join(", ")}) t(member_key, member_id, city, valid_from, valid_to, is_current)`);
    await h.session.run(`CREATE OR REPLACE TEMP VIEW audited AS SELECT * FROM staged${written ? ` WHERE member_id IN (${written.join(", ")})` : ""}`);
    const out: Record<string, number> = {};
    for (const a of plan.audits) out[a.name] = Number((await h.session.rows(a.sql))[0].violations);
    return out;
  }

  const failing = async (rows: Staged) => Object.entries(await audit(rows)).filter(([, v]) => v > 0).map(([k]) => k);

  it("passes a good table (gaps after a delete allowed) and fails each audit on its crafted bad table", async () => {
    expect(await failing(good)).to.deep.equal([]);
    const edit = (i: number, row: Staged[number]) => good.map((r, j) => (j === i ? row : r));
    expect(await failing(edit(2, [11, 1, "Rome", T(2), END, true])), "duplicate surrogate key").to.deep.equal(["surrogate_key_unique"]);
    expect(await failing(edit(1, [11, 1, "Oslo", T(1), END, true])), "two current rows").to.include.members(["one_current_row", "windows_do_not_overlap"]);
    expect(await failing(edit(3, [13, 2, "Oslo", T(1), T(6), false])), "overlap").to.deep.equal(["windows_do_not_overlap"]);
    expect(await failing(edit(3, [13, 2, "Oslo", T(3), T(3), false])), "empty window").to.deep.equal(["valid_from_before_valid_to"]);
    expect(await failing(edit(3, [13, 2, "Oslo", T(1), T(3), true])), "closed but current").to.deep.equal(["one_current_row", "is_current_when_open"]);
    expect(await failing(good.slice(1)), "no unknown member").to.deep.equal(["unknown_member"]);
    expect(await failing([...good, [-2, null, null, BEGINNING, END, true]]), "a second row without natural key").to.include.members(["unknown_member"]);
  });

  it("fails a written row whose surrogate key a kept row holds, and counts both rows", async () => {
    // Member 2 written, member 1 kept: member 2's first version took member 1's key 11.
    const clash: Staged = good.map((r) => (r[0] === 13 ? [11, 2, "Oslo", T(1), T(3), false] : r));
    expect(await audit(good, [2])).to.include({ surrogate_key_unique: 0 });
    expect(await audit(clash, [2])).to.include({ surrogate_key_unique: 2 });
    expect(await audit(clash, [1])).to.include({ surrogate_key_unique: 2 });
    const unkeyed: Staged = good.map((r) => (r[0] === 14 ? [null as unknown as number, 2, "Pisa", T(5), END, true] : r));
    expect(await audit(unkeyed, [2])).to.include({ surrogate_key_unique: 1 });
  });
});

describe("models: SCD2 dimensions, DuckDB = Spark @spark", function () {
  this.timeout(20 * 60_000); // every SCD case on Spark took 72 s unloaded; the suite default is 60 s
  let h: ModelHarness;
  before(async () => {
    h = await ModelHarness.open();
  });
  after(() => h.close());

  it("gives the same rows, surrogate keys and audits on both engines for every case", async () => {
    const { sparkForTests } = await import("../support/spark");
    const spark = await sparkForTests();
    const cases: Array<[DimensionSpec, DatasetSpec, ModelInputs]> = [
      [dimMember("close"), members, memberInputs()],
      [dimMember("ignore"), members, memberInputs()],
      [getModel("dim_customer") as DimensionSpec, getDataset("customers"), customerInputs()],
      [getModel("dim_product") as DimensionSpec, getDataset("products"), productInputs()],
      [dimVisit("date"), visits("date"), bronzeInputs(visits("date"), VISIT_ROWS)],
    ];
    for (const [dim, dataset, inputs] of cases) {
      const duck = await h.runDuckDB(compileDimension(dim, dataset, { dialect: "duckdb" }), inputs);
      const sparkRun = await h.runSpark(spark, compileDimension(dim, dataset, { dialect: "spark" }), inputs);
      expect(sparkRun, dim.name).to.deep.equal(duck);
      expect(duck.rows.length, dim.name).to.be.greaterThan(2);
    }
  });
});
