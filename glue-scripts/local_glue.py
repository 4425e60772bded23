"""Local twin of load_dataset.py: the same runner on local Spark + Iceberg at the Glue runtime's
versions, with the Glue-only edges swapped for local ones (datalake_glue/local_env.py).

One run (prints its summary as JSON; exit 1 when the run failed):
  python glue-scripts/local_glue.py --warehouse DIR --jars J1[,J2] [--bucket NAME=DIR ...] -- JOB ARGS
  (without --bucket, manifest/plan/summary go to S3 through boto3, e.g. an S3 emulator named by
  AWS_ENDPOINT_URL; landing objects are read from the manifest's localPath or from S3)

A server (what `datalake load --engine spark` and the tests use: the JVM starts once):
  python glue-scripts/local_glue.py --warehouse DIR --jars ... --serve [--reply-fd 3]
  requests, one JSON object per line on stdin:
    {"id": "r1", "args": ["--dataset", "orders", ...], "buckets": {"local-ops": "/ws/ops"} | null,
     "metrics": "/ws/ops/metrics.jsonl" | null}          -> {"id": "r1", "summary": {...}}
    {"id": "m1", "job": "build_model", "args": ["--model", "dim_date", ...], "buckets": {...}}
                                                         -> {"id": "m1", "summary": {...}} (model_runner.py)
    {"id": "q1", "sql": "SELECT ..."}                    -> {"id": "q1", "rows": [{...}, ...]}
    {"cancel": "r1", "reason": "..."}                    -> the run stops before it publishes
  replies, one JSON object per line on --reply-fd (default stdout); {"ready": true, ...} first.
  A request that cannot run gets {"id": ..., "error": "..."}. EOF on stdin ends the server.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
from typing import Any, Dict, List, Optional, TextIO


def parse_cli(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="local_glue.py", description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", required=True, help="Iceberg warehouse folder (created)")
    parser.add_argument("--jars", required=True, help="comma-separated jar paths (the Iceberg runtime)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                        help="extra Spark setting (repeatable), e.g. for tests on tiny data")
    parser.add_argument("--bucket", action="append", default=[], metavar="NAME=DIR",
                        help="serve this bucket from a folder instead of S3 (repeatable)")
    parser.add_argument("--metrics", help="write CloudWatch metrics as JSON lines here (default: CloudWatch)")
    parser.add_argument("--serve", action="store_true", help="answer JSON requests on stdin")
    parser.add_argument("--reply-fd", type=int, default=1, help="file descriptor for server replies")
    parser.add_argument("job_args", nargs="*", help="job arguments of one run (after --)")
    return parser.parse_args(argv)


class LocalGlue:
    """One Spark session serving job runs, one at a time."""

    def __init__(self, options: argparse.Namespace) -> None:
        from datalake_glue.local_env import local_spark_session

        self.warehouse = os.path.abspath(options.warehouse)
        os.makedirs(self.warehouse, exist_ok=True)
        self.warehouse_uri = "file:" + self.warehouse  # Hadoop's form: Spark qualifies locations so
        jars = [j for j in options.jars.split(",") if j]
        missing = [j for j in jars if not os.path.isfile(j)]
        if missing:
            raise SystemExit(f"local_glue.py: jar not found: {', '.join(missing)} (run node scripts/setup-glue-runtime.js)")
        extra = [tuple(c.split("=", 1)) for c in options.conf]
        self.spark = local_spark_session(self.warehouse_uri, jars, master=options.master,
                                         driver_memory=options.driver_memory,
                                         shuffle_partitions=options.shuffle_partitions, extra=extra)

    def info(self) -> Dict[str, Any]:
        from datalake_glue.constants import GLUE_VERSION, ICEBERG_VERSION

        return {"ready": True, "spark": self.spark.version, "glueVersion": GLUE_VERSION,
                "iceberg": ICEBERG_VERSION, "warehouse": self.warehouse_uri}

    def run(self, argv: List[str], buckets: Optional[Dict[str, str]], metrics: Optional[str],
            stop: Any = None) -> Dict[str, Any]:
        import boto3

        from datalake_glue.args import resolve_args, simple_resolver
        from datalake_glue.local_env import LocalMetrics, LocalObjects, LocalSecrets, ensure_databases
        from datalake_glue.logs import configure as configure_logs
        from datalake_glue.runner import run_job
        from datalake_glue.s3_uri import LOCAL_STORAGE_SCHEMES
        from datalake_glue.spark_io import SparkIO

        args = resolve_args(["local_glue.py", *argv], simple_resolver, LOCAL_STORAGE_SCHEMES)
        if args.warehouse_path.rstrip("/") != self.warehouse_uri:
            raise ValueError(f"--warehouse_path {args.warehouse_path} is not this server's warehouse {self.warehouse_uri}")
        configure_logs(args.dataset, args.run_id, args.job_run_id)
        ensure_databases(self.spark, [args.catalog_database, args.quarantine_database, args.bronze_database])
        s3 = LocalObjects(buckets) if buckets else boto3.client("s3")
        cloudwatch = LocalMetrics(metrics) if metrics else boto3.client("cloudwatch")
        secrets = LocalSecrets() if buckets else boto3.client("secretsmanager")
        return run_job(args, spark=self.spark, io=SparkIO(self.spark), s3=s3, cloudwatch=cloudwatch, stop=stop,
                       secrets=secrets)

    def build_model(self, argv: List[str], buckets: Optional[Dict[str, str]]) -> Dict[str, Any]:
        """One run of the model job (build_model.py) on this session."""
        import boto3

        from datalake_glue.args import simple_resolver
        from datalake_glue.local_env import LocalObjects, LocalSecrets, ensure_databases
        from datalake_glue.logs import configure as configure_logs
        from datalake_glue.model_args import resolve_model_args
        from datalake_glue.model_runner import run_model_job
        from datalake_glue.s3_uri import LOCAL_STORAGE_SCHEMES
        from datalake_glue.spark_io import SparkIO

        args = resolve_model_args(["local_glue.py", *argv], simple_resolver, LOCAL_STORAGE_SCHEMES)
        if args.warehouse_path.rstrip("/") != self.warehouse_uri:
            raise ValueError(f"--warehouse_path {args.warehouse_path} is not this server's warehouse {self.warehouse_uri}")
        configure_logs(args.model, args.run_id, args.job_run_id)
        ensure_databases(self.spark, [args.semantic_database, args.silver_database, args.bronze_database])
        s3 = LocalObjects(buckets) if buckets else boto3.client("s3")
        secrets = LocalSecrets() if buckets else boto3.client("secretsmanager")
        return run_model_job(args, spark=self.spark, io=SparkIO(self.spark), s3=s3, secrets=secrets)

    def sql(self, statement: str) -> List[Dict[str, Any]]:
        return [row.asDict(recursive=True) for row in self.spark.sql(statement).collect()]


def serve(glue: LocalGlue, reply: TextIO) -> None:
    from datalake_glue.stop import StopSignal

    lock = threading.Lock()
    work: "queue.Queue[Optional[Dict[str, Any]]]" = queue.Queue()
    stops: Dict[str, StopSignal] = {}

    def send(message: Dict[str, Any]) -> None:
        with lock:
            reply.write(json.dumps(message, default=str) + "\n")
            reply.flush()

    def worker() -> None:
        while True:
            request = work.get()
            if request is None:
                return
            rid = request.get("id")
            try:
                if "sql" in request:
                    send({"id": rid, "rows": glue.sql(request["sql"])})
                elif request.get("job") == "build_model":
                    send({"id": rid, "summary": glue.build_model(list(request["args"]), request.get("buckets"))})
                else:
                    stop = stops.setdefault(rid, StopSignal(glue.spark.sparkContext.cancelAllJobs))
                    summary = glue.run(list(request["args"]), request.get("buckets"), request.get("metrics"), stop)
                    send({"id": rid, "summary": summary})
            except BaseException as error:  # noqa: BLE001 - one bad request must not end the server
                send({"id": rid, "error": f"{type(error).__name__}: {error}".strip()})
            finally:
                stops.pop(rid, None)

    thread = threading.Thread(target=worker, name="local-glue-runs", daemon=True)
    thread.start()
    send(glue.info())
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError as error:
            send({"error": f"bad request line: {error}"})
            continue
        if "cancel" in request:
            # A cancel may arrive before the run starts: the signal waits for it in `stops`.
            stops.setdefault(request["cancel"], StopSignal(glue.spark.sparkContext.cancelAllJobs)).request(
                str(request.get("reason") or "stopped"))
        else:
            work.put(request)
    work.put(None)
    thread.join()


def main(argv: Optional[List[str]] = None) -> int:
    options = parse_cli(list(sys.argv[1:] if argv is None else argv))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    buckets = dict(b.split("=", 1) for b in options.bucket) if options.bucket else None
    if options.serve:
        reply = os.fdopen(options.reply_fd, "w", encoding="utf-8") if options.reply_fd != 1 else sys.stdout
        glue = LocalGlue(options)
        serve(glue, reply)
        glue.spark.stop()
        return 0
    if not options.job_args:
        raise SystemExit("local_glue.py: give job arguments after -- (or --serve)")
    glue = LocalGlue(options)
    summary = glue.run(options.job_args, buckets, options.metrics)
    print(json.dumps(summary, indent=2))
    glue.spark.stop()
    return 0 if summary["status"] == "SUCCEEDED" else 1


if __name__ == "__main__":
    sys.exit(main())
