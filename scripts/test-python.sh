#!/usr/bin/env bash
# Python side of `npm test`: every Glue script must compile, and the pure-Python parts of the
# Glue runner are tested with pytest. Debian's python3-pytest/boto3/sqlglot are seen by
# /usr/bin/python3 only (the python3 first on PATH may be a separate build).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [ ! -d glue-scripts ]; then echo "no glue-scripts yet"; exit 0; fi
find glue-scripts -name '*.py' -print0 | xargs -0 -r "$PY" -m py_compile
if ! "$PY" -c "import pytest" 2>/dev/null; then
  echo "python3-pytest is missing: run 'apt-get install -y python3-pytest python3-boto3 python3-sqlglot' (.ci/run does)" >&2
  exit 1
fi
set +e
"$PY" -m pytest -q -p no:cacheprovider glue-scripts/tests
rc=$?
set -e
# pytest exits 5 when it collects no test: treat it as a failure only if tests are expected.
if [ "$rc" -eq 5 ] && [ -z "$(find glue-scripts/tests -name 'test_*.py' 2>/dev/null)" ]; then exit 0; fi
exit "$rc"
