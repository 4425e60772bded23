#!/usr/bin/env bash
# `npm test` after the typecheck: every mocha test and the Glue runner's pytest suite.
# The suites that need no Spark leave a core idle on a 2-core machine (most of their time is
# spent waiting on child processes, dynalite and the file system: ~52% of two cores over 456 s),
# so the pytest suite (mostly its Spark tests) runs beside them, its output held back and printed
# whole when it ends (side by side: 594-640 s instead of 808 s one after the other, 87% busy); the
# mocha Spark suites then run alone (80% of two cores busy already: little left to share).
# Every part runs even when an earlier one failed; the exit code is the first failure's.
set -uo pipefail
cd "$(dirname "$0")/.."

py_log=$(mktemp -t datalake-pytest.XXXXXX)
bash scripts/test-python.sh >"$py_log" 2>&1 &
py_pid=$!
# Stopped early (Ctrl-C reaches pytest too; a CI timeout's SIGTERM only this script): no pytest
# left running behind it.
trap 'kill "$py_pid" 2>/dev/null; rm -f "$py_log"' EXIT

echo "== mocha: suites without Spark (pytest runs beside them)"
npx mocha --grep @spark --invert "$@"
mocha_plain=$?

wait "$py_pid"
pytest_status=$?
echo "== pytest: the Glue runner (exit $pytest_status)"
cat "$py_log"

echo "== mocha: Spark suites (@spark)"
npx mocha --grep @spark "$@"
mocha_spark=$?

for status in "$mocha_plain" "$pytest_status" "$mocha_spark"; do
  if [ "$status" -ne 0 ]; then exit "$status"; fi
done
