"""Constants of the Glue runner, defined once.

GLUE_VERSION pairs with the Pulumi program: infra passes its own Glue version from stack config
(DefaultArguments + GlueVersion) and must keep it equal to this value, because the runner relies
on Glue 5.0's bundled Spark 3.5 + Iceberg 1.7.1 (fast_forward creates `main` on a table that has
none, branches can be created on empty tables, MERGE INTO works on branches).
"""

GLUE_VERSION = "5.0"
#: Iceberg version bundled with GLUE_VERSION (`--datalake-formats iceberg`).
ICEBERG_VERSION = "1.7.1"
#: Value of the `--datalake-formats` job argument.
DATALAKE_FORMATS = "iceberg"

#: Spark catalog name bound to the Glue Data Catalog through Iceberg's GlueCatalog.
CATALOG_NAME = "glue_catalog"

#: WAP branches are named `<prefix><run id, sanitized>` so a crashed run's branch is recognizable.
WAP_BRANCH_PREFIX = "wap_"


#: CloudWatch metric names (namespace comes from --metrics_namespace).
METRIC_ROW_COUNT = "RowCount"
METRIC_DATA_AGE_HOURS = "DataAgeHours"
METRIC_ROWS_READ = "RowsRead"
METRIC_ROWS_REJECTED = "RowsRejected"
METRIC_ROWS_QUARANTINED = "RowsQuarantined"
METRIC_RUN_FAILED = "RunFailed"
