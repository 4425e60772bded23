// Preloaded into a benchmarked node process (`node -r ./bench/report-usage.js ...`): on exit it
// writes its own resource usage (CPU time, peak RSS: getrusage of the whole process, every
// thread, DuckDB's included) to the file named by BENCH_USAGE_FILE, so a parent measures a child
// exactly instead of sampling it.
const fs = require("fs");

process.on("exit", () => {
  const file = process.env.BENCH_USAGE_FILE;
  if (!file) return;
  const u = process.resourceUsage();
  fs.writeFileSync(file, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, peakRss: u.maxRSS * 1024 }));
});
