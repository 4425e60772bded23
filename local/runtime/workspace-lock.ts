// One local runtime per workspace: dynalite's LevelDB allows a single process anyway, and two
// watchers would announce every file twice. A pid file names the holder; a stale one (its process
// is gone, e.g. after kill -9) is taken over.
//
// Both steps are atomic, so two processes starting together cannot both win:
// - the lock appears whole: the pid is written to a private file first, then hard-linked to the
//   lock name (link fails when the name exists). Created with O_EXCL and then written, a lock was
//   empty for a moment, and a second process read that as "no holder" and deleted it.
// - a stale lock is renamed away (only one process can move a given file) and checked after the
//   move: when it is not the dead holder's any more (another process took it over in between),
//   it is put back and the workspace is in use.
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "fs";

export interface WorkspaceLock {
  release(): void;
}

/** An empty lock younger than this may be an older version's lock being written; older, stale. */
const EMPTY_LOCK_GRACE_MS = 10_000;

export function acquireWorkspaceLock(path: string): WorkspaceLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(path)) return { release: () => releaseIfOurs(path) };
    const holder = readHolder(path);
    if (holder === undefined) continue; // released meanwhile: try again
    if (holder !== process.pid && (holder === "young" || isAlive(holder))) throw inUse(holder);
    takeOverStale(path, holder);
  }
  throw new Error(`could not lock the workspace (${path})`);
}

/** Error codes of a file system without hard links (exFAT, vfat, some SMB and FUSE mounts). */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

function tryCreate(path: string): boolean {
  const own = `${path}.${process.pid}`;
  writeFileSync(own, String(process.pid));
  try {
    linkSync(own, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    if (NO_HARD_LINKS.has(code)) return tryCreateExclusive(path);
    if (code !== "EEXIST") throw err;
    return false;
  } finally {
    unlinkSync(own);
  }
}

/** Without hard links: created exclusively, then written (the empty moment is the grace above). */
function tryCreateExclusive(path: string): boolean {
  try {
    writeFileSync(path, String(process.pid), { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    return false;
  }
}

/** The holder's pid, "young" for an empty lock inside its grace, 0 for an older empty one, undefined when gone. */
function readHolder(path: string): number | "young" | undefined {
  try {
    const text = readFileSync(path, "utf8").trim();
    if (text !== "") return Number(text) || 0;
    return Date.now() - statSync(path).mtimeMs < EMPTY_LOCK_GRACE_MS ? "young" : 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function takeOverStale(path: string, stale: number): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return; // another process moved it first
    throw err;
  }
  const moved = Number(readFileSync(aside, "utf8").trim()) || 0;
  if (moved === stale || moved === process.pid || !isAlive(moved)) return unlinkSync(aside);
  // A live process's lock, created after we read the stale one: give it back (unless a third
  // process has locked meanwhile: either way the workspace is in use).
  try {
    linkSync(aside, path);
  } catch (err) {
    if (NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? "")) {
      try {
        writeFileSync(path, String(moved), { flag: "wx" });
      } catch {
        // a third process holds it now
      }
    }
  } finally {
    unlinkSync(aside);
  }
  throw inUse(moved);
}

const inUse = (holder: number | "young") =>
  new Error(`workspace is in use by another datalake process${holder === "young" ? "" : ` (pid ${holder})`}; stop it first`);

function releaseIfOurs(path: string): void {
  try {
    if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // already gone
  }
}

export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
