#!/usr/bin/env bash
# Python side of `npm test`: every Glue script must compile, and the Glue runner is tested with
# pytest in the project venv (scripts/setup-glue-runtime.js: pyspark at the Glue runtime's Spark
# version + the Iceberg jar), its pure parts without Spark and its Spark parts on real Spark.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/setup-glue-runtime.js
PY=.venv/bin/python
find glue-scripts -name '*.py' -print0 | xargs -0 -r "$PY" -m py_compile
exec "$PY" -m pytest -q -p no:cacheprovider glue-scripts/tests "$@"
