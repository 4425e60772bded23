// One local runtime per workspace: dynalite's LevelDB allows a single process anyway, and two
// watchers would announce every file twice. A pid file names the holder; a stale one (its process
// is gone, e.g. after kill -9) is taken over.
import { readFileSync, unlinkSync, writeFileSync } from "fs";

export interface WorkspaceLock {
  release(): void;
}

export function acquireWorkspaceLock(path: string): WorkspaceLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return { release: () => releaseIfOurs(path) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(path, "utf8").trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new Error(`workspace is in use by another datalake process (pid ${holder}); stop it first`);
      }
      unlinkSync(path); // stale: its process is gone
    }
  }
  throw new Error(`could not lock the workspace (${path})`);
}

function releaseIfOurs(path: string): void {
  try {
    if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
  } catch {
    // already gone
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
