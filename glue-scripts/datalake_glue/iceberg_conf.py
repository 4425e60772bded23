"""Spark configuration binding the `glue_catalog` Spark catalog to the Glue Data Catalog.

AWS Glue 5.0 with `--datalake-formats iceberg` ships the Iceberg jars; the catalog itself is
configured either by the job's `--conf` argument or by SparkConf before the SparkContext exists
(these are static configs: spark.conf.set at runtime is refused). The runner applies
`iceberg_spark_conf()` to its SparkConf, and the Pulumi program may pass the same pairs as
`--conf` with `glue_conf_argument()`; both name the same values, so they never disagree.
See https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-format-iceberg.html
"""

from __future__ import annotations

from typing import List, Tuple

from .constants import CATALOG_NAME


def iceberg_spark_conf(warehouse_path: str, catalog: str = CATALOG_NAME) -> List[Tuple[str, str]]:
    prefix = f"spark.sql.catalog.{catalog}"
    return [
        ("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"),
        (prefix, "org.apache.iceberg.spark.SparkCatalog"),
        (f"{prefix}.warehouse", warehouse_path),
        (f"{prefix}.catalog-impl", "org.apache.iceberg.aws.glue.GlueCatalog"),
        (f"{prefix}.io-impl", "org.apache.iceberg.aws.s3.S3FileIO"),
    ]


def glue_conf_argument(warehouse_path: str, catalog: str = CATALOG_NAME) -> str:
    """The value of the `--conf` job argument: `k=v --conf k=v ...` (Glue's documented form)."""
    return " --conf ".join(f"{key}={value}" for key, value in iceberg_spark_conf(warehouse_path, catalog))
