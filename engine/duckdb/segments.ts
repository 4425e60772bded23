// Versions of the tables an incremental run merges per key (state, silver, quarantine) as
// segments, the local twin of Iceberg's merge-on-read: a merge writes only the rows it upserts
// plus the keys it touches (`_keys.parquet`), and the new version is the previous version's
// segments + this one. A row of a segment is current unless a later segment touches its key.
// So a batch writes what it changed, not the table; a version with too many segments (or
// shadowed rows) is compacted: written whole as a single segment.
//
//   <zone>/<name>/<version>/_version.json   meta; `segments` lists data folders (relative to the
//                                            table folder), oldest first; absent = one segment,
//                                            the version folder itself (versions before segments)
//   <zone>/<name>/<version>/...parquet       this version's own rows (whole table, or the upserts)
//   <zone>/<name>/<version>/_keys.parquet    keys this version's merge touched (`keyMatch` sources)
import * as path from "node:path";
import { fileList } from "./session";
import { parquetFiles, readPointer, readVersionMeta, type VersionMeta } from "./workspace";

/** Compact when a version would have more segments than this. */
export const MAX_SEGMENTS = 8;
/** ...or when the rows its merges upserted reach this share of its first segment's rows. */
export const MAX_DELTA_SHARE = 0.25;
export const KEYS_FILE = "_keys.parquet";

export type { VersionMeta };

export interface Segment {
  /** Data folder, relative to the table folder (a version folder). */
  data: string;
  /** Rows the segment holds. */
  rows: number;
  /** Whether `<data>/_keys.parquet` lists the keys it touched (a merge segment). */
  keys: boolean;
}

/** How a row's key is matched with a `_keys.parquet` row: plan.ts MergeStep.on, DuckDB dialect. */
export type KeyMatch = { target: string; source: string }[];

export interface Segmented {
  segments: Segment[];
  keyMatch?: KeyMatch;
}

/** The segments of a version (one, the version folder, for versions written whole). */
export function versionSegments(tableDir: string, version: string): Segmented {
  const meta = readVersionMeta(tableDir, version);
  if (meta?.segments) return { segments: meta.segments, keyMatch: meta.keyMatch };
  return { segments: [{ data: version, rows: meta?.rows ?? 0, keys: false }] };
}

/** The current version's segments, or null when the table has no published version. */
export function currentSegments(tableDir: string): Segmented | null {
  const pointer = readPointer(tableDir);
  return pointer ? versionSegments(tableDir, pointer.version) : null;
}

/**
 * A FROM item reading the table the segments make (null: no data files at all). `folder` maps a
 * segment's data folder to where its files are now (a staged version is not in place yet).
 */
export function segmentsScan(seg: Segmented, folder: (data: string) => string): string | null {
  const parts: string[] = [];
  seg.segments.forEach((s, i) => {
    const files = parquetFiles(folder(s.data));
    if (files.length === 0) return;
    const scan = `read_parquet(${fileList(files)}, hive_partitioning = false, union_by_name = true)`;
    const later = seg.segments.slice(i + 1).filter((l) => l.keys).map((l) => path.join(folder(l.data), KEYS_FILE));
    if (later.length === 0 || !seg.keyMatch) {
      parts.push(`SELECT * FROM ${scan}`);
      return;
    }
    parts.push(`SELECT t.* FROM ${scan} t WHERE NOT EXISTS (SELECT 1 FROM read_parquet(${fileList(later)}) s WHERE ${keysMatch(seg.keyMatch)})`);
  });
  if (parts.length === 0) return null;
  return parts.length === 1 ? `(${parts[0]})` : `(${parts.join(" UNION ALL BY NAME ")})`;
}

/** A row `t` of the table has the key of a `_keys.parquet` row `s`. */
function keysMatch(keyMatch: KeyMatch): string {
  return keyMatch.map((k) => `${k.target} = s."${k.source.replace(/"/g, '""')}"`).join(" AND ");
}

/**
 * Two versions of one table narrowed to the rows they may differ in, as FROM items, or null when
 * their segments cannot tell (a compaction between them rewrote the table whole) or the earlier
 * version has no data files. When `later`'s
 * segments start with all of `earlier`'s, each later one is a merge listing the keys it touched,
 * and a row whose key none of them touched is the same row in both versions. So both narrow to
 * the touched keys: `earlier`'s rows of those keys, and `later`'s own segments (its other rows of
 * those keys are shadowed). A fact's incremental build compares a dimension's two versions this
 * way (engine/models/fact-incremental.ts): a batch reads its few changed keys, not the dimension
 * twice (500,000 customers: 44-65 ms -> 13 ms).
 */
export function changedRowsScans(
  earlier: Segmented,
  later: Segmented,
  folder: (data: string) => string,
): { earlier: string; later: string } | null {
  const shared = earlier.segments.length;
  if (later.segments.length < shared || earlier.segments.some((s, i) => s.data !== later.segments[i].data)) return null;
  const since = later.segments.slice(shared);
  const earlierScan = segmentsScan(earlier, folder);
  if (!earlierScan) return null;
  const none = `(SELECT t.* FROM ${earlierScan} t WHERE FALSE)`;
  // No later segment: the same segments, so the same table, and nothing differs.
  if (since.length === 0) return { earlier: none, later: none };
  if (!later.keyMatch || since.some((s) => !s.keys)) return null;
  if (earlier.keyMatch && JSON.stringify(earlier.keyMatch) !== JSON.stringify(later.keyMatch)) return null;
  const keys = since.map((s) => path.join(folder(s.data), KEYS_FILE));
  const touched = `(SELECT t.* FROM ${earlierScan} t WHERE EXISTS (SELECT 1 FROM read_parquet(${fileList(keys)}) s WHERE ${keysMatch(later.keyMatch)}))`;
  // Later segments without data files (keys only: their rows all went): no rows of them.
  const own = segmentsScan({ segments: since, keyMatch: later.keyMatch }, folder);
  return { earlier: touched, later: own ?? none };
}

/** Version folders the kept versions still read (a merge segment reads older versions' folders). */
export function referencedFolders(tableDir: string, versions: string[]): Set<string> {
  const used = new Set<string>();
  for (const v of versions) for (const s of versionSegments(tableDir, v).segments) used.add(s.data);
  return used;
}

/** True when a merge on top of `prev` should rewrite the table whole instead of adding a segment. */
export function shouldCompact(prev: Segmented, upserts: number): boolean {
  if (prev.segments.length + 1 > MAX_SEGMENTS) return true;
  const base = prev.segments[0]?.rows ?? 0;
  const delta = prev.segments.slice(1).reduce((n, s) => n + s.rows, 0) + upserts;
  return delta > Math.max(base, 1) * MAX_DELTA_SHARE;
}
