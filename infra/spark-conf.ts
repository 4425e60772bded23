// The `--conf` job argument binding the `glue_catalog` Spark catalog to the Glue Data Catalog.
// Mirrors glue-scripts/datalake_glue/iceberg_conf.py (glue_conf_argument): change both together.
export const ICEBERG_CATALOG_NAME = "glue_catalog";

export function icebergSparkConf(warehousePath: string, catalog = ICEBERG_CATALOG_NAME): [string, string][] {
  const prefix = `spark.sql.catalog.${catalog}`;
  return [
    ["spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"],
    [prefix, "org.apache.iceberg.spark.SparkCatalog"],
    [`${prefix}.warehouse`, warehousePath],
    [`${prefix}.catalog-impl`, "org.apache.iceberg.aws.glue.GlueCatalog"],
    [`${prefix}.io-impl`, "org.apache.iceberg.aws.s3.S3FileIO"],
  ];
}

/** `k=v --conf k=v ...`: Glue's documented way to pass several Spark confs in one argument. */
export function glueConfArgument(warehousePath: string, catalog = ICEBERG_CATALOG_NAME): string {
  return icebergSparkConf(warehousePath, catalog)
    .map(([k, v]) => `${k}=${v}`)
    .join(" --conf ");
}
