// `npm run bench`: runs every bench/*.bench.ts in turn (or those named on the command line:
// `npm run bench -- engine`). Benchmarks print figures and ratios; they never assert timings.
import { readdirSync } from "fs";
import { join } from "path";

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort();
  for (const file of files) {
    console.log(`\n=== ${file} ===`);
    const mod = require(join(__dirname, file)) as { run: () => Promise<void> };
    await mod.run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
