"""AWS Glue entry script: build one semantic model (Glue 5.0, `--datalake-formats iceberg`).

Arguments (datalake_glue/model_args.py; see glue-scripts/README.md):
  per run:  --model NAME --run_id ID [--full_refresh true|false]
  per job:  --plan_uri s3://ops/plans/models/<model>/<hash>.json (engine/spark/model-artifact.ts)
            --ops_bucket --warehouse_path --semantic_database --silver_database --bronze_database
            [--pii_key_secret] [--files_path]
The run's summary goes to s3://<ops_bucket>/summaries/semantic/<model>/<run_id>.json; a build
that did not publish (a failed audit, an error) ends the job run FAILED.
The shared package `datalake_glue` arrives through --extra-py-files.
"""

import sys


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    # Imported here, not at module level: the script must compile and import without Glue.
    import boto3
    from awsglue.utils import getResolvedOptions

    from datalake_glue.glue_session import glue_spark_session
    from datalake_glue.logs import configure as configure_logs
    from datalake_glue.model_args import resolve_model_args
    from datalake_glue.model_runner import run_model_job
    from datalake_glue.runner import RunFailed
    from datalake_glue.spark_io import SparkIO

    args = resolve_model_args(argv, getResolvedOptions)
    configure_logs(args.model, args.run_id, args.job_run_id)

    spark = glue_spark_session(args.warehouse_path)

    summary = run_model_job(args, spark=spark, io=SparkIO(spark), s3=boto3.client("s3"),
                            secrets=boto3.client("secretsmanager"))
    if summary["status"] != "SUCCEEDED":
        raise RunFailed(f"model {args.model} build {args.run_id} failed: {summary.get('error')}")


if __name__ == "__main__":
    main()
