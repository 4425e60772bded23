"""Constants of the Glue runner, defined once.

The Glue runtime (Glue version and the Spark + Iceberg it bundles) is pinned in runtime.json, next
to this file: the Pulumi program reads the same file for the jobs' GlueVersion, and
scripts/setup-glue-runtime.js installs exactly that Spark and Iceberg locally, where the runner is
executed for real in tests (fast_forward creating `main` on a table that has none, branches on
empty tables, MERGE INTO on branches: Iceberg >= 1.5 behaviour the runner relies on).
"""

import json
import pkgutil

#: {"glueVersion", "sparkVersion", "scalaVersion", "icebergVersion", "pythonVersion", "javaVersion"}
#: (read with pkgutil so it also works from the --extra-py-files zip on Glue).
RUNTIME = json.loads(pkgutil.get_data(__name__.rsplit(".", 1)[0], "runtime.json") or b"{}")
GLUE_VERSION = RUNTIME["glueVersion"]
#: Spark and Iceberg versions bundled with GLUE_VERSION (`--datalake-formats iceberg`).
SPARK_VERSION = RUNTIME["sparkVersion"]
ICEBERG_VERSION = RUNTIME["icebergVersion"]
#: Value of the `--datalake-formats` job argument.
DATALAKE_FORMATS = "iceberg"

#: Spark catalog name bound to the Glue Data Catalog through Iceberg's GlueCatalog (locally: to a
#: Hadoop catalog in the workspace; iceberg_conf.py is the one place that differs).
CATALOG_NAME = "glue_catalog"

#: WAP branches are named `<prefix><run id, sanitized>` so a crashed run's branch is recognizable.
WAP_BRANCH_PREFIX = "wap_"


#: State table property holding the plan fingerprint its rows were built with (plan.ts
#: LoadPlan.fingerprint): another plan's run is a full refresh. The same key in a silver
#: snapshot's summary names the plan that built it (silver_plan.py).
FINGERPRINT_PROPERTY = "datalake.plan-fingerprint"

#: Files-ledger table property naming the WAP branch whose publish is under way (set before the
#: first fast-forward, removed after the last): a run that finds it finishes that publish.
PUBLISHING_PROPERTY = "datalake.publishing"

#: Files-ledger table property naming the run of that publish, set just before the marker: the
#: next run finishes the publish only if that run's publish record exists (the commit point,
#: contracts.publish_record_key), and abandons it otherwise.
PUBLISHING_RUN_PROPERTY = "datalake.publishing-run"

#: CloudWatch metric names (namespace comes from --metrics_namespace).
METRIC_ROW_COUNT = "RowCount"
METRIC_DATA_AGE_HOURS = "DataAgeHours"
METRIC_ROWS_READ = "RowsRead"
METRIC_ROWS_REJECTED = "RowsRejected"
METRIC_ROWS_QUARANTINED = "RowsQuarantined"
