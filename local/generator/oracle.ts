// The expected current state after loading a set of CDC files, computed in plain TypeScript from
// the row-semantics contract (ARCHITECTURE.md): rows with an unparseable key, cdc_ts or Op are
// rejected; per key the latest change wins by (cdc_ts, object key, row number); D removes the key;
// a current row with any reason label is quarantined, the rest is silver. Format "dms"
// (docs/dms.md "Ordering, full-load race, reload, partial images", one load generation: files carry no arrival time here): a NULL
// timestamp is no reject, changes order by (phase LOAD before CDC, timestamp with NULL first,
// DMS file name, object key, row), and with partialImages keep_previous an update's unlogged
// columns keep the key's previous values. Tests check the engine against it, so it shares no
// code with the engine.
//
// DMS files as DMS writes them by default (docs/dms.md): no header (csv.header "auto" tells a
// header by its names), the source table's columns by position with Op first in change files
// only, and no timestamp column: changes are then ordered by the DMS file sequence (full-load
// LOAD files by their fixed-width hexadecimal counter, then change files by name) and row position.
import type { DatasetSpec, Rule } from "../../datasets";
import { isNumericType } from "../../datasets/validate";
import { parseCsv } from "./csv-read";
import { jsRegex } from "./js-regex";
import { parseValue, Typed } from "./parse-values";

export interface SourceFile {
  /** Object key (ties on cdc_ts are broken by it, lexicographically). */
  key: string;
  content: string;
}

export interface CurrentRow {
  key: string;
  /** The winning change: its object key and 1-based data row number (silver's lineage). */
  sourceKey: string;
  rowNumber: number;
  values: Record<string, Typed | null>;
  labels: string[];
}

export interface ExpectedState {
  rowsRead: number;
  rejectedRows: number;
  /** Rows of files quarantined whole (a missing required column). */
  quarantinedFileRows: number;
  /** Keys (primary key values joined by "|") in silver, sorted. */
  silverKeys: string[];
  quarantineKeys: string[];
  /** Keys whose latest change is a delete. */
  deletedKeys: string[];
  current: Map<string, CurrentRow>;
}

/** Expression rules of the reference specs, by label (the oracle does not parse SQL). */
const EXPRESSIONS: Record<string, (v: Record<string, Typed | null>) => boolean> = {
  delivered_before_shipped: (v) =>
    v.delivered_at === null || v.shipped_at === null || (v.delivered_at as bigint) >= (v.shipped_at as bigint),
};

interface Change {
  /** null: a dms row without the timestamp column (orders first). */
  seq: bigint | null;
  /** dms: 0 for a full-load file, 1 otherwise; the DMS file name ("" for other names). */
  phase: number;
  dmsFile: string;
  objectKey: string;
  rowNumber: number;
  op: "I" | "U" | "D";
  raw: Record<string, string | null>;
}

export function expectedState(spec: DatasetSpec, files: SourceFile[]): ExpectedState {
  const opColumn = spec.cdc?.opColumn ?? "Op";
  const seqColumn = spec.cdc?.sequenceColumns[0];
  if (spec.cdc && spec.cdc.sequenceColumns.length !== 1) throw new Error("oracle supports one sequence column");
  const required = spec.columns.filter((c) => !c.optional).map((c) => c.name);
  const dms = spec.format === "dms";
  const changes = new Map<string, Change[]>();
  let rowsRead = 0;
  let rejectedRows = 0;
  let quarantinedFileRows = 0;

  for (const file of files) {
    const parsed = parseCsv(file.content, spec.csv.delimiter);
    const layout = headerOf(spec, file.key, parsed[0]);
    const rows = layout.header ? parsed.slice(1) : parsed;
    const names = layout.names;
    rowsRead += rows.length;
    if (!layout.fits || required.some((c) => !names.includes(c))) {
      quarantinedFileRows += rows.length; // the file is quarantined whole
      continue;
    }
    const opAt = names.indexOf(opColumn);
    rows.forEach((cells, index) => {
      const raw: Record<string, string | null> = {};
      names.forEach((n, i) => (raw[n] = cells[i] ?? null));
      // As the engine reads Op: absent or empty is I; case and surrounding spaces are ignored.
      const opText = opAt < 0 ? "" : (raw[opColumn] ?? "").trim().toUpperCase();
      const op = opText === "" ? "I" : opText;
      const keyParts = spec.primaryKey.map((k) => keyText(spec, k, raw[k]));
      const nullableSeq = dms && seqColumn === spec.dms?.timestampColumn;
      const seqRaw = seqColumn === undefined ? null : raw[seqColumn];
      const seq =
        seqColumn === undefined || (nullableSeq && isEmpty(spec, seqRaw ?? null)) ? (dms ? null : 0n) : sequenceValue(spec, seqColumn, seqRaw ?? null);
      if (op !== "I" && op !== "U" && op !== "D") return void rejectedRows++;
      if (keyParts.some((p) => p === undefined) || seq === undefined) return void rejectedRows++;
      const base = (file.key.split("/").pop() ?? "").toUpperCase();
      const load = dms && /^LOAD[0-9A-F]{5,}([.][A-Z0-9]+)*$/.test(base);
      const named = load || /^[0-9]{8}-[0-9]{6,}([.][A-Z0-9]+)*$/.test(base);
      const change: Change = { seq, phase: load ? 0 : 1, dmsFile: dms && named ? base : "", objectKey: file.key, rowNumber: index + 1, op, raw };
      const key = keyParts.join("|");
      changes.set(key, [...(changes.get(key) ?? []), change]);
    });
  }
  const latest = new Map<string, Change>();
  for (const [key, list] of changes) latest.set(key, resolve(spec, list.sort((a, b) => (later(a, b) ? 1 : later(b, a) ? -1 : 0))));

  const current = new Map<string, CurrentRow>();
  const deletedKeys: string[] = [];
  for (const [key, change] of latest) {
    if (change.op === "D") deletedKeys.push(key);
    else current.set(key, { ...typedRow(spec, key, change.raw), sourceKey: change.objectKey, rowNumber: change.rowNumber });
  }
  applyUniqueRules(spec.rules, current);
  const silverKeys: string[] = [];
  const quarantineKeys: string[] = [];
  for (const [key, row] of current) (row.labels.length === 0 ? silverKeys : quarantineKeys).push(key);
  return {
    rowsRead,
    rejectedRows,
    quarantinedFileRows,
    silverKeys: sortKeys(silverKeys),
    quarantineKeys: sortKeys(quarantineKeys),
    deletedKeys: sortKeys(deletedKeys),
    current,
  };
}

/** The sequence as a bigint (timestamps in microseconds), or undefined when null or unparseable. */
function sequenceValue(spec: DatasetSpec, column: string, text: string | null): bigint | undefined {
  const type = spec.columns.find((c) => c.name === column)?.type ?? "string";
  const v = parseValue(type, text);
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (v === null || v === undefined) return undefined;
  throw new Error(`oracle: sequence column ${column} of type ${type} is not supported`);
}

/** The empty field and the spec's nullValue mean NULL (engine/typing.ts nullIfEmpty). */
function isEmpty(spec: DatasetSpec, text: string | null): boolean {
  return text === null || text === "" || text === spec.csv.nullValue;
}

/**
 * The latest of a key's changes (sorted oldest first). dms keep_previous: each update's unlogged
 * columns (the noSupValue marker, else NULL/empty) take the previous change's (resolved) values;
 * key and sequence columns never; inserts and deletes as written.
 */
function resolve(spec: DatasetSpec, sorted: Change[]): Change {
  if (spec.dms?.partialImages !== "keep_previous") return sorted[sorted.length - 1];
  const fixed = new Set([...spec.primaryKey, ...(spec.cdc?.sequenceColumns ?? [])]);
  const marker = spec.dms.noSupValue;
  const unlogged = (v: string | null) => (marker ? v === marker : isEmpty(spec, v));
  let prev: Change | null = null;
  for (const change of sorted) {
    if (prev && change.op === "U") {
      const raw = { ...change.raw };
      for (const col of spec.columns) {
        if (!fixed.has(col.name) && unlogged(raw[col.name] ?? null)) raw[col.name] = prev.raw[col.name] ?? null;
      }
      prev = { ...change, raw };
    } else {
      prev = change;
    }
  }
  return prev!;
}

function later(a: Change, b: Change): boolean {
  if (a.phase !== b.phase) return a.phase > b.phase;
  if (a.seq !== b.seq) return a.seq === null ? false : b.seq === null ? true : a.seq > b.seq;
  if (a.dmsFile !== b.dmsFile) return a.dmsFile > b.dmsFile;
  if (a.objectKey !== b.objectKey) return a.objectKey > b.objectKey;
  return a.rowNumber > b.rowNumber;
}

const isFullLoad = (key: string): boolean => /^LOAD[0-9A-F]{5,}\./.test(key.slice(key.lastIndexOf("/") + 1));

/**
 * A file's column names: its header's, or (no header) the dataset's columns by position as DMS
 * writes them: Op first in change files (and in full-load files with IncludeOpForFullLoad), the
 * declared timestamp column absent. `fits` is
 * false when a headerless row's width matches no such layout (the file is quarantined whole).
 */
function headerOf(spec: DatasetSpec, key: string, first: (string | null)[] | undefined): { header: boolean; names: string[]; fits: boolean } {
  const opColumn = spec.cdc?.opColumn ?? "Op";
  const known = new Set([opColumn, ...spec.columns.map((c) => c.name)].map((n) => n.toLowerCase()));
  const mode = spec.csv.header ?? "present";
  const looksLikeHeader = first !== undefined && first.length > 0 && first.every((f) => f !== null && known.has(f.trim().toLowerCase()));
  if (mode === "present" || (mode === "auto" && looksLikeHeader)) {
    // A DMS header's names match the spec's in any case (AddColumnName writes the source's case).
    const byLower = new Map([opColumn, ...spec.columns.map((c) => c.name)].map((n) => [n.toLowerCase(), n]));
    const name = (h: string | null) => (spec.format === "dms" ? (byLower.get((h ?? "").trim().toLowerCase()) ?? h ?? "") : (h ?? ""));
    return { header: true, names: (first ?? []).map(name), fits: first !== undefined };
  }
  const columns = spec.columns.map((c) => c.name).filter((n) => n !== spec.dms?.timestampColumn);
  // IncludeOpForFullLoad=true puts Op first in full-load files too: told apart by the width.
  const withOp = !isFullLoad(key) || first?.length === columns.length + 1;
  const names = withOp ? [opColumn, ...columns] : columns;
  return { header: false, names, fits: first === undefined || first.length === names.length };
}

/** Canonical key text (bigint keys as integers, so "007" and "7" are one key), or undefined. */
function keyText(spec: DatasetSpec, column: string, text: string | null): string | undefined {
  const type = spec.columns.find((c) => c.name === column)?.type ?? "string";
  const v = parseValue(type, text);
  return v === null || v === undefined ? undefined : String(v);
}

function typedRow(spec: DatasetSpec, key: string, raw: Record<string, string | null>): Omit<CurrentRow, "sourceKey" | "rowNumber"> {
  const values: Record<string, Typed | null> = {};
  const labels: string[] = [];
  for (const col of spec.columns) {
    const v = parseValue(col.type, raw[col.name] ?? null);
    if (v === undefined) labels.push(`bad_type:${col.name}`);
    values[col.name] = v ?? null;
  }
  for (const rule of spec.rules) {
    if (rule.kind !== "unique" && failsRule(spec, rule, values)) labels.push(ruleLabel(rule));
  }
  return { key, values, labels };
}

/** A rule's pattern as RE2 (DuckDB) and Java (Spark) read it, compiled once per pattern. */
const RULE_REGEXES = new Map<string, RegExp>();
function ruleRegex(pattern: string): RegExp {
  let re = RULE_REGEXES.get(pattern);
  if (re === undefined) RULE_REGEXES.set(pattern, (re = jsRegex(pattern)));
  return re;
}

function failsRule(spec: DatasetSpec, rule: Exclude<Rule, { kind: "unique" }>, values: Record<string, Typed | null>): boolean {
  if (rule.kind === "expression") {
    const check = EXPRESSIONS[rule.label];
    if (!check) throw new Error(`oracle: no evaluator for expression rule ${rule.label}`);
    return !check(values);
  }
  const v = values[rule.column];
  if (rule.kind === "not_null") return v === null;
  if (v === null) return false;
  if (rule.kind === "accepted_values") {
    // A numeric column's accepted values are numbers, as the engine compares them (engine/labels.ts).
    const type = spec.columns.find((c) => c.name === rule.column)?.type ?? "string";
    return isNumericType(type) ? !rule.values.some((a) => parseValue(type, a) === v) : !rule.values.includes(String(v));
  }
  if (rule.kind === "regex") return !ruleRegex(rule.pattern).test(String(v));
  const n = Number(v);
  if (rule.min !== undefined && (rule.minExclusive ? n <= rule.min : n < rule.min)) return true;
  if (rule.max !== undefined && (rule.maxExclusive ? n >= rule.max : n > rule.max)) return true;
  return false;
}

function applyUniqueRules(rules: Rule[], current: Map<string, CurrentRow>): void {
  for (const rule of rules) {
    if (rule.kind !== "unique") continue;
    const groups = new Map<string, CurrentRow[]>();
    for (const row of current.values()) {
      if (rule.columns.some((c) => row.values[c] === null)) continue;
      const k = rule.columns.map((c) => String(row.values[c])).join("|");
      groups.set(k, [...(groups.get(k) ?? []), row]);
    }
    for (const rows of groups.values()) if (rows.length > 1) rows.forEach((r) => r.labels.push(ruleLabel(rule)));
  }
}

function ruleLabel(rule: Rule): string {
  if (rule.label) return rule.label;
  return rule.kind === "unique" ? `unique:${rule.columns.join("+")}` : rule.kind === "expression" ? rule.label : `${rule.kind}:${rule.column}`;
}

function sortKeys(keys: string[]): string[] {
  const numeric = keys.every((k) => /^-?\d+$/.test(k));
  return numeric ? keys.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0)) : keys.sort();
}

/** Data rows of a CSV text with the header's names (tests use it to inspect generated files). */
export function readCsvRows(content: string): Record<string, string | null>[] {
  const [header, ...rows] = parseCsv(content);
  return rows.map((cells) => Object.fromEntries((header ?? []).map((h, i) => [h ?? "", cells[i] ?? null])));
}
