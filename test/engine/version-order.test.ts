// Randomized differential test of the order of one key's changes (compile.ts orderColumns): the
// sequence, the object key, the object version's arrival (_version_at = ledger _received_at,
// then the S3 sequencer compared as S3 documents: right-padded with zeros), row number, version id; dms: load generation, phase, timestamp, DMS file first. Seeded and
// deterministic: random object keys / versions / receivedAt / version ids / rows, loaded in random
// runs in random order (arrival is the manifest receivedAt, independent of loading order),
// compared with a TypeScript oracle of the documented order and with a full refresh.
import { expect } from "chai";
import { defineDataset, getDataset, type DatasetSpec } from "../../datasets";
import type { ManifestFile } from "../../engine/contracts";
import { receivedAtText } from "../../engine/duckdb/read-files";
import { TestWorkspace } from "./helpers";

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  shuffle<T>(xs: T[]): T[] {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

const cmp = (a: string | number | null, b: string | number | null): number => {
  if (a === b) return 0;
  if (a === null) return -1; // NULL first (dms timestamp)
  if (b === null) return 1;
  return a < b ? -1 : 1;
};
const lex = (a: (string | number | null)[], b: (string | number | null)[]): number => {
  for (let i = 0; i < a.length; i++) {
    const c = cmp(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
};

interface Row {
  op: string;
  id: number;
  seq: string | null;
  /** unique tag of the row (value column) */
  tag: string;
  /** a fill column (dms keep_previous: empty in an update = unlogged) */
  note: string;
}
interface Version {
  key: string;
  versionId: string;
  receivedAt: string; // as written in the manifest
  /** S3 event sequencer: orders versions of one key within one arrival time */
  sequencer: string;
  rows: Row[];
}
interface Scenario {
  versions: Version[];
  /** runs of indexes into versions; a repeated index is a re-listed (already loaded) version */
  runs: number[][];
}

// ---- non-dms: a csv dataset ordered by one sequence column ----
const vt = defineDataset({
  name: "vt",
  prefix: "vt/",
  format: "csv",
  columns: { id: "int", tag: "string", note: { type: "string", optional: true }, seq: "int" },
  primaryKey: ["id"],
  cdc: { opColumn: "Op", sequenceColumns: ["seq"] },
});

// Arrival times: ties (same ms), sub-ms and offset spellings of one instant.
const TIMES = [
  "2026-11-21T08:00:00.000Z",
  "2026-11-21T08:00:00Z", // = the previous one
  "2026-11-21T08:00:00.001Z",
  "2026-11-21T10:00:00.000+02:00", // = 08:00:00.000Z
  "2026-11-21T09:00:00.000Z",
  "2026-11-21T09:00:00.0004Z", // = 09:00:00.000Z after ms truncation
  "2026-11-21T10:00:00.000Z",
  "2026-11-21T11:30:00.000Z",
];
const VERSION_IDS = ["v1", "v2", "v9", "v10", "v11", "Z", "a", "null"];
// Sequencers: of different lengths (equal once right-padded: the first two), lower-case hex, and
// none ("": a version the landing sweep found).
const SEQUENCERS = ["0055AED6DCD90281E5", "0055AED6DCD90281E500", "0055AED6DCD90281E6", "0055aed6dcd90281e7", "0055AED6DCD9029", "0055AED6DCD90281", "00617F08299329D189", ""];

/** compareSequencers' rule, written again: pad the shorter on the right with zeros, compare upper-cased. */
const seqKey = (s: string, width: number) => s.toUpperCase().padEnd(width, "0");

function genVersions(rng: Rng, keys: string[], maxVersions: number, makeRows: (key: string, vi: number) => Row[]): Version[] {
  const versions: Version[] = [];
  let tag = 0;
  for (const key of keys) {
    const n = 1 + rng.int(maxVersions);
    const ids = rng.shuffle(VERSION_IDS).slice(0, n);
    for (let v = 0; v < n; v++) {
      const rows = makeRows(key, v).map((r) => ({ ...r, tag: `t${++tag}` }));
      versions.push({ key, versionId: ids[v], receivedAt: rng.pick(TIMES), sequencer: rng.pick(SEQUENCERS), rows });
    }
  }
  return versions;
}

function genRuns(rng: Rng, n: number, relist: boolean): number[][] {
  const order = rng.shuffle([...Array(n).keys()]);
  const runs: number[][] = [[]];
  for (const i of order) {
    if (runs[runs.length - 1].length > 0 && rng.next() < 0.5) runs.push([]);
    runs[runs.length - 1].push(i);
  }
  if (relist && runs.length > 1 && rng.next() < 0.4) {
    // a version already loaded listed again in a later run
    const later = 1 + rng.int(runs.length - 1);
    const earlier = runs[rng.int(later)];
    runs[later].push(rng.pick(earlier));
  }
  return runs;
}

function vtScenario(rng: Rng): Scenario {
  const keys = rng.shuffle(["vt/a.csv", "vt/b.csv", "vt/sub/a.csv"]).slice(0, 1 + rng.int(3));
  const versions = genVersions(rng, keys, 4, () =>
    Array.from({ length: 1 + rng.int(3) }, () => ({ op: rng.pick(["I", "U", "D"]), id: 1 + rng.int(3), seq: String(1 + rng.int(2)), tag: "", note: "" })),
  );
  return { versions, runs: genRuns(rng, versions.length, true) };
}

const csvOf = (header: string, lines: string[]) => [header, ...lines].join("\n") + "\n";

/** The expected state: per key the latest change in the documented order, as [id, op, tag, note, key, version]. */
function oracle(spec: "vt" | "orders", versions: Version[]): string[][] {
  // ledger: first listing of each (key, version) wins; _version_at = MIN(received) per (key, version)
  const ledger = new Map<string, { key: string; version: string; at: string; seq: string }>();
  const width = Math.max(...versions.map((v) => v.sequencer.length));
  for (const v of versions) {
    const id = `${v.key}\u0000${v.versionId}`;
    const at = receivedAtText(v.receivedAt);
    const prev = ledger.get(id);
    if (!prev || at < prev.at) ledger.set(id, { key: v.key, version: v.versionId, at, seq: seqKey(v.sequencer, width) });
  }
  const files = [...ledger.values()];
  const base = (k: string) => k.slice(k.lastIndexOf("/") + 1).toUpperCase();
  const isLoad = (k: string) => /^LOAD[0-9A-F]{8}([.][A-Z0-9]+)*$/.test(base(k));
  const isCdc = (k: string) => /^[0-9]{8}-[0-9]{6,}([.][A-Z0-9]+)*$/.test(base(k));
  const reloads = files.filter((a) => isLoad(a.key) && files.some((b) => b.key === a.key && b.at < a.at)).map((a) => a.at);
  const gen = (at: string) => reloads.filter((r) => r <= at).sort().pop() ?? "";
  const seen = new Set<string>();
  const changes: { row: Row; key: string; version: string; order: (string | number | null)[] }[] = [];
  for (const v of versions) {
    const id = `${v.key}\u0000${v.versionId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const { at, seq } = ledger.get(id)!;
    v.rows.forEach((row, i) => {
      const tail = [v.key, at, seq, i, v.versionId];
      const order =
        spec === "vt"
          ? [Number(row.seq), ...tail]
          : [gen(at), isLoad(v.key) ? 0 : 1, row.seq, isLoad(v.key) || isCdc(v.key) ? base(v.key) : "", ...tail];
      changes.push({ row, key: v.key, version: v.versionId, order });
    });
  }
  const byKey = new Map<number, typeof changes>();
  for (const c of changes) byKey.set(c.row.id, [...(byKey.get(c.row.id) ?? []), c]);
  const out: string[][] = [];
  for (const [id, cs] of [...byKey.entries()].sort((a, b) => a[0] - b[0])) {
    cs.sort((a, b) => lex(a.order, b.order));
    // keep_previous (orders): an update's unlogged (empty) note takes the previous change's filled value
    let prev: string | null = null;
    let filled = "";
    for (const [i, c] of cs.entries()) {
      filled = spec === "orders" && c.row.op === "U" && c.row.note === "" && i > 0 ? (prev as string) : c.row.note;
      prev = filled;
    }
    const w = cs[cs.length - 1];
    out.push([String(id), w.row.op, w.row.tag, filled, w.key, w.version]);
  }
  return out;
}

async function run(spec: DatasetSpec, scenario: Scenario, line: (r: Row) => string, header: string, stateSql: string) {
  const ws = new TestWorkspace();
  try {
    const entries = scenario.versions.map((v) =>
      ws.file(spec, v.key.slice(spec.prefix.length), csvOf(header, v.rows.map(line)), { key: v.key, versionId: v.versionId, receivedAt: v.receivedAt, sequencer: v.sequencer }),
    );
    const loaded = new Set<string>();
    const outcomes: string[] = [];
    for (const r of scenario.runs) {
      const summary = await ws.load(spec, r.map((i) => entries[i]));
      expect(summary.status, summary.error).to.equal("SUCCEEDED");
      for (const [j, i] of r.entries()) {
        const v = scenario.versions[i];
        const id = `${v.key}\u0000${v.versionId}`;
        const want = loaded.has(id) ? "ALREADY_LOADED" : "LOADED";
        outcomes.push(`${summary.files[j].outcome === want ? "ok" : "BAD"} ${v.key}#${v.versionId}: ${summary.files[j].outcome}, want ${want}`);
        loaded.add(id);
      }
    }
    const state = async () => (await ws.query(stateSql)).map((o) => Object.values(o).map((x) => (x === null ? "" : String(x))));
    const silver = async () => ({ s: await ws.query(`SELECT * EXCLUDE (_run_id) FROM ${spec.target.table} ORDER BY ALL`), q: await ws.query(`SELECT * EXCLUDE (_run_id) FROM quarantine_${spec.name} ORDER BY ALL`) });
    const incremental = await state();
    const incSilver = await silver();
    expect((await ws.load(spec, [], { fullRefresh: true })).status).to.equal("SUCCEEDED");
    return { incremental, incSilver, refreshed: await state(), refSilver: await silver(), outcomes };
  } finally {
    ws.cleanup();
  }
}

const describeScenario = (s: Scenario) =>
  JSON.stringify({
    versions: s.versions.map((v, i) => `${i}: ${v.key}#${v.versionId} @${v.receivedAt}/${v.sequencer} [${v.rows.map((r) => `${r.op}${r.id}/${r.seq ?? "-"}/${r.tag}/${r.note}`).join(" ")}]`),
    runs: s.runs,
  }, null, 1);

// ---- dms: the orders spec (keep_previous, cdc_ts timestamp) ----
const ORDERS_HEADER = "Op,order_id,customer_id,order_ts,status,total_amount,cdc_ts";
const DMS_KEYS = ["orders/LOAD00000001.csv", "orders/LOAD00000002.csv", "orders/20261130-100000000.csv", "orders/x/20261130-090000000.csv", "orders/y/20261130-110000000.csv", "orders/misc.csv"];
const STAMPS = [null, "2026-11-30 10:00:00", "2026-11-30 11:00:00"];

function ordersScenario(rng: Rng, maxVersions: number, relist: boolean): Scenario {
  const keys = rng.shuffle(DMS_KEYS).slice(0, 2 + rng.int(3));
  const versions = genVersions(rng, keys, maxVersions, (key) => {
    const load = /LOAD/.test(key);
    return Array.from({ length: 1 + rng.int(3) }, () => {
      const op = load ? "I" : rng.pick(["I", "U", "U", "D"]);
      // status: the fill column; empty in an update = not logged
      return { op, id: 1 + rng.int(3), seq: rng.pick(STAMPS), tag: "", note: op === "U" && rng.next() < 0.4 ? "" : rng.pick(["paid", "shipped", "pending"]) };
    });
  });
  return { versions, runs: genRuns(rng, versions.length, relist) };
}

/** dms: does every file get, when loaded, the generation the final ledger gives it? (docs/dms.md "Limit") */
function generationsStable(s: Scenario): boolean {
  const base = (k: string) => k.slice(k.lastIndexOf("/") + 1).toUpperCase();
  const isLoad = (k: string) => /^LOAD/.test(base(k));
  const genOf = (vs: Version[], v: Version) => {
    const at = (x: Version) => receivedAtText(x.receivedAt);
    const reloads = vs.filter((a) => isLoad(a.key) && vs.some((b) => b.key === a.key && at(b) < at(a))).map(at);
    return reloads.filter((r) => r <= at(v)).sort().pop() ?? "";
  };
  const all = s.versions;
  const sofar: Version[] = [];
  for (const r of s.runs) {
    for (const i of r) if (!sofar.includes(all[i])) sofar.push(all[i]);
    for (const v of sofar) if (genOf(sofar, v) !== genOf(all, v)) return false;
  }
  return true;
}

// More cases by hand: VERSION_ORDER_SEED=<n> VERSION_ORDER_SCALE=<k> (k times the scenarios).
const SEED = Number(process.env.VERSION_ORDER_SEED ?? 0);
const SCALE = Number(process.env.VERSION_ORDER_SCALE ?? 1);

describe("engine (DuckDB): order of one key's versions, randomized", function () {
  const VT_STATE = "SELECT id, _op, tag, note, _source_key, _source_version FROM state_vt ORDER BY id";
  const vtLine = (r: Row) => `${r.op},${r.id},${r.tag},${r.note},${r.seq}`;
  const ORDERS_STATE = "SELECT order_id, _op, total_amount, status, _source_key, _source_version FROM state_orders ORDER BY order_id";
  const ordersLine = (r: Row) => `${r.op},${r.id},100,2026-11-01 09:00:00,${r.note},${r.tag.slice(1)}.00,${r.seq ?? ""}`;
  const amount = (rows: string[][]) => rows.map((r) => [r[0], r[1], `t${Number(r[2])}`, ...r.slice(3)]);

  it("csv dataset: incremental runs in any split and order = full refresh = the documented order", async () => {
    const rng = new Rng(SEED + 20261202);
    const failures: string[] = [];
    for (let n = 0; n < 12 * SCALE; n++) {
      const s = vtScenario(rng);
      const r = await run(vt, s, vtLine, "Op,id,tag,note,seq", VT_STATE);
      const want = oracle("vt", s.versions);
      const bad = [
        ...r.outcomes.filter((o) => o.startsWith("BAD")),
        ...(JSON.stringify(r.incremental) !== JSON.stringify(want) ? [`incremental ${JSON.stringify(r.incremental)} != oracle ${JSON.stringify(want)}`] : []),
        ...(JSON.stringify(r.refreshed) !== JSON.stringify(want) ? [`full refresh ${JSON.stringify(r.refreshed)} != oracle ${JSON.stringify(want)}`] : []),
        ...(JSON.stringify(r.incSilver) !== JSON.stringify(r.refSilver) ? ["silver/quarantine: incremental != full refresh"] : []),
      ];
      if (bad.length > 0) failures.push(`scenario ${n}: ${bad.join("; ")}\n${describeScenario(s)}`);
    }
    expect(failures, failures.join("\n\n")).to.deep.equal([]);
  });

  it("dms dataset (orders, keep_previous): reloads, re-uploaded CDC files, late versions = full refresh = the documented order", async () => {
    const rng = new Rng(SEED + 7);
    const spec = getDataset("orders");
    const failures: string[] = [];
    let limited = 0;
    for (let n = 0; n < 14 * SCALE; n++) {
      // Loading order must not move a file to another load generation after it loaded (the
      // documented limit, docs/dms.md "Full reload"): try a few orders, else load all in one run.
      let s = ordersScenario(rng, 3, true);
      for (let t = 0; t < 6 && !generationsStable(s); t++) s = { ...s, runs: genRuns(rng, s.versions.length, true) };
      if (!generationsStable(s)) {
        limited++;
        s = { ...s, runs: [rng.shuffle([...s.versions.keys()])] };
      }
      const stable = generationsStable(s);
      const r = await run(spec, s, ordersLine, ORDERS_HEADER, ORDERS_STATE);
      const want = oracle("orders", s.versions);
      const inc = amount(r.incremental);
      const ref = amount(r.refreshed);
      const bad = [
        ...r.outcomes.filter((o) => o.startsWith("BAD")),
        ...(JSON.stringify(ref) !== JSON.stringify(want) ? [`full refresh ${JSON.stringify(ref)} != oracle ${JSON.stringify(want)}`] : []),
        ...(stable && JSON.stringify(inc) !== JSON.stringify(want) ? [`incremental ${JSON.stringify(inc)} != oracle ${JSON.stringify(want)}`] : []),
        ...(stable && JSON.stringify(r.incSilver) !== JSON.stringify(r.refSilver) ? ["silver/quarantine: incremental != full refresh"] : []),
      ];
      if (bad.length > 0) failures.push(`scenario ${n}${stable ? "" : " (generations change after load: documented limit, incremental not compared)"}: ${bad.join("; ")}\n${describeScenario(s)}`);
    }
    expect(failures, failures.join("\n\n")).to.deep.equal([]);
    if (process.env.VERSION_ORDER_SEED) console.log(`limited: ${limited} of ${14 * SCALE}`);
    expect(limited, "most scenarios load in several runs").to.be.lessThan(7 * SCALE);
  });
});
