// A `datalake rollback` process for the kill tests in rollback.test.ts: the real verb, whose
// process blocks right after the first rename (a file set aside, a pointer, its record) onto a
// path matching a pattern, with content matching another when given, after writing a marker file.
// The test then kills it with SIGKILL: a crash between two steps of the rollback.
import fs = require("fs");
import { main } from "../../local/cli";

// Only when spawned by the test: mocha given the whole test/cli folder loads this file too.
if (require.main === module) {
  const [marker, target, content, ...argv] = process.argv.slice(2);
  const rename = fs.renameSync;
  fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
    rename(from, to);
    if (!new RegExp(target).test(String(to))) return;
    if (content !== "" && !new RegExp(content).test(fs.readFileSync(to, "utf8"))) return;
    fs.writeFileSync(marker, String(to));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  };
  main(argv, { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) }).then((code) => process.exit(code));
}
