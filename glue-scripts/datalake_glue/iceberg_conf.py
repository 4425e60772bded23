"""Spark configuration of the `glue_catalog` Iceberg catalog: the one place where the catalog
differs between AWS Glue and a local run.

- Glue: bound to the Glue Data Catalog (Iceberg's GlueCatalog, S3FileIO). Glue 5.x with
  `--datalake-formats iceberg` ships the Iceberg jars; the catalog itself is configured either by
  the job's `--conf` argument or by SparkConf before the SparkContext exists (static configs:
  spark.conf.set at runtime is refused). The runner applies `iceberg_spark_conf()` to its
  SparkConf, and the Pulumi program passes the same pairs as `--conf` (`glue_conf_argument()`),
  so they never disagree.
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html
- Local: a Hadoop catalog whose warehouse is a workspace folder. Table metadata is files only
  (`<warehouse>/<database>/<table>/metadata/`, with `version-hint.text`), so `datalake query`
  reads the tables with DuckDB's iceberg_scan, and nothing else needs installing. A Hadoop
  catalog places every table at `<warehouse>/<database>/<table>`: local runs set --bronze_path
  to `<warehouse>/<bronze database>` so the explicit bronze-zone LOCATIONs are exactly those.
"""

from __future__ import annotations

from typing import List, Tuple

from .constants import CATALOG_NAME

ICEBERG_EXTENSIONS = "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"


def iceberg_spark_conf(warehouse_path: str, catalog: str = CATALOG_NAME) -> List[Tuple[str, str]]:
    """Glue: the catalog on the Glue Data Catalog, data on S3."""
    prefix = f"spark.sql.catalog.{catalog}"
    return [
        ("spark.sql.extensions", ICEBERG_EXTENSIONS),
        (prefix, "org.apache.iceberg.spark.SparkCatalog"),
        (f"{prefix}.warehouse", warehouse_path),
        (f"{prefix}.catalog-impl", "org.apache.iceberg.aws.glue.GlueCatalog"),
        (f"{prefix}.io-impl", "org.apache.iceberg.aws.s3.S3FileIO"),
    ]


def local_iceberg_spark_conf(warehouse_uri: str, catalog: str = CATALOG_NAME) -> List[Tuple[str, str]]:
    """Local: the same catalog name on a Hadoop catalog in a workspace folder (`file://` URI)."""
    prefix = f"spark.sql.catalog.{catalog}"
    return [
        ("spark.sql.extensions", ICEBERG_EXTENSIONS),
        (prefix, "org.apache.iceberg.spark.SparkCatalog"),
        (f"{prefix}.type", "hadoop"),
        (f"{prefix}.warehouse", warehouse_uri),
    ]


def glue_conf_argument(warehouse_path: str, catalog: str = CATALOG_NAME) -> str:
    """The value of the `--conf` job argument: `k=v --conf k=v ...` (Glue's documented form)."""
    return " --conf ".join(f"{key}={value}" for key, value in iceberg_spark_conf(warehouse_path, catalog))
