"""The Glue-only edges of a run, swapped for local equivalents: everything a local run (the
`local_glue.py` entry script) uses instead of what AWS Glue provides. The rest of the runner
(args, manifest, plan, executor, WAP, summary, metrics) is the code that runs on Glue.

  Glue                                    local
  getResolvedOptions (awsglue)            args.simple_resolver (same argv form)
  GlueContext + Glue's Spark + Iceberg    SparkSession on pyspark + the Iceberg jar at the same
                                          versions (runtime.json), master local[N]
  Glue Data Catalog (GlueCatalog)         Hadoop catalog in a workspace folder (iceberg_conf.py)
  databases created by the Pulumi program CREATE NAMESPACE IF NOT EXISTS before each run
  S3 for manifest / plan / summary        LocalObjects: buckets mapped to folders (or real S3 /
                                          an S3 emulator through boto3's AWS_ENDPOINT_URL)
  S3 for landing objects                  the manifest's `localPath` (local mode keeps one copy
                                          per object version), or S3 as on Glue
  CloudWatch PutMetricData                LocalMetrics: JSON lines in a file
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence

from .constants import CATALOG_NAME
from .file_reader import LOCAL_PATHS_ENV, LocalObjectError
from .iceberg_conf import local_iceberg_spark_conf
from .wap import quote_identifier

#: Spark settings of a local run besides the catalog. Shuffle partitions sized for one machine
#: (Spark's 200 default makes every tiny stage 200 tasks); no UI server per run.
LOCAL_SPARK_SETTINGS = (
    ("spark.ui.enabled", "false"),
    ("spark.ui.showConsoleProgress", "false"),
    ("spark.sql.adaptive.enabled", "true"),
    # The driver JVM's collector: the parallel (throughput) one, not G1, Java 17's default. A
    # local run is one JVM on a few cores making short-lived objects, where G1's concurrent
    # threads and write barriers cost more than its short pauses save: four small loads in
    # one server took 54-57 s against 60-62 s with G1 (2 cores; C1-only JIT and the serial
    # collector were no better). Glue sets its own JVM flags: this is local only.
    ("spark.driver.extraJavaOptions", "-XX:+UseParallelGC"),
)


def local_spark_session(warehouse_uri: str, jars: Sequence[str], *, master: str = "local[2]",
                        driver_memory: str = "2g", shuffle_partitions: int = 4,
                        app_name: str = "datalake-local-glue",
                        extra: Sequence[tuple] = ()) -> Any:
    """A SparkSession with the Iceberg catalog on a local warehouse (`file://` URI)."""
    from pyspark.sql import SparkSession

    # Before the JVM starts: the Python workers it forks inherit the environment. PYTHONPATH
    # stands in for Glue's --extra-py-files (workers import datalake_glue to read files).
    os.environ[LOCAL_PATHS_ENV] = "1"
    # Workers run this interpreter (the project venv: boto3, the Glue runtime's Python), not
    # whatever `python3` is first on PATH.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    paths = [package_parent] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    builder = SparkSession.builder.master(master).appName(app_name)
    settings: List[tuple] = list(local_iceberg_spark_conf(warehouse_uri)) + list(LOCAL_SPARK_SETTINGS)
    settings += [
        ("spark.sql.warehouse.dir", session_catalog_folder(warehouse_uri)),
        ("spark.jars", ",".join(jars)),
        ("spark.driver.memory", driver_memory),
        ("spark.sql.shuffle.partitions", str(shuffle_partitions)),
    ] + list(extra)
    for key, value in settings:
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def session_catalog_folder(warehouse_uri: str) -> str:
    """Where Spark's own session catalog (`spark_catalog`, unused by the runner) keeps its
    folder: beside the Iceberg warehouse, not in it (the Hadoop catalog would list it as a
    namespace). Spark's default is `spark-warehouse` in the working directory, which a run
    created in whatever folder the user started it from."""
    return warehouse_uri.rstrip("/") + "-spark-session"


def ensure_databases(spark: Any, names: Iterable[Optional[str]]) -> None:
    """What the Pulumi program's Glue databases are on AWS: namespaces of the local catalog."""
    for name in sorted({n for n in names if n}):
        spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {quote_identifier(f'{CATALOG_NAME}.{name}')}")


class LocalObjects:
    """The S3 calls the runner makes (get_object / put_object; list_objects_v2 / delete_objects to
    prune model states), on folders: bucket -> folder.
    Errors carry S3's codes (NoSuchBucket, NoSuchKey) like botocore's ClientError."""

    def __init__(self, buckets: Dict[str, str]) -> None:
        self.buckets = {name: os.path.abspath(folder) for name, folder in buckets.items()}

    def _path(self, bucket: str, key: str) -> str:
        root = self.buckets.get(bucket)
        if root is None:
            raise LocalObjectError("NoSuchBucket", f"NoSuchBucket: {bucket}")
        path = os.path.abspath(os.path.join(root, key))
        if not path.startswith(root + os.sep):
            raise LocalObjectError("AccessDenied", f"key escapes its bucket: {key}")
        return path

    def get_object(self, Bucket: str, Key: str, **_: Any) -> Dict[str, Any]:  # noqa: N803 - boto3 names
        path = self._path(Bucket, Key)
        try:
            with open(path, "rb") as handle:
                return {"Body": io.BytesIO(handle.read())}
        except FileNotFoundError as error:
            raise LocalObjectError("NoSuchKey", f"NoSuchKey: s3://{Bucket}/{Key}") from error

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> Dict[str, Any]:  # noqa: N803
        path = self._path(Bucket, Key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
        with open(temporary, "wb") as handle:
            handle.write(Body)
        os.replace(temporary, path)  # readers see the old or the new summary, never half of one
        return {}


    def list_objects_v2(self, Bucket: str, Prefix: str = "", **_: Any) -> Dict[str, Any]:  # noqa: N803
        """Every key starting with Prefix, in key order, in one page (a local bucket is small)."""
        root = self.buckets.get(Bucket)
        if root is None:
            raise LocalObjectError("NoSuchBucket", f"NoSuchBucket: {Bucket}")
        start = os.path.dirname(self._path(Bucket, Prefix + "x"))
        keys = []
        for folder, _dirs, files in os.walk(start):
            for name in files:
                key = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
                if key.startswith(Prefix):
                    keys.append(key)
        return {"Contents": [{"Key": k} for k in sorted(keys)], "IsTruncated": False, "KeyCount": len(keys)}

    def delete_objects(self, Bucket: str, Delete: Dict[str, Any], **_: Any) -> Dict[str, Any]:  # noqa: N803
        """As S3: a key that is not there counts as deleted."""
        for item in Delete.get("Objects", []):
            try:
                os.remove(self._path(Bucket, item["Key"]))
            except FileNotFoundError:
                pass
        return {} if Delete.get("Quiet") else {"Deleted": [{"Key": i["Key"]} for i in Delete.get("Objects", [])]}


class LocalSecrets:
    """Secrets Manager's GetSecretValue for local runs: the SecretId is a file path (the
    workspace's PII hash key, engine/pii-key.ts), read when the run starts."""

    def get_secret_value(self, SecretId: str) -> Dict[str, Any]:  # noqa: N803 - boto3's name
        with open(SecretId, encoding="utf-8") as handle:
            return {"SecretString": handle.read()}


class LocalMetrics:
    """CloudWatch PutMetricData as JSON lines (one per datum) appended to a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    def put_metric_data(self, Namespace: str, MetricData: List[Dict[str, Any]]) -> Dict[str, Any]:  # noqa: N803
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            for datum in MetricData:
                line = {"namespace": Namespace, **datum}
                handle.write(json.dumps(line, default=_json_default, sort_keys=True) + "\n")
        return {}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
