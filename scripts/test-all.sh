#!/usr/bin/env bash
# `npm test` after the typecheck: every mocha test and the Glue runner's pytest suite.
# The suites that need no Spark leave a core idle on a 2-core machine (most of their time is
# spent waiting on child processes, dynalite and the file system: ~52% of two cores over 456 s),
# so the pytest suite (mostly its Spark tests) runs beside them, its output held back and printed
# whole when it ends; the mocha Spark suites then run alone, as they keep both cores busy.
# Every part runs even when an earlier one failed; the exit code is the first failure's.
set -uo pipefail
cd "$(dirname "$0")/.."

py_log=$(mktemp -t datalake-pytest.XXXXXX)
trap 'rm -f "$py_log"' EXIT
bash scripts/test-python.sh >"$py_log" 2>&1 &
py_pid=$!

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
