"""The Spark session of a Glue job run (load_dataset.py, build_model.py).

Spark and awsglue are imported inside the function: the package imports without them (Glue
provides them; tests and local runs build their own session).
"""


def glue_spark_session(warehouse_path: str):
    from awsglue.context import GlueContext
    from pyspark import SparkConf
    from pyspark.context import SparkContext

    from .iceberg_conf import iceberg_spark_conf

    conf = SparkConf()
    # Static catalog settings must be in place before the SparkContext starts.
    for key, value in iceberg_spark_conf(warehouse_path):
        conf.set(key, value)
    return GlueContext(SparkContext.getOrCreate(conf=conf)).spark_session
