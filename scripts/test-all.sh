#!/usr/bin/env bash
# `npm test` after the typecheck: every mocha test and the Glue runner's pytest suite.
# The mocha suites that need no Spark spend most of their time waiting on child processes,
# dynalite and the file system (~52% of two cores busy run one file after another), so they run
# in parallel worker processes (mocha --parallel, one job more than cores: 1,394 tests in 5 min
# instead of 10-12 on 2 cores). The mocha Spark suites run after them in one process (they share
# one local Glue JVM, test/support/spark.ts, which a worker per file would start again), with the
# pytest suite (mostly its Spark tests) beside them, its output held back and printed whole when
# it ends. Measured on 2 cores, this whole script: 1,317 s; pytest beside the parallel suites
# instead, 1,355 s (it then outlasted them); before (the suites without Spark in one process,
# pytest beside them, then the Spark suites): 594-640 s + 790 s. The CPU is the limit now.
# Every part runs even when an earlier one failed; the exit code is the first failure's.
set -uo pipefail
cd "$(dirname "$0")/.."

# node, not nproc: macOS has no nproc.
jobs=$(( $(node -p "require('os').cpus().length") + 1 ))
echo "== mocha: suites without Spark, $jobs parallel jobs"
npx mocha --grep @spark --invert --parallel --jobs "$jobs" "$@"
mocha_plain=$?

py_log=$(mktemp -t datalake-pytest.XXXXXX)
bash scripts/test-python.sh >"$py_log" 2>&1 &
py_pid=$!
# Stopped early (Ctrl-C reaches pytest too; a CI timeout's SIGTERM only this script): no pytest
# left running behind it.
trap 'kill "$py_pid" 2>/dev/null; rm -f "$py_log"' EXIT

echo "== mocha: Spark suites (@spark; pytest runs beside them)"
npx mocha --grep @spark "$@"
mocha_spark=$?

wait "$py_pid"
pytest_status=$?
echo "== pytest: the Glue runner (exit $pytest_status)"
cat "$py_log"

for status in "$mocha_plain" "$pytest_status" "$mocha_spark"; do
  if [ "$status" -ne 0 ]; then exit "$status"; fi
done
