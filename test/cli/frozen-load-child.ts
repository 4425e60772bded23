// A `datalake load` process for the kill tests in process.test.ts: the real verb, run with
// --verbose, whose stderr blocks the whole process once the engine reported the stage named by
// the second argument, after writing a marker file: "done" (its tables published, its summary
// written, its audit record not yet), "publish" (its tables published, its summary not yet) or
// "moved: <table>" (its publish committed, its tables moved into place up to that one).
// The test then kills it with SIGKILL.
import { writeFileSync } from "fs";
import { main } from "../../local/cli";

// Only when spawned by the test: mocha given the whole test/cli folder loads this file too.
if (require.main === module) {
  const [marker, stage, ...argv] = process.argv.slice(2);
  const err = (text: string) => {
    process.stderr.write(`${text}\n`);
    if (!text.includes(`] ${stage}: `) && !text.endsWith(`] ${stage}`)) return;
    writeFileSync(marker, "frozen");
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120_000);
  };
  main(argv, { out: (text) => process.stdout.write(`${text}\n`), err }).then((code) => process.exit(code));
}
