// Object versions of the local landing "bucket". S3 gives every PutObject a new version id; local
// mode gives every new or replaced file one, and keeps an immutable copy of that version's bytes
// so replacing a file while a load runs never changes what the load reads.
//
// Persisted as an append-only JSON-lines log (a torn last line after a crash is ignored):
//   {"t":"v", ...VersionRecord}   a version exists (its bytes are already in landing-versions/)
//   {"t":"n","versionId":...}     its "Object Created" event was handled (file-arrival returned)
//   {"t":"s","versionId":...}     its FILE item reached a terminal status (not followed again)
// On restart, versions without an "n" line are announced again: at-least-once, like EventBridge.
import { createHash } from "crypto";
import { appendFileSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync } from "fs";
import { join } from "path";

/** What identifies one write of a file: a replaced file changes at least one of these. */
export interface FileSignature {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export interface VersionRecord {
  key: string;
  versionId: string;
  /** Monotonic across the workspace; the event's sequencer is derived from it. */
  seq: number;
  sequencer: string;
  /** md5 hex, as S3 computes the ETag of a single-part upload. */
  etag: string;
  sha256: string;
  size: number;
  sig: FileSignature;
  /** When local mode noticed the complete file (the event time). */
  createdAt: string;
}

export function signatureOf(st: { size: number; mtimeMs: number; ctimeMs: number; ino: number }): FileSignature {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

export function sameSignature(a: FileSignature, b: FileSignature): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

export class VersionStore {
  private readonly byVersion = new Map<string, VersionRecord>();
  private readonly latest = new Map<string, VersionRecord>();
  private readonly notified = new Set<string>();
  private readonly settled = new Set<string>();
  private lastSeq = 0;

  constructor(
    private readonly logPath: string,
    private readonly bytesDir: string,
  ) {
    mkdirSync(bytesDir, { recursive: true });
    mkdirSync(join(logPath, ".."), { recursive: true });
    this.load();
    // Copies interrupted by a crash never made it into the log: drop them.
    for (const name of readdirSync(bytesDir)) if (name.endsWith(".tmp")) unlinkSync(join(bytesDir, name));
  }

  /** The latest version of a key, if any. */
  latestOf(key: string): VersionRecord | undefined {
    return this.latest.get(key);
  }

  get(versionId: string): VersionRecord | undefined {
    return this.byVersion.get(versionId);
  }

  all(): VersionRecord[] {
    return [...this.byVersion.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Versions whose event has not been handled yet, oldest first. */
  unannounced(): VersionRecord[] {
    return this.all().filter((v) => !this.notified.has(v.versionId));
  }

  isAnnounced(versionId: string): boolean {
    return this.notified.has(versionId);
  }

  /** Absolute path of a version's immutable bytes. */
  bytesPath(versionId: string): string {
    return join(this.bytesDir, versionId);
  }

  /**
   * Records the file at `path` as a new version of `key` unless its signature is the latest one.
   * Returns undefined when the file changed while being copied (the caller retries later).
   */
  ingest(key: string, path: string, expected: FileSignature, now: Date): VersionRecord | undefined {
    const current = this.latest.get(key);
    if (current && sameSignature(current.sig, expected)) return current;
    const seq = this.lastSeq + 1;
    const tmp = join(this.bytesDir, `${seq}.tmp`);
    copyFileSync(path, tmp);
    const after = statSync(path, { throwIfNoEntry: false });
    if (!after || !sameSignature(signatureOf(after), expected) || statSync(tmp).size !== expected.size) {
      unlinkSync(tmp);
      return undefined;
    }
    const { sha256, md5 } = hashFile(tmp);
    const record: VersionRecord = {
      key,
      versionId: `${seq}.${sha256.slice(0, 8)}`,
      seq,
      sequencer: seq.toString(16).toUpperCase().padStart(18, "0"),
      etag: md5,
      sha256,
      size: expected.size,
      sig: expected,
      createdAt: now.toISOString(),
    };
    // No fsync: a killed process loses nothing the kernel already holds; only a power loss
    // could, and then the file is still in landing/ and becomes a version again.
    renameSync(tmp, this.bytesPath(record.versionId));
    this.append({ t: "v", ...record });
    this.remember(record);
    return record;
  }

  isSettled(versionId: string): boolean {
    return this.settled.has(versionId);
  }

  /** Its FILE item is terminal for good (statuses only move forward): a restart skips it. */
  markSettled(versionId: string): void {
    if (this.settled.has(versionId)) return;
    this.append({ t: "s", versionId });
    this.settled.add(versionId);
  }

  markAnnounced(versionId: string): void {
    if (this.notified.has(versionId)) return;
    this.append({ t: "n", versionId });
    this.notified.add(versionId);
  }

  private remember(record: VersionRecord): void {
    this.byVersion.set(record.versionId, record);
    const prev = this.latest.get(record.key);
    if (!prev || prev.seq < record.seq) this.latest.set(record.key, record);
    this.lastSeq = Math.max(this.lastSeq, record.seq);
  }

  private load(): void {
    for (const entry of readVersionLog(this.logPath)) {
      if (entry.t === "v" && existsSync(this.bytesPath(entry.versionId))) {
        const { t: _t, ...record } = entry;
        this.remember(record as VersionRecord);
      } else if (entry.t === "n") this.notified.add(entry.versionId);
      else if (entry.t === "s") this.settled.add(entry.versionId);
    }
  }

  private append(entry: object): void {
    appendFileSync(this.logPath, `${JSON.stringify(entry)}\n`);
  }
}

type LogEntry = { t: string; versionId: string } & Partial<VersionRecord>;

/** The log's entries in order, a torn last line skipped. Reads only (`audit --verify` beside a running `local`). */
export function readVersionLog(logPath: string): LogEntry[] {
  if (!existsSync(logPath)) return [];
  const out: LogEntry[] = [];
  for (const line of readFileSync(logPath, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a torn write at the end of the log
    }
  }
  return out;
}

/** Hashes in 1 MiB chunks: memory stays flat however large the file. */
export function hashFile(path: string): { sha256: string; md5: string } {
  const sha = createHash("sha256");
  const md5 = createHash("md5");
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      sha.update(buf.subarray(0, n));
      md5.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: sha.digest("hex"), md5: md5.digest("hex") };
}
