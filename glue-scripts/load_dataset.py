"""AWS Glue entry script: load one manifest of one dataset (Glue 5.0, `--datalake-formats iceberg`).

Arguments (engine/contracts.ts RUN_ARGS + JOB_ARGS; see glue-scripts/README.md):
  per run:  --dataset --run_id --manifest_uri [--full_refresh true|false]
  per job:  --plan_uri --ops_bucket --bronze_path --warehouse_path --catalog_database
            --quarantine_database --metrics_namespace [--bronze_database] [--pii_key_secret]
The shared package `datalake_glue` arrives through --extra-py-files.
"""

import sys


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    # Imported here, not at module level: the script must compile and import without Glue.
    import boto3
    from awsglue.utils import getResolvedOptions

    from datalake_glue.args import resolve_args
    from datalake_glue.logs import configure as configure_logs
    from datalake_glue.glue_session import glue_spark_session
    from datalake_glue.runner import RunFailed, run_job
    from datalake_glue.spark_io import SparkIO

    args = resolve_args(argv, getResolvedOptions)
    configure_logs(args.dataset, args.run_id, args.job_run_id)

    spark = glue_spark_session(args.warehouse_path)

    summary = run_job(
        args,
        spark=spark,
        io=SparkIO(spark),
        s3=boto3.client("s3"),
        cloudwatch=boto3.client("cloudwatch"),
        secrets=boto3.client("secretsmanager"),
    )
    if summary["status"] != "SUCCEEDED":
        raise RunFailed(f"{args.dataset} run {args.run_id} failed: {summary.get('error')}")


if __name__ == "__main__":
    main()
