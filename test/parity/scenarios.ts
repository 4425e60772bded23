// Generated CDC scenarios for the engine parity suite, from the spec alone (plus the sample-data
// generator where a dataset has a profile): every run is a manifest both engines load, in order.
//   batch 1  full load + change files (inserts, updates, deletes, re-inserts, duplicates, ties,
//            late changes, bad rows) + an edge-value file (every tricky value of every column's
//            type, bad keys, sequences and Ops) + whole-file faults (empty, header only, not UTF-8,
//            not CSV, a missing column, malformed CSV, BOM + CRLF + reordered and extra columns)
//   batch 2  the remaining change files (one name out of order), a file of batch 1 dropped again
//            (same version), one listed twice, and a new version of a batch-1 key
//   refresh  a full refresh from bronze, no new files
// dmsScenario: a dms dataset's files as DMS writes them (headerless, gzip, Op and timestamp
// layouts) and every whole-file reason of the byte and layout checks.
import { createHash } from "crypto";
import { gzipSync } from "zlib";
import { mkdirSync, truncateSync, writeFileSync } from "fs";
import { dirname, join } from "path";
import { defineDataset, type DatasetSpec } from "../../datasets";
import type { ColumnType } from "../../datasets/define";
import type { Manifest, ManifestFile } from "../../engine/contracts";
import { MAX_FILE_BYTES } from "../../engine/file-bytes";
import { generate } from "../../local/generator/generate";
import { profileFor } from "../../local/generator/generate";
import { DEFAULT_REFERENCES } from "../../local/generator/profiles";
import { Rng } from "../../local/generator/prng";
import { MemorySink } from "../../local/generator/sink";

export interface ScenarioRun {
  label: string;
  manifest: Manifest;
  /** The spec this run loads with, when not the scenario's (a spec edit between runs). */
  spec?: DatasetSpec;
  /** The audit that must refuse this run's publish on both engines (tables then stay as they were). */
  refusedBy?: string;
}

/** Raw values that parse on one engine and not the other unless the typing rules hold exactly. */
export const TRICKY: Record<string, string[]> = {
  int: ["", " 42 ", "+7", "-0", "007", "1e3", "1.0", "-3.", "12.0000000000", "1.50", "5\n", "6.0\n", "2147483647", "2147483648", "2147483647.00", "-2147483649", "0x1F", "４２", "4 2", "\u00a042", "42\u3000", "42", "-42"],
  bigint: ["", " 42 ", "+7", "-0", "007", "1e3", "1.0", "1.0000000000", ".0", "1.01", "9223372036854775807", "9223372036854775808", "0x1F", "４２"],
  decimal: ["", "1.25\n", "1.999", "1.005", "1.990", "-.50", "0.5", ".5", "5.", "-0.00", "+3.10", " 7.25 ", "7.25\u00a0", "1e2", "99999999999.99", "NaN", "1,5", "7.25", "-0.50", "7.2", "0E-10", "1.200E-7", "1E-7"],
  double: ["", "2.5\r\n", "1e308", "1e309", "-1e309", "1.7976931348623157e308", "1.7976931348623159e308", "-1e-320", "1e-400", "0.0e-400", "-0e5", "NaN", "inf", "-0.0", "1.5E-3", " 2.5 ", "0x10", "1_000"],
  boolean: ["", "true", "T", "yes", "Y", "1", "FALSE", "n", "0", "maybe", " true ", "\u00a0true"],
  date: ["", "2026-11-20\n", "2026-11-20", "2024-02-29", "2026-02-29", "2026-11-20 00:00:00", "20261120", "0001-01-01", "9999-12-31", "2026-1-2", "10000-01-01", "+10000-01-01", "0000-01-01", "0001-01-01 (BC)",
    "2026-11-20T00:00:00", "2026-11-20 00:00:00.000", "2026-11-20 00:00:01", "2026-11-20 12:00:00", "2026-11-20 00:00:00.0000001", "2026-11-20 00:00",
    " 2026-11-20 ", "\u00a02026-11-20", "\t2026-11-20",
    "2026-11-20T00:00:00.000Z", "2026-11-20 00:00:00+00:00", "2026-11-20T00:00:00-0000", "2026-11-20T00:00:00z", "2026-11-20Z",
    "2026-11-20T01:00:00.000Z", "2026-11-20T00:00:00+01:00", "2026-11-20T00:00:00.0000001Z"],
  timestamp: [
    "", "2026-11-20 09:00:00", "2026-11-20 09:00:00\n", "2026-11-20T09:00:00", "2026-11-20 09:00:00.123", "2026-11-20 09:00:00.1234567",
    "2026-02-30 00:00:00", "2026-11-20 24:00:00", "2026-11-20", "2026-11-20 09:00", "2026-11-20 09:00:00Z",
    "2026-11-20 09:00:00+02:00", " 2026-11-20 09:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999",
    "2026-11-20 09:00:00.5", "2026-11-20 09:00:00.500000", "10000-01-01 00:00:00", "+10000-01-01 00:00:00", "0001-01-01 00:00:00 (BC)",
    "2026-11-20 09:00:00.1234560", "2026-11-20 09:00:00.123456789", "2026-11-20 09:00:00.000000000", "2026-11-20T09:00:00.5000000",
    "2026-11-20 09:00:00.", "9999-12-31 23:59:59.9999990", "2026-11-20T09:00:00 ", "2026-11-20 09:00:00\u00a0",
    "2026-11-20T09:00:00.123Z", "2026-11-20T09:00:00.000000000Z", "2026-11-20 09:00:00+00:00", "2026-11-20 09:00:00.5-0000",
    "2026-11-20T09:00:00+00", "2026-11-20T09:00:00z", " 2026-11-20T09:00:00Z ", "2026-11-20 09:00:00.1234567Z",
    "2026-11-20 09:00:00 Z", "2026-11-20 09:00:00+01:00", "2026-11-20 09:00:00+0030", "2026-11-20 09:00:00ZZ", "2026-11-20 09:00Z",
  ],
  string: ["", "tail\n", "  padded  ", "back\\slash", 'say "hi"', "multi\nline", "ünïcödé", "emoji 🎉", "NULL", "null", "tab\there", "it's", "comma, inside", "\u00a0", "\u3000x\u00a0"],
};
export const TRICKY_OPS = ["i", " U ", "d", "X", "", "UPDATE", "D\u00a0"];

const typeKey = (type: ColumnType): string => (type.startsWith("decimal") ? "decimal" : type);

/** One CSV line in the spec's dialect: fields quoted when they hold the delimiter, quote or a line end. */
export function csvLine(spec: DatasetSpec, fields: string[]): string {
  const { delimiter, quote } = spec.csv;
  const needs = (v: string) => v.includes(delimiter) || v.includes(quote) || /[\r\n]/.test(v);
  return fields.map((v) => (needs(v) ? `${quote}${v.split(quote).join(quote + quote)}${quote}` : v)).join(delimiter);
}

/** A valid raw value per type, for columns an edge row does not vary. */
function plainValue(type: ColumnType, n: number): string {
  switch (typeKey(type)) {
    case "int":
    case "bigint":
      return String(n);
    case "decimal":
      return `${n % 1000}.25`;
    case "double":
      return `${n % 100}.5`;
    case "boolean":
      return n % 2 === 0 ? "true" : "false";
    case "date":
      return "2026-11-20";
    case "timestamp":
      return `2026-11-20 ${String(n % 24).padStart(2, "0")}:00:00`;
    default:
      return `v${n}`;
  }
}

interface FileSpec {
  name: string;
  content: string | Buffer;
}

/** The header + rows of an edge-value file: every tricky value of every column, one row each. */
export function edgeFile(spec: DatasetSpec, baseRow: (key: number) => Record<string, string>, firstKey: number): string {
  const op = spec.cdc?.opColumn;
  const columns = [...(op ? [op] : []), ...spec.columns.map((c) => c.name)];
  const seq = spec.cdc?.sequenceColumns ?? [];
  const lines = [csvLine(spec, columns)];
  let key = firstKey;
  const row = (values: Record<string, string>, opValue = "U") =>
    lines.push(csvLine(spec, columns.map((c) => (c === op ? opValue : values[c] ?? ""))));
  const fresh = (): Record<string, string> => {
    const k = key++;
    const values = baseRow(k);
    for (const pk of spec.primaryKey) {
      const col = spec.columns.find((c) => c.name === pk)!;
      values[pk] = typeKey(col.type) === "string" ? `k${k}` : plainValue(col.type, k);
    }
    seq.forEach((s, i) => (values[s] = plainValue(spec.columns.find((c) => c.name === s)!.type, 10 + i)));
    return values;
  };
  for (const column of spec.columns) {
    const marker = spec.csv.nullValue ? [spec.csv.nullValue, ` ${spec.csv.nullValue}`] : [];
    for (const value of [...TRICKY[typeKey(column.type)], ...marker]) {
      const values = fresh();
      values[column.name] = value;
      row(values, "I");
    }
  }
  if (op) {
    for (const value of TRICKY_OPS) row(fresh(), value);
    // One key through its life in one file: insert, a tie on the sequence (row order decides),
    // delete, then an update that revives it.
    const life = fresh();
    row(life, "I");
    row({ ...life, ...mutate(spec, life) }, "U");
    row(life, "D");
    if (seq.length > 0) {
      const later = { ...life };
      later[seq[0]] = plainValue(spec.columns.find((c) => c.name === seq[0])!.type, 23);
      row(later, "U");
    }
  }
  return lines.join("\n") + "\n";
}

/** A copy of a row with its first non-key, non-sequence column changed. */
function mutate(spec: DatasetSpec, values: Record<string, string>): Record<string, string> {
  const fixed = new Set([...spec.primaryKey, ...(spec.cdc?.sequenceColumns ?? [])]);
  const column = spec.columns.find((c) => !fixed.has(c.name));
  return column ? { [column.name]: plainValue(column.type, 7) } : {};
}

/** Files that test whole-file handling: each is accepted or rejected the same way by both engines. */
export function faultFiles(spec: DatasetSpec, header: string[], good: string[]): FileSpec[] {
  const { delimiter: sep, quote: q } = spec.csv;
  const line = (fields: string[]) => csvLine(spec, fields);
  const required = spec.columns.find((c) => !c.optional && !spec.primaryKey.includes(c.name));
  const keep = (_: string, i: number) => header[i] !== required?.name;
  const reverse = (fields: string[]) => [...fields].reverse();
  return [
    { name: "empty.csv", content: "" },
    { name: "header-only.csv", content: `${line(header)}\n` },
    { name: "not-utf8.csv", content: Buffer.concat([Buffer.from(`${line(header)}\n`), Buffer.from([0xff, 0xfe, 0x41, 0x0a])]) },
    { name: "not-csv.csv", content: "alpha;beta\n1;2\n" },
    { name: "missing-column.csv", content: `${line(header.filter(keep))}\n${line(good.filter(keep))}\n${line(good.filter(keep))}\n` },
    { name: "unterminated-quote.csv", content: `${line(header)}\n${line(good)}\n${q}open${sep}quote\n` },
    { name: "too-many-fields.csv", content: `${line(header)}\n${line(good)}${sep}extra\n` },
    // Files DuckDB's reader and Python's csv module read differently unless the shared rules
    // (engine/csv-rules.ts) reject them first.
    { name: "space-before-quote.csv", content: `${line(header)}\n${line(good)}\n ${q}${good[0]}${q}${sep}${line(good.slice(1))}\n` },
    { name: "space-after-quote.csv", content: `${line(header)}\n${q}${good[0]}${q} ${sep}${line(good.slice(1))}\n` },
    { name: "bare-cr.csv", content: `${line(header)}\n${line(good)}\r${line(good)}\n` },
    { name: "json-lines.csv", content: `{${q}${header[0]}${q}: 1, ${q}x${q}: 2}\n{${q}${header[0]}${q}: 2}\n` },
    { name: "quoted-header.csv", content: `${line(header.map((h) => `${q}${h}${q}`))}\n${line(good)}\n` },
    // Header names match the spec case-insensitively (a lowercase `op` is still the Op column)
    // and without spaces around them (`Op ` is the Op column; `id, Op, seq` a header); two names
    // equal but for case are one column twice.
    { name: "header-other-case.csv", content: `${line(header.map(swapCase))}\n${line(good)}\n` },
    { name: "duplicate-by-case.csv", content: `${line([...header, header[header.length - 1].toUpperCase()])}\n${line([...good, good[good.length - 1]])}\n` },
    ...(spec.cdc ? [{ name: "op-with-space.csv", content: `${line(header.map((h) => (h === spec.cdc!.opColumn ? `${h} ` : h)))}\n${line(good)}\n` }] : []),
    { name: "header-spaced.csv", content: `${header.join(`${sep} `)}\n${line(good)}\n` },
    // A delimiter after every header name and value (an export's trailing delimiters): two
    // unnamed extra columns, which are never read, so no duplicate column.
    { name: "trailing-delimiters.csv", content: `${line(header)}${sep}${sep}\n${line(good)}${sep}${sep}\n` },
    // Empty lines before the header are no records: the header is the first line after them.
    // With mixed line ends such a file is refused (DuckDB's reader counts those lines its own way).
    { name: "blank-lines-first.csv", content: `\uFEFF\n\n${line(header)}\n${line(good)}\n\n${line(good)}\n` },
    { name: "blank-lines-first-crlf.csv", content: `\r\n${line(header)}\r\n${line(good)}\r\n` },
    { name: "blank-lines-mixed.csv", content: `\n\r\n${line(header)}\n${line(good)}\n` },
    {
      name: "bom-crlf-reordered-extra.csv",
      content: `\uFEFF${line([...reverse(header), "extra_col"])}\r\n${line([...reverse(good), "x"])}\r\n\r\n${line([...reverse(good), "y\r\nz"])}\r\n`,
    },
  ];
}

function swapCase(name: string): string {
  return [...name].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
}

/**
 * The entry made a sparse file just over the largest file the engines read (engine/file-bytes.ts
 * MAX_FILE_BYTES): quarantined before it is read, so its 2 GiB take no disk and no time.
 */
export function overTwoGiB(entry: ManifestFile): ManifestFile {
  truncateSync(entry.localPath!, MAX_FILE_BYTES + 1);
  return { ...entry, size: MAX_FILE_BYTES + 1 };
}

export class ScenarioFiles {
  private n = 0;
  constructor(
    private readonly dir: string,
    private readonly spec: DatasetSpec,
  ) {}

  /**
   * A manifest entry for `content` under object key `<prefix><name>`, kept at a unique local path.
   * `versionId`: instead of one from the content's hash; `sequencer`: instead of the file's number.
   */
  file(name: string, content: string | Buffer, receivedAt: string, versionId?: string, sequencer?: string): ManifestFile {
    const key = `${this.spec.prefix}${name}`;
    const bytes = typeof content === "string" ? Buffer.from(content) : content;
    const md5 = createHash("md5").update(bytes).digest("hex");
    const local = join(this.dir, "landing", `${++this.n}-${name}`);
    mkdirSync(dirname(local), { recursive: true }); // names may hold folders (DMS schema/table/date)
    writeFileSync(local, bytes);
    return {
      fileId: `landing/${key}#${md5.slice(0, 12)}`,
      bucket: "landing",
      key,
      versionId: versionId ?? `ver-${md5.slice(0, 12)}`,
      etag: md5,
      sequencer: sequencer ?? String(this.n).padStart(16, "0"),
      size: bytes.length,
      receivedAt,
      localPath: local,
    };
  }
}

const manifest = (spec: DatasetSpec, runId: string, files: ManifestFile[], fullRefresh = false): Manifest => ({
  version: 1,
  dataset: spec.name,
  runId,
  createdAt: "2026-11-21T00:00:00.000Z",
  ...(fullRefresh ? { fullRefresh: true } : {}),
  files,
});

/** The scenario of a dataset with a sample-data profile (the reference datasets). */
export function referenceScenario(spec: DatasetSpec, dir: string, seed: number): ScenarioRun[] {
  const profile = profileFor(spec);
  const sink = new MemorySink();
  generate(spec, { format: "csv", seed, rows: 240, files: 4, badShare: 0.08 }, sink);
  const files = new ScenarioFiles(dir, spec);
  const day1 = "2026-11-21T08:00:00.000Z";
  const day2 = "2026-11-22T08:00:00.000Z";
  const generated = sink.files.map((f) => ({ name: f.key.slice(spec.prefix.length), content: f.content }));
  const [load, ...changes] = generated;
  // Profile values come CSV-ready (quoted where needed); edgeFile quotes again, so unquote here.
  const unquote = (v: string) => (v.startsWith('"') ? v.slice(1, -1).replace(/""/g, '"') : v);
  const base = (key: number): Record<string, string> => {
    const names = profile.columns;
    const values = profile.values(new Rng(key), key, DEFAULT_REFERENCES);
    return Object.fromEntries(names.map((n, i) => [n, unquote(values[i])]));
  };
  const header = load.content.split("\n")[0].split(spec.csv.delimiter);
  const [key, seq] = [spec.primaryKey[0], spec.cdc?.sequenceColumns[0]];
  const good = spec.columns.map((c) => (c.name === key ? "7" : c.name === seq ? "2026-10-31 12:00:00" : base(7)[c.name] ?? ""));
  const batch1 = [
    files.file(load.name, load.content, day1),
    files.file(changes[0].name, changes[0].content, day1),
    files.file(changes[1].name, changes[1].content, day1),
    files.file("edge-values.csv", edgeFile(spec, base, 900_000), day1),
    ...faultFiles(spec, header, good).map((f) => files.file(f.name, f.content, day1)),
  ];
  const edited = `${changes[0].content}${changes[0].content.split("\n")[1]}\n`; // a row appended
  const again = files.file(changes[2].name, changes[2].content, day2);
  // The edited file is a new version of changes[0]'s key whose id sorts before the first one's:
  // its rows tie with the first version's on sequence, key and row, and arrival decides.
  const reupload = files.file(changes[0].name, edited, day2, "ver-000000000000");
  // A new version of changes[1]'s key PUT within the same second as the first (same arrival,
  // an id that sorts before): the S3 sequencer decides, compared right-padded (this one is
  // shorter than the first's and orders after it; left-padded it would order before).
  const sameSecond = `${changes[1].content}${changes[1].content.split("\n")[1]}\n`;
  const resent = files.file(changes[1].name, sameSecond, day1, "ver-000000000001", "000000000000001");
  const batch2 = [again, files.file(changes[3].name, changes[3].content, day2), batch1[0], again, reupload, resent];
  return [
    { label: "batch 1", manifest: manifest(spec, "run-1", batch1) },
    { label: "batch 2", manifest: manifest(spec, "run-2", batch2) },
    { label: "full refresh", manifest: manifest(spec, "run-3", [], true) },
  ];
}

/** The scenario of a spec without a profile: edge values and faults only, twice, then a refresh. */
export function specScenario(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const base = (key: number): Record<string, string> =>
    Object.fromEntries(spec.columns.map((c) => [c.name, c.optional && key % 3 === 0 ? "" : plainValue(c.type, key)]));
  const edges = edgeFile(spec, base, 1);
  const header = [...(spec.cdc ? [spec.cdc.opColumn] : []), ...spec.columns.map((c) => c.name)];
  const good = header.map((h) => (h === spec.cdc?.opColumn ? "I" : base(5)[h] ?? ""));
  // A file whose header leaves out the optional columns: they load as NULL.
  const present = header.filter((h) => !spec.columns.find((c) => c.name === h)?.optional);
  const optionalAbsent = [present, ...[1, 2, 3].map((k) => present.map((h) => (h === spec.cdc?.opColumn ? "U" : base(2000 + k)[h])))]
    .map((fields) => csvLine(spec, fields))
    .join("\n");
  const day = (d: number) => `2026-11-2${d}T08:00:00.000Z`;
  const batch1 = [
    files.file("edges.csv", edges, day(1)),
    ...faultFiles(spec, header, good).map((f) => files.file(f.name, f.content, day(1))),
  ];
  const batch2 = [files.file("edges-again.csv", `${edges}${csvLine(spec, good)}\n`, day(2)), files.file("optional-absent.csv", optionalAbsent, day(2)), batch1[0]];
  return [
    { label: "batch 1", manifest: manifest(spec, "run-1", batch1) },
    { label: "batch 2", manifest: manifest(spec, "run-2", batch2) },
    { label: "full refresh", manifest: manifest(spec, "run-3", [], true) },
  ];
}

/** `xz -c` of "a,b\n1,2\n" (Node has no xz): bytes of a compression the platform refuses by name. */
export const XZ_TEXT = Buffer.from("/Td6WFoAAATm1rRGAgAhARYAAAB0L+WjAQAHYSxiCjEsMgoAvpy9SbUSKv4AASAIuxnZux+2830BAAAAAARZWg==", "base64");

/**
 * A dms dataset's files as an AWS DMS S3 target writes them (issue 12): headerless, LOAD files
 * without Op and CDC files with Op first, the timestamp column last, first or absent, gzip;
 * plus each whole-file reason of the byte and layout checks (header only, empty, line ends only,
 * corrupt gzip, Parquet, a layout that fits nothing, a row of another width, not UTF-8, xz,
 * UTF-16, another delimiter).
 */
export function dmsScenario(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const profile = profileFor(spec);
  const ts = spec.dms?.timestampColumn;
  if (!ts) throw new Error(`dmsScenario: ${spec.name} has no dms.timestampColumn`);
  const key = spec.primaryKey[0];
  const dataColumns = spec.columns.map((c) => c.name).filter((c) => c !== ts);
  const unquote = (v: string) => (v.startsWith('"') ? v.slice(1, -1).replace(/""/g, '"') : v);
  const values = (k: number, variant = 0): string[] => {
    const row = profile.values(new Rng(k * 7 + variant), k, DEFAULT_REFERENCES).map(unquote);
    const byName = Object.fromEntries(profile.columns.map((n, i) => [n, row[i]]));
    return dataColumns.map((c) => (c === key ? String(k) : byName[c] ?? ""));
  };
  const stamp = (minute: number) => `2026-11-20 10:${String(minute).padStart(2, "0")}:00.000000`;
  type Where = "first" | "last" | "none";
  const record = (fields: string[], op: string | null, at: string, where: Where) =>
    csvLine(spec, [...(op ? [op] : []), ...(where === "first" ? [at] : []), ...fields, ...(where === "last" ? [at] : [])]);
  const text = (rows: string[]) => rows.join("\n") + "\n";
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

  const load1 = text(range(1, 30).map((k) => record(values(k), null, stamp(0), "last")));
  const load2 = gzipSync(text(range(31, 15).map((k) => record(values(k), null, stamp(0), "first"))));
  const load3 = text(range(46, 5).map((k) => record(values(k), null, "", "none"))); // no TimestampColumnName
  const cdc1 = text([
    ...range(1, 8).map((k) => record(values(k, 1), "U", stamp(5), "last")),
    ...range(9, 4).map((k) => record(values(k), "D", stamp(5), "last")),
    // One transaction: an update then a delete of one key at the same commit time.
    record(values(13, 1), "U", stamp(6), "last"),
    record(values(13, 1), "D", stamp(6), "last"),
    ...range(60, 4).map((k) => record(values(k), "I", stamp(7), "last")),
    // An insert with its first non-key column empty (orders: customer_id, a not_null rule).
    record(values(64).map((v, i) => (i === 1 ? "" : v)), "I", stamp(7), "last"),
  ]);
  const cdc2 = gzipSync(text([...range(2, 5).map((k) => record(values(k, 2), "U", stamp(9), "first")), record(values(9), "I", stamp(9), "first")]));
  const cdc3 = text(range(31, 3).map((k) => record(values(k, 3), "U", "", "none"))); // Op, no timestamp
  // Line ends of two kinds (DuckDB's strict reader refused these well-formed files): LF records
  // whose value holds a CRLF or a bare CR (a Windows text column), CRLF records with a quoted LF
  // (a spreadsheet export). Column 3 is orders' status.
  const note = (k: number, value: string) => values(k).map((v, i) => (i === 3 ? value : v));
  const lfWithCrlf = text([record(note(70, "paid\r\nlate"), "I", stamp(8), "last"), record(note(71, "paid\rlate"), "I", stamp(8), "last"), record(values(72), "I", stamp(8), "last")]);
  const crlfWithLf = [record(note(73, "paid\nlate"), "I", stamp(8), "last"), record(values(74), "I", stamp(8), "last")].join("\r\n") + "\r\n";
  const good = record(values(99), "I", stamp(1), "last");
  const zipped = gzipSync(text([good]));
  const header = csvLine(spec, [spec.cdc?.opColumn ?? "Op", ...dataColumns, ts]);
  const files = new ScenarioFiles(dir, spec);
  const day1 = "2026-11-21T08:00:00.000Z";
  const day2 = "2026-11-22T08:00:00.000Z";
  const batch1 = [
    files.file("LOAD00000001.csv", load1, day1),
    files.file("LOAD00000002.csv.gz", load2, day1),
    files.file("LOAD00000003.csv", load3, day1),
    files.file("20261120-100500000.csv", cdc1, day1),
    files.file("20261120-100900000.csv.gz", cdc2, day1),
    files.file("20261120-101000000.csv", cdc3, day1),
    files.file("20261120-100800000.csv", lfWithCrlf, day1),
    files.file("20261120-100801000.csv.gz", gzipSync(crlfWithLf), day1),
    files.file("fault-header-only.csv", `${header}\n`, day1),
    files.file("fault-empty.csv.gz", gzipSync(""), day1),
    files.file("fault-line-ends.csv", "\r\n\n", day1),
    files.file("fault-truncated.csv.gz", zipped.subarray(0, zipped.length - 5), day1),
    files.file("fault-crc.csv.gz", Buffer.concat([zipped.subarray(0, zipped.length - 8), Buffer.alloc(4), zipped.subarray(zipped.length - 4)]), day1),
    files.file("fault-LOAD00000009.parquet", Buffer.from("PAR1\u0000\u0000PAR1"), day1),
    files.file("fault-LOAD0000000A.parquet.gz", gzipSync(Buffer.from("PAR1\u0000\u0000PAR1")), day1),
    files.file("fault-no-layout.csv", text([`X${spec.csv.delimiter}${good}`, `X${spec.csv.delimiter}${good}`]), day1),
    files.file("fault-other-width.csv", text([good, good.split(spec.csv.delimiter).slice(1).join(spec.csv.delimiter), good]), day1),
    files.file("fault-not-utf8.csv", Buffer.concat([Buffer.from(text([good])), Buffer.from([0xff, 0x0a]), Buffer.from(text([good]))]), day1),
    files.file("fault-xz.csv.gz", XZ_TEXT, day1),
    files.file("fault-utf16.csv", Buffer.from(`\uFEFF${text([good])}`, "utf16le"), day1),
    overTwoGiB(files.file("fault-3gb.csv", text([good]), day1)),
    // Another producer's delimiter: a header, then a headerless CDC record (the reason names it).
    files.file("fault-semicolons.csv", text([header, good].map((line) => line.split(spec.csv.delimiter).join(";"))), day1),
    files.file("fault-tabs.csv", text([good.split(spec.csv.delimiter).join("\t")]), day1),
  ];
  const cdc4 = gzipSync(text(range(20, 4).map((k) => record(values(k, 4), "U", stamp(30), "last"))));
  const batch2 = [files.file("20261120-103000000.csv.gz", cdc4, day2), batch1[1], batch1[6]];
  return [
    { label: "dms batch 1", manifest: manifest(spec, "run-1", batch1) },
    { label: "dms batch 2", manifest: manifest(spec, "run-2", batch2) },
    { label: "dms full refresh", manifest: manifest(spec, "run-3", [], true) },
  ];
}

/**
 * DMS change order on the orders dataset (docs/dms.md "Ordering, full-load race, reload, partial images"), header files (AddColumnName):
 *   run 1  full load (transfer timestamps later than the changes made during it) + CDC with the
 *          timestamp column: the full-load race, an update and a delete at one commit time,
 *          partial images (empty = not logged), an insert taken as written
 *   run 2  CDC without the timestamp column (file sequence only), more partial images, an
 *          update of a key never inserted (taken as written); a late CDC file ordered between
 *          key 3's full-load row and its partial update, and a full-load file whose key 7 had a
 *          partial update in run 1: both re-fill the update (refill_keys) as one run would
 *   run 3  reload-target: LOAD00000001 again (new version, received later, one key absent) and
 *          a CDC file after it whose partial update keeps the reloaded values
 *   run 4  a CDC file received at 13:10, then run 5 a second reload received at 13:00 (its event
 *          re-driven late): run 5 moves run 4's file into its generation, so it switches to a
 *          full refresh (compile.ts regenerationCheck) and run 4's update still wins
 *   run 6  full refresh
 */
export function dmsOrderScenario(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const at = (hhmm: string) => `2026-11-30T${hhmm}:00.000Z`;
  const text = (...rows: string[]) => rows.join("\n") + "\n";
  const load = "order_id,customer_id,order_ts,status,total_amount";
  const cdc = `Op,${load}`;
  const t = "2026-11-01 09:00:00";
  const run1 = [
    files.file("SALES/LOAD00000001.csv", text(`${load},cdc_ts`, `1,100,${t},pending,10.00,2026-11-30 10:05:00`, `2,100,${t},pending,20.00,2026-11-30 10:05:00`, `3,100,${t},pending,30.00,2026-11-30 10:05:00`, `4,100,${t},pending,40.00,2026-11-30 10:05:00`), at("10:05")),
    files.file("SALES/2026/11/30/20261130-100600000.csv", text(`${cdc},cdc_ts`, `U,1,100,${t},paid,10.00,2026-11-30 10:01:00`, `U,2,100,${t},shipped,20.00,2026-11-30 10:02:00`, `D,2,100,${t},shipped,20.00,2026-11-30 10:02:00`, `U,3,,,,33.00,2026-11-30 10:03:00`, `I,5,100,${t},,50.00,2026-11-30 10:04:00`, `U,7,,,paid,,2026-11-30 10:04:30`), at("10:06")),
  ];
  const run2 = [
    files.file("SALES/2026/11/30/20261130-110000000.csv", text(cdc, `U,4,,,,44.00`, `U,4,101,,,`, `U,6,101,${t},paid,60.00`), at("11:00")),
    files.file("SALES/2026/11/30/20261130-100230000.csv", text(`${cdc},cdc_ts`, `U,3,102,${t},paid,32.00,2026-11-30 10:02:30`), at("11:00")),
    files.file("SALES/LOAD00000002.csv", text(`${load},cdc_ts`, `7,107,${t},pending,70.00,2026-11-30 10:05:00`), at("11:00")),
  ];
  const run3 = [
    files.file("SALES/LOAD00000001.csv", text(load, `1,100,${t},cancelled,11.00`, `3,100,${t},refunded,31.00`), at("12:00")),
    files.file("SALES/2026/11/30/20261130-121000000.csv", text(cdc, `U,1,,,,12.00`, `U,4,,,shipped,`), at("12:10")),
  ];
  const cdcAfterReload = files.file("SALES/2026/11/30/20261130-131000000.csv", text(cdc, `U,3,100,${t},delivered,31.00`), at("13:10"));
  const lateReload = files.file("SALES/LOAD00000001.csv", text(load, `1,100,${t},closed,13.00`, `3,100,${t},reopened,31.00`), at("13:00"));
  return [
    { label: "run 1 (full load + CDC with timestamps)", manifest: manifest(spec, "run-1", run1) },
    { label: "run 2 (CDC without timestamps)", manifest: manifest(spec, "run-2", run2) },
    { label: "run 3 (reload)", manifest: manifest(spec, "run-3", run3) },
    { label: "run 4 (CDC received after a reload not loaded yet)", manifest: manifest(spec, "run-4", [cdcAfterReload]) },
    { label: "run 5 (the reload, loaded late: a full refresh)", manifest: manifest(spec, "run-5", [lateReload]) },
    { label: "full refresh", manifest: manifest(spec, "run-6", [], true) },
  ];
}

/** DMS output of a table whose first column is a string that can hold I, U or D (layoutByTypeScenario). */
export const ACCOUNTS = defineDataset({
  name: "accounts",
  prefix: "dbo/accounts/",
  format: "dms",
  dms: { timestampColumn: "cdc_ts" },
  columns: { kind: "string", account_id: "bigint", balance: "decimal(12,2)", cdc_ts: { type: "timestamp", optional: true } },
  primaryKey: ["account_id"],
  target: { table: "accounts" },
});

/**
 * Headerless DMS files of a table whose first column is a string holding "I", "U" or "D": Op +
 * no timestamp and no Op + timestamp last both fit a first record's shape, the column types
 * decide (engine/file-layout.ts fitsTypes). A LOAD file read without Op and timestamp last, a
 * CDC file with both, one with Op and no timestamp (written before TimestampColumnName was set),
 * and one whose first record fits no reading's types (the shape's first candidate, Op: its bad
 * values are row-level).
 */
export function layoutByTypeScenario(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const at = (hhmm: string) => `2026-11-30T${hhmm}:00.000Z`;
  const text = (...rows: string[]) => rows.join("\n") + "\n";
  const t = "2026-11-30 10:00:00";
  return [
    {
      label: "layouts decided by the column types",
      manifest: manifest(spec, "run-1", [
        files.file("dbo/accounts/LOAD00000001.csv", text(`I,1,10.00,${t}`, `B,2,20.00,${t}`, `D,3,30.00,${t}`), at("10:00")),
        files.file("dbo/accounts/20261130-110000000.csv", text(`U,I,1,11.00,2026-11-30 11:00:00`, `D,D,3,30.00,2026-11-30 11:00:00`), at("11:00")),
        files.file("dbo/accounts/20261130-120000000.csv", text(`U,B,2,21.00`), at("12:00")),
        files.file("dbo/accounts/20261130-130000000.csv", text(`I,x,10.00,2026-11-30 13:00:00`, `I,4,40.00,2026-11-30 13:00:00`), at("13:00")),
      ]),
    },
  ];
}

/**
 * A dataset whose sequence column is a double: each run's latest sequence is a value whose text
 * differs between DuckDB and Java (0.0001 / 1.0E-4, 12345678.5 / 1.23456785E7, 1e+20 / 1.0E20),
 * and tied zeros written three ways.
 */
export function doubleSequenceScenario(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const text = (...rows: string[]) => `id,reading,Op,seq\n${rows.join("\n")}\n`;
  const day = (d: number) => `2026-11-2${d}T08:00:00.000Z`;
  return [
    { label: "small latest", manifest: manifest(spec, "run-1", [files.file("a.csv", text("1,a,I,0.00005", "2,b,I,0.0001"), day(1))]) },
    { label: "seven-digit latest", manifest: manifest(spec, "run-2", [files.file("b.csv", text("1,c,U,12345678.5"), day(2))]) },
    { label: "huge latest", manifest: manifest(spec, "run-3", [files.file("c.csv", text("2,d,U,1e20", "3,e,I,2.5"), day(3))]) },
    // Zeros written -0.0, 0 and 0.0 tie on the sequence; DuckDB stored some as the other zero.
    { label: "zeros", manifest: manifest(spec, "run-4", [files.file("d.csv", text("4,f,I,0.0", "4,g,U,-0.0", "5,h,I,-0.0", "5,i,U,0", "6,j,I,-0.0"), day(4))]) },
  ];
}

/** A dataset of one field per record: empty lines (no record on either engine) and a quoted "". */
export function oneFieldScenario(spec: DatasetSpec, dir: string): ScenarioRun[] {
  const files = new ScenarioFiles(dir, spec);
  const at = "2026-11-21T08:00:00.000Z";
  return [
    {
      label: "empty lines",
      manifest: manifest(spec, "run-1", [
        files.file("a.csv", 'tag\nred\n\n""\r\nblue\n\n\n', at),
        files.file("b.csv.gz", gzipSync("tag\r\n\r\ngreen\r\n\r\n"), at),
      ]),
    },
  ];
}

/**
 * A DMS source table that gained `coupon` (written last, before the timestamp column): older
 * headerless files lack it (test/engine/dms-csv.test.ts, the parity suite).
 */
export const gainedColumn = defineDataset({
  name: "gained",
  prefix: "dbo/orders/",
  format: "dms",
  dms: { timestampColumn: "cdc_ts" },
  columns: {
    order_id: "bigint",
    customer_id: "bigint",
    order_ts: "timestamp",
    status: "string",
    total_amount: "decimal(12,2)",
    cdc_ts: { type: "timestamp", optional: true },
    coupon: { type: "string", optional: true },
  },
  primaryKey: ["order_id"],
  rules: [{ kind: "accepted_values", column: "status", values: ["paid", "shipped", "delivered"] }],
});
