// Notices new and replaced files under landing/. fs.watch is only a hint that something changed
// (it misses events on some file systems and under load), so every hint and a polling timer lead
// to the same full scan. A file counts as complete only once its size, mtime and inode have been
// unchanged for `settleMs` (2 s by default): a copy in progress is not read half-way. A producer
// that pauses longer than that mid-file cannot be told from a finished one by polling: it writes
// under a temporary name and renames (isIgnoredName), as on S3 a PUT is whole or absent.
import { FSWatcher, mkdirSync, readdirSync, statSync, watch } from "fs";
import { join, relative, sep } from "path";
import { FileSignature, sameSignature, signatureOf } from "./version-store";

export interface StableFile {
  key: string;
  path: string;
  sig: FileSignature;
}

export interface LandingWatcherOptions {
  root: string;
  /** How long a file must stay unchanged before it is read. @default DEFAULT_SETTLE_MS */
  settleMs?: number;
  /** Polling interval. @default 5000 while fs.watch works (a safety net), 1000 without it */
  pollMs?: number;
  /** Whether a (key, signature) is already known; known files are not reported again. */
  isKnown(key: string, sig: FileSignature): boolean;
  /** Called once per complete new file or new write of a file; errors are reported, then retried. */
  onStable(file: StableFile): Promise<void>;
  onError?(err: unknown, key?: string): void;
  /** Clock for the settle rule (tests pass a fake one). @default Date.now */
  now?: () => number;
}

/**
 * How long a file must stay unchanged before it is read. 250 ms loaded a copy that paused for a
 * moment (dd in chunks, a program flushing now and then): its first part was published as a
 * version, with the row cut at the end, and stayed.
 */
export const DEFAULT_SETTLE_MS = 2000;

/** In-progress suffixes of transfer tools and browsers (WinSCP, Chrome, Firefox, Safari, rsync's are dot-files). */
const IN_PROGRESS = [".part", ".tmp", ".filepart", ".crdownload", ".partial", ".download", ".swp"];

/** Editors' swap and backup files and producers' in-progress names are not objects. */
export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  return name.startsWith(".") || name.endsWith("~") || (name.startsWith("#") && name.endsWith("#")) || IN_PROGRESS.some((s) => lower.endsWith(s));
}

export class LandingWatcher {
  private readonly settleMs: number;
  private readonly pollMs: number | undefined;
  private readonly seen = new Map<string, { sig: FileSignature; since: number }>();
  private watcher: FSWatcher | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private stopped = false;

  constructor(private readonly options: LandingWatcherOptions) {
    this.settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.pollMs = options.pollMs;
  }

  start(): void {
    mkdirSync(this.options.root, { recursive: true });
    try {
      this.watcher = watch(this.options.root, { recursive: true }, () => this.poke());
      this.watcher.on("error", () => this.closeWatcher()); // polling keeps working
    } catch {
      this.watcher = undefined; // recursive watch unsupported here: polling only
    }
    this.pollTimer = setInterval(() => this.poke(), this.pollMs ?? (this.watcher ? 5000 : 1000));
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closeWatcher();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    await this.scanning;
  }

  /** Files seen but not yet complete (or not yet handed over). */
  get unsettled(): number {
    return this.seen.size;
  }

  /** Scans now; resolves when this scan (and any it queued) finished. */
  async scanNow(): Promise<void> {
    this.poke();
    while (this.scanning) await this.scanning;
  }

  private poke(): void {
    if (this.stopped) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan().finally(() => {
      this.scanning = undefined;
      if (this.rescan) {
        this.rescan = false;
        this.poke();
      }
    });
  }

  private async scan(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const present = new Set<string>();
    for (const { key, path } of landingFiles(this.options.root)) {
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st || !st.isFile()) continue;
      const sig = signatureOf(st);
      if (this.options.isKnown(key, sig)) {
        this.seen.delete(key);
        continue;
      }
      present.add(key);
      const prev = this.seen.get(key);
      if (!prev || !sameSignature(prev.sig, sig)) {
        this.seen.set(key, { sig, since: now });
        continue;
      }
      if (now - prev.since < this.settleMs) continue;
      try {
        await this.options.onStable({ key, path, sig });
        if (this.options.isKnown(key, sig)) this.seen.delete(key);
      } catch (err) {
        this.options.onError?.(err, key);
      }
      if (this.stopped) return;
    }
    for (const key of [...this.seen.keys()]) if (!present.has(key)) this.seen.delete(key);
    // Come back when the oldest unsettled file may have settled, without waiting for the poll.
    if (this.seen.size > 0 && !this.stopped && !this.settleTimer) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        this.poke();
      }, this.settleMs);
    }
  }

  private closeWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

/**
 * Every file under landing that names an object, as (key, path), sorted by path: the watcher
 * and `audit --verify` list the same ones. A symbolic link to a file counts as that file (a link
 * dropped into landing was silently never loaded). Links to folders are not followed: the same
 * files would get a second key (or another dataset's prefix), and a link can loop.
 */
export function landingFiles(root: string): { key: string; path: string }[] {
  return listFiles(root).map((path) => ({ key: relative(root, path).split(sep).join("/"), path }));
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out; // removed while scanning
  }
  for (const entry of entries) {
    if (isIgnoredName(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile() || (entry.isSymbolicLink() && linksToFile(path))) out.push(path);
  }
  return out.sort();
}

/** A link whose target is a file; a dangling, looping or unreadable link is none. */
function linksToFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
