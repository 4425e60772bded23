// Flushing a workspace's writes to disk before what depends on them. A write or a rename sits in
// the page cache until the kernel writes it back: a power loss or an OS crash before that loses
// it, or keeps a later write without an earlier one (a publish record on disk while the files
// it commits are not). A killed process loses nothing of the cache, so the publish journal
// (publish-journal.ts) guards against kills alone; these calls order the writes on disk as well:
//   1. a run's staged files, then its journal, then its publish record (run-load.ts);
//   2. a JSON file's bytes before the rename that makes it current (writeJsonAtomic);
//   3. every folder a publish moved files into, before the staging it moved them from is removed.
import * as fs from "node:fs";
import * as path from "node:path";

/** fsync of an open file or folder. */
function fsyncOpened(p: string, isDir: boolean): void {
  let fd: number;
  try {
    fd = fs.openSync(p, "r");
  } catch (e) {
    // Some platforms cannot open a folder to sync it (Windows): its entries are as durable as
    // that platform makes them.
    if (isDir && isUnsupported(e)) return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    if (!(isDir && isUnsupported(e))) throw e;
  } finally {
    fs.closeSync(fd);
  }
}

const isUnsupported = (e: unknown): boolean => ["EISDIR", "EPERM", "EINVAL", "EBADF", "EACCES"].includes((e as NodeJS.ErrnoException).code ?? "");

/** Flushes a file's bytes. */
export const fsyncFile = (file: string): void => fsyncOpened(file, false);

/** Flushes a folder's entries: the files created, renamed into or removed from it. */
export const fsyncDir = (dir: string): void => fsyncOpened(dir, true);

/** Flushes every file and folder under `dir`, then `dir` itself (a run's staged tables). */
export function fsyncTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(p);
    else if (entry.isFile()) fsyncFile(p);
  }
  fsyncDir(dir);
}
