// Runs dynalite in its own process so the audit store's CPU work (LevelDB, request parsing) runs
// on the other core instead of competing with the handlers and the engine for the main thread.
// Plain JavaScript: started with `node`, no ts-node, in ~100 ms. Exits when its parent goes away
// (IPC disconnect), so a killed `datalake local` never leaves it behind holding the LevelDB lock.
"use strict";
// The abstract-level dynalite's LevelDB is built on (one deduplicated copy in the lockfile).
require("./level-reads").endReadsAfterClose(require(require.resolve("abstract-level", { paths: [require.resolve("dynalite")] })));
const dynalite = require("dynalite");

const dir = process.argv[2] || undefined;

// Ctrl-C reaches every process of the terminal's foreground group, this one too: its parent
// decides when to stop (a load records its run first) and closes it; it also exits when the
// parent goes away. Killed here, the parent's last audit writes failed ("socket hang up").
process.on("SIGINT", () => undefined);

async function waitForLock(path) {
  if (!path) return;
  const { Level } = require("level");
  // A previous process that was just killed may still be releasing the LevelDB lock.
  for (let attempt = 0; ; attempt++) {
    const db = new Level(path);
    try {
      await db.open();
      await db.close();
      return;
    } catch (err) {
      if (attempt >= 100) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

waitForLock(dir).then(
  () => {
    const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
    const stop = () => server.close(() => process.exit(0));
    process.on("disconnect", stop);
    process.on("message", (msg) => msg === "close" && stop());
  },
  (err) => {
    process.send({ error: String((err && err.message) || err) });
    process.exit(1);
  },
);
