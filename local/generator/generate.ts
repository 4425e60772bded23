// The generator: a DMS-style full load (LOAD00000001.csv, no Op column) followed by timestamped
// change files (Op first), with the anomalies a real replication stream shows. Every choice comes
// from a seeded PRNG, so (dataset, seed, sizes, format) always produce the same bytes.
//
// Formats (docs/dms.md): "csv" is a header and the cdc_ts column (a DMS endpoint with
// AddColumnName=true and TimestampColumnName=cdc_ts); "dms-csv" is what DMS writes with its
// default endpoint settings: no header, no timestamp column, columns in source-table order;
// "dms-parquet" is DataFormat=parquet (this function writes its rows as "dms-csv" text under
// .parquet keys, and ParquetSink turns them into typed Parquet files).
import type { DatasetSpec } from "../../datasets";
import { DEFAULT_REFERENCES, PROFILES, type Profile, type References } from "./profiles";
import { profileFromSpec, unsupportedReason } from "./spec-profile";
import { Rng } from "./prng";
import { KeyPool } from "./key-pool";
import type { Sink } from "./sink";
import { dmsFileName, formatMicros, MICROS_PER_DAY, microsOf } from "./time-format";

/** What the files look like: see the top of this file and docs/dms.md. */
export type OutputFormat = "dms-csv" | "dms-parquet" | "csv";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["dms-csv", "dms-parquet", "csv"];
/** The format of a dms dataset's files unless asked otherwise; a csv dataset's are always "csv". */
export const DEFAULT_FORMAT: OutputFormat = "dms-csv";

export interface GenerateOptions {
  seed: number;
  /** @default DEFAULT_FORMAT for a dms dataset, "csv" for a csv one */
  format?: OutputFormat;
  /**
   * Rows per full-load file: DMS splits a large full load into LOAD00000001, LOAD00000002, ...
   * LOAD0000000A (a hexadecimal counter). @default all full-load rows in one file
   */
  loadFileRows?: number;
  /** Data rows over all files (full load + changes). */
  rows: number;
  /** Change files after the full load. @default 4 */
  files?: number;
  /** Rows of the full-load file. @default 40% of rows (all of them when files = 0) */
  loadRows?: number;
  /** Share of rows made bad (quarantined values or rejected key/cdc_ts/Op). @default 0.05 */
  badShare?: number;
  /**
   * Duplicates, cdc_ts ties, late changes, re-inserts and an out-of-order file name. Off gives
   * plain daily batches of inserts, updates and deletes (the incremental benchmark). @default true
   */
  anomalies?: boolean;
  /** Day of the first change file (UTC); the full load is the day before. @default "2026-11-01" */
  firstChangeDay?: string;
  /**
   * Key counts of the datasets this one references (an order's customer_id is drawn from
   * 1..customers): fullLoadKeys of those datasets when they are generated together.
   * @default DEFAULT_REFERENCES (sized for datasets generated on their own)
   */
  references?: Partial<References>;
}

export interface GeneratedFile {
  /** Object key relative to the output root: "<prefix><name>". */
  key: string;
  rows: number;
}

export interface GenerateReport {
  dataset: string;
  /** Full load first, then change files in name order (the order a landing listing shows). */
  files: GeneratedFile[];
  /** How many rows of each kind were written: insert, update, delete, reinsert, duplicate, tie,
   * cross_file_tie, late, quarantine:<corruption>, reject:<bad_key|bad_cdc_ts|bad_op>. */
  kinds: Record<string, number>;
  format: OutputFormat;
  /** The columns of every data row in file order (after Op in change files; "csv" also has a header). */
  columns: string[];
}

export const FULL_LOAD_NAME = "LOAD00000001.csv";

/** DMS full-load file n (1-based): "LOAD" and an 8-digit upper-case hexadecimal counter. */
export function fullLoadName(n: number, extension = "csv"): string {
  return `LOAD${n.toString(16).toUpperCase().padStart(8, "0")}.${extension}`;
}

/** The DMS formats write what DMS writes with default settings: no header, no timestamp column. */
export function isDmsFormat(format: OutputFormat): boolean {
  return format !== "csv";
}
export const DEFAULT_FILES = 4;
export const DEFAULT_BAD_SHARE = 0.05;

type Kind = "insert" | "update" | "delete" | "reinsert" | "duplicate" | "tie" | "late";
const ANOMALY_WEIGHTS: [Kind, number][] = [
  ["insert", 0.22],
  ["reinsert", 0.05],
  ["delete", 0.1],
  ["duplicate", 0.04],
  ["tie", 0.04],
  ["late", 0.03],
  ["update", 1],
];
// Plain batches are mostly updates, so a day's changes barely grow the key space (tombstones
// stay in state): the incremental benchmark then measures history growth, not state growth.
const PLAIN_WEIGHTS: [Kind, number][] = [
  ["insert", 0.02],
  ["delete", 0.02],
  ["update", 1],
];

interface Row {
  op: string;
  key: number;
  values: string[];
  ts: string;
  line: string;
}

/**
 * Rows of the full load, one per key: keys 1..n exist after it (until a change deletes one). A
 * dataset generated with these options can be referenced with that range (options.references).
 */
export function fullLoadKeys(options: Pick<GenerateOptions, "rows" | "files" | "loadRows">): number {
  const files = options.files ?? DEFAULT_FILES;
  return Math.min(options.rows, files === 0 ? options.rows : (options.loadRows ?? Math.round(options.rows * 0.4)));
}

/**
 * References between datasets generated with the same rows and files (`datalake generate --all`,
 * the demo): each foreign key names a key of the other dataset's full load.
 */
export function sameShapeReferences(options: Pick<GenerateOptions, "rows" | "files" | "loadRows">): References {
  const keys = fullLoadKeys(options);
  return { customers: keys, orders: keys, products: keys };
}

export function generate(spec: DatasetSpec, options: GenerateOptions, sink: Sink): GenerateReport {
  const profile = profileFor(spec);
  const format = options.format ?? (spec.format === "dms" ? DEFAULT_FORMAT : "csv");
  if (!OUTPUT_FORMATS.includes(format)) throw new Error(`unknown output format "${format}" (known: ${OUTPUT_FORMATS.join(", ")})`);
  const dms = isDmsFormat(format);
  // A csv dataset reads a header: headerless DMS files are for format "dms" (docs/dms.md).
  if (dms && spec.format !== "dms") throw new Error(`dataset "${spec.name}" has format ${spec.format}: ${format} files need format "dms"`);
  // Parquet columns are typed: a value that does not parse cannot be written (ParquetSink casts).
  const typed = format === "dms-parquet";
  const extension = typed ? "parquet" : "csv";
  const files = options.files ?? DEFAULT_FILES;
  const rows = options.rows;
  const loadRows = fullLoadKeys(options);
  const refs: References = { ...DEFAULT_REFERENCES, ...options.references };
  const badShare = options.badShare ?? DEFAULT_BAD_SHARE;
  const anomalies = options.anomalies ?? true;
  const firstDay = microsOf(`${options.firstChangeDay ?? "2026-11-01"}T00:00:00Z`);
  const opColumn = spec.cdc?.opColumn ?? "Op";
  const keyColumn = spec.primaryKey[0];
  const seqColumn = spec.cdc?.sequenceColumns[0] ?? "cdc_ts";
  // Each field of a row in the spec's column order: the key, the sequence, or a profile value.
  const valueAt = new Map(profile.columns.map((c, i) => [c, i]));
  // DMS writes the source table's columns; TimestampColumnName is unset by default, so the
  // dataset's declared dms.timestampColumn is not in the file.
  const layout = spec.columns.map((c) => c.name).filter((name) => !(dms && name === spec.dms?.timestampColumn));
  const writesTs = layout.includes(seqColumn);
  const stringKey = spec.columns.find((c) => c.name === keyColumn)?.type === "string";

  const rng = new Rng((options.seed ^ hashName(spec.name)) >>> 0);
  const kinds: Record<string, number> = {};
  const count = (kind: string): void => void (kinds[kind] = (kinds[kind] ?? 0) + 1);
  const alive = new KeyPool(rows + 1);
  const deleted = new KeyPool(rows + 1);
  let lastKey = 0;
  const written: GeneratedFile[] = [];

  const tsText = (t: number): string => {
    const r = rng.int(20);
    // Mostly microseconds; some milliseconds and whole seconds, as different DMS settings write.
    if (r === 0) return formatMicros(t - (t % 1_000_000), 0);
    if (r <= 2) return formatMicros(t - (t % 1000), 3);
    return formatMicros(t, 6);
  };

  // A headerless file's layout is read off its first record (engine/file-layout.ts): a bad Op
  // there quarantines the whole file (column_count), not one row, so that row gets another fault.
  let headerlessFirst = false;

  /** Builds a row's line, corrupting it with probability badShare. */
  const emit = (op: string | null, key: number, values: string[], ts: string): Row => {
    const opFaultable = op !== null && !headerlessFirst;
    headerlessFirst = false;
    let keyText = String(key);
    let opText = op ?? "";
    if (rng.chance(badShare)) {
      if (op !== "D" && profile.corruptions.length > 0 && rng.chance(0.7)) {
        const corrupted = values.slice();
        const kind = rng.pick(profile.corruptions)(rng, corrupted);
        // A typed Parquet column holds no unparseable text: that row stays good.
        if (!(typed && kind.startsWith("bad_type:"))) {
          values = corrupted;
          count(`quarantine:${kind}`);
        }
      } else {
        // The faults this layout can carry: a key, a cdc_ts (only when written), an Op (change files).
        const faults = ["key", ...(writesTs ? ["ts"] : []), ...(opFaultable ? ["op"] : [])];
        const fault = faults[rng.int(faults.length)];
        if (fault === "key") {
          // A string key (or a typed Parquet key) has no unparseable form but the empty one.
          keyText = stringKey || typed ? "" : rng.pick(["", `K${key}`]);
          count("reject:bad_key");
        } else if (fault === "ts") {
          ts = rng.pick(["", "not-a-time", "2026-11-31 25:00:00"]);
          count("reject:bad_cdc_ts");
        } else {
          opText = rng.pick(["X", "R"]);
          count("reject:bad_op");
        }
      }
    }
    const fields = layout.map((name) => (name === keyColumn ? keyText : name === seqColumn ? ts : values[valueAt.get(name)!]));
    const body = `${fields.join(",")}\n`;
    return { op: op ?? "I", key, values, ts, line: op === null ? body : `${opText},${body}` };
  };

  const header = layout.join(",");

  // Full load: one insert per key, cdc_ts within the day before the first change day, split
  // into LOAD files of loadFileRows rows as DMS splits by MaxFileSize.
  const perLoadFile = Math.max(1, options.loadFileRows ?? loadRows);
  const start = firstDay - MICROS_PER_DAY;
  for (let i = 0; i < loadRows; i++) {
    if (i % perLoadFile === 0) {
      if (i > 0) sink.close();
      const key = `${spec.prefix}${fullLoadName(written.length + 1, extension)}`;
      sink.open(key);
      if (!dms) sink.write(`${header}\n`);
      written.push({ key, rows: Math.min(perLoadFile, loadRows - i) });
    }
    const k = ++lastKey;
    alive.add(k);
    const t = start + Math.floor(((i + rng.float()) * MICROS_PER_DAY) / loadRows);
    sink.write(emit(null, k, profile.values(rng, k, refs), tsText(t)).line);
    count("insert");
  }
  if (loadRows > 0) sink.close();
  const loadFiles = written.length;

  // Change files: batch b holds day b. With anomalies the last two batches swap names, so a
  // later file name holds earlier cdc_ts (files arriving out of order).
  const changeRows = rows - loadRows;
  const names = Array.from({ length: files }, (_, b) => dmsFileName(firstDay + b * MICROS_PER_DAY + 3_600_000_000, extension));
  // Without a timestamp column the file names are the order (DMS names a file by its commit
  // time), so a swapped name or a "late" row would be a different history, not an anomaly.
  if (anomalies && writesTs && files >= 2) [names[files - 2], names[files - 1]] = [names[files - 1], names[files - 2]];
  const weights = !anomalies ? PLAIN_WEIGHTS : writesTs ? ANOMALY_WEIGHTS : ANOMALY_WEIGHTS.filter(([kind]) => kind !== "late");
  let lastOfPrevious: Row | null = null;
  for (let b = 0; b < files; b++) {
    const n = Math.floor(changeRows / files) + (b < changeRows % files ? 1 : 0);
    const key = `${spec.prefix}${names[b]}`;
    sink.open(key);
    if (!dms) sink.write(`${opColumn},${header}\n`);
    headerlessFirst = dms && !typed;
    const windowStart = firstDay + b * MICROS_PER_DAY;
    let prev: Row | null = null;
    for (let j = 0; j < n; j++) {
      const t = windowStart + Math.floor(((j + rng.float()) * MICROS_PER_DAY) / n);
      let row: Row;
      if (anomalies && j === 0 && lastOfPrevious && lastOfPrevious.op !== "D") {
        // Same key and cdc_ts as the previous file's last row: the object key breaks the tie.
        row = emit("U", lastOfPrevious.key, profile.values(rng, lastOfPrevious.key, refs), lastOfPrevious.ts);
        count("cross_file_tie");
      } else {
        row = changeRow(pickKind(rng, weights), t, prev);
      }
      sink.write(row.line);
      if (row.op !== "late") prev = row;
    }
    sink.close();
    written.push({ key, rows: n });
    lastOfPrevious = prev;
  }

  function changeRow(kind: Kind, t: number, prev: Row | null): Row {
    if ((kind === "update" || kind === "delete") && alive.size === 0) kind = "insert";
    if (kind === "reinsert" && deleted.size === 0) kind = "insert";
    if ((kind === "duplicate" || kind === "tie") && (prev === null || prev.op === "D")) kind = "update";
    if (kind === "late" && alive.size + deleted.size === 0) kind = "insert";
    if (kind === "update" && alive.size === 0) kind = "insert";
    count(kind);
    switch (kind) {
      case "insert": {
        const k = ++lastKey;
        alive.add(k);
        return emit("I", k, profile.values(rng, k, refs), tsText(t));
      }
      case "reinsert": {
        const k = deleted.pick(rng);
        deleted.remove(k);
        alive.add(k);
        return emit("I", k, profile.values(rng, k, refs), tsText(t));
      }
      case "update": {
        const k = alive.pick(rng);
        return emit("U", k, profile.values(rng, k, refs), tsText(t));
      }
      case "delete": {
        const k = alive.pick(rng);
        alive.remove(k);
        deleted.add(k);
        return emit("D", k, profile.values(rng, k, refs), tsText(t));
      }
      case "duplicate":
        return { ...(prev as Row) };
      case "tie": {
        const p = prev as Row;
        return emit("U", p.key, profile.values(rng, p.key, refs), p.ts);
      }
      case "late": {
        // Older than anything written (before the full load): it must never win, even over a delete.
        const k = deleted.size > 0 && (alive.size === 0 || rng.chance(0.5)) ? deleted.pick(rng) : alive.pick(rng);
        const old = firstDay - 2 * MICROS_PER_DAY - rng.int(MICROS_PER_DAY);
        const row = emit(rng.chance(0.5) ? "U" : "D", k, profile.values(rng, k, refs), tsText(old));
        return { ...row, op: "late" };
      }
    }
  }

  const load = written.slice(0, loadFiles);
  const changes = written.slice(loadFiles).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { dataset: spec.name, files: [...load, ...changes], kinds, format, columns: layout };
}

function pickKind(rng: Rng, weights: [Kind, number][]): Kind {
  let r = rng.float();
  for (const [kind, w] of weights) {
    if (r < w) return kind;
    r -= w;
  }
  return "update";
}

/**
 * Why no sample files can be generated for the dataset (a spec the derived profile does not
 * cover, such as a composite key), or undefined: a hand-written profile always can.
 */
export function generationProblem(spec: DatasetSpec): string | undefined {
  return PROFILES[spec.name] ? undefined : unsupportedReason(spec);
}

/** The dataset's hand-written profile, else one derived from its spec (spec-profile.ts). */
export function profileFor(spec: DatasetSpec): Profile {
  const written = PROFILES[spec.name];
  if (written) {
    checkColumns(spec, written.columns);
    return written;
  }
  const unsupported = unsupportedReason(spec);
  if (unsupported) throw new Error(`cannot generate sample data for dataset "${spec.name}": ${unsupported}`);
  return profileFromSpec(spec);
}

function checkColumns(spec: DatasetSpec, profileColumns: string[]): void {
  const expected = [spec.primaryKey[0], ...profileColumns, "cdc_ts"].join(",");
  const actual = spec.columns.map((c) => c.name).join(",");
  if (spec.primaryKey.length !== 1 || expected !== actual) {
    throw new Error(`generator profile for ${spec.name} expects columns ${expected}, spec has ${actual}`);
  }
}

/** FNV-1a, so each dataset gets its own stream from one --seed. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
